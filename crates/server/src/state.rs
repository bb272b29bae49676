//! Shared services handed to every handler.

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::SecretBox;
use std::sync::Arc;
use store::Store;

/// The services every handler and worker reaches. Shared behind one `Arc`: axum clones the state for
/// every request, and a clone is then one counter increment instead of one per service (a webhook
/// burst cloned it tens of thousands of times a second, copying the Graph client's addresses too).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

impl AppState {
    pub fn new(services: Services) -> Self {
        AppState(Arc::new(services))
    }
}

pub struct Services {
    pub store: Store,
    /// Where webhook deliveries are journaled, several to a commit (group commit).
    pub journal: crate::inbound::journal_writer::JournalWriter,
    pub config: Arc<Config>,
    pub secrets: Arc<SecretBox>,
    pub clock: Arc<dyn Clock>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    pub events: crate::realtime::EventHub,
    /// The one Graph API client (pointed at the simulator in tests and the demo).
    pub graph: meta::graph::GraphClient,
    pub media: Arc<dyn media::store::MediaStore>,
    /// Wakes the inbound worker when a delivery was journaled.
    pub journal_wakeup: Arc<tokio::sync::Notify>,
    /// Wakes the media worker when attachments wait to be fetched.
    pub media_wakeup: Arc<tokio::sync::Notify>,
    /// Wakes the outbox worker when a send was queued.
    pub outbox_wakeup: Arc<tokio::sync::Notify>,
    /// Wakes the profile worker when a new Messenger/Instagram customer needs a name.
    pub profile_wakeup: Arc<tokio::sync::Notify>,
    /// Wakes the outgoing-webhook worker when deliveries were queued.
    pub hooks_wakeup: Arc<tokio::sync::Notify>,
    /// Which background workers are down (restarting after a panic); `/readyz` reports them.
    pub workers: Arc<crate::supervisor::WorkerHealth>,
}

impl AppState {
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
