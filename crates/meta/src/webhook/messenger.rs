//! `object: "page"` (Messenger, docs/meta.md §9) and `object: "instagram"` (§10): both send
//! `entry[].messaging[]` items, routed by `entry[].id` (the Page or Instagram account).
//!
//! Each item is one of `message` (with `is_echo` for what the business sent from elsewhere, `is_deleted`
//! and `is_unsupported` on Instagram), `message_edit`, `reaction`, `read`, `delivery` or `postback`.
//! Timestamps are milliseconds. For an echo the customer is the **recipient**, not the sender. Other item
//! kinds (optins, standalone referrals, …), `changes[]` (comments, mentions) and `standby[]` are
//! acknowledged as ignored.

use super::calls;
use super::content::{Location, Media, MediaKind, MediaSource, MessageContent, SharedContent, SharedKind};
use super::events::{
    CustomerRef, DeliveryWatermark, Edit, EventKind, IgnoreReason, InboundMessage, Origin, Reaction, ReadWatermark,
    Referral, Revoke, RoutingKey, RoutingKind, StoryRef,
};
use super::{array_of, id_of, keys_of, scalar, str_of, Delivery};
use serde_json::Value;
use time::OffsetDateTime;

pub(super) fn parse_entry(entry: &Value, kind: RoutingKind, out: &mut Delivery) {
    let Some(id) = id_of(entry.get("id")) else {
        out.unroutable("entry without id", entry);
        return;
    };
    let key = RoutingKey { kind, id };
    let entry_time = entry.get("time").and_then(scalar::from_millis);
    let before = out.events.len();
    for item in array_of(entry.get("messaging")) {
        out.push(&key, item, parse_item(item, &key.id, entry_time));
    }
    for change in array_of(entry.get("changes")) {
        let field = str_of(change.get("field")).unwrap_or_default();
        out.ignore(&key, change, IgnoreReason::UnhandledField(field));
    }
    // Messenger calls arrive beside `messaging[]`, as `entry[].calls[]` (only `object: "page"` has them).
    calls::messenger_calls(array_of(entry.get("calls")), &key, entry_time, out);
    for item in array_of(entry.get("standby")) {
        out.ignore(&key, item, IgnoreReason::UnhandledEvent("standby".into()));
    }
    if out.events.len() == before {
        out.ignore(&key, entry, IgnoreReason::Empty);
    }
}

/// Who the item is about and when it happened.
struct Envelope {
    customer: CustomerRef,
    origin: Origin,
    timestamp: Option<OffsetDateTime>,
    /// The raw millisecond timestamp, to build ids for postbacks that lack a `mid`.
    raw_timestamp: Option<i64>,
}

/// The `messaging[]` event kinds we apply; anything else is acknowledged as unhandled.
const HANDLED: [&str; 6] = ["message", "message_edit", "reaction", "read", "delivery", "postback"];

fn parse_item(item: &Value, business_id: &str, entry_time: Option<OffsetDateTime>) -> EventKind {
    if !HANDLED.iter().any(|key| item.get(key).is_some()) {
        return EventKind::ignored(IgnoreReason::UnhandledEvent(keys_of(item)));
    }
    let message = item.get("message").filter(|m| m.is_object());
    let sender = id_of(item.pointer("/sender/id"));
    let recipient = id_of(item.pointer("/recipient/id"));
    // An echo is what the Page/account sent (from Meta Business Suite, the app, or this inbox): the
    // customer is then the recipient. A sender equal to the entry id means the same.
    let is_echo = message.and_then(|m| m.get("is_echo")).and_then(Value::as_bool).unwrap_or(false)
        || sender.as_deref() == Some(business_id);
    let (customer, origin) = if is_echo { (recipient, Origin::BusinessApp) } else { (sender, Origin::Customer) };
    let Some(customer) = customer else {
        return EventKind::malformed("no sender/recipient id");
    };
    let env = Envelope {
        customer: CustomerRef::scoped(customer),
        origin,
        timestamp: item.get("timestamp").and_then(scalar::from_millis).or(entry_time),
        raw_timestamp: item.get("timestamp").and_then(scalar::integer),
    };
    if let Some(message) = message {
        self::message(message, env)
    } else if let Some(edit) = item.get("message_edit") {
        message_edit(edit, env)
    } else if let Some(reaction) = item.get("reaction") {
        self::reaction(reaction, env)
    } else if let Some(read) = item.get("read") {
        EventKind::ReadWatermark(ReadWatermark {
            customer: env.customer,
            watermark: read.get("watermark").and_then(scalar::from_millis),
            mid: id_of(read.get("mid")),
        })
    } else if let Some(delivery) = item.get("delivery") {
        EventKind::DeliveryWatermark(DeliveryWatermark {
            customer: env.customer,
            mids: array_of(delivery.get("mids")).iter().filter_map(|m| id_of(Some(m))).collect(),
            watermark: delivery.get("watermark").and_then(scalar::from_millis),
        })
    } else if let Some(postback) = item.get("postback") {
        self::postback(postback, env)
    } else {
        // `message` was present but not an object.
        EventKind::malformed("message is not an object")
    }
}

