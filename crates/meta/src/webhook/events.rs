//! The typed events a webhook delivery is flattened into: what the server stores and applies.
//!
//! One Meta `POST` batches entries, changes and items (docs/meta.md §1); the parser turns each item into
//! one [`Event`], in document order. Every event says which channel it belongs to ([`RoutingKey`]) and keeps
//! the raw JSON of the item it came from, so the server can store what Meta sent even when we understood
//! only part of it ("unknown types kept, never dropped").

use super::content::MessageContent;
use domain::message::MessageStatus;
use serde_json::Value;
use time::OffsetDateTime;

/// The Meta product a delivery is about, from its top-level `object`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// `whatsapp_business_account`: Cloud API and coexistence numbers (§2, §8).
    WhatsApp,
    /// `page`: Messenger (§9).
    Page,
    /// `instagram`: Instagram Messaging (§10).
    Instagram,
    /// Anything else: acknowledged, logged, no events.
    Unknown(String),
}

impl ObjectKind {
    pub(crate) fn from_object(object: &str) -> Self {
        match object {
            "whatsapp_business_account" => Self::WhatsApp,
            "page" => Self::Page,
            "instagram" => Self::Instagram,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// What a [`RoutingKey`]'s id names, so a WhatsApp phone number id is never looked up as a Page id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoutingKind {
    /// `value.metadata.phone_number_id`: one WhatsApp channel (Cloud API or coexistence).
    WhatsAppPhoneNumber,
    /// `entry[].id` of a WhatsApp delivery: the WhatsApp Business Account. Only account-wide events
    /// (template status updates) are routed this way; they concern every channel of that WABA.
    WhatsAppBusinessAccount,
    /// `entry[].id` of a `page` delivery: a Messenger channel.
    Page,
    /// `entry[].id` of an `instagram` delivery: an Instagram channel.
    Instagram,
}

/// Which channel an event belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoutingKey {
    pub kind: RoutingKind,
    pub id: String,
}

/// One flattened webhook item.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub routing: RoutingKey,
    /// The JSON of the item this event came from (a message, a status, a `messaging[]` element, …).
    pub raw: Value,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// A message from the customer, or an echo of what the business sent from another app
    /// ([`Origin::BusinessApp`]). Unknown and unsupported types arrive here with
    /// [`MessageContent::Unsupported`]: they are shown as a notice, never dropped.
    Message(InboundMessage),
    /// A message imported from the phone's past chats (coexistence `history`, §8). Old: it must not open
    /// a window, reopen a conversation or count as unread.
    History(HistoryMessage),
    Status(Status),
    Reaction(Reaction),
    Edit(Edit),
    Revoke(Revoke),
    ReadWatermark(ReadWatermark),
    DeliveryWatermark(DeliveryWatermark),
    ContactSync(ContactSync),
    TemplateStatus(TemplateStatus),
    /// WhatsApp `user_preferences`: the customer stopped or resumed marketing messages.
    MarketingPreference(MarketingPreference),
    /// WhatsApp or Messenger `calls`: a call started (`connect`) or ended (`terminate`).
    Call(Call),
    /// Acknowledged and stored raw, but nothing to apply.
    Ignored(Ignored),
}

impl EventKind {
    pub(crate) fn ignored(reason: IgnoreReason) -> Self {
        Self::Ignored(Ignored { reason })
    }

    pub(crate) fn malformed(what: impl Into<String>) -> Self {
        Self::ignored(IgnoreReason::Malformed(what.into()))
    }
}

/// Who the customer is. `external_id` is always set and is the conversation handle's key: on WhatsApp the
/// `wa_id` when known, else the BSUID (docs/meta.md §12); on Messenger/Instagram the PSID/IGSID.
/// The other fields are each filled only from what Meta sent: a phone is never derived from a BSUID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerRef {
    pub external_id: String,
    /// WhatsApp phone id (digits, no `+`), exactly as Meta sent it.
    pub wa_id: Option<String>,
    /// WhatsApp business-scoped user id, e.g. `US.13491208655302741918`.
    pub user_id: Option<String>,
    /// Portfolio-wide parent BSUID, e.g. `US.ENT.11815799212886844830`.
    pub parent_user_id: Option<String>,
    pub username: Option<String>,
    pub profile_name: Option<String>,
}

impl CustomerRef {
    /// A Messenger PSID or an Instagram IGSID.
    pub fn scoped(id: impl Into<String>) -> Self {
        Self { external_id: id.into(), ..Self::default() }
    }
}

