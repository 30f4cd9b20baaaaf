-- The application never connects as the owner of these tables: it switches to
-- switchboard_app, which owns nothing and has no BYPASSRLS, so the row-level
-- security below always applies. The role is cluster-wide; a DBA may create it
-- beforehand when the migrating role lacks CREATEROLE.
DO $$
BEGIN
    CREATE ROLE switchboard_app NOLOGIN;
EXCEPTION WHEN duplicate_object THEN
    NULL;
END
$$;

-- The tenant of the current transaction, set with SET LOCAL (set_config(...,
-- true)) by the storage layer; NULL when none is set.
CREATE FUNCTION app_tenant() RETURNS uuid
    LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- Platform scope: the operator console and the steps of sign-in that must find
-- a user before the tenant is known. Also set with SET LOCAL, never by a
-- request's input.
CREATE FUNCTION app_platform() RETURNS boolean
    LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('app.platform', true), '') = 'on' $$;

-- Plans are the platform's price list; agents are unlimited on every plan.
CREATE TABLE plans (
    id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    max_templates              integer NOT NULL CHECK (max_templates >= 0),
    max_numbers                integer NOT NULL CHECK (max_numbers >= 0),
    max_business_conversations integer NOT NULL CHECK (max_business_conversations >= 0),
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX plans_name_key ON plans (lower(name));

INSERT INTO plans (name, max_templates, max_numbers, max_business_conversations) VALUES
    ('Starter', 10, 1, 1000),
    ('Business', 50, 5, 10000),
    ('Enterprise', 250, 20, 100000);

CREATE TABLE tenants (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
    plan_id    uuid NOT NULL REFERENCES plans (id),
    status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Operators belong to no tenant; administrators and agents to exactly one.
-- E-mail addresses are unique across the platform so that sign-in needs only
-- an address and a password.
CREATE TABLE users (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           uuid REFERENCES tenants (id) ON DELETE CASCADE,
    email               text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name                text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    role                text NOT NULL CHECK (role IN ('operator', 'admin', 'agent')),
    password_hash       text NOT NULL,
    language            text CHECK (language IN ('en', 'it')),
    active              boolean NOT NULL DEFAULT true,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'operator') = (tenant_id IS NULL))
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_tenant_role ON users (tenant_id, role, email);

-- Server-side sessions: the cookie carries a random token, the table only its
-- SHA-256, so a copy of the table signs nobody in.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid REFERENCES tenants (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    user_agent   text NOT NULL DEFAULT '',
    ip           text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_tenant_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Append-only: the application role may insert and read, never change.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants (id) ON DELETE CASCADE,
    actor_id    uuid,
    actor_email text NOT NULL DEFAULT '',
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',
    ip          text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_created ON audit_log (tenant_id, created_at DESC);

-- Row-level security, forced so that even the owner is filtered.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = app_tenant() OR app_platform())
    WITH CHECK (app_platform());

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = app_tenant() OR app_platform())
    WITH CHECK (tenant_id = app_tenant() OR app_platform());

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
    USING (tenant_id = app_tenant() OR app_platform())
    WITH CHECK (tenant_id = app_tenant() OR app_platform());

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = app_tenant() OR app_platform())
    WITH CHECK (tenant_id = app_tenant() OR app_platform());

GRANT USAGE ON SCHEMA public TO switchboard_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON plans, tenants, users, sessions TO switchboard_app;
GRANT SELECT, INSERT ON audit_log TO switchboard_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO switchboard_app;
