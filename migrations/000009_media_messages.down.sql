DROP INDEX IF EXISTS messages_media;
