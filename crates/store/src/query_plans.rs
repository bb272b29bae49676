//! SQLite's plans for reads meant for a few rows by key (those the inbound worker makes at every
//! batch, and a contact search's page of the few contacts it matched) and for lists that must walk
//! an index in their order. Without statistics SQLite picks an index by the shape of the query
//! alone, and such a read can end up walking a whole account (one such plan read every conversation
//! of the account to publish a batch of 64): an empty database shows those plans. The server keeps
//! statistics ([`Store::refresh_planner_statistics`]), and some plans only go wrong with those of a
//! grown database: [`TempSqlite::with_statistics`] gives them. PostgreSQL plans by its own
//! statistics; the benchmarks (`scripts/bench`) watch those reads there.

use crate::db::on_reader;
use crate::sql::{bind_all, SqlBuilder};
use crate::{Store, StoreOptions};

/// A migrated SQLite store in a directory of its own, removed when dropped.
pub(crate) struct TempSqlite {
    pub store: Store,
    dir: std::path::PathBuf,
}

impl TempSqlite {
    pub async fn open() -> Self {
        let dir = std::env::temp_dir().join(format!("inbox-store-plans-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let url = format!("sqlite://{}", dir.join("inbox.db").display());
        let store = Store::open(&StoreOptions::new(url)).await.expect("SQLite store");
        TempSqlite { store, dir }
    }

    /// The store reopened with these planner statistics (`sqlite_stat1` rows: table, index, stat),
    /// as `ANALYZE` would leave them on a grown database: some plans only go wrong with them.
    pub async fn with_statistics(mut self, statistics: &[(&str, &str, &str)]) -> Self {
        use crate::db::on_writer;
        on_writer!(self.store, p => async {
            sqlx::query("ANALYZE sqlite_schema").execute(p).await?;
            for (table, index, stat) in statistics {
                sqlx::query("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ($1, $2, $3)")
                    .bind(table).bind(index).bind(stat).execute(p).await?;
            }
            Ok::<_, sqlx::Error>(())
        }.await)
        .expect("statistics");
        // Statistics are read when a connection loads the schema: new connections.
        let url = format!("sqlite://{}", self.dir.join("inbox.db").display());
        self.store = Store::open(&StoreOptions::new(url)).await.expect("SQLite store");
        self
    }

    /// The details of `EXPLAIN QUERY PLAN` for `q`, one line per step.
    pub async fn plan(&self, q: &SqlBuilder) -> Vec<String> {
        let sql = format!("EXPLAIN QUERY PLAN {}", q.sql);
        let rows: Vec<(i64, i64, i64, String)> =
            on_reader!(self.store, p => bind_all!(sqlx::query_as(&sql), q).fetch_all(p).await).expect("plan");
        rows.into_iter().map(|(_, _, _, detail)| detail).collect()
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether a plan reads the table aliased `alias` by searching `index` (not by a scan, nor through
/// another index).
pub(crate) fn searches(plan: &[String], alias: &str, index: &str) -> bool {
    plan.iter().any(|step| {
        step.starts_with(&format!("SEARCH {alias} USING INDEX {index} "))
            || step.starts_with(&format!("SEARCH {alias} USING COVERING INDEX {index} "))
    })
}

#[tokio::test]
async fn planner_statistics_are_gathered_for_tables_with_rows_and_not_again_while_they_hold() {
    use crate::db::on_writer;
    let db = TempSqlite::open().await;
    // A new database: its few rows of bookkeeping (the migrations' list, the search indexes' own
    // tables) are analyzed, not the empty accounts.
    let first = db.store.refresh_planner_statistics().await.expect("refresh");
    assert!(!first.iter().any(|a| a.contains("\"accounts\"")), "{first:?}");
    on_writer!(db.store, p => async {
        for i in 0..300 {
            sqlx::query("INSERT INTO accounts (id, name, plan, created_at) VALUES ($1, $2, 'basic', 0)")
                .bind(format!("account-{i}")).bind(format!("Cuenta {i}")).execute(p).await?;
        }
        Ok::<_, sqlx::Error>(())
    }.await)
    .expect("accounts");
    let analyzed = db.store.refresh_planner_statistics().await.expect("refresh");
    assert!(analyzed.iter().any(|a| a.contains("\"accounts\"")), "{analyzed:?}");
    let stat: String = on_writer!(db.store, p => sqlx::query_scalar(
        "SELECT stat FROM sqlite_stat1 WHERE tbl = 'accounts' AND idx = 'sqlite_autoindex_accounts_1'").fetch_one(p).await)
    .expect("statistics of accounts");
    assert_eq!(stat, "300 1");
    let again = db.store.refresh_planner_statistics().await.expect("refresh");
    assert!(!again.iter().any(|a| a.contains("\"accounts\"")), "{again:?}");
}
