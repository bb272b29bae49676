//! `GET/POST /webhooks/meta`: Meta's verification handshake and event deliveries for every object
//! (docs/meta.md §1). A delivery is answered `200` only once it is durable in the journal; the
//! inbound worker processes it afterwards. Bad or missing signature → `401` and nothing stored;
//! malformed JSON → `400`.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use secrecy::ExposeSecret;
use serde::Deserialize;
use subtle::ConstantTimeEq;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/meta", get(verify).post(receive))
}

#[derive(Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

async fn verify(State(state): State<AppState>, Query(h): Query<Handshake>) -> Response {
    let expected = state.config.meta_verify_token.as_ref().map(|t| t.expose_secret().as_bytes().to_vec());
    let matches = match (&expected, h.verify_token.as_deref()) {
        (Some(expected), Some(given)) => bool::from(expected.as_slice().ct_eq(given.as_bytes())),
        _ => false,
    };
    match (h.mode.as_deref(), matches, h.challenge) {
        (Some("subscribe"), true, Some(challenge)) => (StatusCode::OK, challenge).into_response(),
        _ => {
            tracing::warn!("webhook verification refused: wrong or missing verify token");
            (StatusCode::FORBIDDEN, "verification failed").into_response()
        }
    }
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Response> {
    let Some(secret) = state.config.meta_app_secret.as_ref() else {
        // Without the app secret nothing can be authenticated. 503 makes Meta retry (for up to ~36 h),
        // so deliveries are not lost while an operator sets INBOX_META_APP_SECRET.
        tracing::error!("webhook refused: INBOX_META_APP_SECRET is not set");
        return Err(ApiError::Unavailable);
    };
    let signature = headers.get(meta::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = meta::verify_signature(secret.expose_secret().as_bytes(), &body, signature) {
        metrics::counter!("inbox_webhooks_rejected_total", "reason" => "signature").increment(1);
        tracing::warn!(error = %e, "webhook with a bad signature refused");
        return Err(ApiError::Unauthorized);
    }
    let text =
        std::str::from_utf8(&body).map_err(|_| ApiError::bad_request("invalid_json", "the body is not UTF-8"))?;
    if let Err(e) = meta::parse_delivery(&body) {
        metrics::counter!("inbox_webhooks_rejected_total", "reason" => "malformed").increment(1);
        return Err(ApiError::bad_request("invalid_json", e.to_string()));
    }
    if let Err(e) = state.journal.write(text.to_string(), state.now_ms()).await {
        // Not acknowledged: Meta retries the delivery.
        tracing::warn!(error = %e, "webhook not journaled");
        return Err(ApiError::Unavailable);
    }
    metrics::counter!("inbox_webhooks_received_total").increment(1);
    state.journal_wakeup.notify_one();
    Ok(StatusCode::OK.into_response())
}
