//! Whether a failed Graph call is worth retrying, and how to explain it to the agent
//! (docs/meta.md §6 for WhatsApp, §9/§10 for Messenger and Instagram).
//!
//! The outbox retries only [`Retry::Transient`] failures, with backoff; a send must never go out
//! twice, so anything else ends the message `failed` with Meta's code and [`GraphError::reason`].
//!
//! | code | meaning | decision |
//! | --- | --- | --- |
//! | 131047, 131026, 131042, 131050, 131062, 132xxx, 190, 100 | window, undeliverable, payment, marketing opt-out, BSUID, template, token, parameter | permanent |
//! | 10 (with or without 2018278), 551 | Messenger/Instagram outside the window / person unavailable | permanent |
//! | 130429, 131056, 4, 80007 (and Graph's 17, 32, 613) | rate limits | transient |
//! | 1, 2, 131000 (and 131016, 131057) | Meta-side failures | transient |
//! | 131048 | spam rate limit | transient, after [`SPAM_BACKOFF`] (hours) |
//! | 131052, 131053 | media download / upload error | transient, at most one retry |
//! | other codes | | transient when HTTP 5xx or `is_transient`, else permanent |
//!
//! Transport failures (timeouts, refused connections, broken connections) and bodiless HTTP 5xx,
//! 429 and 408 answers are transient. A `Retry-After` header always sets the delay of a transient
//! failure. An unreadable 2xx answer is permanent: the call probably took effect, and retrying a
//! send could deliver it twice.

use std::time::Duration;

use super::errors::{ApiError, GraphError};

/// How long to stay away after WhatsApp's spam rate limit (131048): Meta says to back off for
/// hours and tell the admin, since the number's quality is at stake.
pub const SPAM_BACKOFF: Duration = Duration::from_secs(4 * 60 * 60);

/// What the outbox should do with a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again later.
    Transient {
        /// Wait at least this long (from `Retry-After` or the code); `None`: the outbox's backoff.
        after: Option<Duration>,
        /// Retry at most this many times whatever the outbox's policy; `None`: the outbox's cap.
        max_retries: Option<u32>,
    },
    /// Retrying cannot help: fail the send and show [`GraphError::reason`].
    Permanent,
}

impl Retry {
    const BACKOFF: Retry = Retry::Transient { after: None, max_retries: None };

    pub fn is_transient(&self) -> bool {
        matches!(self, Retry::Transient { .. })
    }

    /// Whether another attempt is allowed after `retries_done` retries, under the outbox's cap.
    pub fn allows_retry(&self, retries_done: u32, outbox_cap: u32) -> bool {
        match self {
            Retry::Transient { max_retries, .. } => {
                retries_done < max_retries.map_or(outbox_cap, |m| m.min(outbox_cap))
            }
            Retry::Permanent => false,
        }
    }

    /// A `Retry-After` header overrides the delay of a transient failure.
    fn honouring(self, retry_after: Option<Duration>) -> Retry {
        match (self, retry_after) {
            (Retry::Transient { max_retries, .. }, Some(after)) => Retry::Transient { after: Some(after), max_retries },
            (retry, _) => retry,
        }
    }
}

impl GraphError {
    /// Retry or not, following docs/meta.md §6 (see the module table).
    pub fn classify(&self) -> Retry {
        match self {
            GraphError::Api(e) => classify_api(e).honouring(e.retry_after),
            GraphError::Timeout | GraphError::Connect(_) | GraphError::Transport(_) => Retry::BACKOFF,
            GraphError::Http { status, retry_after } if *status >= 500 || *status == 429 || *status == 408 => {
                Retry::BACKOFF.honouring(*retry_after)
            }
            GraphError::Http { .. }
            | GraphError::MalformedResponse(_)
            | GraphError::TooLarge { .. }
            | GraphError::Refused(_)
            | GraphError::InvalidRequest(_) => Retry::Permanent,
        }
    }

    /// Whether a failed call may have taken effect all the same: no answer came in time, or a gateway
    /// in front of Graph gave up waiting (a bare 502 or 504, not Meta's error), or the answer could
    /// not be read. Repeating such a *send* could deliver it twice (the Cloud API and the Send API
    /// take no idempotency key); repeating a read or a media upload is harmless. A broken connection
    /// ([`GraphError::Transport`]) is not counted: it is mostly a pooled connection closed before the
    /// request left.
    pub fn may_have_taken_effect(&self) -> bool {
        matches!(
            self,
            GraphError::Timeout | GraphError::Http { status: 502 | 504, .. } | GraphError::MalformedResponse(_)
        )
    }

    /// A short English explanation for the agent (the UI may translate it by [`GraphError::code`]).
    pub fn reason(&self) -> String {
        match self {
            GraphError::Api(e) => api_reason(e),
            GraphError::Timeout => "Meta did not answer in time; the message will be retried".into(),
            GraphError::Connect(_) => "Meta could not be reached; the message will be retried".into(),
            GraphError::Transport(_) => "The connection to Meta broke; the message will be retried".into(),
            GraphError::Http { status, .. } if *status >= 500 => {
                format!("Meta had a temporary problem (HTTP {status}); the message will be retried")
            }
            GraphError::Http { status: 429, .. } => "Too many requests to Meta; the message will be retried".into(),
            GraphError::Http { status: 404, .. } => "The file is no longer available at Meta (its link expired)".into(),
            GraphError::Http { status, .. } => format!("Meta refused the request (HTTP {status})"),
            GraphError::MalformedResponse(_) => {
                "Meta's answer could not be read; check whether the message arrived before resending".into()
            }
            GraphError::TooLarge { limit } => {
                format!("The file is larger than the allowed {limit} bytes")
            }
            GraphError::InvalidRequest(detail) => format!("The request was invalid: {detail}"),
            GraphError::Refused(detail) => format!("The media link was refused: {detail}"),
        }
    }
}

