//! The inbound worker: claims journaled deliveries in order and applies their events. Woken at once
//! by the webhook endpoint, and also on a timer, so claims left by a crashed process are picked up.

use crate::inbound::apply::Applier;
use crate::state::AppState;
use std::time::Duration;
use store::JournalOutcome;

/// How long a claim on deliveries lasts, and how often it is renewed while it is held.
#[derive(Clone, Copy)]
struct Lease {
    ms: i64,
    renew_every: Duration,
}

/// A claimed delivery belongs to its processor for this long, renewed every 2 s from its claim until
/// it is marked processed ([`Held`]); a process that dies lets it go within a lease, and another
/// process takes it over (on SQLite the restarted process ends its predecessor's claims at once).
/// Short, so a crash delays messages by seconds; applying again is harmless, so a lease lost to a
/// stall costs only work.
const LEASE: Lease = Lease { ms: 6_000, renew_every: Duration::from_secs(2) };
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
fn batch_limit(backend: store::Backend) -> i64 {
    match backend {
        store::Backend::Sqlite => 128,
        store::Backend::Postgres => 256,
    }
}
/// A delivery that fails this often is set aside as `failed` for an operator, not retried forever.
const MAX_ATTEMPTS: i64 = 10;

/// Applies journaled deliveries until `shutdown`. A stop (a restart, a deploy) does not wait for a
/// backlog to drain — the journal keeps it for the next start, or another process — but it finishes
/// the step in hand and what that step began ([`Pipeline::drain`]).
pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    tracing::debug!("inbound worker started");
    let mut pipeline = Pipeline::default();
    while !*shutdown.borrow() {
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
            _ = shutdown.changed() => break,
        }
    }
    pipeline.drain(&state).await;
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
///
/// Every claim is [`Held`] from the moment it is made until its deliveries are marked processed: a
/// batch claimed ahead waits a whole step before its first stage, and an applied one another step
/// before it is marked; a step held up for longer than a lease must not let another process take
/// them over.
struct Pipeline {
    lease: Lease,
    /// Deliveries applied, not yet marked processed. A crash before they are only means they are
    /// applied again, which changes nothing.
    applied: Vec<String>,
    /// The claims of `applied`'s batches, held until they are marked.
    applied_claims: Vec<Held>,
    /// Deliveries claimed ahead, while the previous batch was stored: the next batch.
    claimed: Option<Claimed>,
    /// The batch whose messages are stored, in its second stage at the next step.
    stored: Option<Staged>,
    /// Messages announced, still listed as waiting to be: forgotten in the transaction of the next
    /// batch that stores messages ([`crate::inbound::batch::store`]). Until then a batch that meets
    /// one again (Meta delivered it twice) finds it listed; the batch stored beside its
    /// announcement leaves it alone ([`crate::inbound::batch::Announcing`]), and a later one
    /// comes after the forgetting.
    announced: Vec<domain::ids::MessageId>,
}

impl Default for Pipeline {
    fn default() -> Self {
        Self::with_lease(LEASE)
    }
}

/// A claim on deliveries kept alive: renewed every [`Lease::renew_every`] until dropped.
struct Held {
    _renewal: crate::lease::Renewal,
}

/// Deliveries just claimed, their claim held.
struct Claimed {
    entries: Vec<store::JournalEntry>,
    held: Held,
}

/// A claimed batch after its first stage, its claim held.
struct Staged {
    entries: Vec<store::JournalEntry>,
    stored: crate::inbound::batch::Stored,
    held: Held,
}

/// What the journal side of a step did.
struct Journaled {
    /// Whether the deliveries applied before were marked processed.
    marked: bool,
    /// The batch claimed ahead, if any.
    ahead: Option<Claimed>,
}

