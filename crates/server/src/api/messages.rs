//! Messages of a conversation and their attachments' bytes, visibility-checked by the store.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use domain::ids::{AttachmentId, ConversationId, MessageId, UserId};
use domain::media_rules::MediaKind;
use domain::message::{Direction, MessageStatus, Origin};
use domain::time_util::from_millis;
use serde::{Deserialize, Serialize};
use store::{AttachmentRecord, MessageRecord};
use time::OffsetDateTime;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages, send_message))
        .routes(routes!(get_attachment))
        .routes(routes!(search_messages))
}

#[derive(Serialize, utoipa::ToSchema)]
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReplyToView {
    /// The quoted message's id in the inbox, when it is stored.
    pub id: Option<MessageId>,
    pub external_id: String,
    pub kind: Option<String>,
    pub text: Option<String>,
    pub deleted: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReactionView {
    /// `customer` or `business`.
    pub actor: String,
    pub emoji: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageErrorView {
    pub code: Option<String>,
    pub title: Option<String>,
    pub message: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SenderView {
    pub id: UserId,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
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

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MessagesQuery {
    /// A message id: return the page of messages just before it.
    before: Option<MessageId>,
    /// Page size 1–200 (default 50).
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessagePage {
    /// Oldest to newest.
    pub items: Vec<MessageView>,
    /// Pass as `before` to get the previous (older) page.
    pub next_cursor: Option<MessageId>,
}

/// A page of the conversation's messages, oldest to newest.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations", params(("id" = ConversationId, Path), MessagesQuery),
    responses((status = 200, body = MessagePage), (status = 404, body = crate::error::ErrorBody)))]
async fn list_messages(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ConversationId>,
    Query(q): Query<MessagesQuery>,
) -> ApiResult<Json<MessagePage>> {
    me.require_inbox()?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let records = state.store.list_messages(me.account_id(), &me.scope(), id, q.before, limit).await?;
    let next_cursor = if records.len() as i64 == limit { records.first().map(|m| m.id) } else { None };
    Ok(Json(MessagePage { items: records.into_iter().map(message_view).collect(), next_cursor }))
}

/// Send a message. It is stored `pending` and answered `202`; the outbox delivers it to Meta and its
/// status then moves to `sent`/`delivered`/`read` or `failed` (with Meta's reason). A send the rules
/// refuse is `422` with a stable code (`window_closed`, `window_expired`, `text_too_long`, …) and
/// nothing is stored or sent.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations", params(("id" = ConversationId, Path)),
    request_body = crate::outbound::compose::SendRequest,
    responses((status = 202, body = MessageView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn send_message(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ConversationId>,
    Json(req): Json<crate::outbound::compose::SendRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<MessageView>)> {
    let message = crate::outbound::compose::send(&state, &me, id, req).await?;
    let record =
        state.store.get_message(me.account_id(), &domain::permissions::ConversationScope::All, message).await?;
    state.outbox_wakeup.notify_one();
    Ok((axum::http::StatusCode::ACCEPTED, Json(message_view(record))))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchQuery {
    /// Words to find in a message's text or caption; every word must appear, case and accents
    /// ignored (`precios` finds "PRECIOS", `cancion` finds "Canción").
    q: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size 1–100 (default 30).
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchHitView {
    pub message: MessageView,
    pub conversation: crate::api::conversations::ConversationView,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchPage {
    /// Newest first.
    pub items: Vec<SearchHitView>,
    /// Pass as `cursor` for the next (older) page.
    pub next_cursor: Option<String>,
}

/// At most this many words of a query are searched for.
const MAX_SEARCH_TERMS: usize = 8;

fn decode_search_cursor(c: &str) -> ApiResult<(i64, MessageId)> {
    let malformed = || ApiError::bad_request("invalid_query", "cursor: malformed");
    let (at, id) = c.split_once('_').ok_or_else(malformed)?;
    Ok((at.parse().map_err(|_| malformed())?, id.parse().map_err(|_| malformed())?))
}

/// Messages whose text or caption contains every word of `q`, in the conversations the caller may
/// see, newest first, each with its conversation.
#[utoipa::path(get, path = "/api/v1/messages/search", tag = "conversations", params(SearchQuery),
    responses((status = 200, body = SearchPage), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
async fn search_messages(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<SearchPage>> {
    me.require_inbox()?;
    let search = store::MessageSearch {
        terms: domain::search::terms(q.q.as_deref().unwrap_or_default(), MAX_SEARCH_TERMS),
        before: q.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_search_cursor).transpose()?,
        limit: q.limit.unwrap_or(30).clamp(1, 100),
    };
    let hits = state.store.search_messages(me.account_id(), &me.scope(), &search).await?;
    let next_cursor = if hits.len() as i64 == search.limit {
        hits.last().map(|h| format!("{}_{}", h.message.sent_at, h.message.id))
    } else {
        None
    };
    let now = state.clock.now();
    let items = hits
        .into_iter()
        .map(|h| SearchHitView {
            message: message_view(h.message),
            conversation: crate::api::conversations::conversation_view(h.conversation, now),
        })
        .collect();
    Ok(Json(SearchPage { items, next_cursor }))
}

/// An attachment's bytes, for users who may see its conversation.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "conversations", params(("id" = AttachmentId, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn get_attachment(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<AttachmentId>,
) -> ApiResult<Response> {
    me.require_inbox()?;
    let a = state.store.get_attachment(me.account_id(), &me.scope(), id).await?;
    let key = match (a.status.as_str(), a.storage_key.as_deref()) {
        ("ready", Some(key)) => key.to_string(),
        ("failed", _) => {
            return Err(ApiError::conflict(
                "attachment_failed",
                a.error.unwrap_or_else(|| "the file could not be fetched from Meta".into()),
            ))
        }
        _ => return Err(ApiError::conflict("attachment_pending", "the file is still being fetched from Meta")),
    };
    // Streamed: a 100 MB document is never held whole in memory.
    let (reader, length) =
        state.media.open(&key).await.map_err(|e| ApiError::Internal(anyhow::anyhow!("reading media {key}: {e}")))?;
    let mime = a.mime.unwrap_or_else(|| "application/octet-stream".into());
    // A customer's file is served from our own origin: only media a browser shows passively (and PDF)
    // may be displayed inline; anything else (HTML, SVG, XML…) is a download, and the sandbox policy
    // stops any script in it from running with the agent's session.
    let passive = ["image/", "video/", "audio/"].iter().any(|p| mime.starts_with(p)) && !mime.starts_with("image/svg")
        || mime == "application/pdf";
    let disposition = crate::content_disposition::content_disposition(passive, a.filename.as_deref(), "archivo");
    Ok((
        [
            (CONTENT_TYPE, mime),
            (CONTENT_LENGTH, length.to_string()),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, "private, max-age=3600".into()),
            (axum::http::header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'".into()),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(reader)),
    )
        .into_response())
}
