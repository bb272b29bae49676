//! A conversation as the API, the events socket and outgoing webhooks show it: its window computed
//! at the moment it is shown.

use super::label::LabelView;
use domain::channel::ChannelKind;
use domain::ids::{ChannelId, ContactId, ConversationId, HandleId, MessageId, UserId};
use domain::message::{Direction, MessageStatus};
use domain::time_util::from_millis;
use domain::window::Window;
use serde::Serialize;
use store::ConversationRecord;
use time::OffsetDateTime;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChannelRef {
    pub id: ChannelId,
    pub kind: ChannelKind,
    pub name: String,
}

/// Who the customer is on the channel. On WhatsApp `external_id` is the phone (`wa_id`) when known,
/// else the business-scoped user id (BSUID); on Messenger/Instagram the page-scoped id.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandleView {
    pub id: HandleId,
    pub external_id: String,
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub parent_user_id: Option<String>,
    pub username: Option<String>,
    pub profile_name: Option<String>,
    /// The name the business saved for this number in the WhatsApp Business App.
    pub saved_name: Option<String>,
    /// Set when the customer stopped marketing messages on this number (WhatsApp `user_preferences`, or
    /// a marketing template Meta refused with 131050): marketing templates are then refused up front.
    pub marketing_opt_out: Option<MarketingOptOut>,
}

/// A customer who refuses marketing templates, and since when.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct MarketingOptOut {
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

impl MarketingOptOut {
    pub fn from_millis(at: Option<i64>) -> Option<Self> {
        at.map(|ms| MarketingOptOut { since: from_millis(ms) })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactRef {
    pub id: ContactId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_primary: Option<String>,
    pub phone_alternate: Option<String>,
    pub phone_whatsapp: Option<String>,
    pub whatsapp_user_id: Option<String>,
    pub whatsapp_username: Option<String>,
    /// Set when the customer stopped marketing messages (on any of the business's WhatsApp numbers).
    pub marketing_opt_out: Option<MarketingOptOut>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserRef {
    pub id: UserId,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LastMessageView {
    pub id: MessageId,
    pub direction: Direction,
    pub kind: String,
    pub text: Option<String>,
    pub status: MessageStatus,
    pub deleted: bool,
    /// For a notice of the inbox (kind `system`): what happened, as in the message's `system`.
    #[schema(value_type = Option<Object>)]
    pub system: Option<serde_json::Value>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    pub id: ConversationId,
    pub channel: ChannelRef,
    pub handle: HandleView,
    pub contact: Option<ContactRef>,
    pub assignee: Option<UserRef>,
    /// `open` or `resolved`.
    pub status: String,
    pub unread_count: i64,
    pub last_message: Option<LastMessageView>,
    /// Its labels, by name.
    pub labels: Vec<LabelView>,
    pub window: Window,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

pub fn conversation_view(r: ConversationRecord, now: OffsetDateTime) -> ConversationView {
    let h = r.handle;
    let external_id = h.wa_id.clone().or_else(|| h.bsuid.clone()).or_else(|| h.scoped_id.clone()).unwrap_or_default();
    ConversationView {
        id: r.id,
        window: Window::compute(r.channel_kind, r.last_inbound_at.map(from_millis), now),
        channel: ChannelRef { id: r.channel_id, kind: r.channel_kind, name: r.channel_name },
        handle: HandleView {
            id: h.id,
            external_id,
            wa_id: h.wa_id,
            user_id: h.bsuid,
            parent_user_id: h.parent_bsuid,
            username: h.username,
            profile_name: h.profile_name,
            saved_name: h.saved_name,
            marketing_opt_out: MarketingOptOut::from_millis(h.marketing_opt_out_at),
        },
        contact: r.contact.map(|c| ContactRef {
            id: c.id,
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            phone_primary: c.phone_primary,
            phone_alternate: c.phone_alternate,
            phone_whatsapp: c.phone_whatsapp,
            whatsapp_user_id: c.whatsapp_user_id,
            whatsapp_username: c.whatsapp_username,
            marketing_opt_out: MarketingOptOut::from_millis(c.marketing_opt_out_at),
        }),
        assignee: r.assignee.map(|(id, name)| UserRef { id, name }),
        status: r.status.as_str().to_string(),
        unread_count: r.unread_count,
        last_message: r.last_message.map(|m| LastMessageView {
            id: m.id,
            direction: m.direction,
            kind: m.kind,
            text: m.text,
            status: m.status,
            deleted: m.deleted,
            system: m.system,
            created_at: from_millis(m.sent_at),
        }),
        labels: r.labels.into_iter().map(LabelView::from).collect(),
        created_at: from_millis(r.created_at),
        updated_at: from_millis(r.updated_at),
    }
}

/// A conversation changing hands, as the `conversation.assigned` event carries it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AssignmentChange {
    pub assignee: Option<UserRef>,
    pub previous: Option<UserRef>,
    /// Who changed it; `null` for the automatic assignment (round-robin).
    pub by: Option<UserRef>,
    pub auto: bool,
    /// The conversation as it now is.
    pub conversation: ConversationView,
}
