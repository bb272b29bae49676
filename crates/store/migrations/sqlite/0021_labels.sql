-- Labels: account-wide, coloured tags on conversations. `name_key` is the name folded (case and
-- accents, domain::search::fold), so "Cotización" and "cotizacion" are one label on both backends.
CREATE TABLE labels (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    color       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX labels_name_key_idx ON labels (account_id, name_key);

-- Deleting a label takes it off every conversation.
CREATE TABLE conversation_labels (
    conversation_id  TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    label_id         TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, label_id)
);
CREATE INDEX conversation_labels_label_idx ON conversation_labels (label_id, conversation_id);
