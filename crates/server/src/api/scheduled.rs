//! Scheduled sends ("Enviar más tarde"): `POST/GET /api/v1/conversations/{id}/scheduled`,
//! `GET /api/v1/scheduled`, `PATCH/DELETE /api/v1/scheduled/{id}`. Visible like their conversation;
//! changed by their author or an administrator. The rules live in `crate::scheduled`.

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{Json, Path};
use crate::scheduled::{self, ScheduleRequest, ScheduledPatch, ScheduledView};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{ConversationId, ScheduledId};
use domain::scheduled::ScheduledStatus;
use serde::Serialize;
use store::{ScheduledFilter, ScheduledRecord};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_conversation_scheduled, schedule_message))
        .routes(routes!(list_scheduled))
        .routes(routes!(edit_scheduled, cancel_scheduled))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ScheduledList {
    /// Soonest first.
    pub items: Vec<ScheduledView>,
}

/// What a list shows: waiting, being sent, and failed ones not yet dismissed.
const OPEN: &[ScheduledStatus] = &[ScheduledStatus::Scheduled, ScheduledStatus::Sending, ScheduledStatus::Failed];

fn list(records: Vec<ScheduledRecord>) -> ApiResult<Json<ScheduledList>> {
    Ok(Json(ScheduledList { items: records.into_iter().map(scheduled::view).collect::<ApiResult<_>>()? }))
}

/// Schedule a message (text, attachment or template) for later. Refused now (`422`) only what can
/// never succeed: `send_at_in_past`, `send_at_too_far` (over 30 days), content the channel does not
/// take, and a free-form message while the window is closed (`window_closed`/`window_expired`: it
/// reopens only if the customer writes; schedule a template instead). Everything is checked again
/// at its time.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/scheduled", tag = "conversations", params(("id" = ConversationId, Path)),
    request_body = ScheduleRequest,
    responses((status = 201, body = ScheduledView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn schedule_message(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ConversationId>,
    Json(req): Json<ScheduleRequest>,
) -> ApiResult<(StatusCode, Json<ScheduledView>)> {
    let r = scheduled::create(&state, &me, id, req).await?;
    Ok((StatusCode::CREATED, Json(scheduled::view(r)?)))
}

/// The conversation's scheduled messages still pending or failed (not sent, not cancelled).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/scheduled", tag = "conversations", params(("id" = ConversationId, Path)),
    responses((status = 200, body = ScheduledList), (status = 404, body = crate::error::ErrorBody)))]
async fn list_conversation_scheduled(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ConversationId>,
) -> ApiResult<Json<ScheduledList>> {
    me.require_inbox()?;
    state.store.get_conversation(me.account_id(), &me.scope(), id).await?;
    let filter = ScheduledFilter { conversation: Some(id), author: None, statuses: OPEN };
    list(state.store.list_scheduled(me.account_id(), &me.scope(), filter).await?)
}

/// The caller's scheduled messages still pending or failed; an administrator gets everyone's.
#[utoipa::path(get, path = "/api/v1/scheduled", tag = "conversations",
    responses((status = 200, body = ScheduledList)))]
async fn list_scheduled(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<ScheduledList>> {
    me.require_inbox()?;
    let author = (!me.user.role.is_admin()).then(|| me.user_id());
    let filter = ScheduledFilter { conversation: None, author, statuses: OPEN };
    list(state.store.list_scheduled(me.account_id(), &me.scope(), filter).await?)
}

/// Change a waiting scheduled message's text (a file's caption) and/or time. Its author or an
/// administrator only; `409 scheduled_not_editable` once it is being sent, sent, failed or cancelled.
#[utoipa::path(patch, path = "/api/v1/scheduled/{id}", tag = "conversations", params(("id" = ScheduledId, Path)),
    request_body = ScheduledPatch,
    responses((status = 200, body = ScheduledView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn edit_scheduled(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ScheduledId>,
    Json(patch): Json<ScheduledPatch>,
) -> ApiResult<Json<ScheduledView>> {
    let r = scheduled::edit(&state, &me, id, patch).await?;
    Ok(Json(scheduled::view(r)?))
}

/// Cancel a scheduled message (or dismiss a failed one). Its author or an administrator only;
/// `409 scheduled_not_cancellable` once it is being sent or sent.
#[utoipa::path(delete, path = "/api/v1/scheduled/{id}", tag = "conversations", params(("id" = ScheduledId, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn cancel_scheduled(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ScheduledId>,
) -> ApiResult<StatusCode> {
    scheduled::cancel(&state, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
