//! CRM contacts: list/search (paged by name), create (optionally linked to a conversation, taking
//! its WhatsApp identity), read, update and merge. Phones are validated and stored in E.164; custom
//! values are checked against the account's field definitions (`api::contact_fields`).

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::realtime::{Event, Payload};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::ids::{ContactId, ConversationId};
use domain::permissions::{Action, ConversationScope};
use domain::phone::PhoneE164;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use store::{ContactFields, ContactPatch, ContactRecord, ContactSearch, MergeOutcome};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::views::contact::{keys_of, view, ContactView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact))
        .routes(routes!(merge_contacts))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateContact {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    /// Any common format with the country code (`+52 55 1234 5678`, `525512345678`).
    phone_primary: Option<String>,
    phone_alternate: Option<String>,
    phone_whatsapp: Option<String>,
    /// Values of the account's custom fields by key, checked against their definitions.
    #[serde(default)]
    custom_fields: BTreeMap<String, String>,
    /// Link the new contact to this conversation's customer.
    conversation_id: Option<ConversationId>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateContact {
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    phone_primary: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    phone_alternate: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    phone_whatsapp: Option<Option<String>>,
    /// Custom values to change, by key: a value sets it, `null` or `""` clears it; keys not named
    /// keep their value. Checked against the field definitions.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, Option<String>>)]
    custom_fields: BTreeMap<String, Option<String>>,
}

fn some<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

pub fn clean(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

pub fn phone(field: &str, raw: Option<String>) -> ApiResult<Option<String>> {
    match clean(raw) {
        None => Ok(None),
        Some(raw) => PhoneE164::parse(&raw, None).map(|p| Some(p.as_str().to_string())).map_err(|_| {
            ApiError::unprocessable(
                "invalid_phone",
                format!("{field}: {raw:?} is not a phone number; use the international format, e.g. +52 55 1234 5678"),
            )
        }),
    }
}

pub fn email(raw: Option<String>) -> ApiResult<Option<String>> {
    clean(raw)
        .map(|e| {
            domain::email::Email::parse(&e)
                .map(|e| e.to_string())
                .map_err(|e| ApiError::unprocessable("invalid_email", e.to_string()))
        })
        .transpose()
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ContactQuery {
    /// Name or e-mail (any case, with or without accents), WhatsApp username (with or without `@`)
    /// or user id, or any of the three phones in any format.
    q: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// 1 to 100 (default 30).
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactList {
    /// By name (folded: case and accents ignored), then id.
    pub items: Vec<ContactView>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// A page cursor: the (sort name, id) of the last contact shown, opaque to clients.
fn encode_cursor(c: &ContactRecord) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::json!([c.sort_name, c.id]).to_string())
}

fn decode_cursor(raw: &str) -> ApiResult<(String, ContactId)> {
    let bad = || ApiError::bad_request("invalid_cursor", "cursor is not one this list returned");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// The contacts the caller may see, by name, one page at a time; with `q`, those matching it.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactQuery),
    responses((status = 200, body = ContactList), (status = 400, body = crate::error::ErrorBody)))]
async fn list_contacts(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ContactQuery>,
) -> ApiResult<Json<ContactList>> {
    me.require_inbox()?;
    let query = clean(q.q);
    let limit = q.limit.unwrap_or(30).clamp(1, 100);
    let search = ContactSearch {
        terms: query
            .as_deref()
            .map(|t| domain::search::terms(t, 8).into_iter().map(|w| w.trim_start_matches('@').to_string()))
            .into_iter()
            .flatten()
            .filter(|w| !w.is_empty())
            .collect(),
        phone: query.as_deref().and_then(domain::phone::search_query),
        after: q.cursor.as_deref().map(decode_cursor).transpose()?,
        limit: limit + 1,
    };
    let mut found = state.store.list_contacts(me.account_id(), &me.scope(), &search).await?;
    let next_cursor = if found.len() as i64 > limit {
        found.truncate(limit as usize);
        found.last().map(encode_cursor)
    } else {
        None
    };
    Ok(Json(ContactList { items: found.into_iter().map(|c| view(c, vec![])).collect(), next_cursor }))
}

/// Match keys for a search term that may be a phone number typed in any format (see
/// `domain::phone::search_query`).
pub fn search_keys(q: &str) -> Vec<String> {
    domain::phone::search_query(q).map(|p| p.keys).unwrap_or_default()
}

/// Checks custom values against the account's definitions: every problem at once, as
/// `422 invalid_custom_fields` with one entry per field in `error.fields`.
pub async fn check_custom(
    state: &AppState,
    me: &CurrentUser,
    change: &BTreeMap<String, Option<String>>,
) -> ApiResult<BTreeMap<String, Option<String>>> {
    if change.is_empty() {
        return Ok(BTreeMap::new());
    }
    let defs = state.store.list_field_definitions(me.account_id()).await?;
    let mut out = BTreeMap::new();
    let mut problems = vec![];
    for (key, value) in change {
        let one: BTreeMap<String, Option<String>> = [(key.clone(), value.clone())].into();
        match domain::contact_fields::apply_values(&defs, &BTreeMap::new(), &one) {
            Ok(applied) => {
                out.insert(key.clone(), applied.get(key).cloned());
            }
            Err(p) => problems.extend(p),
        }
    }
    if problems.is_empty() {
        return Ok(out);
    }
    let message = problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; ");
    Err(ApiError::Invalid { code: "invalid_custom_fields", message, fields: problems, rows: vec![] })
}

/// Create a contact (needs `manage_contacts`); with `conversation_id`, link it to that conversation.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = CreateContact,
    responses((status = 201, body = ContactView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_contact(
    State(state): State<AppState>,
    me: CurrentUser,
    Json(req): Json<CreateContact>,
) -> ApiResult<(StatusCode, Json<ContactView>)> {
    me.require_inbox()?;
    me.require(Action::ManageContacts)?;
    if let Some(conversation) = req.conversation_id {
        // Linking needs the conversation to be visible: otherwise it does not exist for this caller.
        state.store.get_conversation(me.account_id(), &me.scope(), conversation).await?;
    }
    let fields = ContactFields {
        first_name: clean(req.first_name),
        last_name: clean(req.last_name),
        email: email(req.email)?,
        phone_primary: phone("phone_primary", req.phone_primary)?,
        phone_alternate: phone("phone_alternate", req.phone_alternate)?,
        phone_whatsapp: phone("phone_whatsapp", req.phone_whatsapp)?,
        whatsapp_user_id: None,
        whatsapp_username: None,
        custom_fields: check_custom(&state, &me, &req.custom_fields.into_iter().map(|(k, v)| (k, Some(v))).collect())
            .await?
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
    };
    if fields.first_name.is_none()
        && fields.last_name.is_none()
        && fields.email.is_none()
        && fields.phone_primary.is_none()
        && req.conversation_id.is_none()
    {
        return Err(ApiError::unprocessable(
            "invalid_contact",
            "a contact needs a name, an e-mail, a phone or a conversation",
        ));
    }
    let keys = keys_of(&[&fields.phone_primary, &fields.phone_alternate, &fields.phone_whatsapp]);
    let conflicts = state.store.contacts_with_phone_keys(me.account_id(), &me.scope(), &keys, None).await?;
    let contact =
        state.store.create_contact(me.account_id(), &fields, keys, req.conversation_id, state.now_ms()).await?;
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "contact.created",
        Some(("contact", contact.id.to_string())),
        serde_json::json!({"conversation_id": req.conversation_id}),
    )
    .await;
    crate::hooks::emit_contact(&state, me.account_id(), crate::hooks::HookEvent::ContactCreated, contact.id).await;
    if let Some(conversation) = req.conversation_id {
        let record = state
            .store
            .get_conversation(me.account_id(), &domain::permissions::ConversationScope::All, conversation)
            .await?;
        state.events.publish(Event::conversation_updated(&record, state.clock.now()));
    }
    Ok((StatusCode::CREATED, Json(view(contact, conflicts))))
}

/// One contact the caller may see.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = ContactId, Path)),
    responses((status = 200, body = ContactView), (status = 404, body = crate::error::ErrorBody)))]
async fn get_contact(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ContactId>,
) -> ApiResult<Json<ContactView>> {
    me.require_inbox()?;
    let contact = state.store.get_contact(me.account_id(), &me.scope(), id).await?;
    let f = &contact.fields;
    let keys = keys_of(&[&f.phone_primary, &f.phone_alternate, &f.phone_whatsapp]);
    let conflicts = state.store.contacts_with_phone_keys(me.account_id(), &me.scope(), &keys, Some(id)).await?;
    Ok(Json(view(contact, conflicts)))
}

/// Update a contact (needs `manage_contacts`); `null` clears a field.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = ContactId, Path)), request_body = UpdateContact,
    responses((status = 200, body = ContactView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_contact(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ContactId>,
    Json(req): Json<UpdateContact>,
) -> ApiResult<Json<ContactView>> {
    me.require_inbox()?;
    me.require(Action::ManageContacts)?;
    let current = state.store.get_contact(me.account_id(), &me.scope(), id).await?;
    let opt_phone = |field, v: Option<Option<String>>| -> ApiResult<Option<Option<String>>> {
        v.map(|v| phone(field, v)).transpose()
    };
    let patch = ContactPatch {
        first_name: req.first_name.map(clean),
        last_name: req.last_name.map(clean),
        email: req.email.map(email).transpose()?,
        phone_primary: opt_phone("phone_primary", req.phone_primary)?,
        phone_alternate: opt_phone("phone_alternate", req.phone_alternate)?,
        phone_whatsapp: opt_phone("phone_whatsapp", req.phone_whatsapp)?,
        custom_fields: check_custom(&state, &me, &req.custom_fields).await?,
    };
    let after = |p: &Option<Option<String>>, cur: &Option<String>| p.clone().unwrap_or_else(|| cur.clone());
    let f = &current.fields;
    let phones = [
        after(&patch.phone_primary, &f.phone_primary),
        after(&patch.phone_alternate, &f.phone_alternate),
        after(&patch.phone_whatsapp, &f.phone_whatsapp),
    ];
    let keys = keys_of(&[&phones[0], &phones[1], &phones[2]]);
    let contact =
        state.store.update_contact(me.account_id(), &me.scope(), id, &patch, keys.clone(), state.now_ms()).await?;
    let conflicts = state.store.contacts_with_phone_keys(me.account_id(), &me.scope(), &keys, Some(id)).await?;
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "contact.updated",
        Some(("contact", id.to_string())),
        serde_json::json!({}),
    )
    .await;
    crate::hooks::emit_contact(&state, me.account_id(), crate::hooks::HookEvent::ContactUpdated, id).await;
    Ok(Json(view(contact, conflicts)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MergeContacts {
    /// The contact merged into this one, then deleted.
    other_id: ContactId,
    /// The phones to keep, when together the two contacts have more than three different numbers
    /// (`409 too_many_phones` lists them); each must be one of the two contacts' numbers.
    phones: Option<ChosenPhones>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ChosenPhones {
    phone_primary: Option<String>,
    phone_alternate: Option<String>,
    phone_whatsapp: Option<String>,
}

/// Merge `other_id` into this contact (needs `manage_contacts`; both must be visible), in one
/// transaction: its conversations (customer handles) move here; phones, e-mail, names, WhatsApp
/// identity and custom values this contact lacks are taken from it (this contact's values win);
/// then it is deleted. Answers the merged contact.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/merge", tag = "contacts", params(("id" = ContactId, Path)),
    request_body = MergeContacts,
    responses((status = 200, body = ContactView), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
async fn merge_contacts(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ContactId>,
    Json(req): Json<MergeContacts>,
) -> ApiResult<Json<ContactView>> {
    me.require_inbox()?;
    me.require(Action::ManageContacts)?;
    if req.other_id == id {
        return Err(ApiError::unprocessable("invalid_merge", "a contact cannot be merged with itself"));
    }
    let chosen = match req.phones {
        Some(c) => Some([
            phone("phone_primary", c.phone_primary)?,
            phone("phone_alternate", c.phone_alternate)?,
            phone("phone_whatsapp", c.phone_whatsapp)?,
        ]),
        None => None,
    };
    let outcome = state
        .store
        .merge_contacts(me.account_id(), &me.scope(), id, req.other_id, chosen.as_ref(), state.now_ms())
        .await?;
    let (conversations, moved_handles) = match outcome {
        MergeOutcome::Merged { conversations, moved_handles } => (conversations, moved_handles),
        MergeOutcome::TooManyPhones(all) => {
            return Err(ApiError::conflict(
                "too_many_phones",
                format!(
                    "together these contacts have {} different phones ({}); a contact keeps three: choose them in \"phones\"",
                    all.len(),
                    all.join(", ")
                ),
            ))
        }
        MergeOutcome::UnknownPhone(p) => {
            return Err(ApiError::unprocessable("invalid_phone", format!("{p} is not a phone of either contact")))
        }
    };
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "contact.merged",
        Some(("contact", id.to_string())),
        serde_json::json!({"merged_id": req.other_id, "moved_handles": moved_handles, "conversation_ids": conversations}),
    )
    .await;
    let contact = state.store.get_contact(me.account_id(), &me.scope(), id).await?;
    let f = &contact.fields;
    let keys = keys_of(&[&f.phone_primary, &f.phone_alternate, &f.phone_whatsapp]);
    let conflicts = state.store.contacts_with_phone_keys(me.account_id(), &me.scope(), &keys, Some(id)).await?;
    let merged = view(contact, conflicts);
    crate::hooks::emit_contact(&state, me.account_id(), crate::hooks::HookEvent::ContactUpdated, id).await;
    // Those who see one of its conversations see the contact: each gets the conversation (whose
    // contact changed) and the contact, naming the contact that no longer exists.
    for conversation in conversations {
        let record = state.store.get_conversation(me.account_id(), &ConversationScope::All, conversation).await?;
        state.events.publish(Event::conversation_updated(&record, state.clock.now()));
        let contact = Box::new(merged.clone());
        let payload = Payload::ContactUpdated { contact, merged_id: Some(req.other_id), conversation_id: conversation };
        state.events.publish(Event::to_conversation(&record, payload));
    }
    Ok(Json(merged))
}
