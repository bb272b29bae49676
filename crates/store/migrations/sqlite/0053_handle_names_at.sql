-- When the names a handle shows (profile name, username) were given: the time of the event that
-- carried them. An older event — Meta retrying a delivery, or history arriving late — no longer
-- puts back a name the customer has since changed. NULL for handles named before this column: the
-- next event that names them sets it.
ALTER TABLE handles ADD COLUMN names_at BIGINT;
