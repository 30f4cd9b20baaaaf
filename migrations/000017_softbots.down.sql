DROP INDEX IF EXISTS conversations_queued_busy;
ALTER TABLE conversations DROP COLUMN IF EXISTS busy_replied_at, DROP COLUMN IF EXISTS priority_bump;
DROP TABLE IF EXISTS bot_runs;
DROP TABLE IF EXISTS keyword_rules;
DROP TABLE IF EXISTS number_automation;
DROP TABLE IF EXISTS bot_versions;
DROP TABLE IF EXISTS bots;
