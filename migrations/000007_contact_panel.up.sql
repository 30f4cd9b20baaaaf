-- The contact panel: tags and custom fields on contacts, and consent recorded
-- by an agent in the chat.

-- Tags are a text[] on the contact rather than a join table: they are short
-- labels with no data of their own (no colour, no owner), at most 20 per
-- contact, always read and written with the contact, so one row keeps a
-- change atomic without a second table to join and to secure. The store
-- lowercases them and checks their form; the database holds the bounds.
ALTER TABLE contacts
    ADD COLUMN tags   text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
    -- Custom field values by the definition's key: numbers as JSON numbers,
    -- dates as YYYY-MM-DD strings, text and choices as strings. A jsonb
    -- object rather than a table of values, for the same reason as tags: the
    -- values belong to the contact and are validated against contact_fields
    -- by the store when written (a bad value changes nothing).
    ADD COLUMN fields jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(fields) = 'object');

-- A tenant's custom field definitions, shown in this order on the panel.
CREATE TABLE contact_fields (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key        text NOT NULL CHECK (key ~ '^[a-z0-9_]{1,32}$'),
    label      text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    kind       text NOT NULL CHECK (kind IN ('text', 'number', 'date', 'choice')),
    choices    text[] NOT NULL DEFAULT '{}',
    position   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'choice') = (cardinality(choices) > 0))
);
CREATE UNIQUE INDEX contact_fields_tenant_key ON contact_fields (tenant_id, key);

ALTER TABLE contact_fields ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_fields FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_fields USING (tenant_id = app_tenant() OR app_platform())
    WITH CHECK (tenant_id = app_tenant() OR app_platform());
GRANT SELECT, INSERT, UPDATE, DELETE ON contact_fields TO switchboard_app;

-- An agent records consent the customer gave or withdrew in the chat.
ALTER TABLE consent_events DROP CONSTRAINT consent_events_source_check;
ALTER TABLE consent_events ADD CONSTRAINT consent_events_source_check
    CHECK (source IN ('web_form', 'written', 'verbal', 'imported', 'customer_message', 'api', 'agent'));