/// Holds the claim on `entries` just claimed (`None` when nothing was).
fn hold(state: &AppState, lease: Lease, entries: Vec<store::JournalEntry>) -> Option<Claimed> {
    if entries.is_empty() {
        return None;
    }
    let (state, ids) = (state.clone(), entries.iter().map(|e| e.id.clone()).collect::<Vec<_>>());
    let renewal = crate::lease::Renewal::start(lease.renew_every, move || {
        let (state, ids) = (state.clone(), ids.clone());
        async move {
            if let Err(e) = state.store.renew_webhook_claims(&ids, state.now_ms() + lease.ms).await {
                tracing::warn!(error = %e, "inbound worker: could not renew its claim");
            }
        }
    });
    Some(Claimed { entries, held: Held { _renewal: renewal } })
}

impl Pipeline {
    fn with_lease(lease: Lease) -> Self {
        Pipeline {
            lease,
            applied: Vec::new(),
            applied_claims: Vec::new(),
            claimed: None,
            stored: None,
            announced: Vec::new(),
        }
    }

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
        let finished_claims = std::mem::take(&mut self.applied_claims);
        let ahead = self.claimed.take();
        let announced = std::mem::take(&mut self.announced);
        let created: Vec<domain::ids::MessageId> = previous.iter().flat_map(|staged| staged.stored.created()).collect();
        let announcing: crate::inbound::batch::Announcing = created.iter().copied().collect();
        let second = async {
            match previous {
                Some(staged) => finish_staged(state, staged).await.map(Some),
                None => Ok(None),
            }
        };
        let first = first_stage(state, self.lease, &finished, ahead, &announcing, &announced);
        let (second, (journaled, first)) = tokio::join!(second, first);
        if first.is_err() {
            // Not forgotten (the batch's transaction did not commit): with the next one.
            self.announced.extend(announced);
        }
        if !journaled.marked {
            // Not marked processed: they are with the next claim, held until then.
            self.applied.extend(finished);
            self.applied_claims.extend(finished_claims);
        }
        self.claimed = journaled.ahead;
        // A batch whose first stage failed stays claimed, and is claimed again when its lease runs
        // out (or at once on SQLite after a restart). A second stage that failed likewise.
        let first = first.map(|stored| self.stored = stored);
        if let Some((applied, claim)) = second? {
            self.applied.extend(applied);
            self.applied_claims.push(claim);
            self.announced.extend(created);
        }
        first?;
        Ok(had_previous || self.stored.is_some())
    }

    /// Finishes what the pipeline began, before the worker stops: the batch whose messages are stored
    /// is announced and its other events applied (left to a later start, they would be told only
    /// then, and some maybe twice), and every delivery applied is marked processed. A batch
    /// claimed ahead is let go as it is: nothing of it was applied, and it is claimed again — at the
    /// next start on SQLite, after its lease by another process on PostgreSQL.
    async fn drain(&mut self, state: &AppState) {
        if let Some(staged) = self.stored.take() {
            let created = staged.stored.created();
            match finish_staged(state, staged).await {
                Ok((applied, claim)) => {
                    self.applied.extend(applied);
                    self.applied_claims.push(claim);
                    self.announced.extend(created);
                }
                Err(e) => tracing::warn!(error = %e, "inbound worker: could not finish its last batch before stopping"),
            }
        }
        crate::inbound::batch::forget(&Applier { state }, &std::mem::take(&mut self.announced)).await;
        if let Err(e) = state.store.finish_webhooks(&self.applied, state.now_ms()).await {
            tracing::warn!(error = %e, "inbound worker: could not mark its last deliveries processed before stopping");
        }
    }
}

