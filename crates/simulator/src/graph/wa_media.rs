//! WhatsApp media (docs/meta.md §4, §5): `POST /{PHONE_NUMBER_ID}/media` (multipart `file`, `type`,
//! `messaging_product`) stores a file and answers `{"id"}`; `GET /{MEDIA_ID}` (in `objects`) answers a
//! short-lived URL on the simulator; `GET` of that URL with the bearer token answers the bytes
//! (401 without a token, 404 once the 5-minute URL has expired).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::Duration;

use super::{access_token, answer, authenticate, query_param, resolve, Sender};
use crate::graph_error::{GraphError, GraphResult, Product};
use crate::state::{lock, SimState, StoredMedia};
use crate::{ids, multipart};

/// How long a media URL stays valid.
const URL_LIFETIME: Duration = Duration::minutes(5);
const MB: usize = 1024 * 1024;

/// Accepted upload types and their size limits.
const LIMITS: &[(&str, usize)] = &[
    ("audio/aac", 16 * MB),
    ("audio/amr", 16 * MB),
    ("audio/mpeg", 16 * MB),
    ("audio/mp4", 16 * MB),
    ("audio/ogg", 16 * MB),
    ("text/plain", 100 * MB),
    ("application/pdf", 100 * MB),
    ("application/msword", 100 * MB),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", 100 * MB),
    ("application/vnd.ms-excel", 100 * MB),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 100 * MB),
    ("application/vnd.ms-powerpoint", 100 * MB),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", 100 * MB),
    ("image/jpeg", 5 * MB),
    ("image/png", 5 * MB),
    ("image/webp", 500 * 1024),
    ("video/mp4", 16 * MB),
    ("video/3gpp", 16 * MB),
];

/// The MIME without parameters, lower case (`audio/ogg; codecs=opus` → `audio/ogg`).
fn essence(mime: &str) -> String {
    mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Whether a MIME names Ogg with Opus (`audio/ogg; codecs=opus`, spacing and case aside).
pub(crate) fn is_opus_mime(mime: &str) -> bool {
    let compact: String = mime.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    compact == "audio/ogg;codecs=opus" || compact == "audio/ogg;codecs=\"opus\""
}

/// Whether bytes are an Ogg stream whose first logical stream is Opus.
pub(crate) fn is_ogg_opus(bytes: &[u8]) -> bool {
    bytes.starts_with(b"OggS") && bytes.windows(8).take(128).any(|w| w == b"OpusHead")
}

/// A WebP's canvas and whether it is animated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WebpInfo {
    pub width: u32,
    pub height: u32,
    pub animated: bool,
}

/// Reads a WebP's size from its first image chunk (`VP8X` canvas, `VP8L` or `VP8 ` bitstream header) and
/// its animation flag; `None` when the bytes are no WebP.
pub(crate) fn webp_info(bytes: &[u8]) -> Option<WebpInfo> {
    if !(bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP")) {
        return None;
    }
    let u24 = |b: &[u8]| u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
    let mut pos = 12usize;
    let mut animated = false;
    while let Some(header) = bytes.get(pos..pos + 8) {
        let size = usize::try_from(u32::from_le_bytes([header[4], header[5], header[6], header[7]])).ok()?;
        let data = bytes.get(pos + 8..)?;
        match &header[..4] {
            b"VP8X" => {
                let d = data.get(..10)?;
                return Some(WebpInfo {
                    width: u24(&d[4..7]) + 1,
                    height: u24(&d[7..10]) + 1,
                    animated: d[0] & 0x02 != 0,
                });
            }
            b"VP8L" => {
                let d = data.get(..5)?;
                let bits = u32::from_le_bytes([d[1], d[2], d[3], d[4]]);
                return Some(WebpInfo { width: (bits & 0x3FFF) + 1, height: ((bits >> 14) & 0x3FFF) + 1, animated });
            }
            b"VP8 " => {
                let d = data.get(6..10)?;
                let width = u32::from(u16::from_le_bytes([d[0], d[1]]) & 0x3FFF);
                let height = u32::from(u16::from_le_bytes([d[2], d[3]]) & 0x3FFF);
                return Some(WebpInfo { width, height, animated });
            }
            b"ANIM" | b"ANMF" => animated = true,
            _ => {}
        }
        // Chunks are padded to an even size.
        pos = pos.checked_add(8)?.checked_add(size.checked_add(size & 1)?)?;
    }
    None
}

/// The message type a stored MIME can be sent as (documents accept anything).
pub(crate) fn family(mime: &str) -> Option<&'static str> {
    match essence(mime).as_str() {
        "image/jpeg" | "image/png" => Some("image"),
        "image/webp" => Some("sticker"),
        "video/mp4" | "video/3gpp" => Some("video"),
        m if m.starts_with("audio/") => Some("audio"),
        _ => Some("document"),
    }
}

impl SimState {
    /// Stores media for a number (a business upload or a customer's file) and returns its id.
    pub(crate) fn store_media(
        &self,
        phone_number_id: &str,
        waba_id: &str,
        mime_type: &str,
        bytes: Bytes,
    ) -> StoredMedia {
        let media = StoredMedia {
            id: ids::numeric_id(),
            phone_number_id: phone_number_id.to_string(),
            waba_id: waba_id.to_string(),
            mime_type: mime_type.to_string(),
            sha256_hex: hex::encode(Sha256::digest(&bytes)),
            bytes,
        };
        lock(&self.media).insert(media.id.clone(), media.clone());
        media
    }

