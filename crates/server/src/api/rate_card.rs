//! The template rate card: `PUT /api/v1/rate_card` (CSV `market,category,price,currency`, admins) and
//! `GET /api/v1/rate_card`. Estimates shown before a template is sent come from it.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use domain::pricing::{parse_rate_card, Rate};
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_card, put_card))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RateCard {
    pub items: Vec<Rate>,
}

/// The account's rate card.
#[utoipa::path(get, path = "/api/v1/rate_card", tag = "channels", responses((status = 200, body = RateCard)))]
async fn get_card(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<RateCard>> {
    me.require_inbox()?;
    Ok(Json(RateCard { items: state.store.rate_card(me.account_id()).await? }))
}

/// Replace the rate card with a CSV of `market,category,price,currency` (market `*` for the rest).
#[utoipa::path(put, path = "/api/v1/rate_card", tag = "channels", request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = RateCard), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn put_card(State(state): State<AppState>, me: CurrentUser, body: String) -> ApiResult<Json<RateCard>> {
    me.require_inbox()?;
    me.require_admin()?;
    let rates = parse_rate_card(&body).map_err(|e| ApiError::unprocessable("invalid_rate_card", e.to_string()))?;
    state.store.replace_rate_card(me.account_id(), &rates).await?;
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "rate_card.replaced",
        None,
        serde_json::json!({"rates": rates.len()}),
    )
    .await;
    Ok(Json(RateCard { items: rates }))
}
