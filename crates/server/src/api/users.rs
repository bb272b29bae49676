//! Users of the account: `GET/POST /api/v1/users`, `PATCH /api/v1/users/{id}`, and
//! `GET /api/v1/users/assignable` (who a conversation can be assigned to).

use crate::api::refusal_budget::RefusalBudget;
use crate::audit::record;
use crate::auth::password::{self, MIN_PASSWORD_LEN};
use crate::auth::throttle::RetryAfter;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::email::Email;
use domain::ids::{RoleId, UserId};
use domain::permissions::{Action, Permissions, Role};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{NewUser, RoleRef, User, UserPatch};
use utoipa_axum::{router::OpenApiRouter, routes};

/// `email_taken` answers an account may get per window (see [`RefusalBudget`]).
pub const EMAIL_TAKEN_PER_WINDOW: u32 = 10;
pub const EMAIL_TAKEN_WINDOW: Duration = Duration::from_secs(3600);

pub fn router() -> OpenApiRouter<AppState> {
    // One allowance per application (each test server has its own).
    let email_taken = Arc::new(RefusalBudget::new(EMAIL_TAKEN_PER_WINDOW, EMAIL_TAKEN_WINDOW));
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .layer(axum::Extension(email_taken))
        .routes(routes!(update_user))
        .routes(routes!(assignable_users))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub name: String,
    /// `admin`, `seller`, or a custom role id.
    pub role: String,
    pub role_name: String,
    pub active: bool,
    pub available: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        let role_name = match &u.role {
            Role::Admin => "admin".to_string(),
            Role::Seller => "seller".to_string(),
            Role::Custom { name, .. } => name.clone(),
        };
        Self {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.api_value(),
            role_name,
            active: u.active,
            available: u.available,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateUser {
    email: String,
    name: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
    /// `admin`, `seller` or a custom role id.
    role: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateUser {
    role: Option<String>,
    active: Option<bool>,
    available: Option<bool>,
    name: Option<String>,
}

pub(crate) fn parse_role(raw: &str) -> ApiResult<RoleRef> {
    match raw {
        "admin" => Ok(RoleRef::Admin),
        "seller" => Ok(RoleRef::Seller),
        other => other.parse::<RoleId>().map(RoleRef::Custom).map_err(|_| {
            ApiError::unprocessable("invalid_role", "role must be \"admin\", \"seller\" or a custom role id")
        }),
    }
}

/// Nobody hands out more than they hold: only an administrator may give the administrator role, and
/// a custom role allowed to manage users may give (anyone, itself included) only a role whose
/// visibility and actions are within its own.
async fn check_role_grant(state: &AppState, me: &CurrentUser, role: &RoleRef) -> ApiResult<()> {
    if me.user.role.is_admin() {
        return Ok(());
    }
    let granted = match role {
        RoleRef::Admin => return me.require_admin(),
        RoleRef::Seller => Permissions::seller(),
        RoleRef::Custom(id) => {
            state.store.get_role(me.account_id(), *id).await.map_err(custom_role_missing)?.permissions()
        }
    };
    if granted.within(&me.permissions) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("you cannot grant a role that sees or does more than your own"))
    }
}

fn custom_role_missing(e: store::StoreError) -> ApiError {
    match e {
        store::StoreError::NotFound => ApiError::unprocessable("invalid_role", "no such role in this account"),
        other => other.into(),
    }
}

/// Every user of the account, with e-mail, role and availability (needs `manage_users`).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = UserList), (status = 403, body = crate::error::ErrorBody)))]
async fn list_users(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<UserList>> {
    // E-mails, roles and availability are for those who manage users; everyone else who needs names
    // (the "assign to…" menu) has `/api/v1/users/assignable`.
    me.require(Action::ManageUsers)?;
    let users = state.store.list_users(me.account_id()).await?;
    Ok(Json(UserList { items: users.iter().map(UserView::from).collect() }))
}

/// Someone a conversation can be assigned to: only what the "assign to…" menu shows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AssignableUser {
    pub id: UserId,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AssignableUserList {
    /// Active users of the account, by name.
    pub items: Vec<AssignableUser>,
}

/// The account's active users (id and name only), for assigning conversations; needs `assign`.
#[utoipa::path(get, path = "/api/v1/users/assignable", tag = "users",
    responses((status = 200, body = AssignableUserList), (status = 403, body = crate::error::ErrorBody)))]
