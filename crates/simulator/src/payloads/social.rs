//! Messenger (`object: "page"`) and Instagram (`object: "instagram"`) webhooks (docs/meta.md §9, §10):
//! `entry[].{id, time, messaging[]}` with millisecond timestamps; events `message` (text, attachments,
//! `reply_to`, `quick_reply`, echoes with `is_echo` + `app_id`, Instagram `is_deleted`/`is_unsupported`),
//! `reaction`, `read`, `delivery` (Messenger only) and `postback`.

use serde_json::{json, Map, Value};

/// The app id echoes carry (the simulator's "app").
pub const SIM_APP_ID: &str = "1517155278472911";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocialPlatform {
    Messenger,
    Instagram,
}

impl SocialPlatform {
    pub fn object(self) -> &'static str {
        match self {
            Self::Messenger => "page",
            Self::Instagram => "instagram",
        }
    }
}

/// An attachment of an inbound message; `url` is a CDN link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialAttachment {
    /// `image`, `video`, `audio`, `file`, `fallback`, `share`, `story_mention`, `ig_reel`, …
    pub kind: String,
    pub url: String,
    pub sticker_id: Option<i64>,
}

/// A `message` event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocialMessage {
    pub mid: String,
    pub text: Option<String>,
    pub attachments: Vec<SocialAttachment>,
    pub reply_to: Option<String>,
    pub quick_reply: Option<String>,
    /// Sent by the Page/account (Business Suite, the app, or an API send): sender and recipient swap.
    pub is_echo: bool,
    /// Instagram: the user unsent it.
    pub is_deleted: bool,
    /// Instagram: a type the API does not deliver.
    pub is_unsupported: bool,
}

impl SocialMessage {
    pub fn text(mid: impl Into<String>, text: impl Into<String>) -> Self {
        Self { mid: mid.into(), text: Some(text.into()), ..Self::default() }
    }
}

fn envelope(platform: SocialPlatform, asset_id: &str, time_ms: i64, event: Value) -> Value {
    json!({
        "object": platform.object(),
        "entry": [{"id": asset_id, "time": time_ms, "messaging": [event]}],
    })
}

fn event(asset_id: &str, customer: &str, from_customer: bool, time_ms: i64, key: &str, body: Value) -> Value {
    let (sender, recipient) = if from_customer { (customer, asset_id) } else { (asset_id, customer) };
    let mut e = Map::new();
    e.insert("sender".into(), json!({"id": sender}));
    e.insert("recipient".into(), json!({"id": recipient}));
    e.insert("timestamp".into(), json!(time_ms));
    e.insert(key.into(), body);
    Value::Object(e)
}

/// A message from the customer (or, with `is_echo`, from the Page/account to the customer).
pub fn social_message(
    platform: SocialPlatform,
    asset_id: &str,
    customer: &str,
    time_ms: i64,
    message: &SocialMessage,
) -> Value {
    let mut m = Map::new();
    m.insert("mid".into(), json!(message.mid));
    if message.is_echo {
        m.insert("is_echo".into(), json!(true));
        m.insert("app_id".into(), json!(SIM_APP_ID.parse::<i64>().unwrap_or_default()));
    }
    if let Some(text) = &message.text {
        m.insert("text".into(), json!(text));
    }
    if !message.attachments.is_empty() {
        let attachments: Vec<Value> = message
            .attachments
            .iter()
            .map(|a| {
                let mut payload = json!({"url": a.url});
                if let Some(sticker) = a.sticker_id {
                    payload["sticker_id"] = json!(sticker);
                }
                json!({"type": a.kind, "payload": payload})
            })
            .collect();
        m.insert("attachments".into(), Value::Array(attachments));
    }
    if let Some(reply_to) = &message.reply_to {
        m.insert("reply_to".into(), json!({"mid": reply_to}));
    }
    if let Some(payload) = &message.quick_reply {
        m.insert("quick_reply".into(), json!({"payload": payload}));
    }
    if message.is_deleted {
        m.insert("is_deleted".into(), json!(true));
    }
    if message.is_unsupported {
        m.insert("is_unsupported".into(), json!(true));
    }
    let e = event(asset_id, customer, !message.is_echo, time_ms, "message", Value::Object(m));
    envelope(platform, asset_id, time_ms, e)
}

