-- Routing: skillsets and their members, the skillsets linked to each number,
-- agents' capacity, the tenant's requeue policy, the conversation's place in
-- the queue, the log of routing events (with each assignment's explanation),
-- the command queue the dispatcher consumes, and the per-tenant dispatcher
-- lease that keeps one dispatcher per tenant across instances.

ALTER TABLE tenants
    ADD COLUMN default_capacity integer NOT NULL DEFAULT 3 CHECK (default_capacity BETWEEN 0 AND 1000),
    ADD COLUMN requeue_on_offline boolean NOT NULL DEFAULT true,
    ADD COLUMN requeue_grace_seconds integer NOT NULL DEFAULT 60 CHECK (requeue_grace_seconds BETWEEN 0 AND 86400);

-- capacity NULL means the tenant's default; last_assigned_at NULL means never (step 6).
ALTER TABLE users
    ADD COLUMN capacity integer CHECK (capacity BETWEEN 0 AND 1000),
    ADD COLUMN last_assigned_at timestamptz;

CREATE TABLE skillsets (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX skillsets_tenant_name ON skillsets (tenant_id, lower(name));

CREATE TABLE skillset_members (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    skillset_id uuid NOT NULL REFERENCES skillsets (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    priority    integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
    PRIMARY KEY (skillset_id, user_id)
);
CREATE INDEX skillset_members_tenant ON skillset_members (tenant_id, user_id);

-- A skillset linked to a number cannot be deleted (RESTRICT): the
-- administrator unlinks it first, and is told why.
CREATE TABLE number_skillsets (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number_id   uuid NOT NULL REFERENCES numbers (id) ON DELETE CASCADE,
    skillset_id uuid NOT NULL REFERENCES skillsets (id) ON DELETE RESTRICT,
    priority    integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
    PRIMARY KEY (number_id, skillset_id)
);
CREATE INDEX number_skillsets_tenant ON number_skillsets (tenant_id, skillset_id);

-- The log of what the router did to each conversation, in order. An
-- assignment keeps its explanation (step, reason, the whole decision).
CREATE TABLE routing_events (
    id              bigserial PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('assigned', 'queued', 'requeued', 'transferred', 'closed')),
    agent_id        uuid REFERENCES users (id) ON DELETE SET NULL,
    from_agent_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    skillset_id     uuid REFERENCES skillsets (id) ON DELETE SET NULL,
    step            integer,
    reason          text NOT NULL DEFAULT '',
    decision        jsonb,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routing_events_conversation ON routing_events (tenant_id, conversation_id, id);
CREATE INDEX routing_events_tenant ON routing_events (tenant_id, id);

-- queued_at is the arrival time in the queue (kept on a requeue);
-- target_skillset_id restricts the queue after a transfer to a skillset.
ALTER TABLE conversations
    ADD COLUMN queued_at timestamptz,
    ADD COLUMN target_skillset_id uuid REFERENCES skillsets (id) ON DELETE SET NULL,
    ADD COLUMN assigned_at timestamptz,
    ADD COLUMN assignment_event_id bigint REFERENCES routing_events (id) ON DELETE SET NULL;
UPDATE conversations SET queued_at = created_at WHERE status = 'queued';
CREATE INDEX conversations_open_agent ON conversations (tenant_id, assigned_agent_id) WHERE status = 'assigned';

-- What the dispatcher must apply, in id order. Anyone (the webhook
-- processor, the API, the CLI) inserts a command and notifies
-- 'switchboard_routing'; only the tenant's dispatcher changes the routing
-- state, so there is one writer and no race between instances. A done
-- command keeps its result for the caller waiting on it, then is deleted.
CREATE TABLE routing_commands (
    id              bigserial PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('arrive', 'close', 'transfer_agent', 'transfer_skillset', 'presence', 'reload')),
    conversation_id uuid,
    agent_id        uuid,
    skillset_id     uuid,
    actor           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,
    error           text NOT NULL DEFAULT ''
);
CREATE INDEX routing_commands_pending ON routing_commands (tenant_id, id) WHERE done_at IS NULL;
CREATE INDEX routing_commands_done ON routing_commands (done_at) WHERE done_at IS NOT NULL;

-- One dispatcher per tenant: the holder renews its lease; another instance
-- takes it over once it expires, with a higher epoch. Every write of the
-- dispatcher locks its lease row (FOR SHARE) and checks holder and epoch in
-- the same transaction, so a stale dispatcher cannot write.
CREATE TABLE routing_leases (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    holder     text NOT NULL,
    epoch      bigint NOT NULL,
    expires_at timestamptz NOT NULL
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['skillsets', 'skillset_members', 'number_skillsets', 'routing_events',
                             'routing_commands', 'routing_leases']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant() OR app_platform()) '
                       'WITH CHECK (tenant_id = app_tenant() OR app_platform())', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON skillsets, skillset_members, number_skillsets, routing_events,
    routing_commands, routing_leases TO switchboard_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO switchboard_app;