async fn assignable_users(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<AssignableUserList>> {
    me.require_inbox()?;
    me.require(Action::Assign)?;
    let mut items: Vec<AssignableUser> = state
        .store
        .list_users(me.account_id())
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| AssignableUser { id: u.id, name: u.name })
        .collect();
    items.sort_by_cached_key(|u| (u.name.to_lowercase(), u.id));
    Ok(Json(AssignableUserList { items }))
}

/// Create a user with a role (needs `manage_users`; only admins create admins).
///
/// E-mail addresses are the login, unique across the installation: an address already used — in
/// this account or another, one answer for both — is `409 email_taken`. Such answers are few per
/// account and hour; then every creation is `429` until the hour ends, whatever the address, so that
/// they cannot be used to find out who uses the inbox elsewhere.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    axum::Extension(email_taken): axum::Extension<Arc<RefusalBudget>>,
    me: CurrentUser,
    Json(req): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    me.require(Action::ManageUsers)?;
    let budget_key = me.account_id().to_string();
    email_taken
        .check(&budget_key, Instant::now())
        .map_err(|RetryAfter(wait)| ApiError::TooManyRequests { retry_after_secs: wait.as_secs().max(1) })?;
    let email = Email::parse(&req.email).map_err(|e| ApiError::unprocessable("invalid_email", e.to_string()))?;
    let name = req.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::unprocessable("invalid_name", "name must not be empty"));
    }
    if req.password.expose_secret().chars().count() < MIN_PASSWORD_LEN {
        return Err(ApiError::unprocessable(
            "weak_password",
            format!("password must have at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    let role = parse_role(&req.role)?;
    check_role_grant(&state, &me, &role).await?;
    let password_hash = password::hash(req.password).await?;
    let user = state
        .store
        .create_user(me.account_id(), NewUser { email, name, password_hash, role }, state.now_ms())
        .await
        .map_err(|e| match e {
            e if e.is_conflict_on("email") => {
                email_taken.spend(&budget_key, Instant::now());
                ApiError::conflict("email_taken", "a user with this e-mail already exists")
            }
            other => custom_role_missing(other),
        })?;
    record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "user.created",
        Some(("user", user.id.to_string())),
        serde_json::json!({"role": user.role.api_value()}),
    )
    .await;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

/// Change a user's role, deactivate them (their sessions and tokens stop working at once) or set
/// their availability for automatic assignment. A user may change their own availability.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUser,
    params(("id" = UserId, Path)),
    responses((status = 200, body = UserView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<UserId>,
    Json(req): Json<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    let only_own_availability = id == me.user_id() && req.role.is_none() && req.active.is_none() && req.name.is_none();
    if !only_own_availability {
        me.require(Action::ManageUsers)?;
    }
    let role = req.role.as_deref().map(parse_role).transpose()?;
    if let Some(role) = &role {
        check_role_grant(&state, &me, role).await?;
    }
    let target = state.store.get_user(me.account_id(), id).await?;
    if target.role.is_admin() && !me.user.role.is_admin() {
        return Err(ApiError::Forbidden("only administrators may change an administrator"));
    }
    if id == me.user_id()
        && (req.active == Some(false) || role.as_ref().is_some_and(|r| *r != RoleRef::Admin) && me.user.role.is_admin())
    {
        return Err(ApiError::unprocessable(
            "cannot_demote_self",
            "you cannot deactivate yourself or give up your own administrator role",
        ));
    }
    let name = req.name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    let patch = UserPatch { role, active: req.active, available: req.available, name };
    let access_changes = patch.role.is_some() || patch.active.is_some();
    let user = state.store.update_user(me.account_id(), id, patch).await.map_err(custom_role_missing)?;
    if access_changes {
        // Open sockets of this user adopt the new role at once, or close if deactivated.
        state.events.access_changed(me.account_id(), Some(id));
    }
    record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "user.updated",
        Some(("user", id.to_string())),
        serde_json::json!({"role": user.role.api_value(), "active": user.active, "available": user.available}),
    )
    .await;
    Ok(Json(UserView::from(&user)))
}
