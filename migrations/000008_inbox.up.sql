-- The agent's inbox: which of a conversation's messages its holder has read.
-- read_seq is the largest messages.seq read so far (seq, not time: a
-- message stored after the agent read may carry an older WhatsApp
-- timestamp). Unread = inbound messages with a larger seq. It belongs to the
-- conversation, not to an agent: after a transfer, what the first agent read
-- stays read.
ALTER TABLE conversations ADD COLUMN read_seq bigint NOT NULL DEFAULT 0;
