-- Retention (the server's retention job) removes rows by age in small batches; these indexes keep
-- its lookups from scanning whole tables. An upload is pruned only when no attachment holds its file
-- and no quick reply names it.
CREATE INDEX deferred_events_created_idx ON deferred_events (created_at);
CREATE INDEX unrouted_events_received_idx ON unrouted_events (received_at);
CREATE INDEX uploads_created_idx ON uploads (created_at);
CREATE INDEX attachments_storage_key_idx ON attachments (storage_key) WHERE storage_key IS NOT NULL;
CREATE INDEX quick_replies_upload_idx ON quick_replies (upload_id) WHERE upload_id IS NOT NULL;
