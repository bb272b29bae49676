//! What a message says, shared by the three products: WhatsApp message types (docs/meta.md §2, §13),
//! Messenger attachments, quick replies and postbacks (§9), Instagram shares, mentions and reels (§10).
//!
//! Anything a product marks unsupported, and any type we do not know yet, becomes
//! [`MessageContent::Unsupported`] carrying its original type name: the inbox shows a notice instead of
//! dropping it (docs/meta.md §13; docs/api.md, "Conversations and messages").

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum MessageContent {
    Text {
        body: String,
    },
    Media(Media),
    Location(Location),
    /// Contact cards. `shared_origin` is Meta's `origin` of the share: `contact_request` means the
    /// customer answered a request for *their own* number (§12); any other value, or none, is somebody
    /// else's card and must not be linked to the customer.
    Contacts {
        cards: Vec<ContactCard>,
        shared_origin: Option<String>,
    },
    /// A tap on an interactive message's button or list row, or a Flow answer (WhatsApp `interactive`).
    Interactive(InteractiveReply),
    /// A tap on a template's quick-reply button (WhatsApp `button`).
    Button {
        payload: Option<String>,
        text: Option<String>,
    },
    /// A WhatsApp cart. Kept close to Meta's shape: the inbox only displays it.
    Order {
        catalog_id: Option<String>,
        text: Option<String>,
        /// `order.product_items[]` as sent.
        product_items: Value,
    },
    /// A Messenger/Instagram button tap (`postback`).
    Postback {
        title: Option<String>,
        payload: Option<String>,
    },
    /// A Messenger/Instagram quick-reply tap: the text shown plus the payload the business attached.
    QuickReply {
        text: String,
        payload: String,
    },
    /// An Instagram attachment that points at something on Instagram (a shared post, a story mention,
    /// a reel) or a Messenger `fallback` link.
    Shared(SharedContent),
    /// A notice from WhatsApp itself (`system`).
    System {
        body: Option<String>,
        kind: SystemKind,
        new_wa_id: Option<String>,
    },
    /// Shown as "mensaje no soportado": WhatsApp `unsupported`, Instagram `is_unsupported`, every type or
    /// attachment we do not know, and known types whose object was unreadable.
    Unsupported(Unsupported),
}

/// What a medium is: the domain's kind, so what the webhook says needs no translating downstream.
pub use domain::media_rules::MediaKind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaSource {
    /// WhatsApp: fetched later through `GET /{MEDIA_ID}` (§4).
    WhatsappId { id: String, mime_type: Option<String>, sha256: Option<String> },
    /// Messenger/Instagram: a CDN link that expires, to download promptly (§9).
    Url { url: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media {
    pub kind: MediaKind,
    pub source: MediaSource,
    pub caption: Option<String>,
    pub filename: Option<String>,
    /// A recorded voice note (WhatsApp `audio.voice`).
    pub voice: bool,
    /// An animated sticker (WhatsApp `sticker.animated`).
    pub animated: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactCard {
    pub formatted_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phones: Vec<ContactPhone>,
    pub emails: Vec<String>,
    /// `org.company`.
    pub org: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactPhone {
    pub phone: Option<String>,
    /// Set when the number is on WhatsApp.
    pub wa_id: Option<String>,
    /// `type`: `CELL`, `HOME`, `WORK`, …
    pub kind: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InteractiveKind {
    ButtonReply,
    ListReply,
    /// A WhatsApp Flow's answer.
    NfmReply,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractiveReply {
    pub reply_kind: InteractiveKind,
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Flows: the text shown in the chat.
    pub body: Option<String>,
    /// Flows: the answers, a JSON document as a string.
    pub response_json: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedKind {
    /// Instagram `share`, or a Messenger `fallback` link.
    Share,
    StoryMention,
    /// `ig_reel` / `reel`.
    Reel,
    /// `ig_post`.
    Post,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedContent {
    pub kind: SharedKind,
    pub url: Option<String>,
    pub title: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SystemKind {
    UserChangedNumber,
    CustomerIdentityChanged,
    Other(String),
}

impl SystemKind {
    pub(crate) fn from_type(kind: Option<&str>) -> Self {
        match kind {
            Some("user_changed_number") => Self::UserChangedNumber,
            Some("customer_identity_changed") => Self::CustomerIdentityChanged,
            other => Self::Other(other.unwrap_or_default().to_owned()),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unsupported {
    /// The type Meta named (`unsupported`, `poll`, `call`, `attachment:ephemeral`, …).
    pub original_type: String,
    /// From the message's first `errors[]` item, when Meta sent one (e.g. 131051 "Message type unknown").
    pub code: Option<i64>,
    pub title: Option<String>,
    /// Why we could not show it: Meta's error details, or our own note for a malformed object.
    pub reason: Option<String>,
}

impl MessageContent {
    /// An unsupported notice with our own reason (no Meta error attached).
    pub(crate) fn unsupported(original_type: impl Into<String>, reason: Option<String>) -> Self {
        Self::Unsupported(Unsupported { original_type: original_type.into(), reason, ..Unsupported::default() })
    }
}
