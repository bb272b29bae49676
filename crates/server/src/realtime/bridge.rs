//! Realtime events across processes. With several `inbox serve` processes on one PostgreSQL
//! database, a browser is connected to one of them and must receive what any of them publishes.
//! Each process sends what it publishes through PostgreSQL's `LISTEN/NOTIFY` (`Store::notify_events`)
//! and delivers to its own sockets what the others sent. Its own events reach its sockets directly,
//! without the round trip. On SQLite (one process) nothing is started.

use super::EventHub;
use crate::state::AppState;
use std::time::Duration;
use store::Store;
use tokio::sync::mpsc;

/// Events sent to the other processes in one transaction, at most.
const GROUP: usize = 256;

/// Connects this process's hub to the others'. Listening starts before this returns, so nothing
/// published by another process after it is missed.
pub async fn start(state: &AppState) -> Result<(), store::StoreError> {
    let Some(mut listener) = state.store.listen_events().await? else { return Ok(()) };
    let (tx, rx) = mpsc::unbounded_channel();
    if state.events.remote.set(tx).is_err() {
        return Ok(()); // already connected
    }
    tokio::spawn(send_out(state.store.clone(), state.clone(), rx));
    let hub = state.events.clone();
    tokio::spawn(async move {
        loop {
            match listener.recv().await {
                Ok(Some(text)) => hub.receive_shared(&text),
                // A spilled event already pruned: too late to show, the sockets reload.
                Ok(None) => hub.resync_everyone(),
                Err(e) => {
                    // The connection dropped: events sent meanwhile are lost to this process's
                    // sockets. They reload once it is back (PgListener reconnects on the next call).
                    tracing::warn!(error = %e, "realtime: lost the connection to the other processes");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    hub.resync_everyone();
                }
            }
        }
    });
    Ok(())
}

/// Sends this process's events to the others, in order, as many as are waiting per transaction.
async fn send_out(store: Store, state: AppState, mut rx: mpsc::UnboundedReceiver<String>) {
    let mut group = Vec::with_capacity(GROUP);
    while rx.recv_many(&mut group, GROUP).await > 0 {
        if let Err(e) = store.notify_events(&group, state.now_ms()).await {
            // The other processes' sockets miss these; they resync when their own listener notices
            // the database is unreachable.
            tracing::warn!(error = %e, events = group.len(), "realtime: could not share events with the other processes");
        }
        group.clear();
    }
}

impl EventHub {
    /// Whether this hub shares its events with other processes.
    pub fn is_shared(&self) -> bool {
        self.remote.get().is_some()
    }
}
