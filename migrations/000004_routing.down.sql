DROP TABLE IF EXISTS routing_leases;
DROP TABLE IF EXISTS routing_commands;
DROP INDEX IF EXISTS conversations_open_agent;
ALTER TABLE conversations DROP COLUMN IF EXISTS assignment_event_id, DROP COLUMN IF EXISTS assigned_at,
    DROP COLUMN IF EXISTS target_skillset_id, DROP COLUMN IF EXISTS queued_at;
DROP TABLE IF EXISTS routing_events;
DROP TABLE IF EXISTS number_skillsets;
DROP TABLE IF EXISTS skillset_members;
DROP TABLE IF EXISTS skillsets;
ALTER TABLE users DROP COLUMN IF EXISTS last_assigned_at, DROP COLUMN IF EXISTS capacity;
ALTER TABLE tenants DROP COLUMN IF EXISTS requeue_grace_seconds, DROP COLUMN IF EXISTS requeue_on_offline,
    DROP COLUMN IF EXISTS default_capacity;
