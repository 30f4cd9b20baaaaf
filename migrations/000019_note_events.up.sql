-- An agent is told of a note someone else (a supervisor) adds to a
-- conversation it holds: agent_events gains the kind 'note'.
ALTER TABLE agent_events DROP CONSTRAINT agent_events_kind_check;
ALTER TABLE agent_events ADD CONSTRAINT agent_events_kind_check CHECK (kind IN ('message', 'status', 'assigned',
    'transferred_in', 'transferred_out', 'requeued', 'closed', 'note'));
