-- Outbound WhatsApp: consent with its history, the templates catalog, and
-- the transactional outbox.

-- Consent: the current state on the contact, every change in the history.
ALTER TABLE contacts
    ADD COLUMN consent_at     timestamptz,
    ADD COLUMN consent_source text NOT NULL DEFAULT '',
    ADD COLUMN consent_by     text NOT NULL DEFAULT '';

CREATE TABLE consent_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    consent    text NOT NULL CHECK (consent IN ('granted', 'revoked')),
    source     text NOT NULL CHECK (source IN ('web_form', 'written', 'verbal', 'imported', 'customer_message', 'api')),
    actor      text NOT NULL DEFAULT '',
    note       text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_events_contact ON consent_events (tenant_id, contact_id, created_at DESC);

-- Message templates as Meta knows them, one row per template and language.
CREATE TABLE templates (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    waba_id         text NOT NULL,
    meta_id         text NOT NULL DEFAULT '',
    name            text NOT NULL,
    language        text NOT NULL,
    category        text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT '',
    components      jsonb NOT NULL DEFAULT '[]',
    header_params   integer NOT NULL DEFAULT 0,
    body_params     integer NOT NULL DEFAULT 0,
    rejected_reason text NOT NULL DEFAULT '',
    synced_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX templates_key ON templates (tenant_id, waba_id, name, language);

-- An outbound message has no wamid until Meta accepts it.
ALTER TABLE messages ALTER COLUMN wamid DROP NOT NULL;
ALTER TABLE messages
    ADD COLUMN sender          text NOT NULL DEFAULT '', -- agent:<id>, api:<key id>, system
    ADD COLUMN idempotency_key text,
    -- Set when a crash may have come between Meta's answer and our record:
    -- the message may or may not have reached the customer.
    ADD COLUMN uncertain       boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX messages_idempotency ON messages (tenant_id, idempotency_key);

-- The transactional outbox: written in the same transaction as its message,
-- claimed by sender workers with SKIP LOCKED and a lease.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    message_id      uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    number_id       uuid NOT NULL REFERENCES numbers (id) ON DELETE CASCADE,
    recipient       text NOT NULL,
    payload         jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'uncertain')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE UNIQUE INDEX outbox_message ON outbox (tenant_id, message_id);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_leased ON outbox (lease_until) WHERE state = 'sending';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['consent_events', 'templates', 'outbox']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant() OR app_platform()) '
                       'WITH CHECK (tenant_id = app_tenant() OR app_platform())', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT ON consent_events TO switchboard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON templates, outbox TO switchboard_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO switchboard_app;

-- Words a customer writes to stop business-initiated messages (any case,
-- the whole message), per tenant.
ALTER TABLE tenants ADD COLUMN stop_keywords text[] NOT NULL
    DEFAULT ARRAY['STOP', 'STOPALL', 'UNSUBSCRIBE', 'BASTA', 'DISISCRIVIMI', 'CANCELLAMI'];
