//! `GET /api/v1/me`: who the caller is and what they may do; `PATCH /api/v1/me`: their availability.

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use domain::account::{Addon, Plan};
use domain::ids::{AccountId, UserId};
use domain::permissions::Permissions;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me, update_me))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeView {
    pub user: MeUser,
    pub account: MeAccount,
    /// `admin`, `seller`, or the custom role's id.
    pub role: String,
    pub permissions: Permissions,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub available: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeAccount {
    pub id: AccountId,
    pub name: String,
    pub plan: Plan,
    pub addons: Vec<Addon>,
    /// Whether the plan includes the inbox (Pro).
    pub inbox_enabled: bool,
    /// Whether WhatsApp channels may be connected (the WhatsApp add-on).
    pub whatsapp_enabled: bool,
    /// Where to talk to an advisor about the plan (`INBOX_ADVISOR_URL`), for the UI's upsell page.
    pub advisor_url: String,
}

pub fn me_view(me: &CurrentUser, advisor_url: &str) -> MeView {
    MeView {
        user: MeUser {
            id: me.user.id,
            email: me.user.email.clone(),
            name: me.user.name.clone(),
            available: me.user.available,
        },
        account: MeAccount {
            id: me.account.id,
            name: me.account.name.clone(),
            plan: me.account.plan,
            addons: me.account.addons.iter().copied().collect(),
            inbox_enabled: me.account.check_inbox().is_ok(),
            whatsapp_enabled: me.account.check_channel_kind(domain::channel::ChannelKind::WhatsappCloud).is_ok(),
            advisor_url: advisor_url.to_string(),
        },
        role: me.user.role.api_value(),
        permissions: me.permissions.clone(),
    }
}

/// The authenticated user, their role, permissions and the account's plan.
#[utoipa::path(get, path = "/api/v1/me", tag = "account", responses((status = 200, body = MeView), (status = 401, body = crate::error::ErrorBody)))]
async fn me(State(state): State<AppState>, me: CurrentUser) -> Json<MeView> {
    Json(me_view(&me, &state.config.advisor_url))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateMe {
    /// Whether the caller takes new conversations from the automatic (round-robin) assignment.
    available: Option<bool>,
}

/// Set one's own availability for automatic assignment (any user; an administrator may also set anyone's
/// with `PATCH /api/v1/users/{id}`).
#[utoipa::path(patch, path = "/api/v1/me", tag = "account", request_body = UpdateMe,
    responses((status = 200, body = MeView), (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_me(
    State(state): State<AppState>,
    mut me: CurrentUser,
    Json(req): Json<UpdateMe>,
) -> ApiResult<Json<MeView>> {
    if let Some(available) = req.available {
        let patch = store::UserPatch { available: Some(available), ..Default::default() };
        me.user = state.store.update_user(me.account_id(), me.user_id(), patch).await?;
        crate::audit::record(
            &state,
            me.account_id(),
            Some(me.user_id()),
            "user.availability",
            Some(("user", me.user_id().to_string())),
            serde_json::json!({"available": available}),
        )
        .await;
    }
    Ok(Json(me_view(&me, &state.config.advisor_url)))
}
