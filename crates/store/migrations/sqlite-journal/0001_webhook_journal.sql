-- The webhook journal on SQLite, in a file of its own beside the database (`inbox.webhooks.db`
-- beside `inbox.db`): SQLite admits one writer per file, and here journaling a delivery (which Meta
-- waits on for its 200) does not queue behind the worker's transaction applying earlier ones.
-- Same columns as the table it replaces in the main file (see the main migrations 0002 and 0052);
-- rows left there by an older version are moved here at start.
CREATE TABLE webhook_events (
    id            TEXT PRIMARY KEY,
    received_at   BIGINT NOT NULL,
    body          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'processed', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    -- a processor owns a 'processing' row until then; past it the row is claimable again (crash)
    claimed_until BIGINT,
    processed_at  BIGINT,
    note          TEXT
);
-- The deliveries a worker may claim, in journal order (only open ones: a claim reads what it takes).
CREATE INDEX webhook_events_open_idx ON webhook_events (id) WHERE status IN ('pending', 'processing');
-- By status, in journal order: retention's finished deliveries, counts of the open ones.
CREATE INDEX webhook_events_pending_idx ON webhook_events (status, id);
