//! The retention job: what the inbox keeps only for a while is removed here, periodically and in
//! small batches (so SQLite's single writer is never held long):
//!
//! - expired sessions;
//! - deferred events older than `INBOX_DEFERRED_EVENT_TTL_HOURS` — events waiting for a message that
//!   never appeared (statuses of messages another app sent on the same number). Meta stops
//!   redelivering long before, so the message they wait for will not come;
//! - processed or failed webhook deliveries, and unrouted events, older than
//!   `INBOX_JOURNAL_RETENTION_DAYS` (pending ones are never touched);
//! - delivered or failed outgoing webhook deliveries older than `INBOX_WEBHOOK_DELIVERY_RETENTION_DAYS`
//!   (pending ones are never touched);
//! - uploads older than `INBOX_UPLOAD_RETENTION_DAYS` that no message, no quick reply and no waiting
//!   scheduled send uses: the row, then the file (a file whose deletion fails is only leaked, never referenced).

use crate::state::AppState;
use std::time::Duration;

/// How often the job looks for work when the previous sweep found none.
const EVERY: Duration = Duration::from_secs(3600);
/// Rows removed per kind and per sweep; a sweep that hit it runs again at once.
const BATCH: i64 = 500;

pub async fn run(state: AppState, shutdown: tokio::sync::watch::Receiver<bool>) {
    // Nothing wakes this job early: it only runs on its period.
    let never = tokio::sync::Notify::new();
    crate::supervisor::poll("retention", &never, EVERY, shutdown, || sweep(&state)).await
}

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub deferred_events: u64,
    pub journal: u64,
    pub uploads: u64,
    pub webhook_deliveries: u64,
}

impl Swept {
    fn total(&self) -> u64 {
        self.sessions + self.deferred_events + self.journal + self.uploads + self.webhook_deliveries
    }
}

/// One sweep; returns how many rows it removed (the supervisor's poll loop runs it again while it
/// finds work). Public so tests can sweep after moving the clock.
pub async fn sweep(state: &AppState) -> Result<usize, store::StoreError> {
    let swept = sweep_once(state).await?;
    Ok(usize::try_from(swept.total()).unwrap_or(usize::MAX))
}

/// One sweep, with the count of each kind.
pub async fn sweep_once(state: &AppState) -> Result<Swept, store::StoreError> {
    let now = state.now_ms();
    let before = |age: Duration| now.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX));
    let config = &state.config;
    let store = &state.store;
    let mut swept = Swept { sessions: store.purge_expired_sessions(now).await?, ..Swept::default() };
    swept.deferred_events = store.expire_deferred_events(before(config.deferred_event_ttl), BATCH).await?;
    swept.journal = store.prune_webhook_journal(before(config.journal_retention), BATCH).await?;
    swept.webhook_deliveries = store.prune_webhook_deliveries(before(config.webhook_delivery_retention), BATCH).await?;
    let keys = store.prune_orphan_uploads(before(config.upload_retention), BATCH).await?;
    swept.uploads = keys.len() as u64;
    for key in keys {
        if let Err(e) = state.media.delete(&key).await {
            tracing::warn!(error = %e, key, "the file of a pruned upload could not be deleted");
        }
    }
    if swept.total() > 0 {
        tracing::info!(
            sessions = swept.sessions,
            deferred_events = swept.deferred_events,
            journal = swept.journal,
            uploads = swept.uploads,
            webhook_deliveries = swept.webhook_deliveries,
            "retention: removed what expired"
        );
        metrics::counter!("inbox_retention_removed_total", "kind" => "sessions").increment(swept.sessions);
        metrics::counter!("inbox_retention_removed_total", "kind" => "deferred_events")
            .increment(swept.deferred_events);
        metrics::counter!("inbox_retention_removed_total", "kind" => "journal").increment(swept.journal);
        metrics::counter!("inbox_retention_removed_total", "kind" => "uploads").increment(swept.uploads);
        metrics::counter!("inbox_retention_removed_total", "kind" => "webhook_deliveries")
            .increment(swept.webhook_deliveries);
    }
    Ok(swept)
}
