-- Inbound WhatsApp: Meta apps, managed numbers, the raw webhook log, contacts,
-- conversations, messages, statuses, media, number events and API keys.

-- Further Meta apps the operator registers (the platform's own app comes from
-- META_APP_SECRET and META_VERIFY_TOKEN). Secrets are sealed (internal/secrets).
CREATE TABLE meta_apps (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    app_secret_enc   text NOT NULL,
    verify_token_enc text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- A tenant's WhatsApp numbers. phone_number_id is Meta's id and unique across
-- the platform: it is how a webhook finds its tenant.
CREATE TABLE numbers (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    phone_number_id  text NOT NULL UNIQUE CHECK (phone_number_id ~ '^[0-9]{1,30}$'),
    display_phone    text NOT NULL CHECK (display_phone ~ '^\+?[0-9 ]{5,20}$'),
    waba_id          text NOT NULL CHECK (waba_id ~ '^[0-9]{1,30}$'),
    app_id           uuid REFERENCES meta_apps (id),
    access_token_enc text NOT NULL,
    sandbox          boolean NOT NULL DEFAULT false,
    status           text NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'pending', 'disconnected', 'restricted')),
    quality_rating   text NOT NULL DEFAULT 'UNKNOWN',
    messaging_limit  text NOT NULL DEFAULT '',
    throughput       integer NOT NULL DEFAULT 80 CHECK (throughput BETWEEN 1 AND 1000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX numbers_tenant ON numbers (tenant_id, display_phone);

-- Every signed POST, byte for byte, stored before Meta gets its 200. A POST
-- may concern several tenants, so this log belongs to the platform.
CREATE TABLE webhook_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id       uuid REFERENCES meta_apps (id),
    -- Where the POST came in: the sandbox, a registered app (app_id), or
    -- the platform's own app (neither). A number's events are accepted
    -- only from its own app.
    sandbox      boolean NOT NULL DEFAULT false,
    body         bytea NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'processed', 'failed')),
    reason       text NOT NULL DEFAULT '',
    attempts     integer NOT NULL DEFAULT 0,
    processed_at timestamptz
);
CREATE INDEX webhook_events_pending ON webhook_events (id) WHERE state = 'pending';
CREATE INDEX webhook_events_failed ON webhook_events (received_at) WHERE state = 'failed';

