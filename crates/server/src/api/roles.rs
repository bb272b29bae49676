//! Roles: `GET /api/v1/roles` (those who manage users); `POST /api/v1/roles`, `PATCH/DELETE
//! /api/v1/roles/{id}` (administrators). The built-in `admin` and `seller` cannot be changed or deleted.

use crate::audit::record;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{AccountId, RoleId};
use domain::permissions::{Action, Permissions, Role};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_roles, create_role)).routes(routes!(update_role, delete_role))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoleView {
    /// `admin`, `seller`, or the custom role's id.
    pub id: String,
    pub name: String,
    pub builtin: bool,
    pub permissions: Permissions,
}

impl From<&Role> for RoleView {
    fn from(r: &Role) -> Self {
        let name = match r {
            Role::Admin => "admin".into(),
            Role::Seller => "seller".into(),
            Role::Custom { name, .. } => name.clone(),
        };
        Self { id: r.api_value(), name, builtin: !matches!(r, Role::Custom { .. }), permissions: r.permissions() }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoleList {
    pub items: Vec<RoleView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateRole {
    name: String,
    permissions: Permissions,
}

/// The roles the caller may give a user (needs `manage_users`): every role for an administrator;
/// for a custom role that manages users, only those within its own grant — the ones it could assign —
/// so that nobody reads grants naming channels they do not know.
#[utoipa::path(get, path = "/api/v1/roles", tag = "users",
    responses((status = 200, body = RoleList), (status = 403, body = crate::error::ErrorBody)))]
async fn list_roles(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<RoleList>> {
    me.require(Action::ManageUsers)?;
    let mut roles = vec![Role::Admin, Role::Seller];
    roles.extend(state.store.list_roles(me.account_id()).await?);
    let grantable = |r: &Role| me.user.role.is_admin() || !r.is_admin() && r.permissions().within(&me.permissions);
    Ok(Json(RoleList { items: roles.iter().filter(|r| grantable(r)).map(RoleView::from).collect() }))
}

/// Create a custom role (administrators only).
#[utoipa::path(post, path = "/api/v1/roles", tag = "users", request_body = CreateRole,
    responses((status = 201, body = RoleView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_role(
    State(state): State<AppState>,
    me: CurrentUser,
    Json(req): Json<CreateRole>,
) -> ApiResult<(StatusCode, Json<RoleView>)> {
    me.require_admin()?;
    let name = checked_name(&req.name)?;
    let permissions = checked_permissions(&state, &me, req.permissions).await?;
    let role =
        state.store.create_role(me.account_id(), name, &permissions, state.now_ms()).await.map_err(name_taken)?;
    let id: Option<RoleId> = match &role {
        Role::Custom { id, .. } => Some(*id),
        _ => None,
    };
    record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "role.created",
        id.map(|i| ("role", i.to_string())),
        serde_json::to_value(&permissions).unwrap_or_default(),
    )
    .await;
    Ok((StatusCode::CREATED, Json(RoleView::from(&role))))
}

fn checked_name(raw: &str) -> ApiResult<&str> {
    let name = raw.trim();
    if name.is_empty() || matches!(name, "admin" | "seller") {
        return Err(ApiError::unprocessable(
            "invalid_name",
            "a custom role needs a name other than \"admin\" or \"seller\"",
        ));
    }
    Ok(name)
}

/// A grant that is coherent, names only this account's channels and is no wider than the caller's
/// own (nobody hands out more than they hold).
async fn checked_permissions(state: &AppState, me: &CurrentUser, permissions: Permissions) -> ApiResult<Permissions> {
    let permissions =
        permissions.validate().map_err(|e| ApiError::unprocessable("invalid_permissions", e.to_string()))?;
    for channel in &permissions.channel_ids {
        state.store.get_channel(me.account_id(), *channel).await.map_err(|e| match e {
            store::StoreError::NotFound => ApiError::unprocessable(
                "invalid_permissions",
                format!("channel {channel} does not exist in this account"),
            ),
            other => other.into(),
        })?;
    }
    if !permissions.within(&me.permissions) {
        return Err(ApiError::Forbidden("you cannot grant a role that sees or does more than your own"));
    }
    Ok(permissions)
}

fn name_taken(e: store::StoreError) -> ApiError {
    match e {
        e if e.is_conflict_on("name") => ApiError::conflict("role_exists", "a role with this name already exists"),
        other => other.into(),
    }
}

/// The custom role a path names: `admin` and `seller` are built in and cannot be changed.
async fn custom_role(state: &AppState, account: AccountId, raw: &str) -> ApiResult<RoleId> {
    if matches!(raw, "admin" | "seller") {
        return Err(ApiError::unprocessable("builtin_role", "the built-in roles cannot be changed or deleted"));
    }
    let id: RoleId = raw.parse().map_err(|_| ApiError::NotFound)?;
    state.store.get_role(account, id).await?;
    Ok(id)
}

/// Tells the open sockets of everyone who has the role to adopt its new grant.
fn holders_changed(state: &AppState, account: AccountId, users: &[domain::ids::UserId]) {
    for user in users {
        state.events.access_changed(account, Some(*user));
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateRole {
    name: Option<String>,
    permissions: Option<Permissions>,
}

/// Rename a custom role or replace its permissions (administrators only). Its users' open event
/// sockets adopt the new permissions at once.
#[utoipa::path(patch, path = "/api/v1/roles/{id}", tag = "users", params(("id" = String, Path, description = "A custom role id")), request_body = UpdateRole,
    responses((status = 200, body = RoleView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_role(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(raw): Path<String>,
    Json(req): Json<UpdateRole>,
) -> ApiResult<Json<RoleView>> {
    me.require_admin()?;
    let id = custom_role(&state, me.account_id(), &raw).await?;
    let name = req.name.as_deref().map(checked_name).transpose()?;
    let permissions = match req.permissions {
        Some(p) => Some(checked_permissions(&state, &me, p).await?),
        None => None,
    };
    let role = state.store.update_role(me.account_id(), id, name, permissions.as_ref()).await.map_err(name_taken)?;
    if permissions.is_some() {
        holders_changed(&state, me.account_id(), &state.store.users_with_role(me.account_id(), id).await?);
    }
    record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "role.updated",
        Some(("role", id.to_string())),
        serde_json::json!({"name": name, "permissions": permissions}),
    )
    .await;
    Ok(Json(RoleView::from(&role)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeleteRoleQuery {
    /// Moves the role's users to this role (`admin`, `seller` or a custom role id) before deleting it.
    move_to: Option<String>,
}

/// Delete a custom role (administrators only). A role users still have is `409 role_in_use` (with
/// `details.users`) unless `move_to` names the role to move them to, which happens in the same
/// transaction.
#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "users", params(("id" = String, Path, description = "A custom role id"), DeleteRoleQuery),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn delete_role(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(raw): Path<String>,
    Query(q): Query<DeleteRoleQuery>,
) -> ApiResult<StatusCode> {
    me.require_admin()?;
    let id = custom_role(&state, me.account_id(), &raw).await?;
    let move_to = q.move_to.as_deref().filter(|m| !m.is_empty()).map(crate::api::users::parse_role).transpose()?;
    if move_to == Some(store::RoleRef::Custom(id)) {
        return Err(ApiError::unprocessable("invalid_role", "move the users to another role than the one deleted"));
    }
    let outcome = state.store.delete_role(me.account_id(), id, move_to.as_ref()).await.map_err(|e| match e {
        // The role itself was found above: a missing one now is the target of the move.
        store::StoreError::NotFound => ApiError::unprocessable("invalid_role", "no such role to move the users to"),
        other => other.into(),
    })?;
    match outcome {
        store::RoleDeletion::InUse { users } => Err(ApiError::conflict_with(
            "role_in_use",
            format!("{users} user(s) have this role; move them to another role first (move_to)"),
            serde_json::json!({"users": users}),
        )),
        store::RoleDeletion::Deleted { moved } => {
            holders_changed(&state, me.account_id(), &moved);
            record(
                &state,
                me.account_id(),
                Some(me.user_id()),
                "role.deleted",
                Some(("role", id.to_string())),
                serde_json::json!({"moved_users": moved.len(), "moved_to": move_to.as_ref().map(role_ref_value)}),
            )
            .await;
            Ok(StatusCode::NO_CONTENT)
        }
    }
}

fn role_ref_value(r: &store::RoleRef) -> String {
    match r {
        store::RoleRef::Admin => "admin".into(),
        store::RoleRef::Seller => "seller".into(),
        store::RoleRef::Custom(id) => id.to_string(),
    }
}
