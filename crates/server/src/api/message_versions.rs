//! `GET /api/v1/messages/{id}/versions`: what an edited message said before, for the UI's
//! "Editado · ver texto anterior".

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::{Path, State};
use domain::ids::MessageId;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_versions))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageVersionView {
    /// The text before the edit.
    pub text: Option<String>,
    /// When the edit replaced it.
    #[serde(with = "time::serde::rfc3339")]
    pub replaced_at: OffsetDateTime,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageVersionList {
    /// Oldest first.
    pub items: Vec<MessageVersionView>,
}

/// The earlier texts of an edited message (a deleted message has none to show: `404`).
#[utoipa::path(get, path = "/api/v1/messages/{id}/versions", tag = "conversations", params(("id" = MessageId, Path)),
    responses((status = 200, body = MessageVersionList), (status = 404, body = crate::error::ErrorBody)))]
async fn list_versions(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<MessageId>,
) -> ApiResult<Json<MessageVersionList>> {
    me.require_inbox()?;
    let versions = state.store.message_versions(me.account_id(), &me.scope(), id).await?;
    let items = versions
        .into_iter()
        .map(|v| MessageVersionView {
            text: v.text,
            replaced_at: OffsetDateTime::from_unix_timestamp_nanos(i128::from(v.replaced_at) * 1_000_000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        })
        .collect();
    Ok(Json(MessageVersionList { items }))
}
