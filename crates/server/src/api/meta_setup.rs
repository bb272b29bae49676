//! `GET /api/v1/meta_webhook`: what an administrator pastes into Meta's app dashboard so Meta sends
//! this inbox its webhooks — the callback URL and the verify token — and whether the app secret that
//! checks their signatures is configured. Shown on the channels page.

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use domain::permissions::Action;
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(meta_webhook))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MetaWebhookSetup {
    /// `INBOX_PUBLIC_URL` + `/webhooks/meta`: Meta's "Callback URL".
    pub callback_url: String,
    /// `INBOX_META_VERIFY_TOKEN`: Meta's "Verify token"; `null` when not configured (Meta's check
    /// of the callback then fails).
    pub verify_token: Option<String>,
    /// Whether `INBOX_META_APP_SECRET` is set; without it every webhook is refused (`401`).
    pub app_secret_configured: bool,
    /// Whether the callback URL is HTTPS, which Meta requires.
    pub https: bool,
}

/// The webhook settings to enter in Meta's app dashboard (needs `manage_channels`).
#[utoipa::path(get, path = "/api/v1/meta_webhook", tag = "channels",
    responses((status = 200, body = MetaWebhookSetup), (status = 403, body = crate::error::ErrorBody)))]
async fn meta_webhook(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<MetaWebhookSetup>> {
    me.require_inbox()?;
    me.require(Action::ManageChannels)?;
    let config = &state.config;
    Ok(Json(MetaWebhookSetup {
        callback_url: format!("{}/webhooks/meta", config.public_url.trim_end_matches('/')),
        verify_token: config.meta_verify_token.as_ref().map(|t| t.expose_secret().to_string()),
        app_secret_configured: config.meta_app_secret.is_some(),
        https: config.public_url.starts_with("https://"),
    }))
}
