//! The inbound worker: claims journaled deliveries in order and applies their events. Woken at once
//! by the webhook endpoint, and also on a timer, so claims left by a crashed process are picked up.

use crate::inbound::apply::Applier;
use crate::state::AppState;
use std::time::Duration;
use store::JournalOutcome;

/// A claimed delivery belongs to its processor for this long, renewed every `RENEW` while it is
/// being processed; a process that dies lets it go within a lease, and another process takes it over
/// (on SQLite the restarted process ends its predecessor's claims at once). Short, so a crash delays
/// messages by seconds; applying again is harmless, so a lease lost to a stall costs only work. A
/// batch claimed ahead ([`Pipeline`]) waits for the batch before it, well within a lease, before its
/// renewal starts.
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
    let mut pipeline = Pipeline::default();
    loop {
        match pipeline.process_batch(&state).await {
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

/// What the worker carries from one batch to the next. The journal is written on its own connection
/// (on SQLite its own file), so its statements run while a batch is applied rather than between
/// batches: the deliveries applied before are marked processed meanwhile and, when the batch is full
/// (more is waiting), the next batch is claimed meanwhile too. A batch that is not full is the whole
/// backlog: what arrives while it is applied is claimed after it, not one batch later.
#[derive(Default)]
struct Pipeline {
    /// Deliveries applied, not yet marked processed. A crash before they are only means they are
    /// applied again, which changes nothing.
    applied: Vec<String>,
    /// Deliveries claimed while the previous batch was applied: the next batch.
    claimed: Vec<store::JournalEntry>,
}

impl Pipeline {
    /// Applies one batch of deliveries; returns how many it claimed (0: none was waiting).
    async fn process_batch(&mut self, state: &AppState) -> Result<usize, store::StoreError> {
        let limit = batch_limit(&state.store);
        let batch = if self.claimed.is_empty() {
            let batch = state.store.finish_and_claim_webhooks(&self.applied, state.now_ms(), LEASE_MS, limit).await?;
            self.applied.clear();
            batch
        } else {
            std::mem::take(&mut self.claimed)
        };
        let n = batch.len();
        if n == 0 {
            return Ok(0);
        }
        let finished = std::mem::take(&mut self.applied);
        let more_waiting = i64::try_from(n).is_ok_and(|n| n >= limit);
        let journal = async {
            if more_waiting {
                state.store.finish_and_claim_webhooks(&finished, state.now_ms(), LEASE_MS, limit).await
            } else {
                state.store.finish_webhooks(&finished, state.now_ms()).await.map(|()| Vec::new())
            }
        };
        let (journal, outcome) = tokio::join!(journal, apply_claimed(state, batch, &mut self.applied));
        match journal {
            Ok(next) => self.claimed = next,
            // Not marked processed: they are with the next claim.
            Err(e) => {
                self.applied.extend(finished);
                outcome?;
                return Err(e);
            }
        }
        outcome.map(|()| n)
    }
}

/// Applies a claimed batch, its claim renewed meanwhile; the deliveries applied go to `applied`.
async fn apply_claimed(
    state: &AppState,
    batch: Vec<store::JournalEntry>,
    applied: &mut Vec<String>,
) -> Result<(), store::StoreError> {
    tracing::debug!(deliveries = batch.len(), "processing webhook deliveries");
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
    apply_batch(state, &applier, batch, applied).await
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
