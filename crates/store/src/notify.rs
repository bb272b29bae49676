//! Realtime events between processes. Several `inbox serve` processes may share one PostgreSQL
//! database, and a browser is connected to one of them: an event one process publishes must reach
//! the sockets of all. PostgreSQL's own `LISTEN/NOTIFY` carries them — no broker of our own.
//!
//! A notification's payload is limited (8000 bytes); a larger event is written to `realtime_spill`
//! and the notification names its row. SQLite serves one process by construction: nothing to share.

use crate::db::Db;
use crate::error::StoreResult;
use crate::Store;

/// The `LISTEN/NOTIFY` channel the processes share.
const CHANNEL: &str = "inbox_events";
/// Below PostgreSQL's 8000-byte limit, with room for the marker.
const MAX_INLINE: usize = 7000;
/// A spilled event is read within moments by every listener; older rows are garbage.
const SPILL_TTL_MS: i64 = 10 * 60 * 1000;
/// Marks a payload that names a spilled row instead of carrying the event.
const SPILLED: &str = "spill:";

impl Store {
    /// Whether events must be shared with other processes (PostgreSQL).
    pub fn shares_events(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// Sends events to every process listening (this one included), in order, in one transaction
    /// and one statement (a campaign publishes two events per message: a statement each was as many
    /// round trips). Nothing on SQLite.
    pub async fn notify_events(&self, events: &[String], now_ms: i64) -> StoreResult<()> {
        let Db::Postgres(pool) = &self.db else { return Ok(()) };
        let mut tx = pool.begin().await?;
        let mut payloads = Vec::with_capacity(events.len());
        for event in events {
            let payload = if event.len() <= MAX_INLINE {
                event.clone()
            } else {
                let id = uuid::Uuid::now_v7().to_string();
                sqlx::query("DELETE FROM realtime_spill WHERE created_at < $1")
                    .bind(now_ms - SPILL_TTL_MS)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO realtime_spill (id, body, created_at) VALUES ($1, $2, $3)")
                    .bind(&id)
                    .bind(event)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                format!("{SPILLED}{id}")
            };
            payloads.push(payload);
        }
        // `unnest` yields the array's elements in order, and notifications are delivered in the
        // order they were sent.
        sqlx::query("SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload")
            .bind(CHANNEL)
            .bind(&payloads)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts listening for the events of every process; `None` on SQLite.
    pub async fn listen_events(&self) -> StoreResult<Option<EventListener>> {
        let Db::Postgres(pool) = &self.db else { return Ok(None) };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(EventListener { listener, pool: pool.clone() }))
    }
}

/// A connection listening for the events of every process.
pub struct EventListener {
    listener: sqlx::postgres::PgListener,
    pool: sqlx::PgPool,
}

impl EventListener {
    /// The next event, as its publisher serialized it. An error means the connection was lost;
    /// `PgListener` reconnects on the next call, and events sent meanwhile are missed (the caller
    /// tells its sockets to resync).
    pub async fn recv(&mut self) -> StoreResult<Option<String>> {
        let n = self.listener.recv().await?;
        let payload = n.payload();
        match payload.strip_prefix(SPILLED) {
            None => Ok(Some(payload.to_string())),
            Some(id) => Ok(sqlx::query_scalar("SELECT body FROM realtime_spill WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?),
        }
    }
}
