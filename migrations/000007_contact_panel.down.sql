-- Row-level security is forced on these tables, even for their owner: the
-- rewrite below must see every tenant's rows.
SELECT set_config('app.platform', 'on', true);
-- Consent recorded by an agent was given in writing, in the chat: the older
-- schema's nearest source, so the history is kept.
UPDATE consent_events SET source = 'written' WHERE source = 'agent';
UPDATE contacts SET consent_source = 'written' WHERE consent_source = 'agent';
ALTER TABLE consent_events DROP CONSTRAINT consent_events_source_check;
ALTER TABLE consent_events ADD CONSTRAINT consent_events_source_check
    CHECK (source IN ('web_form', 'written', 'verbal', 'imported', 'customer_message', 'api'));
DROP TABLE IF EXISTS contact_fields;
ALTER TABLE contacts DROP COLUMN IF EXISTS fields, DROP COLUMN IF EXISTS tags;