/// Claims a batch (unless one was claimed `ahead`), marking `finished` processed, and stores its
/// messages, with the journal's statements for the step after it run meanwhile (see
/// [`Pipeline::step`]).
async fn first_stage(
    state: &AppState,
    lease: Lease,
    finished: &[String],
    ahead: Option<Claimed>,
    announcing: &crate::inbound::batch::Announcing,
    announced: &[domain::ids::MessageId],
) -> (Journaled, Result<Option<Staged>, store::StoreError>) {
    let limit = batch_limit(state.store.backend());
    let (batch, marked) = match ahead {
        Some(ahead) => (Some(ahead), false),
        None => match state.store.finish_and_claim_webhooks(finished, state.now_ms(), lease.ms, limit).await {
            Ok(entries) => (hold(state, lease, entries), true),
            Err(e) => return (Journaled { marked: false, ahead: None }, Err(e)),
        },
    };
    let full = batch.as_ref().and_then(|b| i64::try_from(b.entries.len()).ok()).is_some_and(|n| n >= limit);
    let unmarked: &[String] = if marked { &[] } else { finished };
    let journal = async {
        if full {
            let claimed = state.store.finish_and_claim_webhooks(unmarked, state.now_ms(), lease.ms, limit).await?;
            Ok(hold(state, lease, claimed))
        } else {
            state.store.finish_webhooks(unmarked, state.now_ms()).await.map(|()| None)
        }
    };
    let stored = async {
        match batch {
            Some(batch) => store_claimed(state, batch, announcing, announced).await.map(Some),
            None => {
                // No batch to forget them in: a transaction of their own, with no batch's
                // transaction to wait for.
                crate::inbound::batch::forget(&Applier { state }, announced).await;
                Ok(None)
            }
        }
    };
    let (journal, stored) = tokio::join!(journal, stored);
    let journaled = match journal {
        Ok(ahead) => Journaled { marked: true, ahead },
        Err(e) => {
            tracing::warn!(error = %e, "inbound worker: the journal's statements failed; retried at the next step");
            Journaled { marked, ahead: None }
        }
    };
    (journaled, stored)
}

/// The first stage of a claimed batch ([`crate::inbound::batch::store`]).
async fn store_claimed(
    state: &AppState,
    batch: Claimed,
    announcing: &crate::inbound::batch::Announcing,
    announced: &[domain::ids::MessageId],
) -> Result<Staged, store::StoreError> {
    let Claimed { entries: batch, held } = batch;
    tracing::debug!(deliveries = batch.len(), "processing webhook deliveries");
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
    let stored = crate::inbound::batch::store(&Applier { state }, deliveries, announcing, announced).await?;
    Ok(Staged { entries, stored, held })
}

