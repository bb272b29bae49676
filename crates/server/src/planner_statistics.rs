//! SQLite's query planner statistics, kept in step with the data (`Store::refresh_planner_statistics`):
//! at start, then every hour. Without them SQLite guesses how selective each index is, and plans
//! can change as a database grows without the planner knowing it. Does nothing on PostgreSQL,
//! whose autovacuum analyzes tables itself.

use crate::state::AppState;
use std::time::Duration;

/// How often. SQLite re-analyzes only a table whose size moved a lot since it was last analyzed, so
/// most runs do nothing; an account that grows quickly is analyzed again within the hour.
const EVERY: Duration = Duration::from_secs(3600);

pub async fn run(state: AppState, shutdown: tokio::sync::watch::Receiver<bool>) {
    if state.store.backend() != store::Backend::Sqlite {
        return;
    }
    // Nothing wakes it early: it runs on its period (its steps never report work, so it never loops).
    let never = tokio::sync::Notify::new();
    crate::supervisor::poll("planner_statistics", &never, EVERY, shutdown, || async {
        let analyzed = state.store.refresh_planner_statistics().await?;
        if !analyzed.is_empty() {
            tracing::info!(statements = ?analyzed, "planner statistics refreshed");
        }
        Ok(0)
    })
    .await
}
