//! The simulated Graph API (`/v24.0/…`): routing by object id the way Graph does (one `/{id}/messages`
//! edge serves WhatsApp numbers, Pages, Instagram accounts and `me`), access-token checks, and the shared
//! answer type. Each endpoint lives in its own module.

mod objects;
mod profiles;
mod social_attachments;
mod social_files;
mod social_send;
mod wa_media;
mod wa_phone_numbers;
mod wa_send;
mod wa_template_check;
mod wa_templates;
mod wa_validate;

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::Value;

use crate::config::{InstagramAccount, PageAsset, WhatsAppNumber};
use crate::graph_error::{GraphError, GraphResult, Product};
use crate::state::SimState;

pub(crate) use wa_media::download as media_download;

/// The Graph API version the simulator serves.
pub const GRAPH_VERSION: &str = "v24.0";

pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/{id}", get(objects::get).delete(objects::delete))
        .route("/{id}/messages", post(send))
        .route("/{id}/media", post(wa_media::upload))
        .route("/{id}/message_templates", get(wa_templates::list))
        .route("/{id}/phone_numbers", get(wa_phone_numbers::list))
        .route("/{id}/message_attachments", post(social_attachments::upload))
        .fallback(unknown_path)
}

async fn unknown_path(uri: Uri) -> Response {
    GraphError::unknown_path(uri.path()).into_response()
}

/// The access token of a call: `Authorization: Bearer …` or the `access_token` query parameter.
pub(crate) fn access_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let from_header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("OAuth ")))
        .map(|t| t.trim().to_string());
    from_header.or_else(|| query_param(query, "access_token"))
}

/// One query parameter, percent-decoded.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A known token, or Graph's 190 (with subcode 460 for a revoked one, as Meta says when a session was
/// invalidated).
pub(crate) fn authenticate(state: &SimState, token: Option<String>) -> GraphResult<String> {
    match token {
        Some(t) if state.token_is_known(&t) => Ok(t),
        Some(t) if state.token_is_revoked(&t) => Err(GraphError::token_revoked()),
        _ => Err(GraphError::invalid_token(Product::Graph)),
    }
}

/// Who a `/{id}/…` call acts as.
#[derive(Debug, Clone)]
pub(crate) enum Sender {
    WhatsApp(WhatsAppNumber),
    Page(PageAsset),
    Instagram(InstagramAccount),
}

/// Resolves the object of a call from its id and the caller's token, as Graph does: an object the token
/// cannot reach "does not exist" (100/33).
pub(crate) fn resolve(state: &SimState, method: &Method, id: &str, token: &str) -> GraphResult<Sender> {
    if let Some(number) = state.number(id) {
        if state.token_covers_waba(token, &number.waba_id) {
            return Ok(Sender::WhatsApp(number));
        }
    } else if id == "me" {
        // A Page token's `me` is the Page; an Instagram token's is the account.
        if let Some(page) = state.pages_with_token(token).into_iter().next() {
            return Ok(Sender::Page(page));
        }
        if let Some(ig) = state.instagram_with_token(token).into_iter().next() {
            return Ok(Sender::Instagram(ig));
        }
    } else if let Some(page) = state.page(id) {
        if page.access_token == token {
            return Ok(Sender::Page(page));
        }
    } else if let Some(ig) = state.instagram(id) {
        let page_token = ig.page_id.as_deref().and_then(|p| state.page(p)).map(|p| p.access_token);
        if ig.access_token == token || page_token.as_deref() == Some(token) {
            return Ok(Sender::Instagram(ig));
        }
    }
    Err(GraphError::unsupported(method.as_str(), id))
}

async fn send(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let token = authenticate(&state, access_token(&headers, query.as_deref()))?;
        match resolve(&state, &Method::POST, &id, &token)? {
            Sender::WhatsApp(number) => wa_send::send(&state, &number, &body).await,
            sender => social_send::send(&state, &sender, &headers, &body).await,
        }
    }
    .await;
    answer(result)
}

/// A JSON answer or Meta's error.
pub(crate) fn answer(result: GraphResult<Value>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_decoded() {
        let q = Some("fields=name%2Cstatus&limit=2&access_token=a+b");
        assert_eq!(query_param(q, "fields").as_deref(), Some("name,status"));
        assert_eq!(query_param(q, "limit").as_deref(), Some("2"));
        assert_eq!(query_param(q, "access_token").as_deref(), Some("a b"));
        assert_eq!(query_param(q, "after"), None);
        assert_eq!(query_param(Some("x=%zz%"), "x").as_deref(), Some("%zz%"));
    }
}
