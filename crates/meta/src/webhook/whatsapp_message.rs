//! One WhatsApp message object — from `messages[]`, `message_echoes[]` or a history thread — into an event:
//! a message with its content (docs/meta.md §2 type table), a reaction, an edit or a revoke (§13).
//!
//! The caller has already worked out who the customer is and which way the message went; this module only
//! reads the message. The type's object lives under the key named by `type` (`"type":"image","image":{…}`).
//! A type we do not know, or a known type whose object is unreadable, becomes
//! [`MessageContent::Unsupported`] rather than an error (§13: "never fail the whole delivery").

use super::content::{
    ContactCard, ContactPhone, InteractiveKind, InteractiveReply, Location, Media, MediaKind, MediaSource,
    MessageContent, SystemKind, Unsupported,
};
use super::events::{CustomerRef, Edit, EventKind, InboundMessage, Origin, Reaction, Referral, Revoke};
use super::{array_of, decode, errors_of, id_of, scalar, str_of};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

/// The parts of a message every type shares. Identity fields are read leniently (string or number).
#[derive(Debug, Deserialize)]
pub(super) struct WaMessage {
    pub id: String,
    #[serde(deserialize_with = "scalar::seconds")]
    pub timestamp: OffsetDateTime,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub from: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub from_user_id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub from_parent_user_id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub to: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub to_user_id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub to_parent_user_id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub group_id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub recipient_type: Option<String>,
}

impl WaMessage {
    /// Group chats are out of scope (§13): acknowledge and ignore.
    pub fn is_group(&self) -> bool {
        self.group_id.is_some() || self.recipient_type.as_deref() == Some("group")
    }
}

/// Turns a message (already deserialised as `msg`, raw as `raw`) into its event.
pub(super) fn parse(raw: &Value, msg: &WaMessage, customer: CustomerRef, origin: Origin) -> EventKind {
    let kind = msg.kind.as_deref().unwrap_or("unknown");
    let object = raw.get(kind);
    match kind {
        "reaction" => {
            let Some(target) = id_of(object.and_then(|o| o.get("message_id"))) else {
                return EventKind::malformed("reaction without message_id");
            };
            EventKind::Reaction(Reaction {
                external_id: Some(msg.id.clone()),
                target_external_id: target,
                emoji: str_of(object.and_then(|o| o.get("emoji"))).filter(|e| !e.is_empty()),
                customer,
                timestamp: msg.timestamp,
                origin,
            })
        }
        "edit" => {
            let Some(original) = id_of(object.and_then(|o| o.get("original_message_id"))) else {
                return EventKind::malformed("edit without original_message_id");
            };
            let edited = object.and_then(|o| o.get("message")).unwrap_or(&Value::Null);
            let edited_kind = edited.get("type").and_then(Value::as_str).unwrap_or("unknown");
            EventKind::Edit(Edit {
                external_id: Some(msg.id.clone()),
                original_external_id: original,
                new_content: content(edited_kind, edited),
                customer,
                timestamp: msg.timestamp,
                origin,
            })
        }
        "revoke" => {
            let Some(original) = id_of(object.and_then(|o| o.get("original_message_id"))) else {
                return EventKind::malformed("revoke without original_message_id");
            };
            EventKind::Revoke(Revoke {
                external_id: Some(msg.id.clone()),
                original_external_id: original,
                customer,
                timestamp: msg.timestamp,
                origin,
            })
        }
        _ => EventKind::Message(message(raw, msg, kind, customer, origin)),
    }
}

fn message(raw: &Value, msg: &WaMessage, kind: &str, customer: CustomerRef, origin: Origin) -> InboundMessage {
    let context = raw.get("context");
    let flag = |name: &str| context.and_then(|c| c.get(name)).and_then(Value::as_bool).unwrap_or(false);
    InboundMessage {
        external_id: msg.id.clone(),
        customer,
        timestamp: msg.timestamp,
        content: content(kind, raw),
        additional: Vec::new(),
        reply_to: id_of(context.and_then(|c| c.get("id"))),
        reply_to_story: None,
        forwarded: flag("forwarded"),
        frequently_forwarded: flag("frequently_forwarded"),
        referral: decode::<WaReferral>(raw.get("referral")).map(Into::into),
        origin,
        app_id: None,
    }
}