/// The second stage of a batch ([`crate::inbound::batch::finish`]); returns the deliveries applied,
/// to be marked processed, and the batch's claim, to be held until they are.
async fn finish_staged(state: &AppState, staged: Staged) -> Result<(Vec<String>, Held), store::StoreError> {
    let Staged { entries, stored, held } = staged;
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
            // Left claimed: retried when the lease runs out (after the batch's claim is let go).
            // Applying is idempotent, so the events already applied are not applied twice.
            Some(e) => tracing::warn!(error = %e, id = %entry.id, "webhook delivery failed; will retry"),
        }
    }
    Ok((processed, held))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OffsetClock;
    use crate::startup::{Application, Overrides};
    use std::sync::Arc;

    /// Renewals within a fraction of a second, for a lease (on the test's clock, moved by hand) that
    /// a busy machine's stall of under 2 s does not lose.
    const SHORT: Lease = Lease { ms: 2_000, renew_every: Duration::from_millis(100) };

    /// What another process would take over now (claiming it): claims whose lease ran out, and
    /// deliveries never claimed.
    async fn taken_over(state: &AppState) -> usize {
        state.store.finish_and_claim_webhooks(&[], state.now_ms(), 60_000, 10_000).await.expect("claim").len()
    }

    /// The application built on a fresh SQLite store, none of its workers started: the test runs
    /// the worker (or its pipeline) itself.
    async fn unstarted() -> (Application, Arc<OffsetClock>, std::path::PathBuf) {
        let data_dir = std::env::temp_dir().join(format!("inbox-worker-test-{}", uuid::Uuid::now_v7()));
        let mut config = crate::config::Config::for_data_dir(&data_dir);
        config.listen = ([127, 0, 0, 1], 0).into();
        config.secret_key = Some(secrecy::SecretString::from("test-secret-key"));
        let clock = Arc::new(OffsetClock::default());
        let app = Application::build(config, Overrides { clock: clock.clone() }).await.expect("build");
        (app, clock, data_dir)
    }

    /// Journals `n` deliveries for a number not connected here: each is kept as an unrouted event
    /// in its batch's first stage.
    async fn journal_unrouted(state: &AppState, n: i64) {
        let business = simulator::payloads::WaBusiness {
            waba_id: "1".into(),
            phone_number_id: "2".into(),
            display_phone_number: "3".into(),
        };
        let customer = simulator::payloads::WaUser::phone("5215511111111");
        let bodies: Vec<String> = (0..n)
            .map(|i| {
                simulator::payloads::whatsapp_text(&business, &customer, &format!("wamid.L{i}"), 1, "x").to_string()
            })
            .collect();
        let deliveries: Vec<(&str, i64)> = bodies.iter().map(|b| (b.as_str(), state.now_ms())).collect();
        state.store.journal_webhooks(&deliveries).await.expect("journal");
    }

    /// Steps the pipeline by hand through two full batches, moving the clock past a lease after each
    /// step: the batch claimed ahead (waiting for its first stage) and the batch applied but not yet
    /// marked processed (waiting for the next step's marking) stay held, as the batch being stored
    /// does. (The pipeline's claims do not depend on the store: SQLite stands for both.)
    #[tokio::test]
    async fn a_claim_is_held_from_the_claim_until_its_deliveries_are_marked_processed() {
        let (app, clock, data_dir) = unstarted().await;
        let state = app.state().clone();
        let limit = batch_limit(state.store.backend());
        journal_unrouted(&state, 2 * limit).await;
        let past_a_lease = || async {
            clock.advance(Duration::from_millis(2 * SHORT.ms as u64));
            tokio::time::sleep(10 * SHORT.renew_every).await;
        };

        let mut pipeline = Pipeline::with_lease(SHORT);
        assert!(pipeline.step(&state).await.expect("first step"));
        assert!(
            pipeline.claimed.is_some() && pipeline.stored.is_some(),
            "the first batch stored, the second claimed ahead"
        );
        past_a_lease().await;
        assert_eq!(taken_over(&state).await, 0, "the batch claimed ahead and the stored one are held");

        assert!(pipeline.step(&state).await.expect("second step"));
        assert_eq!(pipeline.applied.len() as i64, limit, "the first batch applied, not marked yet");
        past_a_lease().await;
        assert_eq!(taken_over(&state).await, 0, "the applied batch is held until it is marked");

        pipeline.step(&state).await.expect("third step");
        pipeline.step(&state).await.expect("fourth step");
        assert_eq!(state.store.pending_webhooks().await.expect("pending"), 0, "every delivery marked processed");
        let _ = std::fs::remove_dir_all(&data_dir);
    }

    /// Stopped under a backlog, the worker does not drain it (the journal keeps it for the next
    /// start) but finishes every batch it began: each delivery whose first stage ran (kept as
    /// unrouted here) has had its second and is marked processed.
    #[tokio::test]
    async fn a_stopping_worker_finishes_the_batches_it_began_and_leaves_the_backlog() {
        let (app, _clock, data_dir) = unstarted().await;
        let state = app.state().clone();
        let limit = batch_limit(state.store.backend());
        journal_unrouted(&state, 4 * limit).await;
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(run(state.clone(), stopping));
        while state.store.count_unrouted().await.expect("unrouted") == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.send(true).expect("the worker listens");
        worker.await.expect("the worker stops");
        let pending = state.store.pending_webhooks().await.expect("pending");
        let processed = state.store.count_webhook_journal().await.expect("journal") - pending;
        assert!(pending > 0, "the backlog is left for the next start");
        assert_eq!(state.store.count_unrouted().await.expect("unrouted"), processed, "every batch begun was finished");
        let _ = std::fs::remove_dir_all(&data_dir);
    }
}
