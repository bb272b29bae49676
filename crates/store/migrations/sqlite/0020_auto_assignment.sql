-- Automatic (round-robin) assignment of new conversations, for channels with auto_assign on.
-- `auto_assign_turns` counts an account's automatic assignments. Taking a turn updates the account's
-- row first thing, so on PostgreSQL two workers assigning at once for the same account wait for each
-- other (the row lock lasts until the conversation is created and assigned) and never both count the
-- same workloads; SQLite has a single writer anyway.
-- `users.last_auto_assigned_turn` is the rotation: among users with as many open conversations, the one
-- whose last turn is the oldest (0: never) gets the next conversation.
CREATE TABLE auto_assign_turns (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id),
    turn        BIGINT NOT NULL
);
ALTER TABLE users ADD COLUMN last_auto_assigned_turn BIGINT NOT NULL DEFAULT 0;