/// Who produced a message: the domain's [`Origin`], of which Meta's webhooks tell two —
/// [`Origin::Customer`] and [`Origin::BusinessApp`] (an echo of what the business sent elsewhere).
pub use domain::message::Origin;

#[derive(Clone, Debug, PartialEq)]
pub struct InboundMessage {
    /// `wamid.…` on WhatsApp, `mid` on Messenger/Instagram: the idempotency key.
    pub external_id: String,
    pub customer: CustomerRef,
    pub timestamp: OffsetDateTime,
    pub content: MessageContent,
    /// Messenger/Instagram may put several attachments under one `mid`; WhatsApp never does. The first is
    /// `content`, the others follow here in order.
    pub additional: Vec<MessageContent>,
    /// The quoted message: WhatsApp `context.id`, Messenger/Instagram `reply_to.mid`. It may name a
    /// message we never stored.
    pub reply_to: Option<String>,
    pub reply_to_story: Option<StoryRef>,
    pub forwarded: bool,
    pub frequently_forwarded: bool,
    pub referral: Option<Referral>,
    pub origin: Origin,
    /// Messenger/Instagram echoes name the app that sent them (`app_id`).
    pub app_id: Option<String>,
}

/// An Instagram story the customer answered (`reply_to.story`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoryRef {
    pub id: Option<String>,
    pub url: Option<String>,
}

/// Where the customer came from: a click-to-WhatsApp ad (`referral`, §2) or a Messenger/Instagram ad or
/// `m.me` link (`message.referral`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Referral {
    pub source_url: Option<String>,
    pub source_type: Option<String>,
    pub source_id: Option<String>,
    pub headline: Option<String>,
    pub body: Option<String>,
    pub media_type: Option<String>,
    pub ctwa_clid: Option<String>,
    /// Messenger's `ref` parameter of an `m.me` link.
    pub ref_param: Option<String>,
}

/// One message of the coexistence history import (§8).
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryMessage {
    /// `origin` tells the direction: [`Origin::BusinessApp`] when `from` is the business number.
    pub message: InboundMessage,
    /// `threads[].id`: the customer this chat was with.
    pub thread_id: String,
    /// `history_context.status` (e.g. `read`, `delivered`, `played`).
    pub status: Option<String>,
    pub phase: Option<i64>,
    pub chunk_order: Option<i64>,
    pub progress: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeliveryState {
    Sent,
    Delivered,
    Read,
    /// A voice message was played (since 2026-03-17).
    Played,
    Failed,
}

impl DeliveryState {
    /// The message status this delivery report moves a message to.
    pub fn status(self) -> MessageStatus {
        match self {
            DeliveryState::Sent => MessageStatus::Sent,
            DeliveryState::Delivered => MessageStatus::Delivered,
            DeliveryState::Read => MessageStatus::Read,
            DeliveryState::Played => MessageStatus::Played,
            DeliveryState::Failed => MessageStatus::Failed,
        }
    }
}

/// A WhatsApp `statuses[]` item (§3): what happened to a message the business sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub message_external_id: String,
    pub status: DeliveryState,
    pub timestamp: OffsetDateTime,
    /// From `recipient_id` and/or `recipient_user_id`; `None` when Meta named neither.
    pub recipient: Option<CustomerRef>,
    pub errors: Vec<MetaError>,
    pub pricing: Option<Pricing>,
}

/// Per-message pricing of a status (§3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pricing {
    /// Being deprecated by Meta in favour of `kind` + `category`.
    pub billable: Option<bool>,
    pub pricing_model: Option<String>,
    pub category: Option<String>,
    /// `pricing.type`: `regular`, `free_customer_service`, `free_entry_point`.
    pub kind: Option<String>,
}

/// An error Meta attached to a message, a status or a history chunk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetaError {
    pub code: Option<i64>,
    pub title: Option<String>,
    pub message: Option<String>,
    /// `error_data.details`.
    pub details: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    /// The reaction's own id when it has one (WhatsApp sends reactions as messages with a wamid).
    pub external_id: Option<String>,
    pub target_external_id: String,
    /// `None` means the reaction was removed (WhatsApp `""` or absent, Messenger `unreact`).
    pub emoji: Option<String>,
    pub customer: CustomerRef,
    pub timestamp: OffsetDateTime,
    pub origin: Origin,
}

