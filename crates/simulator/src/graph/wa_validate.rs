//! Validation of a Cloud API send body per message `type`, with Meta's codes: 100 for malformed
//! parameters, 131009 for unknown media ids, 131053 for media that cannot be sent as that type (including
//! voice notes that are not Ogg/Opus uploaded as `audio/ogg; codecs=opus`), and the template checks.
//!
//! Stickers (docs/meta.md §5: WebP, 512×512, at most 100 KB static or 500 KB animated) that break a rule
//! are accepted and then fail with a `failed` status carrying 131053: WhatsApp processes the media after
//! answering, as it does for other media errors it finds late.

use serde_json::{Map, Value};

use super::wa_media::{family, is_ogg_opus, is_opus_mime, webp_info};
use super::wa_template_check;
use crate::config::WhatsAppNumber;
use crate::graph_error::{GraphError, GraphResult};
use crate::state::{lock, SimState};
use crate::templates::Template;

const TEXT_MAX_CHARS: usize = 4096;
const CAPTION_MAX_CHARS: usize = 1024;
const STICKER_SIDE: u32 = 512;
const STICKER_STATIC_MAX: usize = 100 * 1024;
const STICKER_ANIMATED_MAX: usize = 500 * 1024;
const INTERACTIVE_TYPES: &[&str] = &[
    "button",
    "list",
    "cta_url",
    "request_contact_info",
    "location_request_message",
    "flow",
    "product",
    "product_list",
    "catalog_message",
    "address_message",
    "call_permission_request",
];

/// What validation learned about a send.
#[derive(Debug, Default)]
pub(super) struct Checked {
    pub voice: bool,
    pub template: Option<Template>,
    /// Accepted, but WhatsApp will fail it later with this code (a `failed` status).
    pub fails_later: Option<i64>,
}

pub(super) fn validate(
    state: &SimState,
    number: &WhatsAppNumber,
    kind: &str,
    obj: &Map<String, Value>,
    to_bsuid: bool,
) -> GraphResult<Checked> {
    let object = || obj.get(kind).and_then(Value::as_object).ok_or_else(|| GraphError::wa_required(kind));
    match kind {
        "text" => text(object()?).map(|_| Checked::default()),
        "image" | "video" | "audio" | "document" | "sticker" => media(state, number, kind, object()?),
        "template" => {
            let template = wa_template_check::check(state, number, object()?, to_bsuid)?;
            Ok(Checked { template: Some(template), ..Checked::default() })
        }
        "reaction" => reaction(object()?).map(|_| Checked::default()),
        "interactive" => interactive(object()?).map(|_| Checked::default()),
        "location" => location(object()?).map(|_| Checked::default()),
        "contacts" => contacts(obj.get("contacts")).map(|_| Checked::default()),
        other => Err(GraphError::wa_invalid(format!(
            "Param type must be one of {{AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, \
             STICKER, TEMPLATE, TEXT, VIDEO}} - got \"{other}\"."
        ))),
    }
}

fn text(o: &Map<String, Value>) -> GraphResult<()> {
    let body = o.get("body").and_then(Value::as_str).unwrap_or_default();
    if body.is_empty() {
        return Err(GraphError::wa_required("text['body']"));
    }
    if body.chars().count() > TEXT_MAX_CHARS {
        return Err(GraphError::wa_invalid(format!(
            "Param text['body'] must be at most {TEXT_MAX_CHARS} characters long."
        )));
    }
    Ok(())
}

fn media(state: &SimState, number: &WhatsAppNumber, kind: &str, o: &Map<String, Value>) -> GraphResult<Checked> {
    let id = o.get("id").and_then(Value::as_str);
    let link = o.get("link").and_then(Value::as_str);
    if let Some(caption) = o.get("caption") {
        if matches!(kind, "audio" | "sticker") {
            return Err(GraphError::wa_invalid(format!("Param {kind}['caption'] is not supported.")));
        }
        if caption.as_str().map(|c| c.chars().count()).unwrap_or(0) > CAPTION_MAX_CHARS {
            return Err(GraphError::wa_invalid(format!(
                "Param {kind}['caption'] must be at most {CAPTION_MAX_CHARS} characters long."
            )));
        }
    }
    let voice = o.get("voice").and_then(Value::as_bool).unwrap_or(false);
    if voice && kind != "audio" {
        return Err(GraphError::wa_invalid(format!("Param {kind}['voice'] is not supported.")));
    }
    match (id, link) {
        (Some(_), Some(_)) => {
            Err(GraphError::wa_invalid(format!("Only one of {kind}['id'] or {kind}['link'] may be set.")))
        }
        (None, None) => Err(GraphError::wa_required(&format!("{kind}['id']"))),
        (None, Some(link)) => {
            if !(link.starts_with("https://") || link.starts_with("http://")) {
                return Err(GraphError::wa_invalid(format!("Param {kind}['link'] must be a valid URL.")));
            }
            // The simulator does not fetch links, so it cannot check a linked voice note's codec.
            Ok(Checked { voice, ..Checked::default() })
        }
        (Some(id), None) => {
            let stored = lock(&state.media).get(id).cloned();
            let stored = stored.filter(|m| m.waba_id == number.waba_id).ok_or_else(|| {
                GraphError::whatsapp(131009, "Parameter value is not valid")
                    .with_details(format!("Invalid media id {id}."))
            })?;
            let fits = match kind {
                "document" => true,
                "sticker" => stored.mime_type == "image/webp",
                other => family(&stored.mime_type) == Some(other),
            };
            if !fits {
                return Err(GraphError::whatsapp_code(131053)
                    .with_details(format!("Media of type {} cannot be sent as {kind}.", stored.mime_type)));
            }
            if voice && !(is_opus_mime(&stored.mime_type) && is_ogg_opus(&stored.bytes)) {
                return Err(GraphError::whatsapp_code(131053).with_details(
                    "Voice messages require an OGG file with the OPUS codec, uploaded as 'audio/ogg; codecs=opus'.",
                ));
            }
            let fails_later = (kind == "sticker").then(|| sticker_fault(&stored.bytes)).flatten();
            Ok(Checked { voice, fails_later, ..Checked::default() })
        }
    }
}

