-- Business hours and holidays per number (in the number's time zone), and
-- the tenant's settings: language, time zone and data retention, with the
-- record of the daily retention run that lets one instance do it.

-- '' means the tenant's time zone.
ALTER TABLE numbers ADD COLUMN time_zone text NOT NULL DEFAULT '' CHECK (length(time_zone) <= 64);

ALTER TABLE tenants
    ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'it')),
    ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Rome' CHECK (length(time_zone) BETWEEN 1 AND 64),
    -- 0 keeps messages and media forever.
    ADD COLUMN retention_days integer NOT NULL DEFAULT 0 CHECK (retention_days BETWEEN 0 AND 3650);

-- One row per opening range; several a day are allowed, never overlapping
-- (checked by the store, which replaces a number's week at once). Minutes
-- from local midnight; closes may be 1440, the end of the day.
CREATE TABLE business_hours (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number_id uuid NOT NULL REFERENCES numbers (id) ON DELETE CASCADE,
    weekday   smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6), -- 0 Sunday, as Go's time.Weekday
    opens     smallint NOT NULL CHECK (opens BETWEEN 0 AND 1439),
    closes    smallint NOT NULL CHECK (closes BETWEEN 1 AND 1440),
    CHECK (opens < closes),
    PRIMARY KEY (number_id, weekday, opens)
);
CREATE INDEX business_hours_tenant ON business_hours (tenant_id, number_id);

CREATE TABLE holidays (
    id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number_id uuid NOT NULL REFERENCES numbers (id) ON DELETE CASCADE,
    day       date NOT NULL,
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    UNIQUE (number_id, day)
);
CREATE INDEX holidays_tenant ON holidays (tenant_id, number_id, day);

-- When the retention job last ran for a tenant: claiming the row (an update
-- that only succeeds once a day) is the lock that makes one instance do it.
CREATE TABLE retention_runs (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    ran_at    timestamptz NOT NULL,
    messages  integer NOT NULL DEFAULT 0,
    media     integer NOT NULL DEFAULT 0
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['business_hours', 'holidays', 'retention_runs'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant() OR app_platform())
            WITH CHECK (tenant_id = app_tenant() OR app_platform())', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON business_hours, holidays, retention_runs TO switchboard_app;
