//! Connecting, migrating and dispatching to the backend chosen by the database URL.

use crate::error::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Pages a SQLite write-ahead log may reach before the committing connection checkpoints it itself
/// (SQLite's default is 1 000): see [`Store::checkpoint`].
const AUTOCHECKPOINT_PAGES: u32 = 8_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub url: String,
    /// Connections of the PostgreSQL pool, or readers of the SQLite pool.
    pub max_connections: u32,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), max_connections: 16 }
    }
}

#[derive(Clone)]
pub(crate) enum Db {
    /// `journal`: the webhook journal's own file (see [`journal_path`]), with its own writer, so
    /// that journaling a delivery never waits for the worker's transaction on the main file.
    /// `probe`: how `ping` opens a fresh connection to the file. Shared, not copied: the store is
    /// cloned with the server's state for every request, and these options hold maps.
    /// `checkpointers`: one connection to each file (main, journal) for [`Store::checkpoint`].
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        journal: SqlitePool,
        checkpointers: std::sync::Arc<[SqlitePool; 2]>,
        probe: std::sync::Arc<SqliteConnectOptions>,
    },
    Postgres(PgPool),
}

/// The handle every layer above uses. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: Db,
}

/// Runs `$body` with `$p` bound to the SQLite pool in field `$pool` of [`Db::Sqlite`], or to the one
/// PostgreSQL pool: what [`on_reader`], [`on_writer`] and [`on_journal`] have in common.
macro_rules! on_pool {
    ($store:expr, $pool:ident, $p:ident => $body:expr) => {
        match &$store.db {
            $crate::db::Db::Sqlite { $pool: $p, .. } => $body,
            $crate::db::Db::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` inside one transaction on the pool [`on_pool`] picks, bound as `$tx`; commits when
/// the body evaluates without an early `?` return (which rolls back by dropping the transaction).
macro_rules! transaction_on {
    ($store:expr, $pool:ident, $tx:ident => $body:expr) => {
        $crate::db::on_pool!($store, $pool, pool => {
            let mut $tx = pool.begin().await?;
            let out = $body;
            $tx.commit().await?;
            out
        })
    };
}

/// Runs `$body` with `$p` bound to a pool suitable for reads.
macro_rules! on_reader {
    ($store:expr, $p:ident => $body:expr) => {
        $crate::db::on_pool!($store, read, $p => $body)
    };
}

/// Runs `$body` with `$p` bound to the pool that may write.
macro_rules! on_writer {
    ($store:expr, $p:ident => $body:expr) => {
        $crate::db::on_pool!($store, write, $p => $body)
    };
}

/// Runs `$body` inside one transaction on the writing pool, bound as `$tx` (see [`transaction_on`]).
macro_rules! in_transaction {
    ($store:expr, $tx:ident => $body:expr) => {
        $crate::db::transaction_on!($store, write, $tx => $body)
    };
}

/// Runs `$body` with `$p` bound to the pool of the webhook journal: its own file on SQLite, the one
/// database on PostgreSQL.
macro_rules! on_journal {
    ($store:expr, $p:ident => $body:expr) => {
        $crate::db::on_pool!($store, journal, $p => $body)
    };
}

/// [`in_transaction`] on the webhook journal's pool (see [`on_journal`]).
macro_rules! in_journal_transaction {
    ($store:expr, $tx:ident => $body:expr) => {
        $crate::db::transaction_on!($store, journal, $tx => $body)
    };
}

pub(crate) use {in_journal_transaction, in_transaction, on_journal, on_pool, on_reader, on_writer, transaction_on};

/// Where SQLite keeps the webhook journal: beside the database, `inbox.db` → `inbox.webhooks.db`.
/// A file of its own because SQLite lets one writer at a time into a file: in the main file, every
/// delivery's `200` would wait for the worker's transaction applying the deliveries before it.
pub fn journal_path(database: &Path) -> PathBuf {
    let stem = database.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match database.extension() {
        Some(ext) => format!("{stem}.webhooks.{}", ext.to_string_lossy()),
        None => format!("{stem}.webhooks"),
    };
    database.with_file_name(name)
}

impl Store {
    /// Connects to `sqlite://…` (creating the file) or `postgres://…`, without migrating.
    pub async fn connect(opts: &StoreOptions) -> StoreResult<Self> {
        let db = if opts.url.starts_with("postgres://") || opts.url.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(&opts.url)?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(connect)
                .await?;
            Db::Postgres(pool)
        } else {
            let connect = SqliteConnectOptions::from_str(&opts.url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a webhook acknowledged to Meta must survive a power cut, not only a crash.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Checkpoints are the server's `wal_checkpoint` worker's job (`Store::checkpoint`), off
                // the path of the commits that answer webhooks and agents; a committing connection
                // still checkpoints itself past this many pages (32 MB) — for tools run without the
                // worker, and should the worker fall behind.
                .pragma("wal_autocheckpoint", AUTOCHECKPOINT_PAGES.to_string());
            if opts.url.contains(":memory:") || opts.url.contains("mode=memory") {
                // Nothing acknowledged to Meta may be lost in a restart.
                return Err(StoreError::Config(
                    "an in-memory SQLite database cannot hold the inbox: give a file".into(),
                ));
            }
            let journal_file = connect.clone().filename(journal_path(connect.get_filename()));
            let journal = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(journal_file.clone())
                .await?;
            let checkpointer = |options: SqliteConnectOptions| {
                SqlitePoolOptions::new().max_connections(1).min_connections(0).connect_lazy_with(options)
            };
            let checkpointers = std::sync::Arc::new([checkpointer(connect.clone()), checkpointer(journal_file)]);
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(connect.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(connect.clone().read_only(true))
                .await?;
            let probe = std::sync::Arc::new(connect.read_only(true).create_if_missing(false));
            Db::Sqlite { read, write, journal, checkpointers, probe }
        };
        Ok(Self { db })
    }

    /// Connects and applies the pending migrations of the backend.
    pub async fn open(opts: &StoreOptions) -> StoreResult<Self> {
        let store = Self::connect(opts).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.db {
            Db::Sqlite { write, journal, .. } => {
                sqlx::migrate!("./migrations/sqlite-journal").run(journal).await?;
                sqlx::migrate!("./migrations/sqlite").run(write).await?;
                let moved = self.move_journal_out_of_main_file().await?;
                if moved > 0 {
                    tracing::info!(deliveries = moved, "webhook journal moved to its own file");
                }
            }
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        let filled = self.backfill_search_text().await?;
        if filled > 0 {
            tracing::info!(messages = filled, "search text filled for messages stored before message search");
        }
        let keyed = self.backfill_search_keys().await?;
        if keyed > 0 {
            tracing::info!(rows = keyed, "search keys filled for contacts and customers stored before them");
        }
        Ok(())
    }

    /// What a `SELECT` inside a transaction appends to lock the rows it reads until the commit:
    /// PostgreSQL needs `FOR UPDATE`; SQLite has one writer at a time, so its transactions never
    /// interleave and the clause does not exist there.
    pub(crate) fn lock_clause(&self) -> &'static str {
        match self.db {
            Db::Sqlite { .. } => "",
            Db::Postgres(_) => " FOR UPDATE",
        }
    }

    /// On SQLite, copies what the write-ahead logs (the database's and the journal's) hold into their
    /// files (a passive checkpoint: it waits for no reader or writer, and they do not wait for it);
    /// returns how many pages of the logs are left uncopied (those a reader still needs). Run often
    /// by the server, so that no commit has to do it on the way to answering a webhook. Nothing to
    /// do on PostgreSQL.
    pub async fn checkpoint(&self) -> StoreResult<i64> {
        let Db::Sqlite { checkpointers, .. } = &self.db else { return Ok(0) };
        let mut left = 0;
        for pool in checkpointers.iter() {
            // (whether it was blocked, pages in the log, pages of the log now in the file)
            let (_, log, copied): (i64, i64, i64) =
                sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(pool).await?;
            left += (log - copied).max(0);
        }
        Ok(left)
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// A cheap round trip, for `/readyz`. On SQLite it also opens the file anew: the pool's open
    /// connections keep working on a file that was deleted, moved away or made unreadable, which only
    /// a new connection notices.
    pub async fn ping(&self) -> StoreResult<()> {
        if let Db::Sqlite { probe, .. } = &self.db {
            use sqlx::{ConnectOptions, Connection};
            let mut conn = probe.connect().await?;
            let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master").fetch_one(&mut conn).await?;
            conn.close().await?;
        }
        on_writer!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        on_journal!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { read, write, journal, checkpointers, .. } => {
                read.close().await;
                write.close().await;
                journal.close().await;
                for pool in checkpointers.iter() {
                    pool.close().await;
                }
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}
