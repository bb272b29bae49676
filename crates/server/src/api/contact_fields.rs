//! Custom contact field definitions: `GET/POST /api/v1/contact-fields`,
//! `PATCH/DELETE /api/v1/contact-fields/{key}`. Any user of the inbox reads them (the contact panel,
//! Personalize and the CSV need them); only administrators change them, because a definition is the
//! account's schema — deleting one deletes its value on every contact, including contacts the
//! person deleting it could not see.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::contact_fields::{self as fields, FieldDefinition, FieldProblem, FieldType};
use serde::{Deserialize, Serialize};
use store::FieldDefinitionPatch;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_fields, create_field)).routes(routes!(update_field, delete_field))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldView {
    /// The field's identity: the key of its value in `custom_fields`, its CSV column and the
    /// placeholder `{{contact.custom.KEY}}`. Never changes.
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// The allowed values of a `choice` field; empty for the other types.
    pub choices: Vec<String>,
    /// Display order (ascending; ties by key).
    pub position: i64,
}

impl From<FieldDefinition> for FieldView {
    fn from(d: FieldDefinition) -> Self {
        Self { key: d.key, label: d.label, field_type: d.field_type, choices: d.choices, position: d.position }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FieldList {
    pub items: Vec<FieldView>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateField {
    /// A lower-case letter, then lower-case letters, digits or `_` (at most 40).
    key: String,
    label: String,
    #[serde(rename = "type")]
    field_type: FieldType,
    #[serde(default)]
    choices: Vec<String>,
    /// Omitted: after the last field.
    position: Option<i64>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateField {
    label: Option<String>,
    /// Replaces the choices of a `choice` field. Values already stored are kept even when their
    /// choice is removed (they are checked again only when changed).
    choices: Option<Vec<String>>,
    position: Option<i64>,
}

/// One problem, as the 422 every definition write answers.
fn refused(p: FieldProblem) -> ApiError {
    ApiError::Invalid { code: p.code, message: p.message.clone(), fields: vec![p], rows: vec![] }
}

/// The account's custom contact fields, in display order. Any user of the inbox.
#[utoipa::path(get, path = "/api/v1/contact-fields", tag = "contacts",
    responses((status = 200, body = FieldList), (status = 403, body = crate::error::ErrorBody)))]
async fn list_fields(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<FieldList>> {
    me.require_inbox()?;
    let defs = state.store.list_field_definitions(me.account_id()).await?;
    Ok(Json(FieldList { items: defs.into_iter().map(FieldView::from).collect() }))
}

/// Define a custom contact field (administrators). `409 field_exists` when the key is taken.
#[utoipa::path(post, path = "/api/v1/contact-fields", tag = "contacts", request_body = CreateField,
    responses((status = 201, body = FieldView), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_field(
    State(state): State<AppState>,
    me: CurrentUser,
    Json(req): Json<CreateField>,
) -> ApiResult<(StatusCode, Json<FieldView>)> {
    me.require_inbox()?;
    me.require_admin()?;
    let key = req.key.trim().to_string();
    if !fields::valid_new_key(&key) {
        return Err(refused(FieldProblem {
            field: "key".into(),
            code: "invalid_key",
            message: format!(
                "key {key:?}: a lower-case letter, then lower-case letters, digits or _ (at most {})",
                fields::MAX_KEY_LEN
            ),
        }));
    }
    let def = FieldDefinition {
        label: fields::clean_label(&req.label).map_err(refused)?,
        choices: fields::clean_choices(req.field_type, &req.choices).map_err(refused)?,
        key,
        field_type: req.field_type,
        position: 0,
    };
    if state.store.count_field_definitions(me.account_id()).await? >= fields::MAX_DEFINITIONS as i64 {
        return Err(ApiError::unprocessable(
            "too_many_fields",
            format!("an account has at most {} custom fields", fields::MAX_DEFINITIONS),
        ));
    }
    let created =
        state.store.create_field_definition(me.account_id(), &def, req.position, state.now_ms()).await.map_err(
            |e| match e {
                e if e.is_conflict_on("key") || e.is_conflict_on("contact_field_definitions") => {
                    ApiError::conflict("field_exists", format!("a custom field with key {:?} exists", def.key))
                }
                other => other.into(),
            },
        )?;
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "contact_field.created",
        Some(("contact_field", created.key.clone())),
        serde_json::json!({"type": created.field_type, "label": created.label}),
    )
    .await;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Change a field's label, choices or position (administrators). Its key and type never change:
/// delete it and define another to change them.
#[utoipa::path(patch, path = "/api/v1/contact-fields/{key}", tag = "contacts", params(("key" = String, Path)),
    request_body = UpdateField,
    responses((status = 200, body = FieldView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_field(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(key): Path<String>,
    Json(req): Json<UpdateField>,
) -> ApiResult<Json<FieldView>> {
    me.require_inbox()?;
    me.require_admin()?;
    let current = state.store.get_field_definition(me.account_id(), &key).await?;
    let patch = FieldDefinitionPatch {
        label: req.label.as_deref().map(fields::clean_label).transpose().map_err(refused)?,
        choices: req.choices.map(|c| fields::clean_choices(current.field_type, &c)).transpose().map_err(refused)?,
        position: req.position,
    };
    let updated = state.store.update_field_definition(me.account_id(), &key, &patch, state.now_ms()).await?;
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "contact_field.updated",
        Some(("contact_field", key)),
        serde_json::json!({}),
    )
    .await;
    Ok(Json(updated.into()))
}

/// Delete a field (administrators) **and its value on every contact**, in one transaction.
#[utoipa::path(delete, path = "/api/v1/contact-fields/{key}", tag = "contacts", params(("key" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_field(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    me.require_inbox()?;
    me.require_admin()?;
    let cleared = state.store.delete_field_definition(me.account_id(), &key, state.now_ms()).await?;
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "contact_field.deleted",
        Some(("contact_field", key)),
        serde_json::json!({"values_deleted": cleared}),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
