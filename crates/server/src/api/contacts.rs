//! CRM contacts: list/search, create (optionally linked to a conversation, taking its WhatsApp
//! identity), read and update. Phones are validated and stored in E.164.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::realtime::Event;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{ContactId, ConversationId};
use domain::permissions::Action;
use domain::phone::PhoneE164;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use store::{ContactFields, ContactPatch, ContactRecord};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_contacts, create_contact)).routes(routes!(get_contact, update_contact))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub id: ContactId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_primary: Option<String>,
    pub phone_alternate: Option<String>,
    /// The number WhatsApp uses for this customer (filled from the channel's `wa_id`).
    pub phone_whatsapp: Option<String>,
    pub whatsapp_user_id: Option<String>,
    pub whatsapp_username: Option<String>,
    pub custom_fields: BTreeMap<String, String>,
    /// Set when the customer stopped marketing messages (WhatsApp `user_preferences`, or a marketing
    /// template Meta refused with 131050); `null` when they accept them.
    pub marketing_opt_out: Option<crate::api::conversations::MarketingOptOut>,
    /// Other contacts that have one of this contact's numbers: an identity conflict for a person to
    /// resolve (contacts are never merged automatically).
    pub conflicts: Vec<ContactId>,
}

fn view(c: ContactRecord, conflicts: Vec<ContactId>) -> ContactView {
    let f = c.fields;
    ContactView {
        id: c.id,
        first_name: f.first_name,
        last_name: f.last_name,
        email: f.email,
        phone_primary: f.phone_primary,
        phone_alternate: f.phone_alternate,
        phone_whatsapp: f.phone_whatsapp,
        whatsapp_user_id: f.whatsapp_user_id,
        whatsapp_username: f.whatsapp_username,
        custom_fields: f.custom_fields,
        marketing_opt_out: crate::api::conversations::MarketingOptOut::from_millis(c.marketing_opt_out_at),
        conflicts,
    }
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
    custom_fields: Option<BTreeMap<String, String>>,
}

fn some<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn phone(field: &str, raw: Option<String>) -> ApiResult<Option<String>> {
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

fn email(raw: Option<String>) -> ApiResult<Option<String>> {
    clean(raw)
        .map(|e| {
            domain::email::Email::parse(&e)
                .map(|e| e.to_string())
                .map_err(|e| ApiError::unprocessable("invalid_email", e.to_string()))
        })
        .transpose()
}

fn keys_of(phones: &[&Option<String>]) -> Vec<String> {
    phones.iter().filter_map(|p| p.as_deref()).flat_map(domain::phone::match_keys).collect()
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ContactQuery {
    /// Name, e-mail, WhatsApp username, or any of the three phones in any format.
    q: Option<String>,
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactList {
    pub items: Vec<ContactView>,
}

/// Search the contacts the caller may see.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactQuery), responses((status = 200, body = ContactList)))]
async fn list_contacts(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ContactQuery>,
) -> ApiResult<Json<ContactList>> {
    me.require_inbox()?;
    let query = clean(q.q);
    let keys = query.as_deref().map(search_keys).unwrap_or_default();
    let found = state
        .store
        .search_contacts(me.account_id(), &me.scope(), query.as_deref(), &keys, q.limit.unwrap_or(30).clamp(1, 100))
        .await?;
    Ok(Json(ContactList { items: found.into_iter().map(|c| view(c, vec![])).collect() }))
}

/// Match keys for a search term that may be a phone number typed in any format.
pub fn search_keys(q: &str) -> Vec<String> {
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return vec![];
    }
    match PhoneE164::parse(q, None) {
        Ok(p) => p.match_keys(),
        Err(_) => domain::phone::match_keys(&digits),
    }
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
        custom_fields: req.custom_fields,
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
        custom_fields: req.custom_fields,
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
    Ok(Json(view(contact, conflicts)))
}
