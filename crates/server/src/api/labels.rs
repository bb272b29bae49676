//! Labels: `GET/POST /api/v1/labels`, `PATCH/DELETE /api/v1/labels/{id}` (managing needs
//! `manage_labels`; everyone reads them), and `PUT/DELETE /api/v1/conversations/{id}/labels/{label_id}`
//! (anyone who may see the conversation).

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::realtime::{Event, Payload};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{ConversationId, LabelId};
use domain::permissions::Action;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::views::label::LabelView;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_labels, create_label))
        .routes(routes!(update_label, delete_label))
        .routes(routes!(add_to_conversation, remove_from_conversation))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LabelList {
    pub items: Vec<LabelView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateLabel {
    name: String,
    /// A hex colour, `#rrggbb` (or `#rgb`).
    color: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateLabel {
    name: Option<String>,
    color: Option<String>,
}

fn invalid(e: domain::label::InvalidLabel) -> ApiError {
    use domain::label::InvalidLabel::*;
    let code = match e {
        EmptyName | NameTooLong => "invalid_name",
        BadColor => "invalid_color",
    };
    ApiError::unprocessable(code, e.to_string())
}

fn taken(e: store::StoreError) -> ApiError {
    if e.is_conflict_on(store::LABEL_NAME_TAKEN) {
        ApiError::conflict("label_exists", "another label has this name")
    } else {
        e.into()
    }
}

/// The account's labels, by name (any user).
#[utoipa::path(get, path = "/api/v1/labels", tag = "labels", responses((status = 200, body = LabelList)))]
async fn list_labels(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<LabelList>> {
    me.require_inbox()?;
    let items = state.store.list_labels(me.account_id()).await?.into_iter().map(LabelView::from).collect();
    Ok(Json(LabelList { items }))
}

/// Create a label (needs `manage_labels`). Names are unique ignoring case and accents.
#[utoipa::path(post, path = "/api/v1/labels", tag = "labels", request_body = CreateLabel,
    responses((status = 201, body = LabelView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_label(
    State(state): State<AppState>,
    me: CurrentUser,
    Json(req): Json<CreateLabel>,
) -> ApiResult<(StatusCode, Json<LabelView>)> {
    me.require_inbox()?;
    me.require(Action::ManageLabels)?;
    let name = domain::label::name(&req.name).map_err(invalid)?;
    let color = domain::label::color(&req.color).map_err(invalid)?;
    let label = state.store.create_label(me.account_id(), &name, &color, state.now_ms()).await.map_err(taken)?;
    let view = LabelView::from(label);
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "label.created",
        Some(("label", view.id.to_string())),
        serde_json::json!({"name": view.name, "color": view.color}),
    )
    .await;
    state.events.publish(Event::to_account(me.account_id(), Payload::LabelCreated(view.clone())));
    Ok((StatusCode::CREATED, Json(view)))
}

/// Rename or recolour a label (needs `manage_labels`); conversations carrying it show the change.
#[utoipa::path(patch, path = "/api/v1/labels/{id}", tag = "labels", params(("id" = LabelId, Path)), request_body = UpdateLabel,
    responses((status = 200, body = LabelView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_label(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<LabelId>,
    Json(req): Json<UpdateLabel>,
) -> ApiResult<Json<LabelView>> {
    me.require_inbox()?;
    me.require(Action::ManageLabels)?;
    let name = req.name.as_deref().map(domain::label::name).transpose().map_err(invalid)?;
    let color = req.color.as_deref().map(domain::label::color).transpose().map_err(invalid)?;
    let label = state
        .store
        .update_label(me.account_id(), id, name.as_deref(), color.as_deref(), state.now_ms())
        .await
        .map_err(taken)?;
    let view = LabelView::from(label);
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "label.updated",
        Some(("label", id.to_string())),
        serde_json::json!({"name": view.name, "color": view.color}),
    )
    .await;
    state.events.publish(Event::to_account(me.account_id(), Payload::LabelUpdated(view.clone())));
    Ok(Json(view))
}

/// Delete a label (needs `manage_labels`): it is taken off every conversation.
#[utoipa::path(delete, path = "/api/v1/labels/{id}", tag = "labels", params(("id" = LabelId, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_label(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<LabelId>,
) -> ApiResult<StatusCode> {
    me.require_inbox()?;
    me.require(Action::ManageLabels)?;
    let label = state.store.get_label(me.account_id(), id).await?;
    state.store.delete_label(me.account_id(), id).await?;
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "label.deleted",
        Some(("label", id.to_string())),
        serde_json::json!({"name": label.name}),
    )
    .await;
    state.events.publish(Event::to_account(me.account_id(), Payload::LabelDeleted { id }));
    Ok(StatusCode::NO_CONTENT)
}

async fn set_label(
    state: &AppState,
    me: &CurrentUser,
    conversation: ConversationId,
    label: LabelId,
    on: bool,
) -> ApiResult<Json<crate::api::conversations::ConversationView>> {
    me.require_inbox()?;
    let scope = me.scope();
    let changed =
        state.store.set_conversation_label(me.account_id(), &scope, conversation, label, on, state.now_ms()).await?;
    let record = state.store.get_conversation(me.account_id(), &scope, conversation).await?;
    if changed {
        state.events.publish(Event::conversation_updated(&record, state.clock.now()));
    }
    Ok(Json(crate::api::conversations::conversation_view(record, state.clock.now())))
}

/// Put a label on a conversation the caller may see (again: no change). Answers the conversation.
#[utoipa::path(put, path = "/api/v1/conversations/{id}/labels/{label_id}", tag = "labels",
    params(("id" = ConversationId, Path), ("label_id" = LabelId, Path)),
    responses((status = 200, body = crate::api::conversations::ConversationView), (status = 404, body = crate::error::ErrorBody)))]
async fn add_to_conversation(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, label)): Path<(ConversationId, LabelId)>,
) -> ApiResult<Json<crate::api::conversations::ConversationView>> {
    set_label(&state, &me, id, label, true).await
}

/// Take a label off a conversation the caller may see (not there: no change). Answers the conversation.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/labels/{label_id}", tag = "labels",
    params(("id" = ConversationId, Path), ("label_id" = LabelId, Path)),
    responses((status = 200, body = crate::api::conversations::ConversationView), (status = 404, body = crate::error::ErrorBody)))]
async fn remove_from_conversation(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, label)): Path<(ConversationId, LabelId)>,
) -> ApiResult<Json<crate::api::conversations::ConversationView>> {
    set_label(&state, &me, id, label, false).await
}
