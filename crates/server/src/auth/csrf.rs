//! Cross-site request forgery: a browser sends the session cookie with any request to this origin,
//! even one another site makes it send. So every write (and the WebSocket handshake, which carries
//! the cookie too) that does not carry a bearer token must come from this origin.
//!
//! Browsers say where a request comes from: `Sec-Fetch-Site` (all current browsers) and `Origin`
//! (on every non-GET request). A request with neither is not a browser's, so it cannot be a forged
//! one; it goes through and is authenticated as usual.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN, UPGRADE};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Whether a request must be refused as cross-site. Pure: the request's method and headers, and the
/// public URL the server is reached at (`INBOX_PUBLIC_URL`).
pub fn is_cross_site(method: &Method, headers: &HeaderMap, public_url: &str) -> bool {
    let websocket =
        headers.get(UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) && !websocket;
    // A bearer token is not sent by the browser on its own: no ambient authority to forge.
    if safe || headers.contains_key(AUTHORIZATION) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers.get(HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or("null");
    !(origin.eq_ignore_ascii_case(public_url.trim_end_matches('/'))
        || (!host.is_empty() && origin_host.eq_ignore_ascii_case(host)))
}

/// Middleware: `403 cross_site_request` for a forged cookie-carrying write, before any handler runs.
pub async fn reject_cross_site(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_cross_site(request.method(), request.headers(), &state.config.public_url) {
        tracing::warn!(path = %request.uri().path(), "cross-site request refused");
        return ApiError::CrossSite.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PUBLIC: &str = "https://inbox.example.com";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn a_write_from_another_site_is_refused() {
        assert!(is_cross_site(&Method::POST, &headers(&[("sec-fetch-site", "cross-site")]), PUBLIC));
        assert!(is_cross_site(&Method::POST, &headers(&[("sec-fetch-site", "same-site")]), PUBLIC));
        assert!(is_cross_site(&Method::PATCH, &headers(&[("origin", "https://evil.example")]), PUBLIC));
        assert!(is_cross_site(&Method::POST, &headers(&[("origin", "null")]), PUBLIC));
    }

    #[test]
    fn a_websocket_handshake_from_another_site_is_refused() {
        let h = headers(&[("upgrade", "websocket"), ("origin", "https://evil.example"), ("host", "inbox.example.com")]);
        assert!(is_cross_site(&Method::GET, &h, PUBLIC));
        let same = headers(&[
            ("upgrade", "websocket"),
            ("origin", "https://inbox.example.com"),
            ("host", "inbox.example.com"),
        ]);
        assert!(!is_cross_site(&Method::GET, &same, PUBLIC));
    }

    #[test]
    fn same_origin_writes_reads_tokens_and_non_browsers_pass() {
        assert!(!is_cross_site(&Method::POST, &headers(&[("sec-fetch-site", "same-origin")]), PUBLIC));
        assert!(!is_cross_site(&Method::POST, &headers(&[("origin", "https://inbox.example.com")]), PUBLIC));
        // Behind a proxy that keeps the Host header, the origin matches the host.
        assert!(!is_cross_site(
            &Method::POST,
            &headers(&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")]),
            PUBLIC
        ));
        assert!(!is_cross_site(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")]), PUBLIC));
        assert!(!is_cross_site(
            &Method::POST,
            &headers(&[("sec-fetch-site", "cross-site"), ("authorization", "Bearer x")]),
            PUBLIC
        ));
        assert!(!is_cross_site(&Method::POST, &HeaderMap::new(), PUBLIC));
    }
}
