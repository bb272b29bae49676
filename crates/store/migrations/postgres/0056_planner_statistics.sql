-- SQLite's migration 0056 writes its query planner's statistics; PostgreSQL's autovacuum measures
-- them itself as tables grow. Nothing to do here: the numbering stays the same on both backends.
SELECT 1;
