//! Outgoing webhooks: which events an account's automations may subscribe to, and when a delivery
//! that failed is tried again.
//!
//! A delivery is retried with exponential backoff (10 s, 30 s, 2 min, 10 min, 1 h, 4 h, 12 h with
//! the default 10 s base) and jitter, eight attempts in all over about 17 hours; then it is `failed`.
//! The base is configurable so that tests run the whole schedule in milliseconds.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// An event a webhook may receive. `Ping` is only sent on request (`POST …/test`), never subscribed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum HookEvent {
    #[serde(rename = "message.created")]
    MessageCreated,
    #[serde(rename = "message.updated")]
    MessageUpdated,
    #[serde(rename = "conversation.created")]
    ConversationCreated,
    #[serde(rename = "conversation.assigned")]
    ConversationAssigned,
    #[serde(rename = "conversation.status_changed")]
    ConversationStatusChanged,
    #[serde(rename = "contact.created")]
    ContactCreated,
    #[serde(rename = "contact.updated")]
    ContactUpdated,
    #[serde(rename = "ping")]
    Ping,
}

impl HookEvent {
    /// The events a webhook may subscribe to.
    pub const SUBSCRIBABLE: [HookEvent; 7] = [
        HookEvent::MessageCreated,
        HookEvent::MessageUpdated,
        HookEvent::ConversationCreated,
        HookEvent::ConversationAssigned,
        HookEvent::ConversationStatusChanged,
        HookEvent::ContactCreated,
        HookEvent::ContactUpdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::MessageCreated => "message.created",
            HookEvent::MessageUpdated => "message.updated",
            HookEvent::ConversationCreated => "conversation.created",
            HookEvent::ConversationAssigned => "conversation.assigned",
            HookEvent::ConversationStatusChanged => "conversation.status_changed",
            HookEvent::ContactCreated => "contact.created",
            HookEvent::ContactUpdated => "contact.updated",
            HookEvent::Ping => "ping",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::SUBSCRIBABLE.into_iter().chain([HookEvent::Ping]).find(|e| e.as_str() == name)
    }
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt or a retry (or being attempted).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// How many attempts a delivery gets before it is `failed`.
pub const MAX_ATTEMPTS: u32 = 8;

/// The wait after each failed attempt, in multiples of the base (10 s by default).
const SCHEDULE: [u32; (MAX_ATTEMPTS - 1) as usize] = [1, 3, 12, 60, 360, 1440, 4320];

/// When a delivery that failed its `attempts`-th attempt (1 for the first) is tried again: `None`
/// once it has had all its attempts. `jitter` in `[0, 1)` spreads retries of many deliveries that
/// failed together by up to a tenth of the wait.
pub fn retry_after(attempts: u32, base: Duration, jitter: f64) -> Option<Duration> {
    if attempts == 0 || attempts >= MAX_ATTEMPTS {
        return None;
    }
    let wait = base.saturating_mul(SCHEDULE[(attempts - 1) as usize]);
    Some(wait + wait.mul_f64(jitter.clamp(0.0, 1.0) / 10.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_ping_is_not_subscribable() {
        for e in HookEvent::SUBSCRIBABLE {
            assert_eq!(HookEvent::parse(e.as_str()), Some(e));
            assert_eq!(serde_json::to_value(e).unwrap(), serde_json::json!(e.as_str()));
        }
        assert_eq!(HookEvent::parse("ping"), Some(HookEvent::Ping));
        assert!(!HookEvent::SUBSCRIBABLE.contains(&HookEvent::Ping));
        assert_eq!(HookEvent::parse("message.deleted"), None);
    }

    #[test]
    fn retries_back_off_and_stop_after_eight_attempts() {
        let base = Duration::from_secs(10);
        assert_eq!(retry_after(1, base, 0.0), Some(Duration::from_secs(10)));
        assert_eq!(retry_after(2, base, 0.0), Some(Duration::from_secs(30)));
        assert_eq!(retry_after(3, base, 0.0), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(5, base, 0.0), Some(Duration::from_secs(3600)));
        assert_eq!(retry_after(7, base, 0.0), Some(Duration::from_secs(12 * 3600)));
        assert_eq!(retry_after(8, base, 0.0), None, "the eighth failure is the last");
        assert_eq!(retry_after(0, base, 0.0), None);
        let total: Duration = (1..MAX_ATTEMPTS).filter_map(|n| retry_after(n, base, 0.0)).sum();
        assert!(total < Duration::from_secs(24 * 3600), "{total:?}");
    }

    #[test]
    fn jitter_adds_at_most_a_tenth() {
        let base = Duration::from_secs(10);
        assert_eq!(retry_after(1, base, 0.999_999), Some(Duration::from_secs(10) + Duration::from_micros(999_999)));
        assert_eq!(retry_after(1, base, 7.0), Some(Duration::from_secs(11)), "clamped");
    }
}
