//! Bodies of `POST /{PHONE_NUMBER_ID}/messages` (docs/meta.md §4, §12): pure functions returning
//! the exact JSON Meta documents, sent with [`super::WhatsAppApi::send_message`].
//!
//! Every send carries `"messaging_product": "whatsapp"` and `"recipient_type": "individual"`, and
//! names the customer by phone in `to` or by business-scoped user id in the top-level `recipient`
//! (§12). A BSUID is never put in `to`: Meta reads `to` as digits, and such a message silently fails
//! as undeliverable (131026).

use serde_json::{json, Map, Value};

/// Whom a WhatsApp message goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WaRecipient {
    /// The customer's `wa_id` (digits, as WhatsApp gave it: §11) → `"to"`.
    Phone(String),
    /// A business-scoped user id (`US.13491208655302741918`, or a parent `US.ENT.…`) → `"recipient"`.
    Bsuid(String),
}

impl WaRecipient {
    /// The best address for a customer: the phone when known (it works for every message, including
    /// authentication templates, error 131062), else the BSUID.
    pub fn preferred(wa_id: Option<&str>, user_id: Option<&str>) -> Option<Self> {
        fn present(s: Option<&str>) -> Option<&str> {
            s.map(str::trim).filter(|s| !s.is_empty())
        }
        match (present(wa_id), present(user_id)) {
            (Some(phone), _) => Some(WaRecipient::Phone(phone.to_string())),
            (None, Some(bsuid)) => Some(WaRecipient::Bsuid(bsuid.to_string())),
            (None, None) => None,
        }
    }

    pub fn is_bsuid(&self) -> bool {
        matches!(self.address(), ("recipient", _))
    }

    /// The body field and its value. A "phone" that is not made of digits (a BSUID stored in the
    /// wrong place) still goes to `recipient`: in `to` it would never arrive.
    fn address(&self) -> (&'static str, &str) {
        match self {
            WaRecipient::Phone(p) if looks_like_phone(p) => ("to", p),
            WaRecipient::Phone(other) => ("recipient", other),
            WaRecipient::Bsuid(b) => ("recipient", b),
        }
    }
}

/// Digits, optionally with the `+`, spaces and dashes people write.
fn looks_like_phone(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit()) && s.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-'))
}

/// Where a media message's file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaRef {
    /// A media id from [`super::WhatsAppApi::upload_media`].
    Id(String),
    /// A public `https://` link Meta downloads itself.
    Link(String),
}

/// A media message's content (§4, §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaMedia {
    Image {
        media: MediaRef,
        caption: Option<String>,
    },
    Video {
        media: MediaRef,
        caption: Option<String>,
    },
    /// `voice: true` makes a voice note: only for Ogg/Opus uploaded as `audio/ogg; codecs=opus`.
    /// Audio takes no caption.
    Audio {
        media: MediaRef,
        voice: bool,
    },
    Document {
        media: MediaRef,
        filename: Option<String>,
        caption: Option<String>,
    },
    Sticker {
        media: MediaRef,
    },
}

impl WaMedia {
    /// The message `type` and the object under that key.
    fn parts(&self) -> (&'static str, Value) {
        let source = |m: &MediaRef| match m {
            MediaRef::Id(id) => json!({"id": id}),
            MediaRef::Link(link) => json!({"link": link}),
        };
        let with = |mut object: Value, key: &str, value: &Option<String>| {
            if let Some(v) = value {
                object[key] = json!(v);
            }
            object
        };
        match self {
            WaMedia::Image { media, caption } => ("image", with(source(media), "caption", caption)),
            WaMedia::Video { media, caption } => ("video", with(source(media), "caption", caption)),
            WaMedia::Audio { media, voice } => {
                let mut object = source(media);
                if *voice {
                    object["voice"] = json!(true);
                }
                ("audio", object)
            }
            WaMedia::Document { media, filename, caption } => {
                let object = with(source(media), "filename", filename);
                ("document", with(object, "caption", caption))
            }
            WaMedia::Sticker { media } => ("sticker", source(media)),
        }
    }
}

/// The common envelope: product, recipient type, address, and `type` with its object.
fn message(to: &WaRecipient, kind: &str, object: Value) -> Value {
    let (field, address) = to.address();
    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    body.insert("recipient_type".into(), json!("individual"));
    body.insert(field.into(), json!(address));
    body.insert("type".into(), json!(kind));
    body.insert(kind.into(), object);
    Value::Object(body)
}

/// Quotes an earlier message (`context.message_id`): the customer sees a reply to it. Works on any
/// message body built here except reactions, which name their message themselves.
pub fn quoting(mut body: Value, message_id: &str) -> Value {
    body["context"] = json!({"message_id": message_id});
    body
}

fn quoting_opt(body: Value, reply_to: Option<&str>) -> Value {
    match reply_to {
        Some(id) => quoting(body, id),
        None => body,
    }
}

/// A text message; `preview_url` asks WhatsApp to render the first link's preview.
pub fn text(to: &WaRecipient, body: &str, preview_url: bool, reply_to: Option<&str>) -> Value {
    let object = json!({"body": body, "preview_url": preview_url});
    quoting_opt(message(to, "text", object), reply_to)
}

/// An image, video, audio (or voice note), document or sticker.
pub fn media(to: &WaRecipient, content: &WaMedia, reply_to: Option<&str>) -> Value {
    let (kind, object) = content.parts();
    quoting_opt(message(to, kind, object), reply_to)
}

/// A template. `components` is the `template.components` array (e.g. from
/// `domain::template::to_graph_components`); `null` or `[]` leaves it out, as Meta allows for
/// templates without parameters.
pub fn template(to: &WaRecipient, name: &str, language_code: &str, components: &Value) -> Value {
    let mut object = json!({"name": name, "language": {"code": language_code}});
    let empty = components.is_null() || components.as_array().is_some_and(Vec::is_empty);
    if !empty {
        object["components"] = components.clone();
    }
    message(to, "template", object)
}

/// Reacts to `message_id` with `emoji`; `""` removes the reaction.
pub fn reaction(to: &WaRecipient, message_id: &str, emoji: &str) -> Value {
    message(to, "reaction", json!({"message_id": message_id, "emoji": emoji}))
}

/// Asks a customer known only by username to share their phone (§12); inside the service window.
pub fn request_contact_info(to: &WaRecipient, body_text: &str) -> Value {
    message(
        to,
        "interactive",
        json!({
            "type": "request_contact_info",
            "body": {"text": body_text},
            "action": {"name": "request_contact_info"},
        }),
    )
}

/// Marks `message_id` (an inbound wamid) as read, which shows blue ticks; with `typing_indicator`
/// the customer also sees "typing…" until the reply is sent (or 25 s pass).
pub fn mark_read(message_id: &str, typing_indicator: bool) -> Value {
    let mut body = json!({
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": message_id,
    });
    if typing_indicator {
        body["typing_indicator"] = json!({"type": "text"});
    }
    body
}
