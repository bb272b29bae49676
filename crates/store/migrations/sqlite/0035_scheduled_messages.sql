-- Scheduled sends ("Enviar más tarde"). `request` is the send as the API took it (JSON: text,
-- attachment or template); it is checked again with the ordinary send rules when due, then queued
-- as an ordinary message (`message_id`). A worker claims a due row by moving it to `sending` with a
-- lease (`claimed_until`), so two processes never send one twice.
CREATE TABLE scheduled_messages (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    conversation_id  TEXT NOT NULL REFERENCES conversations (id),
    author_id        TEXT NOT NULL REFERENCES users (id),
    kind             TEXT NOT NULL,
    request          TEXT NOT NULL,
    -- The upload the send will use (an attachment, a template header): kept from retention until sent.
    upload_id        TEXT,
    send_at          BIGINT NOT NULL,
    status           TEXT NOT NULL,
    claimed_until    BIGINT,
    failure_code     TEXT,
    failure_reason   TEXT,
    message_id       TEXT REFERENCES messages (id),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX scheduled_messages_due_idx ON scheduled_messages (status, send_at);
CREATE INDEX scheduled_messages_conversation_idx ON scheduled_messages (conversation_id, send_at);
CREATE INDEX scheduled_messages_author_idx ON scheduled_messages (author_id, send_at);