/// The content of a message of type `kind`, whose object is `holder[kind]` (`holder` is the message, or
/// the `edit.message` of an edit).
pub(super) fn content(kind: &str, holder: &Value) -> MessageContent {
    let object = holder.get(kind);
    let parsed = match kind {
        "text" => str_of(object.and_then(|o| o.get("body"))).map(|body| MessageContent::Text { body }),
        "image" => media(MediaKind::Image, object),
        "video" => media(MediaKind::Video, object),
        "audio" => media(MediaKind::Audio, object),
        // The older name of a recorded voice note: audio, shown as a voice note.
        "voice" => media(MediaKind::Audio, object).map(|m| match m {
            MessageContent::Media(media) => MessageContent::Media(Media { voice: true, ..media }),
            other => other,
        }),
        "document" => media(MediaKind::Document, object),
        "sticker" => media(MediaKind::Sticker, object),
        "location" => object.and_then(location),
        "contacts" => contacts(holder),
        "interactive" => object.and_then(interactive),
        "button" => object
            .filter(|o| o.is_object())
            .map(|o| MessageContent::Button { payload: str_of(o.get("payload")), text: str_of(o.get("text")) }),
        "order" => object.filter(|o| o.is_object()).map(|o| MessageContent::Order {
            catalog_id: id_of(o.get("catalog_id")),
            text: str_of(o.get("text")),
            product_items: o.get("product_items").cloned().unwrap_or(Value::Null),
        }),
        "system" => object.filter(|o| o.is_object()).map(|o| MessageContent::System {
            body: str_of(o.get("body")),
            kind: SystemKind::from_type(o.get("type").and_then(Value::as_str)),
            // `wa_id` carried the new number up to webhook v11, `new_wa_id` since v12.
            new_wa_id: id_of(o.get("new_wa_id")).or_else(|| id_of(o.get("wa_id"))),
        }),
        "unsupported" => {
            // Newer payloads name the real type in `unsupported.type` (e.g. a poll).
            let named = object.and_then(|o| str_of(o.get("type")));
            return unsupported(named.as_deref().unwrap_or("unsupported"), holder, None);
        }
        // A type we do not know that carries a media object (a new kind of note, say) is kept with
        // its file rather than dropped: typed by its MIME type.
        _ => match object.and_then(|o| o.get("mime_type")).and_then(Value::as_str) {
            Some(mime) if object.is_some_and(|o| o.get("id").is_some()) => {
                let kind = match mime.split('/').next() {
                    Some("image") => MediaKind::Image,
                    Some("video") => MediaKind::Video,
                    Some("audio") => MediaKind::Audio,
                    _ => MediaKind::Document,
                };
                media(kind, object)
            }
            _ => return unsupported(kind, holder, None),
        },
    };
    parsed.unwrap_or_else(|| unsupported(kind, holder, Some(format!("unreadable `{kind}` object"))))
}

/// A notice for a type we cannot show, with the first of Meta's `errors[]` when there is one
/// (131051 "Message type unknown").
fn unsupported(original_type: &str, holder: &Value, note: Option<String>) -> MessageContent {
    let error = errors_of(holder.get("errors")).into_iter().next().unwrap_or_default();
    MessageContent::Unsupported(Unsupported {
        original_type: original_type.to_owned(),
        code: error.code,
        title: error.title,
        reason: note.or(error.details).or(error.message),
    })
}

#[derive(Deserialize)]
struct WaMedia {
    #[serde(deserialize_with = "scalar::opt_string", default)]
    id: Option<String>,
    mime_type: Option<String>,
    sha256: Option<String>,
    caption: Option<String>,
    filename: Option<String>,
    #[serde(default)]
    voice: bool,
    #[serde(default)]
    animated: bool,
}

