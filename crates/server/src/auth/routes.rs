//! `POST /api/v1/auth/login` and `/logout`: browser sessions in an HttpOnly, SameSite cookie.

use super::credentials::{hash_secret, new_session_token, session_from_cookie_header, SESSION_COOKIE};
use super::password;
use super::throttle::{client_address, LoginThrottle, RetryAfter};
use crate::audit::record;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::views::me::{me_view, MeView};
use axum::extract::ConnectInfo;
use axum::extract::State;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::email::Email;
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    // One throttle per application (each test server has its own).
    let throttle = std::sync::Arc::new(LoginThrottle::default());
    OpenApiRouter::new().routes(routes!(login)).layer(axum::Extension(throttle)).routes(routes!(logout))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    email: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

/// Log in with e-mail and password; sets the `inbox_session` cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = MeView), (status = 401, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    axum::Extension(throttle): axum::Extension<std::sync::Arc<LoginThrottle>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    // Before any hash: a guessing or flooding client is slowed down here.
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let address = client_address(peer.ip(), forwarded);
    throttle.attempt(address, &req.email, std::time::Instant::now()).map_err(|RetryAfter(wait)| {
        tracing::warn!(%address, "login throttled");
        ApiError::TooManyRequests { retry_after_secs: wait.as_secs().max(1) }
    })?;
    let found = match Email::parse(&req.email) {
        Ok(email) => state.store.find_login(&email).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) if user.active => (Some(user), hash),
        _ => (None, password::decoy_hash().to_string()),
    };
    let turn = throttle.hashing_turn().await.ok_or(ApiError::Unavailable)?;
    let matches = password::verify(req.password, hash).await?;
    drop(turn);
    let user = match (user, matches) {
        (Some(user), true) => user,
        _ => {
            throttle.failed(&req.email, std::time::Instant::now());
            return Err(ApiError::Unauthorized);
        }
    };
    throttle.succeeded(&req.email);
    let token = new_session_token();
    let now = state.now_ms();
    let ttl = state.config.session_ttl;
    state.store.create_session(user.id, &hash_secret(&token), now, now + ttl.as_millis() as i64).await?;
    let principal = state.store.principal_by_session(&hash_secret(&token), now).await?.ok_or(ApiError::Unauthorized)?;
    record(
        &state,
        principal.account.id,
        Some(user.id),
        "auth.login",
        Some(("user", user.id.to_string())),
        serde_json::json!({}),
    )
    .await;
    let secure = if state.config.secure_cookies() { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", ttl.as_secs());
    let mut response =
        Json(me_view(&CurrentUser::from_principal(principal, true), &state.config.advisor_url)).into_response();
    response.headers_mut().insert(SET_COOKIE, HeaderValue::from_str(&cookie).map_err(anyhow::Error::from)?);
    Ok(response)
}

/// End the current browser session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let session = headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(session_from_cookie_header);
    if let Some(token) = session {
        let hash = hash_secret(token);
        let owner = state.store.principal_by_session(&hash, state.clock.now_ms()).await?;
        state.store.delete_session(&hash).await?;
        // The events socket opened with this session closes too.
        if let Some(p) = owner {
            state.events.access_changed(p.account.id, Some(p.user.id));
        }
    }
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(SET_COOKIE, HeaderValue::from_str(&expired).map_err(anyhow::Error::from)?);
    Ok(response)
}
