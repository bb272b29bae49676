-- The messages a worker batch stored and has not announced yet (sockets, outgoing webhooks, the
-- round-robin's notices: docs/architecture.md, "The flow of an inbound message"). Written in the
-- batch's transaction, deleted once they are announced: a process that dies in between leaves them
-- here, and the retry of their deliveries, which finds them already stored, announces them then.
-- new_conversation (0 or 1): whether the message opened its conversation.
CREATE TABLE unannounced_messages (
    message_id       TEXT PRIMARY KEY,
    new_conversation BIGINT NOT NULL
);
