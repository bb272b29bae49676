//! Every request the simulated Graph API receives is recorded (method, path, query, headers including
//! `Authorization`, and the body parsed as JSON or summarised as multipart) so tests can assert the exact
//! payload the inbox sent. The `/_sim` control API is not recorded.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::multipart;
use crate::state::SimState;

/// Largest body the simulator reads (WhatsApp documents go up to 100 MB).
pub(crate) const MAX_BODY: usize = 110 * 1024 * 1024;

/// One request received by the simulated Graph API.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: RecordedBody,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum RecordedBody {
    Empty,
    Json(Value),
    Multipart(Vec<RecordedPart>),
    /// Any other body, lossily decoded.
    Text(String),
}

/// One multipart field: text fields keep their value, files only their size.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecordedPart {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size: usize,
    pub text: Option<String>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// The `Authorization` header.
    pub fn authorization(&self) -> Option<&str> {
        self.header("authorization")
    }

    /// The bearer token, without `Bearer `.
    pub fn bearer(&self) -> Option<&str> {
        self.authorization().and_then(|a| a.strip_prefix("Bearer "))
    }

    /// The JSON body, or `Value::Null`.
    pub fn json(&self) -> Value {
        match &self.body {
            RecordedBody::Json(v) => v.clone(),
            _ => Value::Null,
        }
    }

    /// A multipart field by name.
    pub fn part(&self, name: &str) -> Option<&RecordedPart> {
        match &self.body {
            RecordedBody::Multipart(parts) => parts.iter().find(|p| p.name == name),
            _ => None,
        }
    }
}

/// The recording middleware: buffers the body, records it, and hands an identical request on.
pub(crate) async fn record(State(state): State<Arc<SimState>>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/_sim") {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect::<BTreeMap<_, _>>();
    let content_type = headers.get("content-type").cloned().unwrap_or_default();
    // Counted as finished when its handling ends, answered or abandoned by a client that gave up.
    let _in_flight = InFlight::start(&state);
    state.record(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers,
        body: summarise(&content_type, &bytes),
        at: state.clock.now(),
    });
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// One Graph request being handled: `SimState::in_flight` counts it until this is dropped.
struct InFlight(Arc<SimState>);

impl InFlight {
    fn start(state: &Arc<SimState>) -> Self {
        state.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(state))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn summarise(content_type: &str, bytes: &Bytes) -> RecordedBody {
    if bytes.is_empty() {
        return RecordedBody::Empty;
    }
    if let Some(boundary) = multipart::boundary(content_type) {
        if let Some(parts) = multipart::parse(bytes, &boundary) {
            return RecordedBody::Multipart(
                parts
                    .iter()
                    .map(|p| RecordedPart {
                        name: p.name.clone(),
                        file_name: p.file_name.clone(),
                        content_type: p.content_type.clone(),
                        size: p.data.len(),
                        text: if p.file_name.is_none() { p.text().map(str::to_string) } else { None },
                    })
                    .collect(),
            );
        }
    }
    match serde_json::from_slice(bytes) {
        Ok(v) => RecordedBody::Json(v),
        Err(_) => RecordedBody::Text(String::from_utf8_lossy(bytes).into_owned()),
    }
}