    /// `GET /{MEDIA_ID}`: a fresh 5-minute URL.
    pub(crate) fn media_info(&self, media: &StoredMedia) -> Value {
        let expires = self.clock.now() + URL_LIFETIME;
        let hash = ids::token();
        lock(&self.media_urls).insert(hash.clone(), (media.id.clone(), expires));
        let url = format!(
            "{}/whatsapp_business/attachments/?mid={}&ext={}&hash={hash}",
            self.base_url,
            media.id,
            expires.unix_timestamp()
        );
        json!({
            "url": url,
            "mime_type": media.mime_type,
            "sha256": media.sha256_hex,
            "file_size": media.bytes.len(),
            "id": media.id,
            "messaging_product": "whatsapp",
        })
    }
}

pub(super) async fn upload(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(upload_inner(&state, &id, query.as_deref(), &headers, &body))
}

fn upload_inner(
    state: &SimState,
    id: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> GraphResult<Value> {
    let token = authenticate(state, access_token(headers, query))?;
    let Sender::WhatsApp(number) = resolve(state, &Method::POST, id, &token)? else {
        return Err(GraphError::unsupported("post", id));
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let parts = multipart::boundary(content_type)
        .and_then(|b| multipart::parse(body, &b))
        .ok_or_else(|| GraphError::wa_required("file"))?;
    let field = |name: &str| parts.iter().find(|p| p.name == name);
    match field("messaging_product").and_then(|p| p.text()) {
        Some("whatsapp") => {}
        Some(other) => {
            return Err(GraphError::wa_invalid(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\"."
            )))
        }
        None => return Err(GraphError::wa_required("messaging_product")),
    }
    let file = field("file").ok_or_else(|| GraphError::wa_required("file"))?;
    let mime = field("type")
        .and_then(|p| p.text())
        .map(str::to_string)
        .or_else(|| file.content_type.clone())
        .ok_or_else(|| GraphError::wa_required("type"))?;
    let Some((_, limit)) = LIMITS.iter().find(|(m, _)| *m == essence(&mime)) else {
        let accepted: Vec<&str> = LIMITS.iter().map(|(m, _)| *m).collect();
        return Err(GraphError::wa_invalid(format!(
            "Param file must be a file with one of the following types: {}. Received file of type '{mime}'.",
            accepted.join(", ")
        )));
    };
    if file.data.len() > *limit {
        return Err(GraphError::wa_invalid(format!(
            "Param file must be at most {limit} bytes for type {mime}; got {} bytes.",
            file.data.len()
        )));
    }
    if file.data.is_empty() {
        return Err(GraphError::wa_invalid("Param file must not be empty."));
    }
    let media = state.store_media(&number.phone_number_id, &number.waba_id, &mime, file.data.clone());
    Ok(json!({"id": media.id}))
}

/// `GET /whatsapp_business/attachments/?mid=…&ext=…&hash=…` with the bearer token.
pub(crate) async fn download(
    State(state): State<Arc<SimState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(token) = access_token(&headers, None) else {
        return GraphError::invalid_token(Product::Graph).into_response();
    };
    let hash = query_param(query.as_deref(), "hash").unwrap_or_default();
    let entry = lock(&state.media_urls).get(&hash).cloned();
    let media = entry
        .filter(|(_, expires)| state.clock.now() < *expires)
        .and_then(|(id, _)| lock(&state.media).get(&id).cloned());
    let Some(media) = media else {
        return (StatusCode::NOT_FOUND, "URL signature expired").into_response();
    };
    if !state.token_covers_waba(&token, &media.waba_id) {
        return GraphError::invalid_token(Product::Graph).into_response();
    }
    let mut response = Response::new(Body::from(media.bytes.clone()));
    if let Ok(v) = header::HeaderValue::from_str(&media.mime_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ogg_opus_declared_as_such_is_a_voice_note() {
        assert!(is_opus_mime("audio/ogg; codecs=opus"));
        assert!(is_opus_mime("audio/ogg;codecs=OPUS"));
        assert!(!is_opus_mime("audio/ogg"));
        assert!(!is_opus_mime("audio/opus"));
        assert!(is_ogg_opus(&crate::samples::ogg_opus()));
        assert!(!is_ogg_opus(b"\x1aE\xdf\xa3webm"));
    }

    #[test]
    fn webp_sizes_come_from_the_canvas_or_the_bitstream() {
        let lossless = webp_info(&crate::samples::webp()).expect("the sample is a WebP");
        assert_eq!((lossless.width, lossless.height, lossless.animated), (1, 1, false));
        let sticker = webp_info(&crate::samples::webp_sticker(512, 512, true, 2_000)).expect("a WebP");
        assert_eq!((sticker.width, sticker.height, sticker.animated), (512, 512, true));
        assert_eq!(webp_info(b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0"), None, "cut short");
        assert_eq!(webp_info(&crate::samples::png()), None);
    }

    #[test]
    fn families() {
        assert_eq!(family("image/png"), Some("image"));
        assert_eq!(family("audio/ogg; codecs=opus"), Some("audio"));
        assert_eq!(family("application/pdf"), Some("document"));
    }
}