CREATE TABLE contacts (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    wa_id      text,
    user_id    text, -- Meta's business-scoped user id (BSUID), when present
    name       text NOT NULL DEFAULT '',
    phone      text NOT NULL DEFAULT '',
    priority   integer NOT NULL DEFAULT 0,
    consent    text NOT NULL DEFAULT 'unknown' CHECK (consent IN ('unknown', 'granted', 'revoked')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (wa_id IS NOT NULL OR user_id IS NOT NULL)
);
CREATE UNIQUE INDEX contacts_tenant_wa_id ON contacts (tenant_id, wa_id);
CREATE UNIQUE INDEX contacts_tenant_user_id ON contacts (tenant_id, user_id);

CREATE TABLE conversations (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number_id         uuid NOT NULL REFERENCES numbers (id) ON DELETE CASCADE,
    contact_id        uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    status            text NOT NULL CHECK (status IN ('bot', 'queued', 'assigned', 'closed')),
    assigned_agent_id uuid REFERENCES users (id) ON DELETE SET NULL,
    last_inbound_at   timestamptz,
    window_expires_at timestamptz,
    last_message_at   timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz
);
-- At most one open conversation per (tenant, number, contact).
CREATE UNIQUE INDEX conversations_one_open ON conversations (tenant_id, number_id, contact_id) WHERE status <> 'closed';
CREATE INDEX conversations_tenant_status ON conversations (tenant_id, status, created_at);

CREATE TABLE media (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number_id       uuid NOT NULL REFERENCES numbers (id) ON DELETE CASCADE,
    meta_media_id   text NOT NULL,
    url             text NOT NULL DEFAULT '',
    mime_type       text NOT NULL DEFAULT '',
    filename        text NOT NULL DEFAULT '',
    size            bigint,
    sha256          text NOT NULL DEFAULT '',
    blob_key        text NOT NULL DEFAULT '',
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'stored', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX media_tenant_meta ON media (tenant_id, meta_media_id);
CREATE INDEX media_pending ON media (next_attempt_at) WHERE state = 'pending';

CREATE TABLE messages (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- WhatsApp's timestamps have one-second resolution: seq keeps arrival
    -- order among messages of the same second.
    seq                  bigint GENERATED ALWAYS AS IDENTITY,
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id      uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    wamid                text NOT NULL,
    direction            text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    type                 text NOT NULL,
    text                 text NOT NULL DEFAULT '',
    media_id             uuid REFERENCES media (id) ON DELETE SET NULL,
    details              jsonb NOT NULL DEFAULT '{}', -- location, shared contacts, interactive, order, referral, system…
    context_wamid        text NOT NULL DEFAULT '',
    forwarded            boolean NOT NULL DEFAULT false,
    frequently_forwarded boolean NOT NULL DEFAULT false,
    reaction             text NOT NULL DEFAULT '', -- the customer's reaction to this message
    status               text NOT NULL DEFAULT '',
    error_code           integer,
    error_title          text NOT NULL DEFAULT '',
    error_details        text NOT NULL DEFAULT '',
    raw                  jsonb NOT NULL DEFAULT '{}', -- Meta's object, as sent
    wa_timestamp         timestamptz NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX messages_tenant_wamid ON messages (tenant_id, wamid);
-- History in WhatsApp's order, not arrival order.
CREATE INDEX messages_conversation_time ON messages (tenant_id, conversation_id, wa_timestamp, seq);

-- One row per (message, status), kept even when the status arrives before its
-- message; messages.status is then moved forward from these.
CREATE TABLE message_statuses (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    wamid         text NOT NULL,
    status        text NOT NULL,
    wa_timestamp  timestamptz NOT NULL,
    error_code    integer,
    error_title   text NOT NULL DEFAULT '',
    error_details text NOT NULL DEFAULT '',
    raw           jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, wamid, status)
);

-- What Meta says about a number or its account: quality, limits, restrictions.
CREATE TABLE number_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number_id  uuid REFERENCES numbers (id) ON DELETE CASCADE,
    field      text NOT NULL,
    event      text NOT NULL DEFAULT '',
    detail     jsonb NOT NULL DEFAULT '{}',
    -- The same notice redelivered by Meta has the same key: kept once.
    dedupe_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX number_events_dedupe ON number_events (tenant_id, dedupe_key);
CREATE INDEX number_events_tenant ON number_events (tenant_id, number_id, created_at DESC);

-- Template decisions from Meta, kept until templates have their own table.
CREATE TABLE template_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    waba_id       text NOT NULL,
    template_id   text NOT NULL,
    template_name text NOT NULL DEFAULT '',
    language      text NOT NULL DEFAULT '',
    event         text NOT NULL,
    reason        text NOT NULL DEFAULT '',
    detail        jsonb NOT NULL DEFAULT '{}',
    dedupe_key    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX template_events_dedupe ON template_events (tenant_id, dedupe_key);
CREATE INDEX template_events_tenant ON template_events (tenant_id, template_id, created_at DESC);

-- API keys: the key is shown once; only its SHA-256 is kept.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['numbers', 'contacts', 'conversations', 'media', 'messages', 'message_statuses',
                             'number_events', 'template_events', 'api_keys']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant() OR app_platform()) '
                       'WITH CHECK (tenant_id = app_tenant() OR app_platform())', t);
    END LOOP;
END
$$;

-- The webhook log and the Meta apps belong to the platform: a transaction
-- scoped to one tenant sees none of them.
ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_only ON webhook_events USING (app_platform()) WITH CHECK (app_platform());
-- Ingest stores a verified POST in one autocommit statement (the fastest
-- durable write): inserting needs no scope; reading and changing do.
CREATE POLICY ingest_insert ON webhook_events FOR INSERT WITH CHECK (true);
ALTER TABLE meta_apps ENABLE ROW LEVEL SECURITY;
ALTER TABLE meta_apps FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_only ON meta_apps USING (app_platform()) WITH CHECK (app_platform());

GRANT SELECT, INSERT, UPDATE, DELETE ON meta_apps, numbers, contacts, conversations, media, messages,
    message_statuses, number_events, template_events, api_keys TO switchboard_app;
GRANT SELECT, INSERT, UPDATE ON webhook_events TO switchboard_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO switchboard_app;
