//! Quick replies: `GET/POST /api/v1/quick_replies`, `PATCH/DELETE /api/v1/quick_replies/{id}`.
//! Everyone in the account may use them; managing them needs `manage_quick_replies`.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{QuickReplyId, UploadId};
use domain::permissions::Action;
use serde::{Deserialize, Serialize};
use store::QuickReply;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(update, delete))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuickReplyView {
    pub id: QuickReplyId,
    /// Typed after `/` in the composer.
    pub shortcut: String,
    pub title: String,
    /// May hold Personalize placeholders, rendered when sent.
    pub text: Option<String>,
    pub upload_id: Option<UploadId>,
}

impl From<QuickReply> for QuickReplyView {
    fn from(q: QuickReply) -> Self {
        Self { id: q.id, shortcut: q.shortcut, title: q.title, text: q.text, upload_id: q.upload_id }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuickReplyList {
    pub items: Vec<QuickReplyView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct QuickReplyBody {
    shortcut: String,
    title: String,
    text: Option<String>,
    upload_id: Option<UploadId>,
}

async fn checked(state: &AppState, me: &CurrentUser, id: QuickReplyId, b: QuickReplyBody) -> ApiResult<QuickReply> {
    let shortcut = b.shortcut.trim().trim_start_matches('/').to_lowercase();
    if shortcut.is_empty()
        || shortcut.len() > 40
        || !shortcut.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ApiError::unprocessable("invalid_shortcut", "a shortcut is 1–40 letters, digits, '_' or '-'"));
    }
    let title = b.title.trim().to_string();
    if title.is_empty() {
        return Err(ApiError::unprocessable("invalid_name", "the title must not be empty"));
    }
    let text = b.text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    if let Some(t) = &text {
        domain::personalize::validate(t).map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    }
    if text.is_none() && b.upload_id.is_none() {
        return Err(ApiError::unprocessable("invalid_quick_reply", "a quick reply needs a text, a file, or both"));
    }
    if let Some(upload) = b.upload_id {
        state.store.get_upload(me.account_id(), upload).await.map_err(|e| match e {
            store::StoreError::NotFound => ApiError::unprocessable("upload_not_found", "no such upload"),
            other => other.into(),
        })?;
    }
    Ok(QuickReply { id, shortcut, title, text, upload_id: b.upload_id })
}

fn taken(e: store::StoreError) -> ApiError {
    if e.is_conflict_on("shortcut") {
        ApiError::conflict("shortcut_taken", "another quick reply has this shortcut")
    } else {
        e.into()
    }
}

/// The account's quick replies, by shortcut.
#[utoipa::path(get, path = "/api/v1/quick_replies", tag = "conversations", responses((status = 200, body = QuickReplyList)))]
async fn list(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<QuickReplyList>> {
    me.require_inbox()?;
    let items = state.store.list_quick_replies(me.account_id()).await?.into_iter().map(Into::into).collect();
    Ok(Json(QuickReplyList { items }))
}

/// Save a quick reply (needs `manage_quick_replies`).
#[utoipa::path(post, path = "/api/v1/quick_replies", tag = "conversations", request_body = QuickReplyBody,
    responses((status = 201, body = QuickReplyView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    me: CurrentUser,
    Json(b): Json<QuickReplyBody>,
) -> ApiResult<(StatusCode, Json<QuickReplyView>)> {
    me.require_inbox()?;
    me.require(Action::ManageQuickReplies)?;
    let q = checked(&state, &me, QuickReplyId::new(), b).await?;
    state.store.create_quick_reply(me.account_id(), &q, state.now_ms()).await.map_err(taken)?;
    Ok((StatusCode::CREATED, Json(q.into())))
}

/// Change a quick reply (needs `manage_quick_replies`).
#[utoipa::path(patch, path = "/api/v1/quick_replies/{id}", tag = "conversations", params(("id" = QuickReplyId, Path)), request_body = QuickReplyBody,
    responses((status = 200, body = QuickReplyView), (status = 404, body = crate::error::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<QuickReplyId>,
    Json(b): Json<QuickReplyBody>,
) -> ApiResult<Json<QuickReplyView>> {
    me.require_inbox()?;
    me.require(Action::ManageQuickReplies)?;
    let q = checked(&state, &me, id, b).await?;
    state.store.update_quick_reply(me.account_id(), &q, state.now_ms()).await.map_err(taken)?;
    Ok(Json(q.into()))
}

/// Delete a quick reply (needs `manage_quick_replies`).
#[utoipa::path(delete, path = "/api/v1/quick_replies/{id}", tag = "conversations", params(("id" = QuickReplyId, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn delete(State(state): State<AppState>, me: CurrentUser, Path(id): Path<QuickReplyId>) -> ApiResult<StatusCode> {
    me.require_inbox()?;
    me.require(Action::ManageQuickReplies)?;
    state.store.delete_quick_reply(me.account_id(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
