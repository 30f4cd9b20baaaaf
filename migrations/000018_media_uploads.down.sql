DROP TABLE IF EXISTS media_uploads;
