-- Onboarding: a company signs up by itself (when the operator allows it),
-- answers the questionnaire Meta's verification needs, and follows its
-- application through the operator's review to a connected number.

-- The platform's own switches: one row, written by operators only. The
-- sign-up page reads it in platform scope before any tenant exists.
CREATE TABLE platform_settings (
    id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
    self_service_signup boolean NOT NULL DEFAULT false,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
INSERT INTO platform_settings DEFAULT VALUES;

ALTER TABLE platform_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_only ON platform_settings USING (app_platform()) WITH CHECK (app_platform());
GRANT SELECT, UPDATE ON platform_settings TO switchboard_app;

-- One application per tenant: the questionnaire and where it stands.
-- submitted → in_review → waiting_for_meta → number_connected, or rejected
-- (with the reason) on the way; the rules of the moves are in
-- internal/onboarding, the store only moves from the state the operator saw.
CREATE TABLE applications (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id             uuid NOT NULL UNIQUE REFERENCES tenants (id) ON DELETE CASCADE,
    plan_id               uuid NOT NULL REFERENCES plans (id),
    company_name          text NOT NULL CHECK (length(company_name) BETWEEN 1 AND 200),
    vat_number            text NOT NULL CHECK (vat_number ~ '^[A-Z]{2}[0-9A-Z]{2,13}$'),
    meta_business_id      text NOT NULL CHECK (meta_business_id ~ '^[0-9]{6,20}$'),
    phone                 text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    monthly_conversations integer NOT NULL CHECK (monthly_conversations BETWEEN 1 AND 100000000),
    use_cases             text[] NOT NULL CHECK (cardinality(use_cases) BETWEEN 1 AND 20),
    state                 text NOT NULL DEFAULT 'submitted'
        CHECK (state IN ('submitted', 'in_review', 'waiting_for_meta', 'number_connected', 'rejected')),
    reject_reason         text NOT NULL DEFAULT '' CHECK (length(reject_reason) <= 1000),
    state_changed_at      timestamptz NOT NULL DEFAULT now(),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
-- The operator's list, by state and age; a tenant's own lookup is by the
-- unique tenant_id.
CREATE INDEX applications_state ON applications (state, created_at);

-- The timeline: every move (kind 'state') and every edit of the
-- questionnaire (kind 'edit'), who and when, with the operator's note.
CREATE TABLE application_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind           text NOT NULL DEFAULT 'state' CHECK (kind IN ('state', 'edit')),
    from_state     text NOT NULL DEFAULT '',
    to_state       text NOT NULL,
    note           text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    actor_id       uuid,
    actor_email    text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_events_app ON application_events (tenant_id, application_id, id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['applications', 'application_events'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant() OR app_platform())
            WITH CHECK (tenant_id = app_tenant() OR app_platform())', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON applications TO switchboard_app;
GRANT SELECT, INSERT ON application_events TO switchboard_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO switchboard_app;
