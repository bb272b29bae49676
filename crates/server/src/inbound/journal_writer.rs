//! Group commit for the webhook journal. Meta gets its `200` only once a delivery is durable; a
//! commit (and its sync to disk) per delivery caps how many can be acknowledged per second. Here the
//! webhook handlers hand their delivery to one writer task, which writes every delivery waiting at
//! that moment in one transaction and then answers each handler. Durability is unchanged — each
//! `200` still follows the commit that holds its delivery — but concurrent deliveries share a commit.
//!
//! The writer runs under the supervisor like the other workers: if it panicked, the deliveries of
//! the group it held are answered `503` (Meta sends them again), `/readyz` reports `journal_writer`
//! until a new writer has taken over the queue, and the webhooks after it are journaled as before.

use crate::supervisor::WorkerHealth;
use futures::future::BoxFuture;
use std::sync::Arc;
use store::{Store, StoreError};
use tokio::sync::{mpsc, oneshot, Mutex};

/// At most this many deliveries share one transaction (bounding its size and the wait of the first).
const MAX_GROUP: usize = 256;
/// Deliveries waiting for the writer; beyond it, handlers wait for room (back-pressure, not loss).
const QUEUE: usize = 4096;

struct Pending {
    body: String,
    received_at: i64,
    done: oneshot::Sender<Result<(), Arc<StoreError>>>,
}

/// Where a group of deliveries is made durable: the store's journal (a seam so that a writer's
/// restart can be tested without a database).
pub trait Journal: Send + Sync + 'static {
    fn append<'a>(&'a self, deliveries: &'a [(&'a str, i64)]) -> BoxFuture<'a, Result<(), StoreError>>;
}

impl Journal for Store {
    fn append<'a>(&'a self, deliveries: &'a [(&'a str, i64)]) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.journal_webhooks(deliveries).await.map(|_| ()) })
    }
}

/// The handle the webhook handlers write through. Cheap to clone.
#[derive(Clone)]
pub struct JournalWriter {
    tx: mpsc::Sender<Pending>,
}

/// Why a delivery could not be journaled: the caller answers `503` so Meta retries it.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("the webhook journal is unavailable: {0}")]
    Store(Arc<StoreError>),
    #[error("the webhook journal writer has stopped")]
    Stopped,
}

impl JournalWriter {
    /// Starts the writer task, supervised (restarted if it panics, reported in `health` meanwhile); it
    /// ends when the last handle is dropped.
    pub fn start(journal: impl Journal, health: Arc<WorkerHealth>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        // The queue outlives a writer that panics: the next one takes it over.
        let rx = Arc::new(Mutex::new(rx));
        let journal = Arc::new(journal);
        // Nothing stops the writer but its last handle going: a stop signal that never fires.
        let (_never, stop) = tokio::sync::watch::channel(false);
        tokio::spawn(crate::supervisor::supervise("journal_writer", health, stop, move || {
            write_groups(journal.clone(), rx.clone())
        }));
        JournalWriter { tx }
    }

    /// Journals one delivery; returns once it is committed.
    pub async fn write(&self, body: String, received_at: i64) -> Result<(), JournalError> {
        let (done, answer) = oneshot::channel();
        self.tx.send(Pending { body, received_at, done }).await.map_err(|_| JournalError::Stopped)?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(JournalError::Store(e)),
            // The writer went away with it (it panicked): not journaled, Meta will send it again.
            Err(_) => Err(JournalError::Stopped),
        }
    }
}

async fn write_groups(journal: Arc<impl Journal>, rx: Arc<Mutex<mpsc::Receiver<Pending>>>) {
    let mut rx = rx.lock().await;
    let mut group = Vec::with_capacity(MAX_GROUP);
    // `recv_many` waits for the first delivery, then takes every one already waiting.
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        let deliveries: Vec<(&str, i64)> = group.iter().map(|p| (p.body.as_str(), p.received_at)).collect();
        let result = journal.append(&deliveries).await.map_err(Arc::new);
        metrics::histogram!("inbox_webhook_group_size").record(group.len() as f64);
        for p in group.drain(..) {
            // A handler that gave up (its client went away) no longer listens: nothing to do.
            let _ = p.done.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Panics on its first group, keeps the others.
    #[derive(Default)]
    struct PanicsOnce {
        calls: AtomicUsize,
        kept: std::sync::Mutex<Vec<String>>,
    }

    impl Journal for Arc<PanicsOnce> {
        fn append<'a>(&'a self, deliveries: &'a [(&'a str, i64)]) -> BoxFuture<'a, Result<(), StoreError>> {
            Box::pin(async move {
                if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("the journal writer fails");
                }
                self.kept.lock().unwrap().extend(deliveries.iter().map(|(body, _)| body.to_string()));
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn a_writer_that_panics_is_replaced_and_reported_down_meanwhile() {
        let journal = Arc::new(PanicsOnce::default());
        let health = Arc::new(WorkerHealth::default());
        let writer = JournalWriter::start(journal.clone(), health.clone());

        let first = writer.write("first".into(), 1).await;
        assert!(matches!(first, Err(JournalError::Stopped)), "not journaled, so not acknowledged: {first:?}");
        // The supervisor notices the panic at its next turn, then waits a moment before restarting.
        for _ in 0..100 {
            if !health.down().is_empty() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(health.down(), vec!["journal_writer"], "/readyz reports it while it restarts");

        // The next writer takes over the same queue: a delivery sent now waits for it, then lands.
        let second = tokio::time::timeout(Duration::from_secs(5), writer.write("second".into(), 2)).await;
        assert!(matches!(second, Ok(Ok(()))), "{second:?}");
        assert!(health.down().is_empty(), "ready again");
        assert_eq!(*journal.kept.lock().unwrap(), vec!["second".to_string()]);
    }
}
