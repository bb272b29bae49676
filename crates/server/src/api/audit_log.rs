//! `GET /api/v1/audit` and `GET /api/v1/audit/export.csv`: the audit log, for administrators,
//! narrowed by who, what and when.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use domain::ids::UserId;
use serde::{Deserialize, Serialize};
use store::{AuditEntry, AuditFilter};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit)).routes(routes!(export_audit))
}

/// The narrowing both routes share.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditFilterQuery {
    /// Only what this user did.
    user_id: Option<UserId>,
    /// An action (`channel.created`) or a family of actions (`channel`).
    action: Option<String>,
    /// From this instant, included (RFC 3339).
    from: Option<String>,
    /// Until this instant, excluded (RFC 3339).
    until: Option<String>,
}

impl AuditFilterQuery {
    fn filter(&self) -> ApiResult<AuditFilter> {
        let instant = |name: &str, value: &Option<String>| -> ApiResult<Option<i64>> {
            value
                .as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| {
                    OffsetDateTime::parse(v, &Rfc3339).map(domain::time_util::to_millis).map_err(|_| {
                        ApiError::unprocessable("invalid_query", format!("`{name}` must be an RFC 3339 instant"))
                    })
                })
                .transpose()
        };
        Ok(AuditFilter {
            user: self.user_id,
            action: self.action.clone().filter(|a| !a.trim().is_empty()),
            from_ms: instant("from", &self.from)?,
            until_ms: instant("until", &self.until)?,
        })
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
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

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        AuditView {
            id: e.id,
            user_id: e.user_id,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            details: e.details,
            created_at: domain::time_util::from_millis(e.created_at),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditView>,
    pub next_cursor: Option<String>,
}

/// Who did what and when, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "account", params(AuditFilterQuery, PageQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(filter): Query<AuditFilterQuery>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<AuditPage>> {
    me.require_admin()?;
    let filter = filter.filter()?;
    let limit = page.limit.unwrap_or(50).clamp(1, 200);
    let entries = state.store.list_audit(me.account_id(), &filter, page.cursor.as_deref(), limit).await?;
    let next_cursor = if entries.len() as i64 == limit { entries.last().map(|e| e.id.clone()) } else { None };
    Ok(Json(AuditPage { items: entries.into_iter().map(AuditView::from).collect(), next_cursor }))
}

/// At most this many entries in one export; a wider one is refused so the admin narrows the dates.
const EXPORT_LIMIT: usize = 100_000;
const EXPORT_PAGE: i64 = 1_000;

/// The same entries as a CSV file (RFC 4180), newest first, with the user's name and e-mail beside
/// their id: `created_at,user_id,user_name,user_email,action,target_type,target_id,details`.
#[utoipa::path(get, path = "/api/v1/audit/export.csv", tag = "account", params(AuditFilterQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn export_audit(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(filter): Query<AuditFilterQuery>,
) -> ApiResult<impl IntoResponse> {
    me.require_admin()?;
    let filter = filter.filter()?;
    let users = state.store.list_users(me.account_id()).await?;
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = state.store.list_audit(me.account_id(), &filter, cursor.as_deref(), EXPORT_PAGE).await?;
        let full = page.len() as i64 == EXPORT_PAGE;
        cursor = page.last().map(|e| e.id.clone());
        entries.extend(page);
        if entries.len() > EXPORT_LIMIT {
            return Err(ApiError::unprocessable(
                "export_too_large",
                format!("more than {EXPORT_LIMIT} entries: narrow the dates"),
            ));
        }
        if !full {
            break;
        }
    }
    let mut csv = csv::Writer::from_writer(Vec::new());
    let header = ["created_at", "user_id", "user_name", "user_email", "action", "target_type", "target_id", "details"];
    let write_err = |e: csv::Error| ApiError::Internal(anyhow::anyhow!("writing the audit CSV: {e}"));
    csv.write_record(header).map_err(write_err)?;
    for e in entries {
        let user = e.user_id.and_then(|id| users.iter().find(|u| u.id == id));
        let created_at = domain::time_util::from_millis(e.created_at).format(&Rfc3339).unwrap_or_default();
        csv.write_record([
            created_at,
            e.user_id.map(|u| u.to_string()).unwrap_or_default(),
            user.map(|u| u.name.clone()).unwrap_or_default(),
            user.map(|u| u.email.to_string()).unwrap_or_default(),
            e.action,
            e.target_type.unwrap_or_default(),
            e.target_id.unwrap_or_default(),
            e.details.to_string(),
        ])
        .map_err(write_err)?;
    }
    let body = csv.into_inner().map_err(|e| ApiError::Internal(anyhow::anyhow!("writing the audit CSV: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"audit-log.csv\""),
        ],
        body,
    ))
}
