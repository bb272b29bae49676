//! The webhook journal: each signed delivery is written here before Meta gets its `200`, and
//! processed afterwards by the inbound worker. A crash between the two leaves the row pending (or its
//! claim expires), so it is processed after restart: nothing acknowledged is lost.

use crate::db::{in_journal_transaction, on_journal, on_writer, Db};
use crate::error::StoreResult;
use crate::sql::{bind_all, SqlBuilder};
use crate::Store;

/// The claimed rows, oldest first.
fn entries(mut rows: Vec<JournalRow>) -> Vec<JournalEntry> {
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows.into_iter().map(|r| JournalEntry { id: r.id, body: r.body, attempts: r.attempts }).collect()
}

/// `UPDATE webhook_events …` marking the deliveries `ids` processed.
fn finish_query(backend: crate::Backend, ids: &[String], now_ms: i64) -> SqlBuilder {
    let mut q = SqlBuilder::for_backend(
        backend,
        "UPDATE webhook_events SET status = 'processed', note = NULL, claimed_until = NULL, processed_at = ",
    );
    q.bind_int(now_ms).push(" WHERE ");
    q.in_list("id", ids.iter().cloned());
    q
}

#[derive(Clone, Debug)]
pub struct JournalEntry {
    pub id: String,
    pub body: String,
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct JournalRow {
    id: String,
    body: String,
    attempts: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalOutcome {
    Processed,
    Failed,
}

impl Store {
    /// Durably records a delivery; returns its id.
    pub async fn journal_webhook(&self, body: &str, now_ms: i64) -> StoreResult<String> {
        let mut ids = self.journal_webhooks(&[(body, now_ms)]).await?;
        ids.pop().ok_or(crate::error::StoreError::NotFound)
    }

    /// Durably records several deliveries in one transaction — one commit, one sync to disk, however
    /// many there are (group commit: deliveries arriving together share the cost of durability).
    /// Returns their ids, in order; ids are time-ordered, so the worker applies them in this order.
    pub async fn journal_webhooks(&self, deliveries: &[(&str, i64)]) -> StoreResult<Vec<String>> {
        let ids: Vec<String> = deliveries.iter().map(|_| uuid::Uuid::now_v7().to_string()).collect();
        // One multi-row INSERT per chunk (parsed and planned once for all its rows).
        let statements: Vec<SqlBuilder> = ids
            .chunks(crate::sql::ROWS_PER_INSERT)
            .zip(deliveries.chunks(crate::sql::ROWS_PER_INSERT))
            .map(|(ids, deliveries)| self.journal_insert(ids, deliveries))
            .collect();
        if let [statement] = statements.as_slice() {
            // A single statement is a transaction by itself: no BEGIN and COMMIT round trips (the
            // webhook writer's groups are at most 256 deliveries, so this is its every write).
            on_journal!(self, p => bind_all!(sqlx::query(&statement.sql), statement).execute(p).await.map(|r| r.rows_affected()))?;
        } else {
            in_journal_transaction!(self, tx => {
                for q in &statements {
                    bind_all!(sqlx::query(&q.sql), q).execute(&mut *tx).await?;
                }
            });
        }
        Ok(ids)
    }

    /// `INSERT INTO webhook_events …` of `deliveries` under `ids`, pending.
    fn journal_insert(&self, ids: &[String], deliveries: &[(&str, i64)]) -> SqlBuilder {
        let mut q = SqlBuilder::for_backend(
            self.backend(),
            "INSERT INTO webhook_events (id, received_at, body, status) VALUES ",
        );
        for (i, (id, (body, received_at))) in ids.iter().zip(deliveries).enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind_text(id.as_str()).push(", ").bind_int(*received_at).push(", ").bind_text(*body).push(", 'pending')");
        }
        q
    }

    /// Claims up to `limit` deliveries to process, oldest first: pending ones and those whose previous
    /// claim expired. On PostgreSQL concurrent processors skip each other's rows (`SKIP LOCKED`);
    /// SQLite has a single writer, which gives the same guarantee.
    async fn claim_webhooks(&self, now_ms: i64, lease_ms: i64, limit: i64) -> StoreResult<Vec<JournalEntry>> {
        let sql = self.claim_sql();
        let rows: Vec<JournalRow> = on_journal!(self, p => sqlx::query_as(&sql).bind(now_ms + lease_ms).bind(now_ms).bind(limit).fetch_all(p).await)?;
        Ok(entries(rows))
    }

    /// Marks `finished` processed (applied: not to be claimed again) and claims the next deliveries (see
    /// [`Store::claim_webhooks`]) in one transaction: a busy worker ends one batch and starts the next
    /// with one commit (one sync to disk) instead of two.
    pub async fn finish_and_claim_webhooks(
        &self,
        finished: &[String],
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<JournalEntry>> {
        if finished.is_empty() {
            return self.claim_webhooks(now_ms, lease_ms, limit).await;
        }
        let finish = finish_query(self.backend(), finished, now_ms);
        let claim = self.claim_sql();
        let rows: Vec<JournalRow> = in_journal_transaction!(self, tx => {
            bind_all!(sqlx::query(&finish.sql), finish).execute(&mut *tx).await?;
            sqlx::query_as(&claim).bind(now_ms + lease_ms).bind(now_ms).bind(limit).fetch_all(&mut *tx).await?
        });
        Ok(entries(rows))
    }

    /// Marks `finished` processed (applied: not to be claimed again), alone: for a worker with nothing
    /// more to claim at that moment (see [`Store::finish_and_claim_webhooks`]).
    pub async fn finish_webhooks(&self, finished: &[String], now_ms: i64) -> StoreResult<()> {
        if finished.is_empty() {
            return Ok(());
        }
        let finish = finish_query(self.backend(), finished, now_ms);
        on_journal!(self, p => bind_all!(sqlx::query(&finish.sql), finish).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    fn claim_sql(&self) -> String {
        let lock = match self.db {
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Db::Sqlite { .. } => "",
        };
        format!(
            "UPDATE webhook_events SET status = 'processing', claimed_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM webhook_events \
                          WHERE status IN ('pending', 'processing') AND (status = 'pending' OR claimed_until < $2) \
                          ORDER BY id LIMIT $3{lock}) \
             RETURNING id, body, attempts"
        )
    }

    /// On SQLite, ends at once the claims a previous run of the process left (it was killed while
    /// applying deliveries or sending): SQLite has one process, so whatever is claimed at start was
    /// claimed by the dead one, and waiting out its leases would only delay those messages. The usual
    /// rules then apply — deliveries are applied again, a send whose call to Meta had not begun is
    /// queued again, one whose call had begun is failed as uncertain. Returns how many claims ended.
    /// On PostgreSQL other live processes may hold claims: their leases decide.
    pub async fn end_claims_of_a_previous_run(&self) -> StoreResult<u64> {
        let Db::Sqlite { .. } = self.db else { return Ok(0) };
        let journal = on_journal!(self, p => sqlx::query("UPDATE webhook_events SET claimed_until = 0 WHERE status = 'processing'")
            .execute(p).await.map(|r| r.rows_affected()))?;
        let outbox = on_writer!(self, p => sqlx::query("UPDATE outbox SET claimed_until = 0 WHERE state = 'sending'")
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(journal + outbox)
    }

    /// Extends the claim on deliveries still being processed (see `claim_webhooks`).
    pub async fn renew_webhook_claims(&self, ids: &[String], until_ms: i64) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut q = SqlBuilder::for_backend(self.backend(), "UPDATE webhook_events SET claimed_until = ");
        q.bind_int(until_ms).push(" WHERE status = 'processing' AND ");
        q.in_list("id", ids.iter().cloned());
        on_journal!(self, p => bind_all!(sqlx::query(&q.sql), q).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn finish_webhook(
        &self,
        id: &str,
        outcome: JournalOutcome,
        note: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<()> {
        let status = match outcome {
            JournalOutcome::Processed => "processed",
            JournalOutcome::Failed => "failed",
        };
        on_journal!(self, p => sqlx::query("UPDATE webhook_events SET status = $2, processed_at = $3, note = $4, claimed_until = NULL WHERE id = $1")
            .bind(id).bind(status).bind(now_ms).bind(note).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// How many deliveries wait to be processed (for metrics and tests).
    pub async fn pending_webhooks(&self) -> StoreResult<i64> {
        let n: i64 = on_journal!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE status IN ('pending', 'processing')").fetch_one(p).await)?;
        Ok(n)
    }

    /// On SQLite, moves the deliveries an older version kept in the main file's `webhook_events` into
    /// the journal's own file (see `db::journal_path`), so that none acknowledged then is lost or
    /// applied twice; returns how many. Copied first, deleted after: a crash between the two only
    /// copies them again at the next start, where the ids already there are skipped.
    pub(crate) async fn move_journal_out_of_main_file(&self) -> StoreResult<u64> {
        let Db::Sqlite { write, journal, .. } = &self.db else { return Ok(0) };
        let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhook_events)").fetch_one(write).await?;
        if !any {
            return Ok(0);
        }
        let main_file: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'").fetch_one(write).await?;
        let mut conn = journal.acquire().await?;
        sqlx::query("ATTACH DATABASE $1 AS main_file").bind(&main_file).execute(&mut *conn).await?;
        let copied = sqlx::query(
            "INSERT OR IGNORE INTO webhook_events (id, received_at, body, status, attempts, claimed_until, processed_at, note) \
             SELECT id, received_at, body, status, attempts, claimed_until, processed_at, note FROM main_file.webhook_events",
        )
        .execute(&mut *conn)
        .await;
        // Detached whatever the copy did: the connection goes back to the pool.
        sqlx::query("DETACH DATABASE main_file").execute(&mut *conn).await?;
        copied?;
        drop(conn);
        let moved = sqlx::query("DELETE FROM webhook_events").execute(write).await?.rows_affected();
        Ok(moved)
    }

    /// Keeps an event addressed to no known channel, for an operator to inspect.
    pub async fn record_unrouted(
        &self,
        object: &str,
        route_id: &str,
        event: &serde_json::Value,
        now_ms: i64,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query("INSERT INTO unrouted_events (id, object, route_id, event, received_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(uuid::Uuid::now_v7().to_string()).bind(object).bind(route_id).bind(event.to_string()).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn count_unrouted(&self) -> StoreResult<i64> {
        let n: i64 = crate::db::on_reader!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM unrouted_events").fetch_one(p).await)?;
        Ok(n)
    }
}
