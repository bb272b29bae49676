//! `GET /{ID}` and `DELETE /{ID}` on the objects the simulator knows: media (URL and metadata, or
//! deletion), Messenger and Instagram customers (the User Profile API, in `profiles`), WhatsApp phone
//! numbers and WABAs, Pages, Instagram accounts and `me`. Inboxes call these to download media, to name
//! their customers and to check a channel's credentials.
//!
//! Business assets are as strict as Graph: only a token that owns one reads it (a number: a token of its
//! WABA; a Page: its Page token, whose `me` is the Page; an Instagram account: its token or its linked
//! Page's); any other id, unknown or someone else's, is "does not exist … missing permissions" (100/33).
//! Asset lookups consume [`SimState::asset_faults`]; media and customer lookups do not.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{access_token, answer, authenticate, query_param, resolve, Sender};
use crate::config::WhatsAppNumber;
use crate::graph_error::{GraphError, GraphResult, Product};
use crate::state::{lock, SimState};

pub(super) async fn get(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if is_asset_lookup(&state, &id) {
        if let Some(fault) = state.next_asset_fault() {
            return fault.strike(Product::Graph).await.into_response();
        }
    }
    answer(get_inner(&state, &id, query.as_deref(), &headers))
}

/// Whether `GET /{id}` reads a business asset (or tries to: an unknown id is someone's asset for all
/// Graph tells), rather than media or a customer's profile.
fn is_asset_lookup(state: &SimState, id: &str) -> bool {
    let media = lock(&state.media).contains_key(id);
    let customer = lock(&state.social_customers).keys().any(|(_, user)| user == id);
    !media && !customer
}

/// A phone number node as `GET /{PHONE_NUMBER_ID}` and `GET /{WABA_ID}/phone_numbers` answer it.
pub(super) fn phone_number_json(n: &WhatsAppNumber) -> Value {
    json!({
        "verified_name": n.verified_name,
        "code_verification_status": "VERIFIED",
        "display_phone_number": n.display_phone_number,
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": n.phone_number_id,
    })
}

/// Only the requested `fields` of a node (Graph always adds `id`); all of them without `fields`.
pub(super) fn select_fields(node: Value, fields: Option<&str>) -> Value {
    let (Some(fields), Value::Object(all)) = (fields, &node) else { return node };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).filter(|f| !f.is_empty()).collect();
    if wanted.is_empty() {
        return node;
    }
    let picked = all.iter().filter(|(k, _)| *k == "id" || wanted.contains(&k.as_str()));
    Value::Object(picked.map(|(k, v)| (k.clone(), v.clone())).collect())
}

pub(super) async fn delete(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    answer(delete_inner(&state, &id, query.as_deref(), &headers))
}

fn get_inner(state: &SimState, id: &str, query: Option<&str>, headers: &HeaderMap) -> GraphResult<Value> {
    let token = authenticate(state, access_token(headers, query))?;
    let media = lock(&state.media).get(id).cloned();
    if let Some(media) = media {
        let owner_ok = query_param(query, "phone_number_id").is_none_or(|p| p == media.phone_number_id);
        if state.token_covers_waba(&token, &media.waba_id) && owner_ok {
            return Ok(state.media_info(&media));
        }
        return Err(GraphError::unsupported("get", id));
    }
    if let Some(profile) = super::profiles::lookup(state, id, &token, query) {
        return profile;
    }
    if state.waba_exists(id) {
        if !state.token_covers_waba(&token, id) {
            return Err(GraphError::unsupported("get", id));
        }
        return Ok(json!({"id": id, "name": "Escala Demo WABA", "currency": "USD", "timezone_id": "1"}));
    }
    let node = match resolve(state, &Method::GET, id, &token)? {
        Sender::WhatsApp(n) => phone_number_json(&n),
        Sender::Page(p) => json!({"name": p.name, "id": p.page_id}),
        Sender::Instagram(a) => json!({"id": a.ig_id, "username": a.username, "user_id": a.ig_id}),
    };
    Ok(select_fields(node, query_param(query, "fields").as_deref()))
}

fn delete_inner(state: &SimState, id: &str, query: Option<&str>, headers: &HeaderMap) -> GraphResult<Value> {
    let token = authenticate(state, access_token(headers, query))?;
    let mut media = lock(&state.media);
    match media.get(id) {
        Some(m) if state.token_covers_waba(&token, &m.waba_id) => {
            media.remove(id);
            Ok(json!({"success": true}))
        }
        _ => Err(GraphError::unsupported("delete", id)),
    }
}
