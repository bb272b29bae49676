//! Scheduled sends ("Enviar más tarde"): a text, a file or a template kept until its time, then sent
//! by [`worker`] through the very path an agent's send takes (`outbound::compose::send`, as its
//! author), so every send rule — the window, the plan, the channel, the author's rights — is checked
//! again at that moment by the code that checks every other send.
//!
//! At creation only what can never succeed is refused: a time in the past or more than 30 days
//! ahead, content the channel does not take, and a free-form message to a conversation whose window
//! is closed *now* (WhatsApp 24 h; Messenger/Instagram 7 days with the human-agent tag) — a closed
//! window does not reopen by itself, only when the customer writes, so such a schedule would fail
//! unless something outside the business's control happened; a template is the way there. A
//! free-form message whose window is open now but closes before its time *is* accepted: the
//! customer may write again meanwhile. If they do not, it ends `failed` with `window_closed` and its
//! author is told.

pub mod worker;

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::outbound::compose::{self, SendRequest, TemplateRecipient, TemplateRef};
use crate::realtime::publish::Change;
use crate::realtime::{Event, Payload};
use crate::state::AppState;
use crate::views::conversation::UserRef;
use domain::ids::{ConversationId, MessageId, ScheduledId, UploadId};
use domain::permissions::{Action, ConversationScope};
use domain::scheduled::{check_send_at, ScheduledStatus};
use domain::template::{HeaderParameter, MediaSource, TemplateParameters};
use domain::time_util::{from_millis, to_millis};
use domain::window::{check_send, SendKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{ConversationRecord, NewScheduled, ScheduledRecord};
use time::OffsetDateTime;

/// What a scheduled send sends: the kinds of `POST …/messages` that make sense later.
#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ScheduledContent {
    /// Free-form text; `{{contact.first_name}}`-style placeholders are rendered when it is sent.
    Text { text: String },
    /// A file from `POST /api/v1/uploads` (kept while the schedule waits).
    Attachment {
        upload_id: UploadId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    /// WhatsApp: an approved template with its parameters (sendable outside the window).
    Template {
        template: ScheduledTemplate,
        #[serde(default)]
        parameters: TemplateParameters,
    },
}

#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone, Debug, PartialEq)]
pub struct ScheduledTemplate {
    pub name: String,
    /// Meta's language code, e.g. `es_MX`.
    pub language: String,
}

impl ScheduledContent {
    fn kind(&self) -> &'static str {
        match self {
            ScheduledContent::Text { .. } => "text",
            ScheduledContent::Attachment { .. } => "attachment",
            ScheduledContent::Template { .. } => "template",
        }
    }

    fn send_kind(&self) -> SendKind {
        match self {
            ScheduledContent::Template { .. } => SendKind::Template,
            _ => SendKind::FreeForm,
        }
    }

    /// The inbox upload the send will use, which retention must keep until then.
    fn upload(&self) -> Option<UploadId> {
        match self {
            ScheduledContent::Attachment { upload_id, .. } => Some(*upload_id),
            ScheduledContent::Template { parameters, .. } => match &parameters.header {
                Some(
                    HeaderParameter::Image { source: MediaSource::UploadId(id) }
                    | HeaderParameter::Video { source: MediaSource::UploadId(id) }
                    | HeaderParameter::Document { source: MediaSource::UploadId(id), .. },
                ) => id.parse().ok(),
                _ => None,
            },
            ScheduledContent::Text { .. } => None,
        }
    }

    /// The send an agent would make with it now.
    pub fn into_send_request(self) -> SendRequest {
        match self {
            ScheduledContent::Text { text } => SendRequest::Text { text, reply_to: None },
            ScheduledContent::Attachment { upload_id, caption } => {
                SendRequest::Attachment { upload_id, caption, reply_to: None }
            }
            ScheduledContent::Template { template, parameters } => SendRequest::Template {
                template: TemplateRef { name: template.name, language: template.language },
                parameters,
            },
        }
    }
}

/// The body of `POST /api/v1/conversations/{id}/scheduled`.
#[derive(Deserialize, utoipa::ToSchema, Debug)]
pub struct ScheduleRequest {
    /// When to send it (RFC 3339): after now, at most 30 days ahead.
    #[serde(with = "time::serde::rfc3339")]
    pub send_at: OffsetDateTime,
    pub message: ScheduledContent,
}