/// The sender changed a message they sent (WhatsApp `edit`, §13; Messenger `message_edit`).
#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    pub external_id: Option<String>,
    pub original_external_id: String,
    pub new_content: MessageContent,
    pub customer: CustomerRef,
    pub timestamp: OffsetDateTime,
    pub origin: Origin,
}

/// The sender deleted a message for everyone (WhatsApp `revoke`, §13; Instagram `is_deleted`).
#[derive(Clone, Debug, PartialEq)]
pub struct Revoke {
    pub external_id: Option<String>,
    pub original_external_id: String,
    pub customer: CustomerRef,
    pub timestamp: OffsetDateTime,
    pub origin: Origin,
}

/// Messenger/Instagram `read`: the customer has read everything the business sent up to `watermark`
/// (Messenger) or up to the message `mid` (Instagram).
#[derive(Clone, Debug, PartialEq)]
pub struct ReadWatermark {
    pub customer: CustomerRef,
    pub watermark: Option<OffsetDateTime>,
    pub mid: Option<String>,
}

/// Messenger `delivery`: these messages (and everything before `watermark`) reached the customer.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryWatermark {
    pub customer: CustomerRef,
    pub mids: Vec<String>,
    pub watermark: Option<OffsetDateTime>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncAction {
    Add,
    Remove,
    Other(String),
}

/// A contact of the coexistence phone's address book (`smb_app_state_sync`, §8).
#[derive(Clone, Debug, PartialEq)]
pub struct ContactSync {
    pub phone_number: Option<String>,
    pub full_name: Option<String>,
    pub first_name: Option<String>,
    pub action: SyncAction,
    pub timestamp: Option<OffsetDateTime>,
}

/// `message_template_status_update`: a template was approved, rejected, paused, …
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateStatus {
    pub template_id: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    /// `event`: `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, …
    pub status: String,
    pub reason: Option<String>,
}

/// What the customer chose for marketing messages from this business.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarketingChoice {
    /// `stop`: marketing templates to this customer fail with 131050 from now on.
    Stop,
    /// `resume`: they are accepted again.
    Resume,
}

/// One `user_preferences[]` item of category `marketing_messages`
/// (<https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences>).
#[derive(Clone, Debug, PartialEq)]
pub struct MarketingPreference {
    pub customer: CustomerRef,
    pub choice: MarketingChoice,
    /// Meta's sentence, e.g. "User requested to stop marketing messages".
    pub detail: Option<String>,
    /// When Meta recorded the choice (Unix seconds on the wire).
    pub timestamp: OffsetDateTime,
}

/// Which step of a call a `calls[]` item reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallEvent {
    /// The call started ringing (user-initiated) or was answered (business-initiated).
    Connect,
    /// The call ended; carries the outcome and, when it was answered, the duration.
    Terminate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallDirection {
    /// The customer called the business.
    UserInitiated,
    /// The business called the customer (from another tool: this product places no calls).
    BusinessInitiated,
}

/// One `calls[]` item: WhatsApp `changes[].value.calls[]` or Messenger `entry[].calls[]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// `wacid.…` on WhatsApp, the call id on Messenger: the same for every event of one call.
    pub call_id: String,
    pub customer: CustomerRef,
    pub event: CallEvent,
    pub direction: CallDirection,
    pub timestamp: OffsetDateTime,
    /// Terminate only: Meta's `status` as sent (`COMPLETED`, `FAILED`, …).
    pub status: Option<String>,
    pub started_at: Option<OffsetDateTime>,
    pub ended_at: Option<OffsetDateTime>,
    pub duration_seconds: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ignored {
    pub reason: IgnoreReason,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IgnoreReason {
    /// Group chats are out of scope (§13).
    Group,
    /// A WhatsApp `changes[].field` (or Messenger/Instagram `changes[]`) we do not handle.
    UnhandledField(String),
    /// A `messaging[]` event of a kind we do not handle (optin, standalone referral, …): its keys.
    UnhandledEvent(String),
    /// A status value we do not know (`deleted`, `warning`, future ones).
    UnknownStatus(String),
    /// The business declined to share its history, or a chunk failed (§8).
    HistoryError(Vec<MetaError>),
    /// Webhook-level `value.errors[]` with nothing else to apply.
    Errors(Vec<MetaError>),
    /// A change that carried no item we could recognise.
    Empty,
    /// The item did not have the shape its kind requires (e.g. a message without an id).
    Malformed(String),
}
