//! Removing what is kept only for a while (the server's retention job decides when). Each function
//! removes at most `limit` rows older than a cutoff, so one call never holds the writer long.

use crate::db::{in_transaction, on_journal, on_writer};
use crate::error::StoreResult;
use crate::Store;

impl Store {
    /// Drops deferred events (events waiting for their message) created before `before_ms`.
    pub async fn expire_deferred_events(&self, before_ms: i64, limit: i64) -> StoreResult<u64> {
        let n = on_writer!(self, p => sqlx::query(
            "DELETE FROM deferred_events WHERE id IN (SELECT id FROM deferred_events WHERE created_at < $1 ORDER BY created_at LIMIT $2)")
            .bind(before_ms).bind(limit).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Drops processed or failed webhook deliveries received before `before_ms` (pending or
    /// processing ones are never touched), and unrouted events as old.
    pub async fn prune_webhook_journal(&self, before_ms: i64, limit: i64) -> StoreResult<u64> {
        let journal = on_journal!(self, p => sqlx::query(
            "DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events \
               WHERE status IN ('processed', 'failed') AND received_at < $1 ORDER BY id LIMIT $2)")
            .bind(before_ms).bind(limit).execute(p).await.map(|r| r.rows_affected()))?;
        let unrouted = on_writer!(self, p => sqlx::query(
            "DELETE FROM unrouted_events WHERE id IN (SELECT id FROM unrouted_events WHERE received_at < $1 ORDER BY id LIMIT $2)")
            .bind(before_ms).bind(limit).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(journal + unrouted)
    }

    /// Deletes uploads created before `before_ms` that nothing uses — no quick reply names them and
    /// no message attachment holds their file, no waiting scheduled send will use them — and returns their storage keys, whose files the
    /// caller deletes (after the rows, so no row ever names a missing file).
    pub async fn prune_orphan_uploads(&self, before_ms: i64, limit: i64) -> StoreResult<Vec<String>> {
        let keys = in_transaction!(self, tx => {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT u.id, u.storage_key FROM uploads u WHERE u.created_at < $1 \
                   AND NOT EXISTS (SELECT 1 FROM quick_replies q WHERE q.upload_id = u.id) \
                   AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.storage_key = u.storage_key) \
                   AND NOT EXISTS (SELECT 1 FROM scheduled_messages s WHERE s.upload_id = u.id AND s.status IN ('scheduled', 'sending')) \
                 ORDER BY u.created_at LIMIT $2")
                .bind(before_ms).bind(limit).fetch_all(&mut *tx).await?;
            let mut keys = Vec::with_capacity(rows.len());
            for (id, key) in rows {
                sqlx::query("DELETE FROM uploads WHERE id = $1").bind(&id).execute(&mut *tx).await?;
                keys.push(key);
            }
            keys
        });
        Ok(keys)
    }

    /// How many deferred events wait (for tests and metrics).
    pub async fn count_deferred_events(&self) -> StoreResult<i64> {
        let n: i64 = crate::db::on_reader!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM deferred_events").fetch_one(p).await)?;
        Ok(n)
    }

    /// How many webhook deliveries the journal holds, whatever their status (for tests and metrics).
    pub async fn count_webhook_journal(&self) -> StoreResult<i64> {
        let n: i64 = crate::db::on_journal!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events").fetch_one(p).await)?;
        Ok(n)
    }

    /// How many sessions are stored, expired or not (for tests).
    pub async fn count_sessions(&self) -> StoreResult<i64> {
        let n: i64 =
            crate::db::on_reader!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(p).await)?;
        Ok(n)
    }
}
