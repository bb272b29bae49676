//! Bodies of the Messenger Send API and Instagram messaging (`POST /{PAGE_ID|IG_ID}/messages`,
//! docs/meta.md §9, §10): pure functions returning the exact JSON Meta documents, sent with
//! [`super::MessengerApi::send`] (messages) or [`super::MessengerApi::send_action`] (sender actions
//! and Instagram reactions).
//!
//! Every message declares how it may be sent ([`MessagingType`], from the conversation's window):
//! `RESPONSE` within 24 h of the person's last message, `MESSAGE_TAG` + `HUMAN_AGENT` up to 7 days
//! (a human agent's reply). Outside both Meta answers 10/2018278; the business cannot start a
//! conversation.

use domain::window::MessagingType;
use serde_json::{json, Value};

/// A Send API attachment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttachmentKind {
    Image,
    Video,
    Audio,
    File,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Image => "image",
            AttachmentKind::Video => "video",
            AttachmentKind::Audio => "audio",
            AttachmentKind::File => "file",
        }
    }
}

/// Where an attachment's file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentSource {
    /// A public URL Meta fetches; `is_reusable` keeps it for later sends by `attachment_id`.
    Url { url: String, is_reusable: bool },
    /// An id from [`super::MessengerApi::upload_attachment`] (or a reusable earlier send).
    Id(String),
}

/// Typing and seen indicators (`sender_action`); they carry no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderAction {
    MarkSeen,
    TypingOn,
    TypingOff,
}

impl SenderAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SenderAction::MarkSeen => "mark_seen",
            SenderAction::TypingOn => "typing_on",
            SenderAction::TypingOff => "typing_off",
        }
    }
}

/// `recipient`, `messaging_type` (+ `tag`) and `message`, with `reply_to.mid` when quoting.
fn message(recipient_id: &str, messaging_type: MessagingType, mut message: Value, reply_to: Option<&str>) -> Value {
    if let Some(mid) = reply_to {
        message["reply_to"] = json!({"mid": mid});
    }
    let mut body = json!({
        "recipient": {"id": recipient_id},
        "messaging_type": messaging_type.graph_messaging_type(),
        "message": message,
    });
    if let Some(tag) = messaging_type.graph_tag() {
        body["tag"] = json!(tag);
    }
    body
}

/// A text message (Messenger ≤ 2,000 characters, Instagram ≤ 1,000 bytes). `reply_to` quotes a
/// message (documented for Instagram; UNCONFIRMED for Messenger — retry without it if refused).
pub fn text(recipient_id: &str, text: &str, messaging_type: MessagingType, reply_to: Option<&str>) -> Value {
    message(recipient_id, messaging_type, json!({"text": text}), reply_to)
}

/// An attachment by URL or by `attachment_id`.
pub fn attachment(
    recipient_id: &str,
    kind: AttachmentKind,
    source: &AttachmentSource,
    messaging_type: MessagingType,
    reply_to: Option<&str>,
) -> Value {
    let payload = match source {
        AttachmentSource::Url { url, is_reusable } => {
            json!({"url": url, "is_reusable": is_reusable})
        }
        AttachmentSource::Id(id) => json!({"attachment_id": id}),
    };
    let content = json!({"attachment": {"type": kind.as_str(), "payload": payload}});
    message(recipient_id, messaging_type, content, reply_to)
}

/// `mark_seen`, `typing_on` or `typing_off`.
pub fn sender_action(recipient_id: &str, action: SenderAction) -> Value {
    json!({"recipient": {"id": recipient_id}, "sender_action": action.as_str()})
}

/// Instagram: reacts to a message (`reaction` is e.g. `"love"`).
pub fn react(recipient_id: &str, message_id: &str, reaction: &str) -> Value {
    json!({
        "recipient": {"id": recipient_id},
        "sender_action": "react",
        "payload": {"message_id": message_id, "reaction": reaction},
    })
}

/// Instagram: removes the business's reaction to a message.
pub fn unreact(recipient_id: &str, message_id: &str) -> Value {
    json!({
        "recipient": {"id": recipient_id},
        "sender_action": "unreact",
        "payload": {"message_id": message_id},
    })
}
