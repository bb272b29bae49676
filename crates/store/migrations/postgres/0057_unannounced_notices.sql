-- The round-robin's notice of a conversation is stored in the transaction that assigns it, with
-- the customer's message that opened it (docs/architecture.md, "The flow of an inbound message"):
-- a message not announced yet names its notice, so that announcing it after a crash publishes the
-- notice stored then rather than writing another one. NULL when the message opened no conversation,
-- or the round-robin gave it to nobody.
ALTER TABLE unannounced_messages ADD COLUMN notice_id TEXT;
