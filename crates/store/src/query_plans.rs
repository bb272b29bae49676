//! SQLite's plans for reads meant for a few rows by key (those the inbound worker makes at every
//! batch, and a contact search's page of the few contacts it matched) and for lists that must walk
//! an index in their order. Without statistics SQLite picks an index by the shape of the query
//! alone, and such a read can end up walking a whole account (one such plan read every conversation
//! of the account to publish a batch of 64). A migrated database carries the planner statistics of a
//! grown inbox (migration 0056), whatever its size, so an empty one shows the plans a large one gets.
//! PostgreSQL plans by its own statistics; the benchmarks (`scripts/bench`) watch those reads there.

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

/// Every index of the tables an inbox's reads walk has its statistics (migration 0056): an index
/// added later without them would be planned by SQLite's guesses beside the others' figures.
#[tokio::test]
async fn every_index_of_the_inboxs_tables_has_planner_statistics() {
    let db = TempSqlite::open().await;
    let missing: Vec<(String, String)> = on_reader!(db.store, p => sqlx::query_as(
        "SELECT i.tbl_name, i.name FROM sqlite_schema i WHERE i.type = 'index' \
         AND i.tbl_name IN ('accounts', 'channels', 'users', 'api_tokens', 'conversations', 'messages', \
                            'contacts', 'contact_phone_keys', 'handles') \
         AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.tbl = i.tbl_name AND s.idx = i.name) \
         ORDER BY 1, 2").fetch_all(p).await)
    .expect("indexes");
    assert_eq!(missing, vec![], "indexes without statistics: add them to a migration like 0056");
}
