//! `GET /api/v1/audit`: the audit log, for administrators.

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::{Json, Query};
use crate::state::AppState;
use axum::extract::State;
use domain::ids::UserId;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: String,
    pub user_id: Option<UserId>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditView>,
    pub next_cursor: Option<String>,
}

/// Who did what and when, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "account", params(AuditQuery), responses((status = 200, body = AuditPage), (status = 403, body = crate::error::ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    me.require_admin()?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let entries = state.store.list_audit(me.account_id(), q.cursor.as_deref(), limit).await?;
    let next_cursor = if entries.len() as i64 == limit { entries.last().map(|e| e.id.clone()) } else { None };
    let items = entries
        .into_iter()
        .map(|e| AuditView {
            id: e.id,
            user_id: e.user_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            details: e.details,
            created_at: domain::time_util::from_millis(e.created_at),
        })
        .collect();
    Ok(Json(AuditPage { items, next_cursor }))
}
