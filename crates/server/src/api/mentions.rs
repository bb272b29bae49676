//! The caller's mentions in notes ("Menciones"): `GET /api/v1/mentions`,
//! `POST /api/v1/mentions/{id}/read` and `POST /api/v1/mentions/read` (all of them).

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::realtime::{Event, Payload};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::MentionId;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::views::mention::MentionView;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_mentions)).routes(routes!(read_mention)).routes(routes!(read_all))
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
    state.events.publish(Event::to_user(me.account_id(), me.user_id(), Payload::MentionRead { id: Some(id) }));
    Ok(StatusCode::NO_CONTENT)
}

/// Mark all of the caller's mentions read.
#[utoipa::path(post, path = "/api/v1/mentions/read", tag = "notes", responses((status = 204)))]
async fn read_all(State(state): State<AppState>, me: CurrentUser) -> ApiResult<StatusCode> {
    me.require_inbox()?;
    state.store.mark_mentions_read(me.account_id(), me.user_id(), None, state.now_ms()).await?;
    state.events.publish(Event::to_user(me.account_id(), me.user_id(), Payload::MentionRead { id: None }));
    Ok(StatusCode::NO_CONTENT)
}
