//! `GET /api/v1/personalize/fields`: the Personalize menu of the account — every placeholder the
//! renderer accepts, the custom ones being the custom field keys its contacts use.

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use domain::personalize::PlaceholderInfo;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

/// More custom keys than a menu can show are not offered (they still render when typed).
const MAX_CUSTOM_KEYS: i64 = 200;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(personalize_fields))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonalizeFields {
    /// Contact fields, then `contact.custom.KEY` fields (group `custom`), then agent fields.
    pub items: Vec<PlaceholderInfo>,
}

/// The placeholders a text may use: `{"key": "contact.first_name", "token": "{{contact.first_name}}",
/// "group": "contact"}`, one `contact.custom.KEY` (group `custom`) per custom field key the account's
/// contacts use, and the agent's fields. Any user of the account.
#[utoipa::path(get, path = "/api/v1/personalize/fields", tag = "contacts",
    responses((status = 200, body = PersonalizeFields), (status = 401, body = crate::error::ErrorBody)))]
async fn personalize_fields(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<PersonalizeFields>> {
    let keys = state.store.custom_field_keys(me.account_id(), MAX_CUSTOM_KEYS).await?;
    Ok(Json(PersonalizeFields { items: domain::personalize::menu(keys.iter().map(String::as_str)) }))
}
