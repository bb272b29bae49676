//! The web UI: the single-page app built from `web/` (see `build.rs`) and embedded in the binary.
//!
//! Every path that is not the API, the webhooks or an operations endpoint serves the app's
//! `index.html`, so the UI's own routes (`/c/{id}`) survive a reload. Hashed assets are cached for a
//! year; `index.html` is never cached, so a new binary's UI is picked up at once. Every answer carries
//! a strict Content-Security-Policy: scripts and styles only from this origin, nothing inline.

use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/dist"]
struct Assets;

/// What the UI may load: only this origin (its API and WebSocket included), images and media also
/// from `blob:` (previews of files about to be sent, recordings), nothing inline and no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const MISSING_UI: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Escala Inbox</title>\
<p>This binary was built without its web UI (INBOX_SKIP_WEB_BUILD). The API is at \
<a href=\"/api/openapi.json\">/api/openapi.json</a>.</p></html>";

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(file) = (!path.is_empty()).then(|| Assets::get(path)).flatten() {
        let immutable = path.starts_with("assets/");
        return asset(file, immutable);
    }
    // A missing asset is a 404, not the app: a stale tab asking for an old chunk must fail clearly.
    if path.starts_with("assets/") || path.contains('.') {
        return with_csp(StatusCode::NOT_FOUND.into_response());
    }
    match Assets::get("index.html") {
        Some(index) => asset(index, false),
        None => with_csp(
            ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], MISSING_UI)
                .into_response(),
        ),
    }
}

fn asset(file: rust_embed::EmbeddedFile, immutable: bool) -> Response {
    let mime = file.metadata.mimetype();
    let cache = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        file.data.into_owned(),
    )
        .into_response();
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    with_csp(response)
}

fn with_csp(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    response.headers_mut().insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