/// Meta's reaction name for an emoji.
fn reaction_name(emoji: &str) -> &'static str {
    match emoji {
        "❤️" | "❤" | "😍" => "love",
        "😆" | "😂" => "smile",
        "😮" => "wow",
        "😢" => "sad",
        "😠" => "angry",
        "👍" => "like",
        _ => "other",
    }
}

/// The customer reacts to `mid` (`Some(emoji)`) or removes their reaction (`None`).
pub fn social_reaction(
    platform: SocialPlatform,
    asset_id: &str,
    customer: &str,
    time_ms: i64,
    mid: &str,
    emoji: Option<&str>,
) -> Value {
    let body = match emoji {
        Some(emoji) => {
            json!({"mid": mid, "action": "react", "reaction": reaction_name(emoji), "emoji": emoji})
        }
        None => json!({"mid": mid, "action": "unreact"}),
    };
    envelope(platform, asset_id, time_ms, event(asset_id, customer, true, time_ms, "reaction", body))
}

/// The customer read the conversation: Messenger by `watermark` (everything up to that millisecond),
/// Instagram by `mid`.
pub fn social_read(
    platform: SocialPlatform,
    asset_id: &str,
    customer: &str,
    time_ms: i64,
    watermark_ms: i64,
    mid: Option<&str>,
) -> Value {
    let body = match (platform, mid) {
        (SocialPlatform::Instagram, Some(mid)) => json!({"mid": mid}),
        _ => json!({"watermark": watermark_ms}),
    };
    envelope(platform, asset_id, time_ms, event(asset_id, customer, true, time_ms, "read", body))
}

/// Messenger delivery confirmation of Page messages.
pub fn social_delivery(asset_id: &str, customer: &str, time_ms: i64, mids: &[String], watermark_ms: i64) -> Value {
    let body = json!({"mids": mids, "watermark": watermark_ms});
    let e = event(asset_id, customer, true, time_ms, "delivery", body);
    envelope(SocialPlatform::Messenger, asset_id, time_ms, e)
}

/// A tap on a button (`postback`).
pub fn social_postback(
    platform: SocialPlatform,
    asset_id: &str,
    customer: &str,
    time_ms: i64,
    mid: &str,
    title: &str,
    payload: &str,
) -> Value {
    let body = json!({"mid": mid, "title": title, "payload": payload});
    envelope(platform, asset_id, time_ms, event(asset_id, customer, true, time_ms, "postback", body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_messenger_text_has_the_page_shape() {
        let v = social_message(
            SocialPlatform::Messenger,
            "PAGE",
            "PSID",
            1739321024000,
            &SocialMessage::text("m_1", "Hola"),
        );
        assert_eq!(v["object"], "page");
        assert_eq!(v["entry"][0]["id"], "PAGE");
        let e = &v["entry"][0]["messaging"][0];
        assert_eq!(e["sender"]["id"], "PSID");
        assert_eq!(e["recipient"]["id"], "PAGE");
        assert_eq!(e["timestamp"], 1739321024000i64);
        assert_eq!(e["message"]["text"], "Hola");
    }

    #[test]
    fn an_echo_swaps_sender_and_recipient() {
        let msg = SocialMessage { is_echo: true, ..SocialMessage::text("m_2", "Hi") };
        let v = social_message(SocialPlatform::Instagram, "IG", "IGSID", 1, &msg);
        let e = &v["entry"][0]["messaging"][0];
        assert_eq!(v["object"], "instagram");
        assert_eq!(e["sender"]["id"], "IG");
        assert_eq!(e["message"]["is_echo"], true);
        assert!(e["message"]["app_id"].is_number());
    }

    #[test]
    fn reactions_name_the_emoji() {
        let v = social_reaction(SocialPlatform::Messenger, "P", "U", 1, "m_1", Some("❤️"));
        assert_eq!(v["entry"][0]["messaging"][0]["reaction"]["reaction"], "love");
        let v = social_reaction(SocialPlatform::Messenger, "P", "U", 1, "m_1", None);
        assert_eq!(v["entry"][0]["messaging"][0]["reaction"]["action"], "unreact");
    }
}
