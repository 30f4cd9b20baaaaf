ALTER TABLE conversations DROP COLUMN read_seq;
