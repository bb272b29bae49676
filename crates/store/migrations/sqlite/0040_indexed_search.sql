-- Indexed contact and conversation search (issue 14). The folded search keys (0013) and WhatsApp
-- ids were searched with LIKE '%…%', which reads every row. FTS5 trigram indexes find the rows
-- containing a text of three characters or more without reading the others; the store falls back to
-- LIKE for shorter texts (a trigram index cannot answer them). Same meaning as the PostgreSQL
-- migration of the same number (pg_trgm there).
--
-- External-content tables: they index the rows of `handles` / `contacts` by rowid and store nothing
-- twice; the triggers below keep them in step with every insert, update and delete, whatever code
-- path writes. `case_sensitive 1`: the keys and the searched text are both folded by the store
-- (domain::search::fold), so the index matches exactly what `LIKE` on the folded key matched.
-- The rowids of these tables are implicit (their keys are TEXT): the store never VACUUMs, which could
-- renumber them; after a manual VACUUM, `INSERT INTO handles_search (handles_search) VALUES ('rebuild')`
-- (and the same for contacts_search) re-indexes.
CREATE VIRTUAL TABLE handles_search USING fts5 (
    search_key, wa_id, content = 'handles', content_rowid = 'rowid', tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER handles_search_insert AFTER INSERT ON handles BEGIN
    INSERT INTO handles_search (rowid, search_key, wa_id) VALUES (new.rowid, new.search_key, new.wa_id);
END;
CREATE TRIGGER handles_search_delete AFTER DELETE ON handles BEGIN
    INSERT INTO handles_search (handles_search, rowid, search_key, wa_id)
    VALUES ('delete', old.rowid, old.search_key, old.wa_id);
END;
CREATE TRIGGER handles_search_update AFTER UPDATE OF search_key, wa_id ON handles BEGIN
    INSERT INTO handles_search (handles_search, rowid, search_key, wa_id)
    VALUES ('delete', old.rowid, old.search_key, old.wa_id);
    INSERT INTO handles_search (rowid, search_key, wa_id) VALUES (new.rowid, new.search_key, new.wa_id);
END;
INSERT INTO handles_search (handles_search) VALUES ('rebuild');

CREATE VIRTUAL TABLE contacts_search USING fts5 (
    search_key, content = 'contacts', content_rowid = 'rowid', tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_search (rowid, search_key) VALUES (new.rowid, new.search_key);
END;
CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, search_key) VALUES ('delete', old.rowid, old.search_key);
END;
CREATE TRIGGER contacts_search_update AFTER UPDATE OF search_key ON contacts BEGIN
    INSERT INTO contacts_search (contacts_search, rowid, search_key) VALUES ('delete', old.rowid, old.search_key);
    INSERT INTO contacts_search (rowid, search_key) VALUES (new.rowid, new.search_key);
END;
INSERT INTO contacts_search (contacts_search) VALUES ('rebuild');
