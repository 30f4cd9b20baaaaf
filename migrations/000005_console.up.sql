-- The agent console's event log: what each agent's console must learn
-- (a message in one of its conversations, a delivery status, a conversation
-- assigned, taken away or closed), numbered per agent without gaps so that a
-- console that reconnects asks for what follows the last number it saw.
-- users.event_seq is the agent's counter: taking a number locks the agent's
-- row until commit, so numbers commit in order.

ALTER TABLE users ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE agent_events (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    agent_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq             bigint NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('message', 'status', 'assigned', 'transferred_in', 'transferred_out',
                                                  'requeued', 'closed')),
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      uuid,
    at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, seq)
);
CREATE INDEX agent_events_tenant_at ON agent_events (tenant_id, at);

ALTER TABLE agent_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE agent_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agent_events USING (tenant_id = app_tenant() OR app_platform())
    WITH CHECK (tenant_id = app_tenant() OR app_platform());
GRANT SELECT, INSERT, DELETE ON agent_events TO switchboard_app;
