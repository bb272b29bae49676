//! Graph API error answers, byte for byte in Meta's shape:
//! `{"error":{"message","type","code","error_data":{"messaging_product","details"},"error_subcode","fbtrace_id"}}`.
//! WhatsApp errors carry `error_data`; Messenger/Instagram errors do not. `error_subcode` appears only when
//! Meta sets one. Titles follow Meta's error-code reference (docs/meta.md §6, §9).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::ids;

/// Which product's error dialect to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Product {
    WhatsApp,
    Messenger,
    /// Plain Graph errors (routing, tokens) with no `error_data`.
    Graph,
}

#[derive(Debug, Clone)]
pub(crate) struct GraphError {
    pub status: StatusCode,
    pub message: String,
    pub kind: &'static str,
    pub code: i64,
    pub subcode: Option<i64>,
    pub details: Option<String>,
    pub product: Product,
    /// Answered by a gateway in front of Graph: a bare status with a plain-text body, no Meta error.
    pub gateway: bool,
}

pub(crate) type GraphResult<T> = Result<T, GraphError>;

impl GraphError {
    fn new(product: Product, code: i64, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "OAuthException",
            code,
            subcode: None,
            details: None,
            product,
            gateway: false,
        }
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn with_subcode(mut self, subcode: i64) -> Self {
        self.subcode = Some(subcode);
        self
    }

    /// A bad, expired or missing access token.
    pub fn invalid_token(product: Product) -> Self {
        Self::new(product, 190, "Invalid OAuth access token - Cannot parse access token")
            .with_status(StatusCode::UNAUTHORIZED)
    }

    /// A token Meta revoked (the user changed their password, removed the app, or the system user's
    /// token was regenerated).
    pub fn token_revoked() -> Self {
        Self::new(
            Product::Graph,
            190,
            "Error validating access token: The session has been invalidated because the user changed their \
             password or Facebook has changed the session for security reasons.",
        )
        .with_subcode(460)
        .with_status(StatusCode::UNAUTHORIZED)
    }

    /// An id the token cannot reach, or an edge the object does not have.
    pub fn unsupported(method: &str, id: &str) -> Self {
        let mut e = Self::new(
            Product::Graph,
            100,
            format!(
                "Unsupported {} request. Object with ID '{id}' does not exist, cannot be loaded due to missing \
                 permissions, or does not support this operation. Please read the Graph API documentation at \
                 https://developers.facebook.com/docs/graph-api",
                method.to_ascii_lowercase()
            ),
        )
        .with_subcode(33);
        e.kind = "GraphMethodException";
        e
    }

    pub fn unknown_path(path: &str) -> Self {
        Self::new(Product::Graph, 2500, format!("Unknown path components: {path}"))
    }

    /// WhatsApp `(#100) Invalid parameter` with a detail, the most common Cloud API refusal.
    pub fn wa_invalid(details: impl Into<String>) -> Self {
        Self::whatsapp(100, "Invalid parameter").with_details(details)
    }

    pub fn wa_required(param: &str) -> Self {
        Self::new(Product::WhatsApp, 100, format!("(#100) The parameter {param} is required."))
            .with_details(format!("The parameter {param} is required."))
    }

    /// A WhatsApp error with its catalogue title: `(#code) Title`.
    pub fn whatsapp(code: i64, title: &str) -> Self {
        Self::new(Product::WhatsApp, code, format!("(#{code}) {title}"))
    }

    /// Any WhatsApp code, titled from the catalogue (used by fault injection).
    pub fn whatsapp_code(code: i64) -> Self {
        Self::whatsapp(code, whatsapp_title(code))
    }

    /// Messenger/Instagram `(#code) message`.
    pub fn messenger(code: i64, message: &str) -> Self {
        Self::new(Product::Messenger, code, format!("(#{code}) {message}"))
    }

    pub fn messenger_code(code: i64) -> Self {
        Self::messenger(code, messenger_title(code))
    }