fn media(kind: MediaKind, object: Option<&Value>) -> Option<MessageContent> {
    let m: WaMedia = decode(object)?;
    Some(MessageContent::Media(Media {
        kind,
        source: MediaSource::WhatsappId { id: m.id?, mime_type: m.mime_type, sha256: m.sha256 },
        caption: m.caption,
        filename: m.filename,
        voice: m.voice,
        animated: m.animated,
    }))
}

/// Coordinates may come as numbers or numeric strings; anything else makes the location unreadable.
fn location(object: &Value) -> Option<MessageContent> {
    let coordinate = |name: &str| match object.get(name)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    Some(MessageContent::Location(Location {
        latitude: coordinate("latitude")?,
        longitude: coordinate("longitude")?,
        name: str_of(object.get("name")),
        address: str_of(object.get("address")),
        url: str_of(object.get("url")),
    }))
}

/// `contacts[]` cards. Where Meta puts the share's `origin` is UNCONFIRMED (§12): we accept it on the
/// message or on a card, as a string or as `{"type": …}`.
fn contacts(holder: &Value) -> Option<MessageContent> {
    let cards: Vec<&Value> = array_of(holder.get("contacts")).iter().filter(|c| c.is_object()).collect();
    if cards.is_empty() {
        return None;
    }
    let origin_of = |v: Option<&Value>| match v? {
        Value::String(s) => Some(s.clone()),
        other => str_of(other.get("type")),
    };
    let shared_origin =
        origin_of(holder.get("origin")).or_else(|| cards.iter().find_map(|c| origin_of(c.get("origin"))));
    Some(MessageContent::Contacts { cards: cards.into_iter().map(card).collect(), shared_origin })
}

fn card(c: &Value) -> ContactCard {
    let name = c.get("name");
    let name_part = |part: &str| str_of(name.and_then(|n| n.get(part)));
    ContactCard {
        formatted_name: name_part("formatted_name"),
        first_name: name_part("first_name"),
        last_name: name_part("last_name"),
        phones: array_of(c.get("phones"))
            .iter()
            .map(|p| ContactPhone {
                phone: str_of(p.get("phone")),
                wa_id: id_of(p.get("wa_id")),
                kind: str_of(p.get("type")),
            })
            .collect(),
        emails: array_of(c.get("emails")).iter().filter_map(|e| str_of(e.get("email"))).collect(),
        org: str_of(c.get("org").and_then(|o| o.get("company"))),
    }
}

fn interactive(object: &Value) -> Option<MessageContent> {
    let kind = object.get("type").and_then(Value::as_str)?;
    let reply_kind = match kind {
        "button_reply" => InteractiveKind::ButtonReply,
        "list_reply" => InteractiveKind::ListReply,
        "nfm_reply" => InteractiveKind::NfmReply,
        _ => return Some(MessageContent::unsupported(format!("interactive:{kind}"), None)),
    };
    let reply = object.get(kind).filter(|r| r.is_object())?;
    Some(MessageContent::Interactive(InteractiveReply {
        reply_kind,
        id: id_of(reply.get("id")),
        title: str_of(reply.get("title")),
        description: str_of(reply.get("description")),
        body: str_of(reply.get("body")),
        response_json: str_of(reply.get("response_json")),
    }))
}

/// `referral` of a click-to-WhatsApp ad (§2).
#[derive(Deserialize)]
struct WaReferral {
    source_url: Option<String>,
    source_type: Option<String>,
    #[serde(deserialize_with = "scalar::opt_string", default)]
    source_id: Option<String>,
    headline: Option<String>,
    body: Option<String>,
    media_type: Option<String>,
    ctwa_clid: Option<String>,
}

impl From<WaReferral> for Referral {
    fn from(r: WaReferral) -> Self {
        Referral {
            source_url: r.source_url,
            source_type: r.source_type,
            source_id: r.source_id,
            headline: r.headline,
            body: r.body,
            media_type: r.media_type,
            ctwa_clid: r.ctwa_clid,
            ref_param: None,
        }
    }
}
