//! Roles: `GET /api/v1/roles` (those who manage users) and `POST /api/v1/roles` (administrators).

use crate::audit::record;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::RoleId;
use domain::permissions::{Action, Permissions, Role};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_roles, create_role))
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
    let name = req.name.trim();
    if name.is_empty() || matches!(name, "admin" | "seller") {
        return Err(ApiError::unprocessable(
            "invalid_name",
            "a custom role needs a name other than \"admin\" or \"seller\"",
        ));
    }
    let permissions =
        req.permissions.validate().map_err(|e| ApiError::unprocessable("invalid_permissions", e.to_string()))?;
    for channel in &permissions.channel_ids {
        state.store.get_channel(me.account_id(), *channel).await.map_err(|e| match e {
            store::StoreError::NotFound => ApiError::unprocessable(
                "invalid_permissions",
                format!("channel {channel} does not exist in this account"),
            ),
            other => other.into(),
        })?;
    }
    let role =
        state.store.create_role(me.account_id(), name, &permissions, state.now_ms()).await.map_err(|e| match e {
            e if e.is_conflict_on("name") => ApiError::conflict("role_exists", "a role with this name already exists"),
            other => other.into(),
        })?;
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
