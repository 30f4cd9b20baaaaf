-- The country a contacts import read its local numbers in (ISO 3166, ''
-- for none): kept with the import, shown, and in its audit entry.
ALTER TABLE contact_imports ADD COLUMN region text NOT NULL DEFAULT '' CHECK (region ~ '^([A-Z]{2})?$');
