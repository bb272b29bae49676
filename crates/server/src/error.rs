//! The one error type of the HTTP layer and its mapping to `{"error": {"code", "message"}}`.
//! Internal failures are logged with their cause and answered with a generic message.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::account::PlanRefusal;
use domain::contact_fields::FieldProblem;
use serde::Serialize;
use store::StoreError;

pub type ApiResult<T, E = ApiError> = Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    PlanRequired(#[from] PlanRefusal),
    /// A cookie-carrying write another site made the browser send (see `auth::csrf`).
    #[error("this request came from another site; reload the inbox and try again")]
    CrossSite,
    #[error("not found")]
    NotFound,
    /// The request is well-formed but breaks a rule (a refused send, an invalid value).
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    /// A rule is broken in several places at once: each field (custom contact values, a field
    /// definition) or each row of a CSV import is named with its own code.
    #[error("{message}")]
    Invalid { code: &'static str, message: String, fields: Vec<FieldProblem>, rows: Vec<RowProblem> },
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// `details`: what a client needs to resolve it (e.g. how many users still have a role).
    #[error("{message}")]
    Conflict { code: &'static str, message: String, details: Option<serde_json::Value> },
    #[error("{message}")]
    UnsupportedMediaType { code: &'static str, message: String },
    #[error("{message}")]
    PayloadTooLarge { code: &'static str, message: String },
    /// Meta (or another upstream) refused or failed a call made on the user's behalf.
    #[error("{message}")]
    BadGateway { code: &'static str, message: String },
    #[error("the service is temporarily unavailable")]
    Unavailable,
    /// The request was not answered within the request timeout (`limits::timeout`).
    #[error("the request took too long; try again")]
    TimedOut,
    /// Too many requests in flight (`limits::limit_concurrency`).
    #[error("the server is busy; try again shortly")]
    Overloaded,
    /// Too many attempts (logins): try again after this many seconds.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable reason (`plan_required`, `window_closed`, …).
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// Machine-readable facts about some errors (e.g. `{"users": 3}` for `role_in_use`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
    /// Each field that broke a rule (custom contact values), when the request named fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
    /// Each problem of a CSV import that was refused, by row.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<RowProblem>,
}

/// A problem with one row (and column) of an imported CSV file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// The row as a spreadsheet numbers it: 1 is the header, 2 the first contact.
    pub row: u64,
    /// The column's header; `null` for a problem with the whole row.
    pub column: Option<String>,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unprocessable { code, message: message.into() }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into(), details: None }
    }

    pub fn conflict_with(code: &'static str, message: impl Into<String>, details: serde_json::Value) -> Self {
        Self::Conflict { code, message: message.into(), details: Some(details) }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::PlanRequired(_) => (StatusCode::FORBIDDEN, "plan_required"),
            ApiError::CrossSite => (StatusCode::FORBIDDEN, "cross_site_request"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            ApiError::UnsupportedMediaType { code, .. } => (StatusCode::UNSUPPORTED_MEDIA_TYPE, code),
            ApiError::PayloadTooLarge { code, .. } => (StatusCode::PAYLOAD_TOO_LARGE, code),
            ApiError::BadGateway { code, .. } => (StatusCode::BAD_GATEWAY, code),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::TimedOut => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            ApiError::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "an internal error occurred; it has been logged".to_string()
            }
            ApiError::Unavailable => {
                tracing::warn!("answering 503: store unavailable");
                self.to_string()
            }
            other => other.to_string(),
        };
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            ApiError::Unavailable | ApiError::TimedOut | ApiError::Overloaded => Some(1),
            _ => None,
        };
        let details = match &self {
            ApiError::Conflict { details, .. } => details.clone(),
            _ => None,
        };
        let (fields, rows) = match self {
            ApiError::Invalid { fields, rows, .. } => (fields, rows),
            _ => (vec![], vec![]),
        };
        let body = ErrorBody { error: ErrorDetail { code: code.to_string(), message, details, fields, rows } };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            e if e.is_unavailable() => ApiError::Unavailable,
            StoreError::Conflict(c) => ApiError::Internal(anyhow::anyhow!("unhandled conflict on {c}")),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => ApiError::unprocessable("invalid_request", e.body_text()),
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType {
                code: "unsupported_media_type",
                message: "expected Content-Type: application/json".into(),
            },
            // A body without a length cut at the limit while streaming (`RequestBodyLimitLayer`).
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge { code: "body_too_large", message: other.body_text() }
            }
            other => ApiError::bad_request("invalid_json", other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", r.body_text())
    }
}
