-- The trigram indexes of contact and conversation search (0040) with GIN's pending list back on,
-- capped at its smallest size (64 kB) instead of PostgreSQL's 4 MB. 0051 turned the list off because
-- a 4 MB list, read in full by every search until merged, made a search after a bulk of new customers
-- slow. Off, each new customer's two dozen trigrams went one by one into the index trees: inserting a
-- worker batch's 33 new handles took ~6 ms, three times what it takes with a short list, and that cost
-- fell on the first messages of a campaign's new customers (measured in a copy of these indexes; see
-- docs/benchmarks.md). A 64 kB list is merged by the insert that fills it (sorted, in bulk) and holds
-- a few dozen customers at most: a search reads a handful of pending pages, which changed no search
-- measurably at 100 000 customers. Nothing to change on SQLite (FTS5, see 0051); numbered alike.
ALTER INDEX handles_search_key_trgm_idx SET (fastupdate = on, gin_pending_list_limit = 64);
ALTER INDEX handles_wa_id_trgm_idx SET (fastupdate = on, gin_pending_list_limit = 64);
ALTER INDEX contacts_search_key_trgm_idx SET (fastupdate = on, gin_pending_list_limit = 64);
ALTER INDEX contact_phone_keys_trgm_idx SET (fastupdate = on, gin_pending_list_limit = 64);