    /// Meta's transient failure for the product (HTTP 500).
    pub fn transient(product: Product) -> Self {
        match product {
            Product::WhatsApp => Self::whatsapp(131000, "Something went wrong")
                .with_details("Something went wrong. Please retry later.")
                .with_status(StatusCode::INTERNAL_SERVER_ERROR),
            _ => Self::new(product, 2, "An unexpected error has occurred. Please retry your request later.")
                .with_status(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// A gateway gave up waiting for Graph: a bare HTTP 504 whose body is no Meta error, so the caller
    /// cannot tell whether the call took effect.
    pub fn gateway_timeout(product: Product) -> Self {
        let mut e = Self::transient(product).with_status(StatusCode::GATEWAY_TIMEOUT);
        e.gateway = true;
        e
    }

    /// Meta's throughput limit for the product.
    pub fn rate_limited(product: Product) -> Self {
        match product {
            Product::WhatsApp => {
                Self::whatsapp(130429, "Rate limit hit").with_details("Cloud API message throughput has been reached.")
            }
            _ => Self::messenger(613, "Calls to this api have exceeded the rate limit."),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut error = Map::new();
        error.insert("message".into(), json!(self.message));
        error.insert("type".into(), json!(self.kind));
        error.insert("code".into(), json!(self.code));
        if self.product == Product::WhatsApp {
            let details = self.details.clone().unwrap_or_else(|| self.message.clone());
            error.insert("error_data".into(), json!({"messaging_product": "whatsapp", "details": details}));
        }
        if let Some(sub) = self.subcode {
            error.insert("error_subcode".into(), json!(sub));
        }
        error.insert("fbtrace_id".into(), json!(ids::fbtrace_id()));
        json!({ "error": error })
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        if self.gateway {
            return (self.status, "upstream request timeout").into_response();
        }
        let mut response = (self.status, axum::Json(self.to_json())).into_response();
        if self.code == 190 {
            // Graph answers bad tokens with a WWW-Authenticate challenge too.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static(
                    "OAuth \"Facebook Platform\" \"invalid_token\" \"Invalid OAuth access token\"",
                ),
            );
        }
        response
    }
}

/// Titles of the WhatsApp Cloud API error codes an inbox meets (docs/meta.md §6).
pub fn whatsapp_title(code: i64) -> &'static str {
    match code {
        0 => "AuthException",
        1 => "API Unknown",
        2 => "API Service",
        3 => "API Method",
        4 => "Too many calls",
        10 => "Permission Denied",
        100 => "Invalid parameter",
        190 => "Access token has expired",
        200..=299 => "API Permission",
        80007 => "Rate limit issues",
        130429 => "Rate limit hit",
        130472 => "User's number is part of an experiment",
        131000 => "Something went wrong",
        131005 => "Access denied",
        131008 => "Required parameter is missing",
        131009 => "Parameter value is not valid",
        131016 => "Service unavailable",
        131021 => "Recipient cannot be sender",
        131026 => "Message undeliverable",
        131031 => "Business Account locked",
        131042 => "Business eligibility payment issue",
        131045 => "Incorrect certificate",
        131047 => "Re-engagement message",
        131048 => "Spam rate limit hit",
        131049 => "Meta chose not to deliver",
        131050 => "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
        131051 => "Message type unknown",
        131052 => "Media download error",
        131053 => "Media upload error",
        131056 => "(Business Account, Consumer Account) pair rate limit hit",
        131057 => "Account in maintenance mode",
        131062 => "Business-scoped user ID recipients are not supported for this message",
        132000 => "Number of parameters does not match the expected number of params",
        132001 => "Template name does not exist in the translation",
        132005 => "Translated text too long",
        132007 => "Template Format Character Policy Violated",
        132012 => "Parameter format does not match format in the created template",
        132015 => "Template is Paused",
        132016 => "Template is Disabled",
        132018 => "There was an issue with the parameters in your template.",
        133010 => "Phone number Not Registered",
        _ => "Unknown error",
    }
}

/// Messages of the Messenger Platform error codes an inbox meets.
pub fn messenger_title(code: i64) -> &'static str {
    match code {
        1 => "An unknown error occurred",
        2 => "An unexpected error has occurred. Please retry your request later.",
        4 => "Application request limit reached",
        10 => "This message is sent outside of allowed window.",
        100 => "Invalid parameter",
        190 => "Invalid OAuth 2.0 Access Token",
        200 => "Permissions error",
        230 => "Requires pages_messaging_phone_number permission to manage the object",
        551 => "This person isn't available right now.",
        613 => "Calls to this api have exceeded the rate limit.",
        _ => "Unknown error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatsapp_errors_carry_error_data_and_messenger_errors_do_not() {
        let wa = GraphError::wa_invalid("x").to_json();
        assert_eq!(wa["error"]["code"], 100);
        assert_eq!(wa["error"]["error_data"]["messaging_product"], "whatsapp");
        assert_eq!(wa["error"]["error_data"]["details"], "x");
        assert!(wa["error"].get("error_subcode").is_none());
        assert!(wa["error"]["fbtrace_id"].is_string());
        let fb = GraphError::messenger_code(10).with_subcode(2018278).to_json();
        assert!(fb["error"].get("error_data").is_none());
        assert_eq!(fb["error"]["error_subcode"], 2018278);
    }
}
