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
/// batch claimed ahead ([`Pipeline`]) waits for one step of the worker before its renewal starts.
const LEASE_MS: i64 = 6_000;
const RENEW: Duration = Duration::from_secs(2);
/// With nothing to wake it, the worker still looks this often: for claims whose lease ran out.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Most deliveries claimed at once. Under a backlog a bigger batch spreads each batch's fixed cost
/// (claim, lookups, commit, read-back, notify) over more messages. On SQLite the batch's transaction
/// holds the main file's one writer, which agents' own writes (a send, an assignment) wait for. With
/// the two stages overlapped ([`Pipeline`]), 128 kept up with a 20 000-message burst where 64 fell
/// behind (paired runs: 300–600 messages left to apply when the last was acknowledged, against
/// 1 900–3 700, for 4 % fewer acknowledgements a second and peak RSS 105–117 against 91–104 MB);
/// 256 held the writer twice as long again for little more. On PostgreSQL writers do not wait for
/// each other, and a backlog drained faster at 256.
fn batch_limit(store: &store::Store) -> i64 {
    match store.backend() {
        store::Backend::Sqlite => 128,
        store::Backend::Postgres => 256,
    }
}
/// A delivery that fails this often is set aside as `failed` for an operator, not retried forever.
const MAX_ATTEMPTS: i64 = 10;

pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    tracing::debug!("inbound worker started");
    let mut pipeline = Pipeline::default();
    loop {
        match pipeline.step(&state).await {
            Ok(true) => continue,
            Ok(false) => {}
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

/// The worker's two stages, overlapped. A batch's first stage (claim it, parse it, store its
/// messages in one transaction) runs while the batch before it is in its second stage (read back
/// what changed, tell the sockets and webhooks, apply the statuses and other events): on 2 cores the
/// read-back and the next transaction run side by side rather than one after the other.
///
/// What this keeps: batches store their messages in journal order (a first stage starts after the
/// previous one ended), and announce in journal order (a second stage starts after the previous one
/// ended). A second stage may read back a conversation that the next batch has already moved on;
/// it then tells its newer state, which the next batch tells again — every event carries the whole
/// conversation, so a client never goes back. An event that waited for a message of the next batch
/// (a status before its message) is found by that batch's second stage, which runs after the one
/// that set it aside.
#[derive(Default)]
struct Pipeline {
    /// Deliveries applied, not yet marked processed. A crash before they are only means they are
    /// applied again, which changes nothing.
    applied: Vec<String>,
    /// Deliveries claimed ahead, while the previous batch was stored: the next batch.
    claimed: Vec<store::JournalEntry>,
    /// The batch whose messages are stored, in its second stage at the next step.
    stored: Option<Staged>,
}

/// A claimed batch after its first stage, its claim renewed until it is dropped.
struct Staged {
    entries: Vec<store::JournalEntry>,
    stored: crate::inbound::batch::Stored,
    _renewal: crate::lease::Renewal,
}

/// What the journal side of a step did.
struct Journaled {
    /// Whether the deliveries applied before were marked processed.
    marked: bool,
    /// The batch claimed ahead, if any.
    ahead: Vec<store::JournalEntry>,
}

impl Pipeline {
    /// Finishes the batch stored at the previous step while the next one is stored. The journal's
    /// statements run meanwhile too (the journal has its own connection, on SQLite its own file):
    /// when the batch being stored is full (more is waiting) the batch after it is claimed ahead,
    /// so storing never waits for the journal under a backlog; otherwise only the marking runs
    /// meanwhile, and what arrives during the step is claimed right after it (claiming it ahead
    /// would make it wait a whole step). Returns whether there was anything to do (`false`:
    /// nothing was waiting).
    async fn step(&mut self, state: &AppState) -> Result<bool, store::StoreError> {
        let previous = self.stored.take();
        let had_previous = previous.is_some();
        let finished = std::mem::take(&mut self.applied);
        let ahead = std::mem::take(&mut self.claimed);
        let second = async {
            match previous {
                Some(staged) => finish_staged(state, staged).await,
                None => Ok(Vec::new()),
            }
        };
        let first = first_stage(state, &finished, ahead);
        let (second, (journaled, first)) = tokio::join!(second, first);
        if !journaled.marked {
            // Not marked processed: they are with the next claim.
            self.applied.extend(finished);
        }
        self.claimed = journaled.ahead;
        // A batch whose first stage failed stays claimed, and is claimed again when its lease runs
        // out (or at once on SQLite after a restart). A second stage that failed likewise.
        let first = first.map(|stored| self.stored = stored);
        self.applied.extend(second?);
        first?;
        Ok(had_previous || self.stored.is_some())
    }
}

/// Claims a batch (unless one was claimed `ahead`), marking `finished` processed, and stores its
/// messages, with the journal's statements for the step after it run meanwhile (see
/// [`Pipeline::step`]).
async fn first_stage(
    state: &AppState,
    finished: &[String],
    ahead: Vec<store::JournalEntry>,
) -> (Journaled, Result<Option<Staged>, store::StoreError>) {
    let limit = batch_limit(&state.store);
    let (batch, marked) = if ahead.is_empty() {
        match state.store.finish_and_claim_webhooks(finished, state.now_ms(), LEASE_MS, limit).await {
            Ok(batch) => (batch, true),
            Err(e) => return (Journaled { marked: false, ahead: Vec::new() }, Err(e)),
        }
    } else {
        (ahead, false)
    };
    let full = i64::try_from(batch.len()).is_ok_and(|n| n >= limit);
    let unmarked: &[String] = if marked { &[] } else { finished };
    let journal = async {
        if full {
            state.store.finish_and_claim_webhooks(unmarked, state.now_ms(), LEASE_MS, limit).await
        } else {
            state.store.finish_webhooks(unmarked, state.now_ms()).await.map(|()| Vec::new())
        }
    };
    let (journal, stored) = tokio::join!(journal, store_claimed(state, batch));
    let journaled = match journal {
        Ok(ahead) => Journaled { marked: true, ahead },
        Err(e) => {
            tracing::warn!(error = %e, "inbound worker: the journal's statements failed; retried at the next step");
            Journaled { marked, ahead: Vec::new() }
        }
    };
    (journaled, stored)
}

/// The first stage of a claimed batch ([`crate::inbound::batch::store`]); `None` when nothing was
/// claimed.
async fn store_claimed(state: &AppState, batch: Vec<store::JournalEntry>) -> Result<Option<Staged>, store::StoreError> {
    if batch.is_empty() {
        return Ok(None);
    }
    tracing::debug!(deliveries = batch.len(), "processing webhook deliveries");
    let renewal = {
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
    let stored = crate::inbound::batch::store(&Applier { state }, deliveries).await?;
    Ok(Some(Staged { entries, stored, _renewal: renewal }))
}

/// The second stage of a batch ([`crate::inbound::batch::finish`]); returns the deliveries applied,
/// to be marked processed.
async fn finish_staged(state: &AppState, staged: Staged) -> Result<Vec<String>, store::StoreError> {
    let Staged { entries, stored, _renewal } = staged;
    let failures = crate::inbound::batch::finish(&Applier { state }, stored).await?;
    let mut processed = Vec::with_capacity(entries.len());
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
    Ok(processed)
}
