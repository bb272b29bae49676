//! `GET /{WABA_ID}/phone_numbers?fields=…&limit=…&after=…`: the numbers of a WhatsApp Business Account
//! (WhatsApp Business Management API), with Graph's cursor paging. Only a token of that WABA reads them;
//! any other token, or an unknown WABA, is "does not exist … missing permissions" (100/33). This is
//! how an inbox proves that a token controls a number: the number must be in its WABA's list.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::objects::{phone_number_json, select_fields};
use super::wa_templates::{cursor, parse_cursor};
use super::{access_token, answer, authenticate, query_param, GRAPH_VERSION};
use crate::graph_error::{GraphError, GraphResult, Product};
use crate::state::SimState;

const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 1000;

pub(super) async fn list(
    State(state): State<Arc<SimState>>,
    Path(waba_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Some(fault) = state.next_asset_fault() {
        return fault.strike(Product::Graph).await.into_response();
    }
    answer(list_inner(&state, &waba_id, query.as_deref(), &headers))
}

fn list_inner(state: &SimState, waba_id: &str, query: Option<&str>, headers: &HeaderMap) -> GraphResult<Value> {
    let token = authenticate(state, access_token(headers, query))?;
    if !state.waba_exists(waba_id) || !state.token_covers_waba(&token, waba_id) {
        return Err(GraphError::unsupported("get", waba_id));
    }
    let limit = match query_param(query, "limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l.parse::<usize>().ok().filter(|l| (1..=MAX_LIMIT).contains(l)).ok_or_else(|| {
            GraphError::wa_invalid(format!("Param limit must be a number between 1 and {MAX_LIMIT}."))
        })?,
    };
    let fields = query_param(query, "fields");
    let numbers = state.numbers_of_waba(waba_id);
    let start = match query_param(query, "after") {
        Some(after) => parse_cursor(&after).ok_or_else(|| GraphError::wa_invalid("Invalid cursor."))? + 1,
        None => 0,
    };
    let end = (start + limit).min(numbers.len());
    let page: Vec<Value> = numbers
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|n| select_fields(phone_number_json(n), fields.as_deref()))
        .collect();
    if page.is_empty() {
        return Ok(json!({"data": []}));
    }
    let after = cursor(end - 1);
    let mut paging = json!({"cursors": {"before": cursor(start), "after": after}});
    if end < numbers.len() {
        let mut next = format!("{}/{GRAPH_VERSION}/{waba_id}/phone_numbers?", state.base_url);
        if let Some(f) = &fields {
            next.push_str(&format!("fields={}&", f.replace(',', "%2C")));
        }
        next.push_str(&format!("limit={limit}&after={after}&access_token={token}"));
        paging["next"] = json!(next);
    }
    Ok(json!({"data": page, "paging": paging}))
}
