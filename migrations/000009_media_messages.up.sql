-- The messages that carry a file: when the fetcher stores an inbound file,
-- the agents holding those messages' conversations are told (their consoles
-- replace the placeholder), and deleting an unused upload (a refused send)
-- has the foreign key look for messages carrying it. Without this index both
-- scan the messages table. It leads with media_id, not tenant_id as our
-- indexes do, because the foreign key's own lookup names media_id alone
-- (media ids are unique across tenants).
CREATE INDEX messages_media ON messages (media_id) WHERE media_id IS NOT NULL;