/// The body of `PATCH /api/v1/scheduled/{id}`: what to change while it still waits.
#[derive(Deserialize, utoipa::ToSchema, Debug, Default)]
pub struct ScheduledPatch {
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub send_at: Option<OffsetDateTime>,
    /// The new text of a text, or the new caption of a file (empty: none).
    pub text: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema, Clone, Debug)]
pub struct ScheduledFailure {
    /// The send refusal's stable code (`window_closed`, `window_expired`, `author_inactive`, …).
    pub code: String,
    pub message: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ScheduledView {
    pub id: ScheduledId,
    pub conversation_id: ConversationId,
    pub author: UserRef,
    pub status: ScheduledStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub send_at: OffsetDateTime,
    pub message: ScheduledContent,
    /// Why it was not sent, when `failed`.
    pub failure: Option<ScheduledFailure>,
    /// The message it became, when `sent` (it then follows the ordinary statuses).
    pub message_id: Option<MessageId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

pub fn content_of(r: &ScheduledRecord) -> ApiResult<ScheduledContent> {
    serde_json::from_value(r.request.clone())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("scheduled {}: {e}", r.id)))
}

pub fn view(r: ScheduledRecord) -> ApiResult<ScheduledView> {
    let message = content_of(&r)?;
    Ok(ScheduledView {
        id: r.id,
        conversation_id: r.conversation_id,
        author: UserRef { id: r.author.0, name: r.author.1 },
        status: r.status,
        send_at: from_millis(r.send_at),
        message,
        failure: r.failure.map(|(code, message)| ScheduledFailure { code, message }),
        message_id: r.message_id,
        created_at: from_millis(r.created_at),
        updated_at: from_millis(r.updated_at),
    })
}

/// Tells everyone who may see the conversation that a schedule appeared or changed (its status
/// says whether it is still pending).
pub async fn announce(state: &AppState, r: &ScheduledRecord, change: Change) -> Result<(), store::StoreError> {
    let c = state.store.get_conversation(r.account_id, &ConversationScope::All, r.conversation_id).await?;
    match view(r.clone()) {
        Ok(v) => {
            let payload = match change {
                Change::Created => Payload::ScheduledCreated(Box::new(v)),
                Change::Updated => Payload::ScheduledUpdated(Box::new(v)),
            };
            state.events.publish(Event::to_conversation(&c, payload))
        }
        Err(e) => tracing::warn!(scheduled = %r.id, error = %e, "scheduled: unreadable request"),
    }
    Ok(())
}

/// Checks what can be known now of a send meant for later: the caller may send it, the channel
/// takes it, and — for a free-form message — the window is open now (see the module comment).
/// Nothing is stored or queued.
async fn check_content(
    state: &AppState,
    me: &CurrentUser,
    c: &ConversationRecord,
    content: &ScheduledContent,
) -> ApiResult<()> {
    me.require(Action::SendMessages)?;
    let window = compose::window_of(state, c);
    check_send(c.channel_kind, &window, content.send_kind())
        .map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    match content {
        ScheduledContent::Text { text } => {
            if text.trim().is_empty() {
                return Err(ApiError::unprocessable("text_empty", "the message has no text"));
            }
            domain::media_rules::check_text(c.channel_kind, text)
                .map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
        }
        // The same checks as a send now; the message built is thrown away.
        ScheduledContent::Attachment { upload_id, caption } => {
            crate::outbound::attachments::attachment(state, me, c.channel_kind, *upload_id, caption.clone(), None)
                .await?;
        }
        ScheduledContent::Template { template, parameters } => {
            let tref = TemplateRef { name: template.name.clone(), language: template.language.clone() };
            compose::template_outbound(state, me, &TemplateRecipient::of(state, c), &tref, parameters).await?;
        }
    }
    Ok(())
}

fn checked_send_at(state: &AppState, send_at: OffsetDateTime) -> ApiResult<i64> {
    check_send_at(send_at, state.clock.now()).map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    Ok(to_millis(send_at))
}

