//! The inbound worker: claims journaled deliveries in order and applies their events. Woken at once
//! by the webhook endpoint, and also on a timer, so claims left by a crashed process are picked up.

use crate::inbound::apply::Applier;
use crate::state::AppState;
use std::time::Duration;
use store::JournalOutcome;

/// A claimed delivery belongs to its processor for this long, renewed every `RENEW` while it is
/// being processed; a process that dies lets it go within a lease, and another process takes it over
/// (on SQLite the restarted process ends its predecessor's claims at once). Short, so a crash delays
/// messages by seconds; applying again is harmless, so a lease lost to a stall costs only work.
const LEASE_MS: i64 = 6_000;
const RENEW: Duration = Duration::from_secs(2);
/// With nothing to wake it, the worker still looks this often: for claims whose lease ran out.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Most deliveries claimed at once. Under a backlog a bigger batch spreads each batch's fixed cost
/// (claim, lookups, commit, read-back, notify) over more messages. On SQLite the batch's transaction
/// holds the main file's one writer, which agents' own writes (a send, an assignment) wait for; there
/// 256 applied a campaign about 15 % faster than 64 in paired runs, but holds the writer over four
/// times as many rows and took a third more memory (peak RSS 125 against 85–90 MB), so SQLite keeps
/// 64. On
/// PostgreSQL writers do not wait for each other, and a backlog drained faster at 256.
fn batch_limit(store: &store::Store) -> i64 {
    match store.backend() {
        store::Backend::Sqlite => 64,
        store::Backend::Postgres => 256,
    }
}
/// A delivery that fails this often is set aside as `failed` for an operator, not retried forever.
const MAX_ATTEMPTS: i64 = 10;

pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    tracing::debug!("inbound worker started");
    // Deliveries applied, marked processed with the next claim (one commit for both).
    let mut applied = Vec::new();
    loop {
        match process_batch(&state, &mut applied).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "inbound worker: store error, retrying shortly");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        tokio::select! {
            _ = state.journal_wakeup.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Marks `applied` processed, then processes one batch and leaves its applied deliveries in
/// `applied` (marked with the next call, which follows at once while there is work: when none is
/// claimed, `applied` is empty). Returns how many deliveries it claimed. A crash before the next
/// call only means those deliveries are applied again, which changes nothing.
pub async fn process_batch(state: &AppState, applied: &mut Vec<String>) -> Result<usize, store::StoreError> {
    let batch =
        state.store.finish_and_claim_webhooks(applied, state.now_ms(), LEASE_MS, batch_limit(&state.store)).await?;
    applied.clear();
    let n = batch.len();
    if n == 0 {
        return Ok(0);
    }
    tracing::debug!(deliveries = n, "processing webhook deliveries");
    let _renewal = {
        let (state, ids) = (state.clone(), batch.iter().map(|e| e.id.clone()).collect::<Vec<_>>());
        crate::lease::Renewal::start(RENEW, move || {
            let (state, ids) = (state.clone(), ids.clone());
            async move {
                if let Err(e) = state.store.renew_webhook_claims(&ids, state.now_ms() + LEASE_MS).await {
                    tracing::warn!(error = %e, "inbound worker: could not renew its claim");
                }
            }
        })
    };
    let applier = Applier { state };
    let outcome = apply_batch(state, &applier, batch, applied).await;
    outcome.map(|()| n)
}

async fn apply_batch(
    state: &AppState,
    applier: &Applier<'_>,
    batch: Vec<store::JournalEntry>,
    processed: &mut Vec<String>,
) -> Result<(), store::StoreError> {
    let mut entries = Vec::with_capacity(batch.len());
    let mut deliveries = Vec::with_capacity(batch.len());
    for entry in batch {
        match meta::parse_delivery(entry.body.as_bytes()) {
            Ok(d) => {
                entries.push(entry);
                deliveries.push(d);
            }
            Err(e) => {
                // It parsed when it arrived; only a parser change could make it fail now.
                state
                    .store
                    .finish_webhook(&entry.id, JournalOutcome::Failed, Some(&e.to_string()), state.now_ms())
                    .await?;
            }
        }
    }
    for u in deliveries.iter().flat_map(|d| &d.unroutable) {
        tracing::warn!(reason = u.reason, "webhook item without a destination");
        state.store.record_unrouted("unknown", "", &u.raw, state.now_ms()).await?;
    }
    // Every event gets its chance: one that fails does not hold back the others of the same
    // delivery or batch (they are applied now, and applying again on a retry changes nothing).
    let failures = crate::inbound::batch::apply(applier, &deliveries).await?;
    for (entry, failure) in entries.into_iter().zip(failures) {
        match failure {
            None => processed.push(entry.id),
            Some(e) if entry.attempts >= MAX_ATTEMPTS => {
                tracing::error!(error = %e, id = %entry.id, "webhook delivery failed repeatedly; set aside");
                state
                    .store
                    .finish_webhook(&entry.id, JournalOutcome::Failed, Some(&e.to_string()), state.now_ms())
                    .await?;
            }
            // Left claimed: retried when the lease runs out. Applying is idempotent, so the events
            // already applied are not applied twice.
            Some(e) => tracing::warn!(error = %e, id = %entry.id, "webhook delivery failed; will retry"),
        }
    }
    Ok(())
}
