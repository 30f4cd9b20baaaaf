DROP INDEX IF EXISTS messages_templates_sent;
ALTER TABLE meta_apps DROP COLUMN IF EXISTS updated_at, DROP COLUMN IF EXISTS meta_app_id;
