//! What can go wrong on a Graph API call, parsed from Meta's error body:
//! `{"error":{"message","type","code","error_subcode","error_data":{"messaging_product","details"},"fbtrace_id"}}`
//! (docs/meta.md §6; Messenger/Instagram errors have no `error_data`, §9). Whether to retry is
//! decided in `classify`; this module only reads what happened.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;

/// Every way a Graph call fails. [`GraphError::classify`] says whether it is worth retrying and
/// [`GraphError::reason`] explains it to the agent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with its error body.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// No answer within the client's timeout; the request may or may not have reached Meta.
    #[error("the Graph API did not answer in time")]
    Timeout,
    /// The connection could not be opened: nothing was sent.
    #[error("could not connect to the Graph API: {0}")]
    Connect(String),
    /// The connection broke while the request or the answer was in flight.
    #[error("the Graph API connection failed: {0}")]
    Transport(String),
    /// A non-2xx answer without Meta's error body (a proxy's 502, a CDN's 404, an expired media URL).
    #[error("the Graph API answered HTTP {status} without an error body")]
    Http { status: u16, retry_after: Option<Duration> },
    /// A 2xx answer we cannot read: the call probably took effect.
    #[error("the Graph API answer could not be read: {0}")]
    MalformedResponse(String),
    /// A download larger than the caller allows; stopped before buffering more than `limit` bytes.
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// A media URL (or one of its redirects) outside the [`super::MediaPolicy`]: not HTTPS, not one of
    /// Meta's hosts, or resolving to a private address. Never fetched, never worth retrying.
    #[error("media download refused: {0}")]
    Refused(String),
    /// The request could not be built (a bad base URL or MIME type): a bug or bad input, never sent.
    #[error("invalid Graph API request: {0}")]
    InvalidRequest(String),
}

/// Meta's error object (`error.*`) plus what the HTTP answer said around it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiError {
    pub http_status: u16,
    /// `error.code`, e.g. 131047, 190, 100.
    pub code: i64,
    /// `error.error_subcode`, e.g. 2018278 (Messenger outside the window), 33 (unknown object).
    pub subcode: Option<i64>,
    /// `error.message`, e.g. `(#131047) Re-engagement message`.
    pub message: String,
    /// `error.error_user_title` when Meta gives one.
    pub title: Option<String>,
    /// `error.type`, e.g. `OAuthException`.
    pub kind: Option<String>,
    /// `error.error_data.details` (WhatsApp) or `error.error_user_msg`.
    pub details: Option<String>,
    pub fbtrace_id: Option<String>,
    /// `error.is_transient`, a hint Graph sets on some errors.
    pub is_transient: Option<bool>,
    /// The `Retry-After` header, when Meta sent one.
    pub retry_after: Option<Duration>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Graph API error {}", self.code)?;
        if let Some(sub) = self.subcode {
            write!(f, "/{sub}")?;
        }
        write!(f, " (HTTP {}): {}", self.http_status, self.message)?;
        if let Some(d) = self.details.as_deref().filter(|d| *d != self.message) {
            write!(f, " — {d}")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// Reads Meta's error body; `None` when `body` is not `{"error": {"code": …}}`.
    pub fn parse(http_status: u16, body: &[u8], retry_after: Option<Duration>) -> Option<Self> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let error = value.get("error")?;
        let code = int(error.get("code")?)?;
        let text = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_string);
        // `error_data` is an object on the Cloud API and a JSON string on some older Graph errors.
        let details = match error.get("error_data") {
            Some(Value::Object(data)) => data.get("details").and_then(Value::as_str).map(str::to_string),
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
        .or_else(|| text("error_user_msg"));
        Some(Self {
            http_status,
            code,
            subcode: error.get("error_subcode").and_then(int),
            message: text("message").unwrap_or_default(),
            title: text("error_user_title"),
            kind: text("type"),
            details,
            fbtrace_id: text("fbtrace_id"),
            is_transient: error.get("is_transient").and_then(Value::as_bool),
            retry_after,
        })
    }
}

