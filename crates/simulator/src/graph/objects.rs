//! `GET /{ID}` and `DELETE /{ID}` on the objects the simulator knows: media (URL and metadata, or
//! deletion), Messenger and Instagram customers (the User Profile API, in `profiles`), WhatsApp phone
//! numbers and WABAs, Pages, Instagram accounts and `me`. Inboxes call these to download media, to name
//! their customers and to check a channel's credentials.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::{json, Value};

use super::{access_token, answer, authenticate, query_param, resolve, Sender};
use crate::graph_error::{GraphError, GraphResult};
use crate::state::{lock, SimState};

pub(super) async fn get(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    answer(get_inner(&state, &id, query.as_deref(), &headers))
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
    if state.config.whatsapp_numbers.iter().any(|n| n.waba_id == id) {
        if !state.token_covers_waba(&token, id) {
            return Err(GraphError::unsupported("get", id));
        }
        return Ok(json!({"id": id, "name": "Escala Demo WABA", "currency": "USD", "timezone_id": "1"}));
    }
    Ok(match resolve(state, &Method::GET, id, &token)? {
        Sender::WhatsApp(n) => json!({
            "verified_name": n.verified_name,
            "code_verification_status": "VERIFIED",
            "display_phone_number": n.display_phone_number,
            "quality_rating": "GREEN",
            "platform_type": "CLOUD_API",
            "throughput": {"level": "STANDARD"},
            "id": n.phone_number_id,
        }),
        Sender::Page(p) => json!({"name": p.name, "id": p.page_id}),
        Sender::Instagram(a) => json!({"id": a.ig_id, "username": a.username, "user_id": a.ig_id}),
    })
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