fn message(m: &Value, env: Envelope) -> EventKind {
    let Some(mid) = id_of(m.get("mid")) else {
        return EventKind::malformed("message without mid");
    };
    let Some(timestamp) = env.timestamp else {
        return EventKind::malformed("message without timestamp");
    };
    let flag = |name: &str| m.get(name).and_then(Value::as_bool).unwrap_or(false);
    if flag("is_deleted") {
        return EventKind::Revoke(Revoke {
            external_id: None,
            original_external_id: mid,
            customer: env.customer,
            timestamp,
            origin: env.origin,
        });
    }
    let mut parts =
        if flag("is_unsupported") { vec![MessageContent::unsupported("is_unsupported", None)] } else { contents(m) };
    let content = if parts.is_empty() {
        MessageContent::unsupported("empty", Some("no text nor attachment".into()))
    } else {
        parts.remove(0)
    };
    let reply_to = m.get("reply_to");
    let story = reply_to.and_then(|r| r.get("story")).filter(|s| s.is_object());
    EventKind::Message(InboundMessage {
        external_id: mid,
        customer: env.customer,
        timestamp,
        content,
        additional: parts,
        reply_to: id_of(reply_to.and_then(|r| r.get("mid"))),
        reply_to_story: story.map(|s| StoryRef { id: id_of(s.get("id")), url: str_of(s.get("url")) }),
        forwarded: false,
        frequently_forwarded: false,
        referral: m.get("referral").filter(|r| r.is_object()).map(referral),
        origin: env.origin,
        app_id: id_of(m.get("app_id")),
    })
}

/// Text (or a quick-reply tap) first, then each attachment in order.
fn contents(m: &Value) -> Vec<MessageContent> {
    let text = str_of(m.get("text"));
    let quick_reply = str_of(m.pointer("/quick_reply/payload"));
    let mut parts = Vec::new();
    match (text, quick_reply) {
        (text, Some(payload)) => parts.push(MessageContent::QuickReply { text: text.unwrap_or_default(), payload }),
        (Some(body), None) => parts.push(MessageContent::Text { body }),
        (None, None) => {}
    }
    parts.extend(array_of(m.get("attachments")).iter().map(attachment));
    parts
}

fn attachment(a: &Value) -> MessageContent {
    let kind = a.get("type").and_then(Value::as_str).unwrap_or("unknown");
    let payload = a.get("payload");
    let url = str_of(payload.and_then(|p| p.get("url")));
    let title = str_of(payload.and_then(|p| p.get("title"))).or_else(|| str_of(a.get("title")));
    let media = |media_kind: MediaKind, animated: bool| match url.clone() {
        Some(url) => MessageContent::Media(Media {
            kind: media_kind,
            source: MediaSource::Url { url },
            caption: None,
            filename: None,
            voice: false,
            animated,
        }),
        None => MessageContent::unsupported(format!("attachment:{kind}"), Some("no url".into())),
    };
    let shared =
        |kind: SharedKind| MessageContent::Shared(SharedContent { kind, url: url.clone(), title: title.clone() });
    let is_sticker = payload.and_then(|p| p.get("sticker_id")).is_some();
    match kind {
        "image" if is_sticker => media(MediaKind::Sticker, false),
        "image" => media(MediaKind::Image, false),
        "animated_image" => media(MediaKind::Image, true),
        "video" => media(MediaKind::Video, false),
        "audio" => media(MediaKind::Audio, false),
        "file" => media(MediaKind::Document, false),
        "location" => location(payload, title, url),
        "fallback" | "share" => shared(SharedKind::Share),
        "story_mention" => shared(SharedKind::StoryMention),
        "ig_reel" | "reel" => shared(SharedKind::Reel),
        "ig_post" => shared(SharedKind::Post),
        other => MessageContent::unsupported(format!("attachment:{other}"), None),
    }
}

