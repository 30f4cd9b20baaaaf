ALTER TABLE contact_imports DROP COLUMN IF EXISTS region;
