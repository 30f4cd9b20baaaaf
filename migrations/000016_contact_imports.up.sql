-- Contact imports kept on the server between their check and their apply:
-- the upload is parsed once, as it streams, into contact_import_rows; the
-- Import button then names the import by id (nothing posted back) and a job
-- applies it in one transaction while the page reads its progress here.

CREATE TABLE contact_imports (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by  text NOT NULL DEFAULT '',
    file_name   text NOT NULL DEFAULT '' CHECK (length(file_name) <= 255),
    columns     text[] NOT NULL DEFAULT '{}',
    -- ready: checked, waiting for Import; running: the job holds it;
    -- done / failed: what the job ended with (failed changed nothing).
    status      text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'running', 'done', 'failed')),
    rows        integer NOT NULL DEFAULT 0,
    done        integer NOT NULL DEFAULT 0, -- rows applied so far, in the job's open transaction
    created     integer NOT NULL DEFAULT 0,
    updated     integer NOT NULL DEFAULT 0,
    unchanged   integer NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- the job writes progress at least this often; a running import whose
    -- heartbeat stopped was cut short (its transaction rolled back)
    heartbeat   timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX contact_imports_tenant_created ON contact_imports (tenant_id, created_at);

-- The checked rows of a file, one per data row without errors: what each
-- cell says, NULL for "keep what is stored". UNLOGGED: they are a copy of
-- an upload kept for an hour, not worth the write-ahead log; after a crash
-- the table is empty and the import asks for the file again.
CREATE UNLOGGED TABLE contact_import_rows (
    tenant_id uuid NOT NULL,
    import_id uuid NOT NULL,
    n         integer NOT NULL, -- the row's position among the file's good rows, 1…
    line      integer NOT NULL, -- the file's line, for people
    phone     text NOT NULL,    -- as the file wrote it
    wa_id     text NOT NULL,
    name      text,
    priority  integer,
    consent   text NOT NULL DEFAULT '',
    tags      text[],
    fields    jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, import_id, n)
);

ALTER TABLE contact_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_imports USING (tenant_id = app_tenant() OR app_platform())
    WITH CHECK (tenant_id = app_tenant() OR app_platform());
ALTER TABLE contact_import_rows ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_import_rows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_import_rows USING (tenant_id = app_tenant() OR app_platform())
    WITH CHECK (tenant_id = app_tenant() OR app_platform());
GRANT SELECT, INSERT, UPDATE, DELETE ON contact_imports, contact_import_rows TO switchboard_app;
