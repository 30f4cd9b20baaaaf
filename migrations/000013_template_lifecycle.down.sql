DROP INDEX IF EXISTS templates_submitted;
DELETE FROM templates WHERE review <> 'at_meta' AND meta_id = '';
ALTER TABLE templates
    DROP COLUMN IF EXISTS updated_at, DROP COLUMN IF EXISTS created_at, DROP COLUMN IF EXISTS forward_error,
    DROP COLUMN IF EXISTS forwarded_at, DROP COLUMN IF EXISTS forwarded_by, DROP COLUMN IF EXISTS submitted_at,
    DROP COLUMN IF EXISTS submitted_by, DROP COLUMN IF EXISTS draft, DROP COLUMN IF EXISTS number_id,
    DROP COLUMN IF EXISTS use_case, DROP COLUMN IF EXISTS review;
