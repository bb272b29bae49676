//! `GET /api/v1/contacts/export.csv` and `POST /api/v1/contacts/import?dry_run=`: contacts as CSV
//! (see `csv_contacts` for the columns and the matching rules). An import is all or nothing: a dry
//! run reports what it would do and every problem by row; a commit with any problem writes nothing.
//! These routes have their own body limit ([`MAX_IMPORT_BYTES`], answered as JSON `413`).

use crate::auth::CurrentUser;
use crate::csv_contacts::{self, Existing, ImportRefusal};
use crate::error::{ApiError, ApiResult, RowProblem};
use crate::extract::{Json, Query};
use crate::state::AppState;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use domain::permissions::Action;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Largest file an import accepts.
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;
/// Most data rows an import accepts.
pub const MAX_IMPORT_ROWS: u64 = 10_000;
/// Most problems a report lists (the count says how many there were).
const MAX_REPORTED: usize = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_contacts)).routes(routes!(import_contacts))
}

/// Export every contact the caller may see, by name: `id, first_name, last_name, email, phone_1,
/// phone_2, phone_3, whatsapp_user_id, whatsapp_username`, then one column per custom field (by key).
/// UTF-8 with a byte order mark (so spreadsheets read accents), RFC 4180 quoting, CRLF line ends.
#[utoipa::path(get, path = "/api/v1/contacts/export.csv", tag = "contacts",
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = crate::error::ErrorBody)))]
async fn export_contacts(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Response> {
    me.require_inbox()?;
    let contacts = state.store.all_contacts(me.account_id(), &me.scope()).await?;
    let defs = state.store.list_field_definitions(me.account_id()).await?;
    let body = csv_contacts::export(&contacts, &defs).map_err(|e| ApiError::Internal(e.into()))?;
    let mut res = body.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"contactos.csv\""));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `true` (the default): only report what the import would do. `false`: do it, or nothing if
    /// any row has a problem.
    dry_run: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Whether the contacts were written (a commit without problems).
    pub committed: bool,
    /// Data rows read (the header and empty lines excluded).
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    /// Rows naming a contact they would not change.
    pub unchanged: u64,
    /// How many problems there are (at most 1000 are listed).
    pub error_count: u64,
    pub errors: Vec<RowProblem>,
}

/// Import contacts from CSV: the body is the file (`Content-Type: text/csv`) or a multipart form
/// whose field `file` is. Needs `manage_contacts`; rows are matched only to contacts the caller may
/// see. A commit with problems answers `422 import_invalid` with every problem in `error.rows`.
#[utoipa::path(post, path = "/api/v1/contacts/import", tag = "contacts", params(ImportQuery),
    request_body(content_type = "text/csv", description = "the CSV file, or multipart/form-data with field `file`"),
    responses((status = 200, body = ImportReport), (status = 403, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn import_contacts(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ImportQuery>,
    request: Request,
) -> ApiResult<Json<ImportReport>> {
    me.require_inbox()?;
    me.require(Action::ManageContacts)?;
    let dry_run = q.dry_run.unwrap_or(true);
    let data = read_file(&state, request).await?;
    let defs = state.store.list_field_definitions(me.account_id()).await?;
    let contacts = state.store.all_contacts(me.account_id(), &me.scope()).await?;
    let keys = state.store.contact_phone_keys(me.account_id()).await?;
    let existing = Existing::new(&contacts, &keys);
    let plan = csv_contacts::plan(&data, &defs, &existing, MAX_IMPORT_ROWS).map_err(|ImportRefusal::TooManyRows| {
        too_large(format!("an import has at most {MAX_IMPORT_ROWS} rows; split the file"))
    })?;
    let error_count = plan.problems.len() as u64;
    let mut errors = plan.problems;
    errors.truncate(MAX_REPORTED);
    if !dry_run && error_count > 0 {
        return Err(ApiError::Invalid {
            code: "import_invalid",
            message: format!("{error_count} problems in the file; nothing was imported"),
            fields: vec![],
            rows: errors,
        });
    }
    let committed = !dry_run;
    if committed && !plan.writes.is_empty() {
        let created = state.store.import_contacts(me.account_id(), &plan.writes, state.now_ms()).await?;
        let updated: Vec<_> = plan.writes.iter().filter_map(|w| w.id).collect();
        crate::hooks::emit_contacts(&state, me.account_id(), crate::hooks::HookEvent::ContactCreated, &created).await;
        crate::hooks::emit_contacts(&state, me.account_id(), crate::hooks::HookEvent::ContactUpdated, &updated).await;
        crate::audit::record(
            &state,
            me.account_id(),
            Some(me.user_id()),
            "contacts.imported",
            None,
            serde_json::json!({"rows": plan.rows, "created": plan.created, "updated": plan.updated}),
        )
        .await;
    }
    Ok(Json(ImportReport {
        dry_run,
        committed,
        rows: plan.rows,
        created: plan.created,
        updated: plan.updated,
        unchanged: plan.unchanged,
        error_count,
        errors,
    }))
}

fn too_large(message: String) -> ApiError {
    ApiError::PayloadTooLarge { code: "import_too_large", message }
}

/// The file of an import request, at most [`MAX_IMPORT_BYTES`].
async fn read_file(state: &AppState, request: Request) -> ApiResult<Vec<u8>> {
    let too_big = || too_large(format!("an import file has at most {} MB", MAX_IMPORT_BYTES / (1024 * 1024)));
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
        while let Some(mut field) =
            form.next_field().await.map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?
        {
            if field.name() != Some("file") {
                continue;
            }
            let mut data = vec![];
            while let Some(chunk) =
                field.chunk().await.map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?
            {
                if data.len() + chunk.len() > MAX_IMPORT_BYTES {
                    return Err(too_big());
                }
                data.extend_from_slice(&chunk);
            }
            return Ok(data);
        }
        return Err(ApiError::unprocessable("invalid_request", "the form has no field \"file\""));
    }
    let csv_like =
        ["text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream"];
    if !csv_like.iter().any(|t| content_type.starts_with(t)) {
        return Err(ApiError::UnsupportedMediaType {
            code: "unsupported_media_type",
            message: "send the file as text/csv, or as multipart/form-data with a field \"file\"".into(),
        });
    }
    let bytes = axum::body::to_bytes(request.into_body(), MAX_IMPORT_BYTES).await.map_err(|_| too_big())?;
    Ok(bytes.to_vec())
}
