-- Private notes of a conversation: the team's, never messages (no outbox row can point at one, so a
-- note cannot reach Meta). Deleting a note deletes its mentions.
CREATE TABLE notes (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    conversation_id  TEXT NOT NULL REFERENCES conversations (id),
    author_id        TEXT NOT NULL REFERENCES users (id),
    text             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    edited_at        BIGINT
);
CREATE INDEX notes_conversation_idx ON notes (conversation_id, created_at, id);

-- A teammate mentioned in a note (`@[Name](user-id)`), once per note; `read_at` NULL: unread.
CREATE TABLE mentions (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    note_id          TEXT NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    conversation_id  TEXT NOT NULL REFERENCES conversations (id),
    user_id          TEXT NOT NULL REFERENCES users (id),
    created_at       BIGINT NOT NULL,
    read_at          BIGINT,
    CONSTRAINT mentions_note_user_key UNIQUE (note_id, user_id)
);
CREATE INDEX mentions_user_idx ON mentions (user_id, created_at, id);
