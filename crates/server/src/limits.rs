//! Resource limits of the HTTP stack, each a middleware answering in the API's error shape:
//!
//! - a **request timeout** (`INBOX_REQUEST_TIMEOUT_SECS`): a request not answered in time — a slow
//!   client trickling its body included — is answered `503 timeout` and its handler dropped (an open
//!   transaction rolls back). Uploads and the events socket are exempt: they are long by nature.
//! - a **concurrency limit** (`INBOX_MAX_CONCURRENT_REQUESTS`): beyond it a request waits for a slot
//!   up to `INBOX_REQUEST_QUEUE_MS`, then is answered `503 overloaded`. Waiting absorbs the bursts a
//!   browser makes (a page load fires several calls at once); shedding after a short wait keeps a
//!   sustained overload from queueing without bound, and tells clients and load balancers to retry.
//!   The health endpoints are outside it, so a busy instance is not reported dead.
//! - a **declared body size** check: a `Content-Length` over the route's limit is answered `413` at
//!   once, before a byte of the body is read. Bodies without a length are cut at the same limit while
//!   streaming (`RequestBodyLimitLayer` beside this check).

use crate::error::ApiError;
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Answers `503 timeout` when the rest of the stack takes longer than `limit`.
pub async fn timeout(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            metrics::counter!("inbox_http_timeouts_total").increment(1);
            tracing::warn!(limit_ms = limit.as_millis() as u64, "request timed out");
            ApiError::TimedOut.into_response()
        }
    }
}

/// The slots of the concurrency limit and how long a request may wait for one.
#[derive(Clone)]
pub struct Concurrency {
    slots: Arc<Semaphore>,
    queue_timeout: Duration,
}

impl Concurrency {
    pub fn new(max: usize, queue_timeout: Duration) -> Self {
        Self { slots: Arc::new(Semaphore::new(max.max(1))), queue_timeout }
    }
}

/// Holds a slot while the request is served (until its response head is ready: a streamed body or
/// an upgraded socket does not keep it).
pub async fn limit_concurrency(limit: Concurrency, req: Request, next: Next) -> Response {
    let permit = match limit.slots.clone().try_acquire_owned() {
        Ok(p) => p,
        Err(_) => match tokio::time::timeout(limit.queue_timeout, limit.slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            _ => {
                metrics::counter!("inbox_http_shed_total").increment(1);
                tracing::warn!("request shed: too many requests in flight");
                return ApiError::Overloaded.into_response();
            }
        },
    };
    let response = next.run(req).await;
    drop(permit);
    response
}

/// A route's body limit and the error code its `413` carries.
#[derive(Clone, Copy)]
pub struct BodyLimit {
    pub max: usize,
    /// `body_too_large`, or `media_too_large` for uploads.
    pub code: &'static str,
}

/// Answers `413` at once when the declared `Content-Length` exceeds the limit.
pub async fn declared_body_limit(limit: BodyLimit, req: Request, next: Next) -> Response {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit.max as u64) {
        let message = format!("request bodies up to {} bytes are accepted here", limit.max);
        return ApiError::PayloadTooLarge { code: limit.code, message }.into_response();
    }
    next.run(req).await
}
