-- Contact and conversation search: a folded copy (lower case, accents removed: domain::search::fold)
-- of a contact's names, e-mail and WhatsApp identity, and of a customer handle's profile name, saved
-- name and username, one per line, written by the store with every change of those fields and
-- searched with LIKE, so a search ignores case and accents alike on SQLite and PostgreSQL. Rows stored
-- before this migration are filled by the store at start-up (folding needs Unicode tables SQL lacks).
ALTER TABLE contacts ADD COLUMN search_key TEXT;
ALTER TABLE handles ADD COLUMN search_key TEXT;
CREATE INDEX contacts_search_backfill_idx ON contacts (id) WHERE search_key IS NULL;
CREATE INDEX handles_search_backfill_idx ON handles (id) WHERE search_key IS NULL;
