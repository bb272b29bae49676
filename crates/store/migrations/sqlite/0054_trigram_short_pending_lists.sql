-- Nothing to change on SQLite. The PostgreSQL migration of the same number gives its trigram
-- indexes a short GIN pending list (64 kB), so that a new customer's entries are written in bulk;
-- FTS5's trigram tables (0040) already write theirs as segments merged in bulk. Numbered alike on
-- both stores.
SELECT 1;