/// Messenger's (deprecated) location attachment: `payload.coordinates.{lat, long}`.
fn location(payload: Option<&Value>, name: Option<String>, url: Option<String>) -> MessageContent {
    let coordinate = |n: &str| payload.and_then(|p| p.get("coordinates")).and_then(|c| c.get(n)?.as_f64());
    match (coordinate("lat"), coordinate("long")) {
        (Some(latitude), Some(longitude)) => {
            MessageContent::Location(Location { latitude, longitude, name, address: None, url })
        }
        _ => MessageContent::unsupported("attachment:location", Some("no coordinates".into())),
    }
}

/// Ads and `m.me` links: `{ref, source, type, ad_id, ads_context_data.{ad_title, photo_url}}`.
fn referral(r: &Value) -> Referral {
    Referral {
        source_url: str_of(r.pointer("/ads_context_data/photo_url")),
        source_type: str_of(r.get("source")),
        source_id: id_of(r.get("ad_id")),
        headline: str_of(r.pointer("/ads_context_data/ad_title")),
        body: None,
        media_type: str_of(r.get("type")),
        ctwa_clid: None,
        ref_param: str_of(r.get("ref")),
    }
}

/// `reaction.{mid, action: react|unreact, emoji, reaction}`. Instagram may send only the reaction's
/// name (`love`); we show the matching emoji.
fn reaction(r: &Value, env: Envelope) -> EventKind {
    let (Some(target), Some(timestamp)) = (id_of(r.get("mid")), env.timestamp) else {
        return EventKind::malformed("reaction without mid or timestamp");
    };
    let removed = r.get("action").and_then(Value::as_str) == Some("unreact");
    let emoji = str_of(r.get("emoji"))
        .filter(|e| !e.is_empty())
        .or_else(|| str_of(r.get("reaction")).map(|name| emoji_for(&name)));
    EventKind::Reaction(Reaction {
        external_id: None,
        target_external_id: target,
        emoji: if removed { None } else { emoji },
        customer: env.customer,
        timestamp,
        origin: env.origin,
    })
}

fn emoji_for(name: &str) -> String {
    match name {
        "love" => "❤️",
        "like" => "👍",
        "dislike" => "👎",
        "smile" => "😆",
        "wow" => "😮",
        "sad" => "😢",
        "angry" => "😠",
        other => other,
    }
    .to_owned()
}

/// `message_edit.{mid, text, num_edit}` (Messenger).
fn message_edit(e: &Value, env: Envelope) -> EventKind {
    let (Some(mid), Some(timestamp)) = (id_of(e.get("mid")), env.timestamp) else {
        return EventKind::malformed("message_edit without mid or timestamp");
    };
    EventKind::Edit(Edit {
        external_id: None,
        original_external_id: mid,
        new_content: MessageContent::Text { body: str_of(e.get("text")).unwrap_or_default() },
        customer: env.customer,
        timestamp,
        origin: env.origin,
    })
}

/// A button tap. Older postbacks have no `mid`: the id is then built from the sender and the
/// millisecond timestamp, which Meta keeps identical on retries, so processing stays idempotent.
fn postback(p: &Value, env: Envelope) -> EventKind {
    let Some(timestamp) = env.timestamp else {
        return EventKind::malformed("postback without timestamp");
    };
    let mid = id_of(p.get("mid"))
        .unwrap_or_else(|| format!("postback:{}:{}", env.customer.external_id, env.raw_timestamp.unwrap_or_default()));
    EventKind::Message(InboundMessage {
        external_id: mid,
        customer: env.customer,
        timestamp,
        content: MessageContent::Postback { title: str_of(p.get("title")), payload: str_of(p.get("payload")) },
        additional: Vec::new(),
        reply_to: None,
        reply_to_story: None,
        forwarded: false,
        frequently_forwarded: false,
        referral: p.get("referral").filter(|r| r.is_object()).map(referral),
        origin: env.origin,
        app_id: None,
    })
}
