//! The delivery worker: claims due deliveries from the outbox, POSTs each one signed, and records the
//! attempt. A 2xx answer is `delivered`; anything else — another status, a timeout, a refused or
//! unreachable address — is retried on the backoff schedule, then `failed`.
//!
//! Claimed deliveries are sent concurrently (one slow receiver does not hold back the others); the
//! claim gives at most one event per webhook at a time, so each receiver still gets its events in order.

use crate::state::AppState;
use domain::outgoing_webhook::{retry_after, DeliveryStatus};
use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use secrecy::ExposeSecret;
use std::time::Duration;
use store::{ClaimedDelivery, StoreError};

/// The lease of a claimed delivery: longer than any attempt (the receiver's timeout) with margin. A
/// delivery still claimed after it (the process died mid-POST) is claimed again.
const LEASE: Duration = Duration::from_secs(60);
const BATCH: i64 = 16;

pub async fn run(state: AppState, shutdown: tokio::sync::watch::Receiver<bool>) {
    let client = match client(&state) {
        Ok(c) => c,
        // Without a client nothing can be delivered: a panic gets the worker reported down and restarted.
        Err(e) => panic!("the webhook HTTP client cannot be built: {e}"),
    };
    // Retries come due on the clock, not on a wakeup: look again at least this often.
    let idle = state.config.webhook_retry_base.clamp(Duration::from_millis(10), Duration::from_secs(1));
    crate::supervisor::poll("webhook_delivery", &state.hooks_wakeup, idle, shutdown, || deliver_due(&state, &client))
        .await
}

/// The HTTP client of deliveries: no redirects (a 3xx is a failed attempt, never followed to
/// somewhere else), no proxy (it would be resolved instead of the receiver, bypassing the address
/// check), and the checking resolver.
fn client(state: &AppState) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(std::sync::Arc::new(meta::graph::CheckedResolver::new(state.config.webhook_allow_private)))
        .timeout(state.config.webhook_timeout)
        .build()
}

async fn deliver_due(state: &AppState, client: &reqwest::Client) -> Result<usize, StoreError> {
    let lease = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
    let claimed = state.store.claim_deliveries(state.now_ms(), lease, BATCH).await?;
    let n = claimed.len();
    futures::future::join_all(claimed.iter().map(|d| async move {
        let outcome = attempt(state, client, d).await;
        if let Err(e) = settle(state, d, outcome).await {
            tracing::warn!(delivery = %d.id, error = %e, "could not record a webhook delivery attempt");
        }
    }))
    .await;
    Ok(n)
}

enum Outcome {
    Delivered(u16),
    Failed { status: Option<u16>, error: String },
}

fn failed(error: impl Into<String>) -> Outcome {
    Outcome::Failed { status: None, error: error.into() }
}

async fn attempt(state: &AppState, client: &reqwest::Client, d: &ClaimedDelivery) -> Outcome {
    let hook = match state.store.webhook_by_id(d.webhook_id).await {
        Ok(Some(h)) => h,
        Ok(None) => return failed("the webhook no longer exists"),
        Err(e) => return failed(format!("the webhook could not be read: {e}")),
    };
    if !hook.enabled {
        return failed("the webhook is disabled");
    }
    let url = match super::url_policy::check_literal(&hook.url, state.config.webhook_allow_private) {
        Ok(u) => u,
        Err(e) => return failed(e.to_string()),
    };
    let secret = match state.secrets.open(&hook.secret_enc) {
        Ok(s) => s,
        Err(e) => return failed(format!("the webhook's secret cannot be read: {e}")),
    };
    let request = client
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .header(USER_AGENT, concat!("EscalaInbox-Webhooks/", env!("CARGO_PKG_VERSION")))
        .header("x-inbox-signature-256", super::signature(secret.expose_secret(), d.body.as_bytes()))
        .header("x-inbox-event", &d.event_type)
        .header("x-inbox-delivery", d.id.to_string())
        .body(d.body.clone());
    match request.send().await {
        Ok(res) if res.status().is_success() => Outcome::Delivered(res.status().as_u16()),
        Ok(res) => Outcome::Failed { status: Some(res.status().as_u16()), error: format!("answered {}", res.status()) },
        Err(e) => failed(describe(&e, state.config.webhook_timeout)),
    }
}

/// A failed request, as the delivery log shows it.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if let Some(refusal) = meta::graph::refused_in(e) {
        return format!("refused: {refusal}");
    }
    if e.is_timeout() {
        return format!("no answer within {} s", timeout.as_secs_f32());
    }
    if e.is_connect() {
        return "could not connect".into();
    }
    e.to_string()
}

async fn settle(state: &AppState, d: &ClaimedDelivery, outcome: Outcome) -> Result<(), StoreError> {
    let now = state.now_ms();
    match outcome {
        Outcome::Delivered(status) => {
            metrics::counter!("inbox_webhook_deliveries_total", "outcome" => "delivered").increment(1);
            state
                .store
                .record_delivery_attempt(d.id, DeliveryStatus::Delivered, Some(status.into()), None, now, now)
                .await
        }
        Outcome::Failed { status, error } => {
            let attempts = u32::try_from(d.attempts).unwrap_or(u32::MAX);
            let status = status.map(i64::from);
            match retry_after(attempts, state.config.webhook_retry_base, rand::random::<f64>()) {
                Some(wait) => {
                    let at = now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
                    tracing::info!(delivery = %d.id, attempts, %error, wait_ms = at - now, "webhook delivery failed; retrying");
                    metrics::counter!("inbox_webhook_deliveries_total", "outcome" => "retried").increment(1);
                    state
                        .store
                        .record_delivery_attempt(d.id, DeliveryStatus::Pending, status, Some(&error), at, now)
                        .await
                }
                None => {
                    tracing::warn!(delivery = %d.id, attempts, %error, "webhook delivery failed; giving up");
                    metrics::counter!("inbox_webhook_deliveries_total", "outcome" => "failed").increment(1);
                    state
                        .store
                        .record_delivery_attempt(d.id, DeliveryStatus::Failed, status, Some(&error), now, now)
                        .await
                }
            }
        }
    }
}
