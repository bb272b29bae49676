-- Indexed contact and conversation search (issue 14). The folded search keys (0013), WhatsApp ids and
-- contact phone keys were searched with LIKE '%…%', which reads every row. pg_trgm's GIN indexes
-- answer LIKE '%…%' for texts of three characters or more without reading the others (shorter texts
-- still scan). Same meaning as the SQLite migration of the same number (FTS5 trigram tables there).
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX handles_search_key_trgm_idx ON handles USING gin (search_key gin_trgm_ops);
CREATE INDEX handles_wa_id_trgm_idx ON handles USING gin (wa_id gin_trgm_ops);
CREATE INDEX contacts_search_key_trgm_idx ON contacts USING gin (search_key gin_trgm_ops);
CREATE INDEX contact_phone_keys_trgm_idx ON contact_phone_keys USING gin (phone_key gin_trgm_ops);
