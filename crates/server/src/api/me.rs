//! `GET /api/v1/me`: who the caller is and what they may do; `PATCH /api/v1/me`: their availability.

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::views::me::{me_view, MeView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me, update_me))
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
