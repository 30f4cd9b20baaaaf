-- A file we send is uploaded to Meta per sending number, and Meta's media
-- id lives 30 days (contract §6). A file sent once (an agent's photo) needs
-- one upload; a file sent for months from several numbers (a keyword
-- rule's answer, a template header) needs one per number per month. This
-- remembers each upload so the sender reuses it while it is fresh and
-- uploads again when it is not.
CREATE TABLE media_uploads (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    media_id      uuid NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    number_id     uuid NOT NULL REFERENCES numbers (id) ON DELETE CASCADE,
    meta_media_id text NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (media_id, number_id)
);
CREATE INDEX media_uploads_tenant ON media_uploads (tenant_id);

ALTER TABLE media_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE media_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON media_uploads USING (tenant_id = app_tenant() OR app_platform())
    WITH CHECK (tenant_id = app_tenant() OR app_platform());
GRANT SELECT, INSERT, UPDATE, DELETE ON media_uploads TO switchboard_app;
