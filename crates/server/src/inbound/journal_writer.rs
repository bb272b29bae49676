//! Group commit for the webhook journal. Meta gets its `200` only once a delivery is durable; a
//! commit (and its sync to disk) per delivery caps how many can be acknowledged per second. Here the
//! webhook handlers hand their delivery to one writer task, which writes every delivery waiting at
//! that moment in one transaction and then answers each handler. Durability is unchanged — each
//! `200` still follows the commit that holds its delivery — but concurrent deliveries share a commit.

use std::sync::Arc;
use store::Store;
use tokio::sync::{mpsc, oneshot};

/// At most this many deliveries share one transaction (bounding its size and the wait of the first).
const MAX_GROUP: usize = 256;
/// Deliveries waiting for the writer; beyond it, handlers wait for room (back-pressure, not loss).
const QUEUE: usize = 4096;

struct Pending {
    body: String,
    received_at: i64,
    done: oneshot::Sender<Result<(), Arc<store::StoreError>>>,
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
    Store(Arc<store::StoreError>),
    #[error("the webhook journal writer has stopped")]
    Stopped,
}

impl JournalWriter {
    /// Starts the writer task; it ends when the last handle is dropped.
    pub fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_groups(store, rx));
        JournalWriter { tx }
    }

    /// Journals one delivery; returns once it is committed.
    pub async fn write(&self, body: String, received_at: i64) -> Result<(), JournalError> {
        let (done, answer) = oneshot::channel();
        self.tx.send(Pending { body, received_at, done }).await.map_err(|_| JournalError::Stopped)?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(JournalError::Store(e)),
            Err(_) => Err(JournalError::Stopped),
        }
    }
}

async fn write_groups(store: Store, mut rx: mpsc::Receiver<Pending>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    // `recv_many` waits for the first delivery, then takes every one already waiting.
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        let deliveries: Vec<(&str, i64)> = group.iter().map(|p| (p.body.as_str(), p.received_at)).collect();
        let result = store.journal_webhooks(&deliveries).await.map(|_| ()).map_err(Arc::new);
        metrics::histogram!("inbox_webhook_group_size").record(group.len() as f64);
        for p in group.drain(..) {
            // A handler that gave up (its client went away) no longer listens: nothing to do.
            let _ = p.done.send(result.clone());
        }
    }
}
