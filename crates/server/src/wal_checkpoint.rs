//! The SQLite checkpointer: copies the write-ahead logs into the database files a few times a
//! second (`Store::checkpoint`), so that the commits answering webhooks and agents do not stop to
//! do it themselves (by default the commit that takes a log past 1 000 pages copies them all, and
//! syncs the file, before it returns). Does nothing on PostgreSQL.

use crate::state::AppState;
use std::time::Duration;

/// How often: at 1 000 messages a second the database's log grows by about 4 MB a second, so each
/// checkpoint copies a few hundred kilobytes.
const EVERY: Duration = Duration::from_millis(250);

pub async fn run(state: AppState, shutdown: tokio::sync::watch::Receiver<bool>) {
    if state.store.backend() != store::Backend::Sqlite {
        return;
    }
    // Nothing wakes it early: it runs on its period (its steps never report work, so it never loops).
    let never = tokio::sync::Notify::new();
    crate::supervisor::poll("wal_checkpoint", &never, EVERY, shutdown, || async {
        state.store.checkpoint().await.map(|_| 0)
    })
    .await
}
