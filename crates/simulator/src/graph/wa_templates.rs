//! `GET /{WABA_ID}/message_templates?fields=…&limit=…&after=…` with Graph's cursor paging:
//! `{"data":[…],"paging":{"cursors":{"before","after"},"next"?,"previous"?}}`. Filters `name`
//! (substring), `status`, `language` and `category` are honoured like Graph's.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value};

use super::{access_token, answer, authenticate, query_param, GRAPH_VERSION};
use crate::graph_error::{GraphError, GraphResult};
use crate::state::{lock, SimState};

const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 1000;

pub(super) async fn list(
    State(state): State<Arc<SimState>>,
    Path(waba_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    answer(list_inner(&state, &waba_id, query.as_deref(), &headers))
}

pub(super) fn cursor(index: usize) -> String {
    STANDARD.encode(index.to_string())
}

pub(super) fn parse_cursor(c: &str) -> Option<usize> {
    let bytes = STANDARD.decode(c).ok()?;
    std::str::from_utf8(&bytes).ok()?.parse().ok()
}

fn list_inner(state: &SimState, waba_id: &str, query: Option<&str>, headers: &HeaderMap) -> GraphResult<Value> {
    let token = authenticate(state, access_token(headers, query))?;
    if !state.waba_exists(waba_id) || !state.token_covers_waba(&token, waba_id) {
        return Err(GraphError::unsupported("get", waba_id));
    }
    let param = |name| query_param(query, name);
    let limit = match param("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l.parse::<usize>().ok().filter(|l| (1..=MAX_LIMIT).contains(l)).ok_or_else(|| {
            GraphError::wa_invalid(format!("Param limit must be a number between 1 and {MAX_LIMIT}."))
        })?,
    };
    let fields_raw = param("fields");
    let fields: Option<Vec<&str>> =
        fields_raw.as_deref().map(|f| f.split(',').map(str::trim).filter(|f| !f.is_empty()).collect());

    let all: Vec<_> = lock(&state.templates).get(waba_id).cloned().unwrap_or_default();
    let matching: Vec<_> = all
        .into_iter()
        .filter(|t| param("name").is_none_or(|n| t.name.contains(n.as_str())))
        .filter(|t| param("status").is_none_or(|s| t.status.as_str().eq_ignore_ascii_case(&s)))
        .filter(|t| param("language").is_none_or(|l| t.language == l))
        .filter(|t| param("category").is_none_or(|c| t.category.as_str().eq_ignore_ascii_case(&c)))
        .collect();

    let invalid_cursor = || GraphError::wa_invalid("Invalid cursor.");
    let start = match (param("after"), param("before")) {
        (Some(after), _) => parse_cursor(&after).ok_or_else(invalid_cursor)? + 1,
        (None, Some(before)) => parse_cursor(&before).ok_or_else(invalid_cursor)?.saturating_sub(limit),
        (None, None) => 0,
    };
    let end = (start + limit).min(matching.len());
    let page: Vec<Value> =
        matching.get(start..end).unwrap_or_default().iter().map(|t| t.to_graph_json(fields.as_deref())).collect();
    if page.is_empty() {
        return Ok(json!({"data": []}));
    }

    let link = |cursor_name: &str, cursor_value: &str| {
        let mut url = format!("{}/{GRAPH_VERSION}/{waba_id}/message_templates?", state.base_url);
        if let Some(f) = &fields_raw {
            url.push_str(&format!("fields={}&", f.replace(',', "%2C")));
        }
        url.push_str(&format!("limit={limit}&{cursor_name}={cursor_value}&access_token={token}"));
        url
    };
    let before = cursor(start);
    let after = cursor(end - 1);
    let mut paging = json!({"cursors": {"before": before, "after": after}});
    if end < matching.len() {
        paging["next"] = json!(link("after", &after));
    }
    if start > 0 {
        paging["previous"] = json!(link("before", &before));
    }
    Ok(json!({"data": page, "paging": paging}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(parse_cursor(&cursor(42)), Some(42));
        assert_eq!(parse_cursor("not base64!"), None);
    }
}
