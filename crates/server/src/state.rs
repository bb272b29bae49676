//! Shared services handed to every handler.

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::SecretBox;
use std::sync::Arc;
use store::Store;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub secrets: Arc<SecretBox>,
    pub clock: Arc<dyn Clock>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    pub events: crate::realtime::EventHub,
}

impl AppState {
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
