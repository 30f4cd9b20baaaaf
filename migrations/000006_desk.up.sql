-- The agent's tools in a conversation: canned replies (an agent's own, or
-- the tenant's for everyone), private notes on a conversation (never sent
-- to WhatsApp), the tenant's list of close outcomes and the outcome each
-- closed conversation was given.

-- owner_id NULL is a tenant-wide reply, managed by administrators. A
-- shortcut is unique per owner (NULLS NOT DISTINCT: once among the
-- tenant-wide ones too); an agent's own may repeat a tenant-wide one, and
-- the agent's wins in the composer.
CREATE TABLE canned_replies (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    owner_id   uuid REFERENCES users (id) ON DELETE CASCADE,
    shortcut   text NOT NULL CHECK (shortcut ~ '^[a-z0-9_-]{1,32}$'),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (tenant_id, owner_id, shortcut)
);

-- Outcomes are kept by name on the conversation (close_outcome), so
-- renaming or removing one later leaves closed conversations as they were.
CREATE TABLE close_outcomes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX close_outcomes_tenant_name ON close_outcomes (tenant_id, lower(name));

-- A note's author may leave the tenant: the note stays (author_id NULL).
CREATE TABLE conversation_notes (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       uuid REFERENCES users (id) ON DELETE SET NULL,
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_notes_conversation ON conversation_notes (tenant_id, conversation_id, created_at);

-- The outcome travels with the close command to the dispatcher, the only
-- writer of a conversation's routing state, which stores it as it closes.
ALTER TABLE routing_commands ADD COLUMN outcome text NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN close_outcome text NOT NULL DEFAULT '';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['canned_replies', 'close_outcomes', 'conversation_notes']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant() OR app_platform()) '
                       'WITH CHECK (tenant_id = app_tenant() OR app_platform())', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON canned_replies, close_outcomes TO switchboard_app;
-- Notes are a record: written and read, never edited by the application.
GRANT SELECT, INSERT ON conversation_notes TO switchboard_app;
