-- Realtime events too large for a PostgreSQL notification (8000 bytes), kept for the moments it takes
-- every process to read them (see crates/store/src/notify.rs). Unused on SQLite (one process), kept
-- so both schemas mean the same.
CREATE TABLE realtime_spill (
    id         TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX realtime_spill_created_idx ON realtime_spill (created_at);
