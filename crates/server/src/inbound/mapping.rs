//! Meta's message content (crate `meta`) → the inbox's stored message: a `kind` of docs/api.md, the
//! shown text, a JSON `content` with the kind's details, and the attachments to fetch.
//!
//! Nothing is dropped: a type the inbox cannot show becomes kind `unsupported` with the original type
//! and Meta's reason, which the UI renders as "mensaje no soportado".

use meta::webhook::{ContactCard, InteractiveKind, Media, MediaSource, MessageContent, SharedKind, SystemKind};
use serde_json::{json, Value};
use store::NewAttachment;

/// The stored form of one message's content.
pub struct Mapped {
    pub kind: &'static str,
    pub text: Option<String>,
    pub content: Value,
    pub attachments: Vec<NewAttachment>,
}

fn attachment(media: &Media) -> NewAttachment {
    let (declared_mime, source) = match &media.source {
        MediaSource::WhatsappId { id, mime_type, sha256 } => {
            (mime_type.clone(), json!({"whatsapp_media_id": id, "sha256": sha256}))
        }
        MediaSource::Url { url } => (None, json!({"url": url})),
    };
    NewAttachment { kind: media.kind, declared_mime, filename: media.filename.clone(), source }
}

fn card_json(c: &ContactCard) -> Value {
    json!({
        "formatted_name": c.formatted_name,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "phones": c.phones.iter().map(|p| json!({"phone": p.phone, "wa_id": p.wa_id, "type": p.kind})).collect::<Vec<_>>(),
        "emails": c.emails,
        "org": c.org,
    })
}

pub fn map_content(content: &MessageContent) -> Mapped {
    let plain = |kind, text: Option<String>, content| Mapped { kind, text, content, attachments: vec![] };
    match content {
        MessageContent::Text { body } => plain("text", Some(body.clone()), json!({})),
        MessageContent::Media(m) => Mapped {
            kind: m.kind.as_str(),
            text: m.caption.clone(),
            content: json!({"caption": m.caption, "filename": m.filename, "voice": m.voice, "animated": m.animated}),
            attachments: vec![attachment(m)],
        },
        MessageContent::Location(l) => plain(
            "location",
            l.name.clone(),
            json!({"location": {"latitude": l.latitude, "longitude": l.longitude, "name": l.name, "address": l.address, "url": l.url}}),
        ),
        MessageContent::Contacts { cards, shared_origin } => plain(
            "contacts",
            cards.first().and_then(|c| c.formatted_name.clone()),
            json!({"contacts": cards.iter().map(card_json).collect::<Vec<_>>(), "shared_origin": shared_origin}),
        ),
        MessageContent::Interactive(i) => {
            let reply_kind = match i.reply_kind {
                InteractiveKind::ButtonReply => "button_reply",
                InteractiveKind::ListReply => "list_reply",
                InteractiveKind::NfmReply => "nfm_reply",
            };
            plain(
                "interactive",
                i.title.clone().or_else(|| i.body.clone()),
                json!({"interactive": {"type": reply_kind, "id": i.id, "title": i.title, "description": i.description, "body": i.body, "response_json": i.response_json}}),
            )
        }
        MessageContent::Button { payload, text } => {
            plain("button", text.clone(), json!({"button": {"payload": payload, "text": text}}))
        }
        MessageContent::Order { catalog_id, text, product_items } => {
            // Orders are shown as a notice with their details kept: the inbox has no cart view.
            plain(
                "unsupported",
                text.clone(),
                json!({"unsupported": {"original_type": "order"}, "order": {"catalog_id": catalog_id, "product_items": product_items}}),
            )
        }
        MessageContent::Postback { title, payload } => {
            plain("button", title.clone(), json!({"button": {"payload": payload, "text": title}, "postback": true}))
        }
        MessageContent::QuickReply { text, payload } => {
            plain("text", Some(text.clone()), json!({"quick_reply_payload": payload}))
        }
        MessageContent::Shared(s) => {
            let kind = match s.kind {
                SharedKind::Share => "share",
                SharedKind::StoryMention => "story_mention",
                SharedKind::Reel => "reel",
                SharedKind::Post => "post",
            };
            plain(
                "text",
                s.title.clone().or_else(|| s.url.clone()),
                json!({"shared": {"type": kind, "url": s.url, "title": s.title}}),
            )
        }
        MessageContent::System { body, kind, new_wa_id } => {
            let kind = match kind {
                SystemKind::UserChangedNumber => "user_changed_number".to_string(),
                SystemKind::CustomerIdentityChanged => "customer_identity_changed".to_string(),
                SystemKind::Other(k) => k.clone(),
            };
            plain("system", body.clone(), json!({"system": {"type": kind, "new_wa_id": new_wa_id}}))
        }
        MessageContent::Unsupported(u) => plain(
            "unsupported",
            None,
            json!({"unsupported": {"original_type": u.original_type, "code": u.code, "title": u.title, "reason": u.reason}}),
        ),
    }
}

/// Maps a message and any additional parts (Messenger/Instagram can put several attachments under
/// one id): the first part gives the kind; the other parts' attachments are kept beside it.
pub fn map_message(content: &MessageContent, additional: &[MessageContent]) -> Mapped {
    let mut mapped = map_content(content);
    for extra in additional {
        let more = map_content(extra);
        mapped.attachments.extend(more.attachments);
        if mapped.text.is_none() {
            mapped.text = more.text;
        }
    }
    mapped
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::media_rules::MediaKind;
    use meta::webhook::{Location, Unsupported};

    #[test]
    fn media_keeps_caption_and_where_to_fetch_it() {
        let m = map_content(&MessageContent::Media(Media {
            kind: MediaKind::Audio,
            source: MediaSource::WhatsappId {
                id: "MID".into(),
                mime_type: Some("audio/ogg; codecs=opus".into()),
                sha256: None,
            },
            caption: None,
            filename: None,
            voice: true,
            animated: false,
        }));
        assert_eq!(m.kind, "audio");
        assert_eq!(m.content["voice"], true);
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].source["whatsapp_media_id"], "MID");
        assert_eq!(m.attachments[0].declared_mime.as_deref(), Some("audio/ogg; codecs=opus"));
    }

    #[test]
    fn unknown_types_become_unsupported_with_their_original_type() {
        let m = map_content(&MessageContent::Unsupported(Unsupported {
            original_type: "poll".into(),
            code: Some(131051),
            ..Default::default()
        }));
        assert_eq!(m.kind, "unsupported");
        assert_eq!(m.content["unsupported"]["original_type"], "poll");
        assert_eq!(m.content["unsupported"]["code"], 131051);
    }

    #[test]
    fn location_keeps_coordinates() {
        let m = map_content(&MessageContent::Location(Location {
            latitude: 19.43,
            longitude: -99.13,
            name: Some("Zócalo".into()),
            ..Default::default()
        }));
        assert_eq!(m.kind, "location");
        assert_eq!(m.content["location"]["latitude"], 19.43);
        assert_eq!(m.text.as_deref(), Some("Zócalo"));
    }
}
