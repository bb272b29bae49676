//! The caller's mentions in notes ("Menciones"): `GET /api/v1/mentions`,
//! `POST /api/v1/mentions/{id}/read` and `POST /api/v1/mentions/read` (all of them).

use crate::api::conversations::{conversation_view, ConversationView, UserRef};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::realtime::Event;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{MentionId, NoteId};
use domain::time_util::from_millis;
use serde::{Deserialize, Serialize};
use store::{ConversationRecord, MentionRecord, NoteRecord};
use time::OffsetDateTime;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_mentions)).routes(routes!(read_mention)).routes(routes!(read_all))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MentionNote {
    pub id: NoteId,
    /// The note's beginning in plain text (mentions as `@Name`), on one line.
    pub excerpt: String,
    pub author: UserRef,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MentionView {
    pub id: MentionId,
    pub note: MentionNote,
    pub conversation: ConversationView,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// `null` while unread.
    #[serde(with = "time::serde::rfc3339::option")]
    pub read_at: Option<OffsetDateTime>,
}

impl MentionView {
    pub fn new(
        id: MentionId,
        note: &NoteRecord,
        conversation: ConversationRecord,
        created_at_ms: i64,
        read_at_ms: Option<i64>,
        now: OffsetDateTime,
    ) -> Self {
        MentionView {
            id,
            note: MentionNote {
                id: note.id,
                excerpt: domain::note::excerpt(&note.text),
                author: UserRef { id: note.author.0, name: note.author.1.clone() },
            },
            conversation: conversation_view(conversation, now),
            created_at: from_millis(created_at_ms),
            read_at: read_at_ms.map(from_millis),
        }
    }

    fn from_record(m: MentionRecord, now: OffsetDateTime) -> Self {
        MentionView {
            id: m.id,
            note: MentionNote {
                id: m.note_id,
                excerpt: domain::note::excerpt(&m.note_text),
                author: UserRef { id: m.author.0, name: m.author.1 },
            },
            conversation: conversation_view(m.conversation, now),
            created_at: from_millis(m.created_at),
            read_at: m.read_at.map(from_millis),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MentionQuery {
    /// Only unread mentions.
    unread: Option<bool>,
    cursor: Option<String>,
    /// Page size 1–100 (default 30).
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MentionPage {
    /// Newest first.
    pub items: Vec<MentionView>,
    pub next_cursor: Option<String>,
    /// How many of the caller's mentions are unread (all pages).
    pub unread_count: i64,
}

fn decode_cursor(c: &str) -> ApiResult<(i64, MentionId)> {
    let bad = || ApiError::bad_request("invalid_query", "cursor: malformed");
    let (at, id) = c.split_once('_').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.parse().map_err(|_| bad())?))
}

/// The caller's mentions in notes of conversations they may see, newest first.
#[utoipa::path(get, path = "/api/v1/mentions", tag = "notes", params(MentionQuery),
    responses((status = 200, body = MentionPage), (status = 400, body = crate::error::ErrorBody)))]
async fn list_mentions(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<MentionQuery>,
) -> ApiResult<Json<MentionPage>> {
    me.require_inbox()?;
    let limit = q.limit.unwrap_or(30).clamp(1, 100);
    let before = q.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;
    let scope = me.scope();
    let records = state
        .store
        .list_mentions(me.account_id(), me.user_id(), &scope, q.unread.unwrap_or(false), before, limit)
        .await?;
    let next_cursor =
        if records.len() as i64 == limit { records.last().map(|m| format!("{}_{}", m.created_at, m.id)) } else { None };
    let unread_count = state.store.unread_mentions(me.account_id(), me.user_id(), &scope).await?;
    let now = state.clock.now();
    Ok(Json(MentionPage {
        items: records.into_iter().map(|m| MentionView::from_record(m, now)).collect(),
        next_cursor,
        unread_count,
    }))
}

/// Mark one of the caller's mentions read.
#[utoipa::path(post, path = "/api/v1/mentions/{id}/read", tag = "notes", params(("id" = MentionId, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn read_mention(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<MentionId>,
) -> ApiResult<StatusCode> {
    me.require_inbox()?;
    state.store.mark_mentions_read(me.account_id(), me.user_id(), Some(id), state.now_ms()).await?;
    // The caller's other tabs update their badge.
    state.events.publish(Event::for_user("mention.read", me.account_id(), me.user_id(), serde_json::json!({"id": id})));
    Ok(StatusCode::NO_CONTENT)
}

/// Mark all of the caller's mentions read.
#[utoipa::path(post, path = "/api/v1/mentions/read", tag = "notes", responses((status = 204)))]
async fn read_all(State(state): State<AppState>, me: CurrentUser) -> ApiResult<StatusCode> {
    me.require_inbox()?;
    state.store.mark_mentions_read(me.account_id(), me.user_id(), None, state.now_ms()).await?;
    state.events.publish(Event::for_user(
        "mention.read",
        me.account_id(),
        me.user_id(),
        serde_json::json!({"id": null}),
    ));
    Ok(StatusCode::NO_CONTENT)
}
