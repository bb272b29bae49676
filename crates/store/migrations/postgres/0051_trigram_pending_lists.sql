-- The trigram indexes of contact and conversation search (0040) without GIN's pending list. With
-- `fastupdate` (PostgreSQL's default) new index entries are appended to an unsorted list that every
-- search reads in full until a VACUUM (or an insert past gin_pending_list_limit, 4 MB) merges it into
-- the index; after a bulk of new customers a search read hundreds of pending pages: 12 of the 15 ms
-- of finding a WhatsApp id by its digits at 100 000 customers. Writing the entries in place costs a
-- little more per new or renamed customer or contact (not per message), and keeps every search at
-- its indexed cost. Existing pending entries are merged now. Same meaning as the SQLite migration of
-- the same number (FTS5 keeps no such list there).
ALTER INDEX handles_search_key_trgm_idx SET (fastupdate = off);
ALTER INDEX handles_wa_id_trgm_idx SET (fastupdate = off);
ALTER INDEX contacts_search_key_trgm_idx SET (fastupdate = off);
ALTER INDEX contact_phone_keys_trgm_idx SET (fastupdate = off);
SELECT gin_clean_pending_list('handles_search_key_trgm_idx');
SELECT gin_clean_pending_list('handles_wa_id_trgm_idx');
SELECT gin_clean_pending_list('contacts_search_key_trgm_idx');
SELECT gin_clean_pending_list('contact_phone_keys_trgm_idx');
