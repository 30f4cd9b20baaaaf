ALTER TABLE conversations DROP COLUMN IF EXISTS close_outcome;
ALTER TABLE routing_commands DROP COLUMN IF EXISTS outcome;
DROP TABLE IF EXISTS conversation_notes;
DROP TABLE IF EXISTS close_outcomes;
DROP TABLE IF EXISTS canned_replies;
