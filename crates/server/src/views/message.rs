//! A message as the API, the events socket and outgoing webhooks show it.

use domain::ids::{AttachmentId, ConversationId, MessageId, UserId};
use domain::media_rules::MediaKind;
use domain::message::{Direction, MessageStatus, Origin};
use domain::time_util::from_millis;
use serde::Serialize;
use store::{AttachmentRecord, MessageRecord};
use time::OffsetDateTime;

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: AttachmentId,
    pub kind: MediaKind,
    /// Sniffed from the bytes once fetched.
    pub mime: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub filename: Option<String>,
    /// `pending` (being fetched from Meta), `ready`, or `failed`.
    pub status: String,
    pub error: Option<String>,
    /// Where to download the bytes (only when `ready`).
    pub url: Option<String>,
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct ReplyToView {
    /// The quoted message's id in the inbox, when it is stored.
    pub id: Option<MessageId>,
    pub external_id: String,
    pub kind: Option<String>,
    pub text: Option<String>,
    pub deleted: bool,
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct ReactionView {
    /// `customer` or `business`.
    pub actor: String,
    pub emoji: String,
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct MessageErrorView {
    pub code: Option<String>,
    pub title: Option<String>,
    pub message: Option<String>,
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct SenderView {
    pub id: UserId,
    pub name: String,
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub direction: Direction,
    pub origin: Origin,
    /// `text`, `image`, `video`, `audio`, `document`, `sticker`, `location`, `contacts`, `interactive`,
    /// `button`, `template`, `unsupported` or `system`.
    pub kind: String,
    pub text: Option<String>,
    pub attachment: Option<AttachmentView>,
    /// Further attachments sent under the same message (Messenger/Instagram).
    pub attachments: Vec<AttachmentView>,
    #[schema(value_type = Option<Object>)]
    pub location: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub contacts: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub interactive: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub button: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub template: Option<serde_json::Value>,
    /// Set for kind `unsupported`: the original type and Meta's reason.
    #[schema(value_type = Option<Object>)]
    pub unsupported: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub system: Option<serde_json::Value>,
    /// Instagram shares, story mentions, reels.
    #[schema(value_type = Option<Object>)]
    pub shared: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub referral: Option<serde_json::Value>,
    pub forwarded: bool,
    pub voice: bool,
    pub reply_to: Option<ReplyToView>,
    pub reactions: Vec<ReactionView>,
    /// `pending`, `sent`, `delivered`, `read`, `played`, `failed` (outbound), `received` (inbound).
    pub status: MessageStatus,
    pub error: Option<MessageErrorView>,
    #[schema(value_type = Option<Object>)]
    pub pricing: Option<serde_json::Value>,
    pub external_id: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
    pub deleted: bool,
    pub sender: Option<SenderView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn attachment_view(a: AttachmentRecord) -> AttachmentView {
    let url = (a.status == "ready").then(|| format!("/api/v1/attachments/{}", a.id));
    AttachmentView {
        id: a.id,
        kind: a.kind,
        mime: a.mime,
        size: a.size,
        sha256: a.sha256,
        filename: a.filename,
        status: a.status,
        error: a.error,
        url,
    }
}

fn field(content: &serde_json::Value, key: &str) -> Option<serde_json::Value> {
    content.get(key).filter(|v| !v.is_null()).cloned()
}

pub fn message_view(m: MessageRecord) -> MessageView {
    let mut attachments = m.attachments.into_iter().map(attachment_view);
    let attachment = attachments.next();
    let c = &m.content;
    MessageView {
        id: m.id,
        conversation_id: m.conversation_id,
        direction: m.direction,
        origin: m.origin,
        kind: m.kind,
        text: m.text,
        attachment,
        attachments: attachments.collect(),
        location: field(c, "location"),
        contacts: field(c, "contacts"),
        interactive: field(c, "interactive"),
        button: field(c, "button"),
        template: field(c, "template"),
        unsupported: field(c, "unsupported"),
        system: field(c, "system"),
        shared: field(c, "shared"),
        referral: field(c, "referral"),
        forwarded: c.get("forwarded").and_then(|v| v.as_bool()).unwrap_or(false),
        voice: c.get("voice").and_then(|v| v.as_bool()).unwrap_or(false),
        reply_to: m.reply_to_external_id.map(|external_id| match m.reply_to {
            Some(q) => {
                ReplyToView { id: Some(q.id), external_id, kind: Some(q.kind), text: q.text, deleted: q.deleted }
            }
            None => ReplyToView { id: None, external_id, kind: None, text: None, deleted: false },
        }),
        reactions: m.reactions.into_iter().map(|(actor, emoji)| ReactionView { actor, emoji }).collect(),
        status: m.status,
        error: m.error.map(|(code, title, message)| MessageErrorView { code, title, message }),
        pricing: m.pricing,
        external_id: m.external_id,
        edited_at: m.edited_at.map(from_millis),
        deleted: m.deleted,
        sender: m.sender.map(|(id, name)| SenderView { id, name }),
        created_at: from_millis(m.sent_at),
    }
}
