//! What the simulator did, for tests to inspect: the messages the business sent through the Graph API
//! (with what Meta decided about each) and the webhooks the simulator delivered.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// A message accepted by a send endpoint (an answer with a message id was returned).
#[derive(Debug, Clone, Serialize)]
pub struct SentMessage {
    /// `wamid.…`, `m_…` or an Instagram mid.
    pub id: String,
    pub channel: SentChannel,
    /// The `to` (phone), the `recipient` (BSUID) or the PSID/IGSID.
    pub recipient: String,
    /// `text`, `image`, `template`, `reaction`, `interactive`, … (WhatsApp `type`); `text` or `attachment`
    /// on Messenger/Instagram.
    pub kind: String,
    /// The request body as received.
    pub body: Value,
    pub outcome: SendOutcome,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "product", rename_all = "snake_case")]
pub enum SentChannel {
    WhatsApp { phone_number_id: String },
    Messenger { page_id: String },
    Instagram { ig_id: String },
}

/// What happens to an accepted message afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SendOutcome {
    /// Reaches the customer: sent → delivered → read statuses follow (per the status policy).
    Delivered,
    /// Accepted with an id, then a `failed` status with this code (e.g. 131047 outside the window).
    Failed { code: i64 },
}

/// One webhook POST the simulator made.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookRecord {
    pub url: String,
    pub body: Value,
    /// `sha256=<hex>` as sent in `X-Hub-Signature-256`.
    pub signature: String,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why the POST failed, when it did.
    pub error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}
