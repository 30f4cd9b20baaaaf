DELETE FROM agent_events WHERE kind = 'note';
ALTER TABLE agent_events DROP CONSTRAINT agent_events_kind_check;
ALTER TABLE agent_events ADD CONSTRAINT agent_events_kind_check CHECK (kind IN ('message', 'status', 'assigned',
    'transferred_in', 'transferred_out', 'requeued', 'closed'));
