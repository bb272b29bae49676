-- Message search: a folded copy (lower case, accents removed: domain::search::fold) of the text
-- or caption, written by the store on every insert and edit and searched with LIKE, so a search
-- ignores case and accents alike on SQLite and PostgreSQL. Rows stored before this migration are
-- filled by the store at start-up (their folding needs Unicode tables SQL does not have).
ALTER TABLE messages ADD COLUMN search_text TEXT;
CREATE INDEX messages_search_backfill_idx ON messages (id) WHERE search_text IS NULL AND text IS NOT NULL;
-- Newest first across the account: a search stops as soon as it has a page.
CREATE INDEX messages_account_sent_idx ON messages (account_id, sent_at DESC, id DESC);