/// A code as a number or a numeric string (Meta has sent both).
fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// The `Retry-After` header in seconds (the form Graph and proxies use). An HTTP-date is ignored:
/// the backoff policy applies instead.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    value.parse::<u64>().ok().map(Duration::from_secs)
}

impl From<ApiError> for GraphError {
    fn from(e: ApiError) -> Self {
        GraphError::Api(Box::new(e))
    }
}

impl GraphError {
    /// Meta's error code, when Meta gave one (what the outbox stores with a failed send).
    pub fn code(&self) -> Option<i64> {
        match self {
            GraphError::Api(e) => Some(e.code),
            _ => None,
        }
    }

    pub fn subcode(&self) -> Option<i64> {
        match self {
            GraphError::Api(e) => e.subcode,
            _ => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            GraphError::Api(e) => Some(e.http_status),
            GraphError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn api(&self) -> Option<&ApiError> {
        match self {
            GraphError::Api(e) => Some(e.as_ref()),
            _ => None,
        }
    }

    /// The `Retry-After` the answer carried.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GraphError::Api(e) => e.retry_after,
            GraphError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// From a transport failure. The URL is dropped from the message: paging URLs Meta hands out
    /// carry `access_token` in their query and must never reach a log.
    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        let e = e.without_url();
        if e.is_connect() {
            GraphError::Connect(describe(&e))
        } else if e.is_timeout() {
            GraphError::Timeout
        } else if e.is_builder() {
            GraphError::InvalidRequest(describe(&e))
        } else {
            GraphError::Transport(describe(&e))
        }
    }
}

/// The error and its causes ("error sending request: … : Connection refused"), for the logs.
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_whatsapp_error_body() {
        let body = br#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException",
            "code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
            "fbtrace_id":"AbCdEf"}}"#;
        let e = ApiError::parse(400, body, None).expect("an error body");
        assert_eq!(e.code, 131047);
        assert_eq!(e.subcode, None);
        assert_eq!(e.http_status, 400);
        assert_eq!(e.message, "(#131047) Re-engagement message");
        assert_eq!(e.kind.as_deref(), Some("OAuthException"));
        assert!(e.details.as_deref().is_some_and(|d| d.contains("24 hours")));
        assert_eq!(e.fbtrace_id.as_deref(), Some("AbCdEf"));
    }

    #[test]
    fn parses_a_messenger_error_with_subcode_and_no_error_data() {
        let body = br#"{"error":{"message":"(#10) This message is sent outside of allowed window.",
            "type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"X"}}"#;
        let e = ApiError::parse(400, body, Some(Duration::from_secs(3))).expect("an error body");
        assert_eq!((e.code, e.subcode), (10, Some(2018278)));
        assert_eq!(e.details, None);
        assert_eq!(e.retry_after, Some(Duration::from_secs(3)));
    }

    #[test]
    fn accepts_string_codes_and_string_error_data() {
        let body = br#"{"error":{"message":"m","code":"4","error_subcode":"1504022","error_data":"raw"}}"#;
        let e = ApiError::parse(400, body, None).expect("an error body");
        assert_eq!((e.code, e.subcode), (4, Some(1504022)));
        assert_eq!(e.details.as_deref(), Some("raw"));
    }

    #[test]
    fn a_body_without_error_code_is_not_meta_error() {
        assert_eq!(ApiError::parse(502, b"<html>Bad gateway</html>", None), None);
        assert_eq!(ApiError::parse(400, br#"{"error":{"message":"x"}}"#, None), None);
        assert_eq!(ApiError::parse(400, br#"{"data":[]}"#, None), None);
    }

    #[test]
    fn retry_after_in_seconds_is_read() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, "120".parse().expect("header"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
        headers.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("header"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn display_names_code_subcode_and_details() {
        let e = GraphError::from(ApiError {
            http_status: 400,
            code: 100,
            subcode: Some(33),
            message: "(#100) Invalid parameter".into(),
            details: Some("Param text['body'] is required".into()),
            ..ApiError::default()
        });
        assert_eq!(
            e.to_string(),
            "Graph API error 100/33 (HTTP 400): (#100) Invalid parameter — Param text['body'] is required"
        );
    }
}