/// Why WhatsApp would fail a sticker (131053), if it would: not 512×512, or over 100 KB static / 500 KB
/// animated.
fn sticker_fault(bytes: &[u8]) -> Option<i64> {
    let Some(info) = webp_info(bytes) else { return Some(131053) };
    let limit = if info.animated { STICKER_ANIMATED_MAX } else { STICKER_STATIC_MAX };
    let fits = info.width == STICKER_SIDE && info.height == STICKER_SIDE && bytes.len() <= limit;
    (!fits).then_some(131053)
}

fn reaction(o: &Map<String, Value>) -> GraphResult<()> {
    match o.get("message_id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => {}
        _ => return Err(GraphError::wa_required("reaction['message_id']")),
    }
    if !o.get("emoji").is_some_and(Value::is_string) {
        return Err(GraphError::wa_required("reaction['emoji']"));
    }
    Ok(())
}

fn interactive(o: &Map<String, Value>) -> GraphResult<()> {
    let kind = o.get("type").and_then(Value::as_str).ok_or_else(|| GraphError::wa_required("interactive['type']"))?;
    if !INTERACTIVE_TYPES.contains(&kind) {
        return Err(GraphError::wa_invalid(format!("Param interactive['type'] is not valid - got \"{kind}\".")));
    }
    let needs_body =
        matches!(kind, "button" | "list" | "cta_url" | "request_contact_info" | "location_request_message");
    let body = o.get("body").and_then(|b| b.get("text")).and_then(Value::as_str).unwrap_or_default();
    if needs_body && body.is_empty() {
        return Err(GraphError::wa_required("interactive['body']['text']"));
    }
    if body.chars().count() > CAPTION_MAX_CHARS {
        return Err(GraphError::wa_invalid("Param interactive['body']['text'] must be at most 1024 characters long."));
    }
    let action = o.get("action");
    match kind {
        "request_contact_info"
            if action.and_then(|a| a.get("name")).and_then(Value::as_str) != Some("request_contact_info") =>
        {
            return Err(GraphError::wa_invalid(
                "Param interactive['action']['name'] must be \"request_contact_info\".",
            ));
        }
        "button" => {
            let buttons = action.and_then(|a| a.get("buttons")).and_then(Value::as_array);
            let ok = buttons.is_some_and(|b| {
                (1..=3).contains(&b.len())
                    && b.iter().all(|x| {
                        let title = x["reply"]["title"].as_str().unwrap_or_default();
                        x["reply"]["id"].is_string() && !title.is_empty() && title.chars().count() <= 20
                    })
            });
            if !ok {
                return Err(GraphError::wa_invalid(
                    "Param interactive['action']['buttons'] must have 1 to 3 reply buttons with an id and a title of at most 20 characters.",
                ));
            }
        }
        "list" => {
            let has_button = action.and_then(|a| a.get("button")).is_some_and(Value::is_string);
            let has_sections =
                action.and_then(|a| a.get("sections")).and_then(Value::as_array).is_some_and(|s| !s.is_empty());
            if !(has_button && has_sections) {
                return Err(GraphError::wa_required("interactive['action']['sections']"));
            }
        }
        _ => {}
    }
    Ok(())
}

fn location(o: &Map<String, Value>) -> GraphResult<()> {
    for field in ["latitude", "longitude"] {
        let ok = o.get(field).is_some_and(|v| v.is_number() || v.as_str().is_some_and(|s| s.parse::<f64>().is_ok()));
        if !ok {
            return Err(GraphError::wa_required(&format!("location['{field}']")));
        }
    }
    Ok(())
}

fn contacts(v: Option<&Value>) -> GraphResult<()> {
    let cards =
        v.and_then(Value::as_array).filter(|c| !c.is_empty()).ok_or_else(|| GraphError::wa_required("contacts"))?;
    if cards.iter().any(|c| !c["name"]["formatted_name"].is_string()) {
        return Err(GraphError::wa_required("contacts['name']['formatted_name']"));
    }
    Ok(())
}
