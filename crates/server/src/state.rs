//! Shared services handed to every handler.

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::SecretBox;
use std::sync::Arc;
use store::Store;

#[derive(Clone)]
pub struct AppState {
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