/// Schedules a send in a conversation the caller may see (else `404`).
pub async fn create(
    state: &AppState,
    me: &CurrentUser,
    conversation: ConversationId,
    req: ScheduleRequest,
) -> ApiResult<ScheduledRecord> {
    me.require_inbox()?;
    let c = state.store.get_conversation(me.account_id(), &me.scope(), conversation).await?;
    let send_at = checked_send_at(state, req.send_at)?;
    check_content(state, me, &c, &req.message).await?;
    let request = serde_json::to_value(&req.message).map_err(|e| ApiError::Internal(e.into()))?;
    let new = NewScheduled {
        conversation,
        author: me.user_id(),
        kind: req.message.kind(),
        request: &request,
        upload: req.message.upload(),
        send_at,
    };
    let r = state.store.create_scheduled(me.account_id(), &me.scope(), new, state.now_ms()).await?;
    crate::audit::record(
        state,
        me.account_id(),
        Some(me.user_id()),
        "message.scheduled",
        Some(("scheduled_message", r.id.to_string())),
        json!({"conversation_id": conversation, "kind": r.kind, "send_at": from_millis(send_at).to_string()}),
    )
    .await;
    announce(state, &r, Change::Created).await?;
    Ok(r)
}

/// A schedule the caller may see and change: its author, or an administrator (`403` for anyone else
/// who sees the conversation, `404` for whoever does not).
async fn manageable(state: &AppState, me: &CurrentUser, id: ScheduledId) -> ApiResult<ScheduledRecord> {
    me.require_inbox()?;
    let r = state.store.get_scheduled(me.account_id(), &me.scope(), id).await?;
    if r.author.0 != me.user_id() && !me.user.role.is_admin() {
        return Err(ApiError::Forbidden("only its author or an administrator may change a scheduled message"));
    }
    Ok(r)
}

fn not_editable(status: ScheduledStatus) -> ApiError {
    ApiError::Conflict {
        code: "scheduled_not_editable",
        message: format!("the scheduled message is {} and can no longer be changed", status.as_str()),
        details: None,
    }
}

/// Changes the text (or caption) and/or the time of a schedule still waiting (`409` once claimed).
pub async fn edit(
    state: &AppState,
    me: &CurrentUser,
    id: ScheduledId,
    patch: ScheduledPatch,
) -> ApiResult<ScheduledRecord> {
    let r = manageable(state, me, id).await?;
    if !r.status.editable() {
        return Err(not_editable(r.status));
    }
    let mut content = content_of(&r)?;
    if let Some(new_text) = patch.text {
        match &mut content {
            ScheduledContent::Text { text } => *text = new_text,
            ScheduledContent::Attachment { caption, .. } => {
                *caption = Some(new_text.trim().to_string()).filter(|c| !c.is_empty())
            }
            ScheduledContent::Template { .. } => {
                return Err(ApiError::unprocessable(
                    "not_editable_text",
                    "a template's text is the approved one; schedule it again with other parameters",
                ))
            }
        }
    }
    let send_at = match patch.send_at {
        Some(t) => checked_send_at(state, t)?,
        None => r.send_at,
    };
    let c = state.store.get_conversation(me.account_id(), &me.scope(), r.conversation_id).await?;
    // Checked as the author would send it (an administrator editing keeps the author's send).
    check_content(state, me, &c, &content).await?;
    let request = serde_json::to_value(&content).map_err(|e| ApiError::Internal(e.into()))?;
    let edited =
        state.store.edit_scheduled(me.account_id(), id, &request, content.upload(), send_at, state.now_ms()).await?;
    let r = state.store.get_scheduled(me.account_id(), &ConversationScope::All, id).await?;
    if !edited {
        // A worker claimed it (or someone cancelled it) between our read and our write.
        return Err(not_editable(r.status));
    }
    announce(state, &r, Change::Updated).await?;
    Ok(r)
}

/// Cancels a schedule not yet claimed, or dismisses a failed one (`409` once sending or sent).
pub async fn cancel(state: &AppState, me: &CurrentUser, id: ScheduledId) -> ApiResult<()> {
    let r = manageable(state, me, id).await?;
    let conflict = |status: ScheduledStatus| ApiError::Conflict {
        code: "scheduled_not_cancellable",
        message: format!("the scheduled message is {} and can no longer be cancelled", status.as_str()),
        details: None,
    };
    if !r.status.cancellable() {
        return Err(conflict(r.status));
    }
    let cancelled = state.store.cancel_scheduled(me.account_id(), id, state.now_ms()).await?;
    let after = state.store.get_scheduled(me.account_id(), &ConversationScope::All, id).await?;
    if !cancelled {
        return Err(conflict(after.status));
    }
    crate::audit::record(
        state,
        me.account_id(),
        Some(me.user_id()),
        "message.schedule_cancelled",
        Some(("scheduled_message", id.to_string())),
        json!({"conversation_id": r.conversation_id, "was": r.status.as_str()}),
    )
    .await;
    announce(state, &after, Change::Updated).await?;
    Ok(())
}
