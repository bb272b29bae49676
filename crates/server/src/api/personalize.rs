//! `GET /api/v1/personalize/fields`: the Personalize menu of the account — every placeholder the
//! renderer accepts, the custom ones being the account's custom field definitions.

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use domain::personalize::PlaceholderInfo;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(personalize_fields))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonalizeFields {
    /// Contact fields, then `contact.custom.KEY` fields (group `custom`), then agent fields.
    pub items: Vec<PlaceholderInfo>,
}

/// The placeholders a text may use: `{"key": "contact.first_name", "token": "{{contact.first_name}}",
/// "group": "contact"}`, one `contact.custom.KEY` (group `custom`, with the field's `label`) per
/// custom field the account defines, in their order, and the agent's fields. Any user of the account.
#[utoipa::path(get, path = "/api/v1/personalize/fields", tag = "contacts",
    responses((status = 200, body = PersonalizeFields), (status = 401, body = crate::error::ErrorBody)))]
async fn personalize_fields(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<PersonalizeFields>> {
    let defs = state.store.list_field_definitions(me.account_id()).await?;
    let items = domain::personalize::menu(defs.iter().map(|d| (d.key.as_str(), d.label.as_str())));
    Ok(Json(PersonalizeFields { items }))
}
