//! Messages of a conversation and their attachments' bytes, visibility-checked by the store.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use domain::ids::{AttachmentId, ConversationId, MessageId};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::views::message::{message_view, MessageView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages, send_message))
        .routes(routes!(get_attachment))
        .routes(routes!(search_messages))
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
    let record = crate::outbound::compose::send(&state, &me, id, req).await?;
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