impl crate::webhook::MetaError {
    /// What to tell the agent about an error Meta reported in a webhook (a `failed` status): the same
    /// explanation a send Meta refused at once gets, else Meta's details (`error.message` is only the
    /// title repeated).
    pub fn reason(&self) -> Option<String> {
        let Some(code) = self.code else {
            return self.details.clone().or_else(|| self.message.clone()).or_else(|| self.title.clone());
        };
        let message = self.message.clone().or_else(|| self.title.clone()).unwrap_or_default();
        Some(api_reason(&ApiError { code, message, details: self.details.clone(), ..ApiError::default() }))
    }
}

fn classify_api(e: &ApiError) -> Retry {
    match e.code {
        131048 => Retry::Transient { after: Some(SPAM_BACKOFF), max_retries: None },
        131052 | 131053 => Retry::Transient { after: None, max_retries: Some(1) },
        // Rate limits: WhatsApp throughput and pair limits, app and WABA limits (§6), and Graph's
        // user, Page and Send API limits that Messenger/Instagram answer with.
        130429 | 131056 | 4 | 80007 | 17 | 32 | 613 => Retry::BACKOFF,
        // Meta-side failures: unknown, service, generic, service unavailable, maintenance mode.
        1 | 2 | 131000 | 131016 | 131057 => Retry::BACKOFF,
        // 131050: the customer stopped marketing messages; retrying cannot change their mind.
        131047 | 131026 | 131042 | 131050 | 131062 | 132000..=132999 | 190 | 100 => Retry::Permanent,
        // Messenger/Instagram: outside the allowed window (10/2018278), other permission denials,
        // and "this person isn't available right now".
        10 | 551 => Retry::Permanent,
        _ if e.http_status >= 500 || e.is_transient == Some(true) => Retry::BACKOFF,
        _ => Retry::Permanent,
    }
}

/// The agent's explanation of Meta's code; Meta's own words when we have none.
fn api_reason(e: &ApiError) -> String {
    let known = match (e.code, e.subcode) {
        (131047, _) => "More than 24 hours since the customer's last message: only a template can be sent",
        (131026, _) => "Message undeliverable: the number may not be on WhatsApp, use an outdated app, or have blocked the business",
        (131050, _) => "The customer stopped marketing messages from this business: only utility and authentication templates, or replies inside the window, reach them",
        (131051, _) => "WhatsApp does not support this message type",
        (131052, _) => "WhatsApp could not download the file: check that the link works and the file is valid",
        (131053, _) => "WhatsApp could not process the file: check its type and size (voice notes must be Ogg/Opus)",
        (131042, _) => "Payment problem on the WhatsApp Business Account: an admin must fix the payment method",
        (131048, _) => "Spam rate limit hit: too many messages from this number were blocked or reported; sending paused for hours, tell an admin",
        (131056, _) => "Too many messages to this customer in a short time: it will be retried shortly",
        (130429, _) => "The number's message throughput limit was reached: it will be retried shortly",
        (131062, _) => "This message cannot be sent to a customer known only by username (BSUID recipients are not supported for this template): it needs their phone number",
        (132000, _) => "The template's parameter count does not match the template",
        (132001, _) => "The template does not exist in this language (or is not approved)",
        (132005, _) => "The template's text is too long once the parameters are filled in",
        (132007, _) => "The template's content violates WhatsApp's policy",
        (132012, _) => "A template parameter has the wrong format (e.g. the header media type)",
        (132015, _) => "The template is paused because of low quality",
        (132016, _) => "The template is disabled",
        (190, _) => "The channel's access token expired or is invalid: an admin must reconnect the channel",
        (4, _) => "The app's rate limit at Meta was reached: it will be retried later",
        (80007, _) => "The WhatsApp Business Account's rate limit was reached: it will be retried later",
        (17 | 32 | 613, _) => "Meta's rate limit for this account was reached: it will be retried later",
        (1 | 2 | 131000 | 131016, _) => "Meta had a temporary problem: it will be retried",
        (131057, _) => "The WhatsApp Business Account is in maintenance mode: it will be retried",
        (10, Some(2018278)) => "The reply window has closed (24 hours, or 7 days for a human agent reply): Messenger and Instagram no longer allow a message to this person",
        (10, _) => "Meta denied permission for this action: check the channel's permissions",
        (551, _) => "This person isn't available right now",
        (100, _) => {
            return match e.details.as_deref().filter(|d| !d.is_empty()) {
                Some(details) => format!("Meta refused a parameter of the message: {details}"),
                None => format!("Meta refused a parameter of the message: {}", e.message),
            }
        }
        _ => {
            return [e.details.as_deref(), Some(e.message.as_str())]
                .into_iter()
                .flatten()
                .find(|s| !s.trim().is_empty())
                .map_or_else(|| format!("Meta refused the request (error {})", e.code), str::to_string)
        }
    };
    known.to_string()
}
