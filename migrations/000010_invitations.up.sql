-- Invitations: an administrator invites an agent by e-mail; the link carries
-- a one-time token that lets the person choose a password and sign in. The
-- user row exists from the invitation on (with no password, so nobody signs
-- in as them), so that the e-mail is reserved and the agent can be put in
-- skillsets before they accept. Only the token's SHA-256 is kept: a copy of
-- the table invites nobody.
CREATE TABLE invitations (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX invitations_tenant_user ON invitations (tenant_id, user_id, created_at DESC);

-- The invitation page looks the token up before the tenant is known (in
-- platform scope, like a session by its token); everything else is the
-- tenant's.
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations USING (tenant_id = app_tenant() OR app_platform())
    WITH CHECK (tenant_id = app_tenant() OR app_platform());
GRANT SELECT, INSERT, UPDATE, DELETE ON invitations TO switchboard_app;
