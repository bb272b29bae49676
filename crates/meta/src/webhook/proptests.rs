//! Property tests: the parser is total. Whatever Meta (or an attacker who got past the signature, or a
//! bug in a proxy) sends, `parse_delivery` answers `Ok` or `Err` without panicking, and inside a valid
//! envelope every item yields exactly one event, so nothing is silently dropped.

use super::test_builders::*;
use super::*;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Field names Meta uses, so generated documents reach deep into the parser instead of being rejected
/// at the first lookup.
const VOCABULARY: &[&str] = &[
    "object",
    "entry",
    "id",
    "time",
    "changes",
    "field",
    "value",
    "metadata",
    "phone_number_id",
    "display_phone_number",
    "contacts",
    "wa_id",
    "user_id",
    "profile",
    "name",
    "messages",
    "from",
    "from_user_id",
    "to",
    "to_user_id",
    "timestamp",
    "type",
    "text",
    "body",
    "image",
    "audio",
    "voice",
    "sticker",
    "document",
    "location",
    "latitude",
    "longitude",
    "interactive",
    "button_reply",
    "list_reply",
    "nfm_reply",
    "reaction",
    "emoji",
    "message_id",
    "edit",
    "revoke",
    "original_message_id",
    "message",
    "system",
    "unsupported",
    "errors",
    "code",
    "context",
    "statuses",
    "status",
    "recipient_id",
    "recipient_type",
    "pricing",
    "history",
    "threads",
    "state_sync",
    "action",
    "message_echoes",
    "messaging",
    "sender",
    "recipient",
    "mid",
    "attachments",
    "payload",
    "url",
    "is_echo",
    "is_deleted",
    "is_unsupported",
    "reply_to",
    "story",
    "read",
    "delivery",
    "mids",
    "watermark",
    "postback",
    "quick_reply",
    "message_edit",
    "group_id",
    "whatsapp_business_account",
    "page",
    "instagram",
    "smb_message_echoes",
    "smb_app_state_sync",
    "message_template_status_update",
    "event",
    "share",
    "ig_reel",
    "fallback",
    "coordinates",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(VOCABULARY).prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        word().prop_map(Value::from),
        Just(json!(TS.to_string())),
        Just(json!(TS * 1000)),
    ];
    leaf.prop_recursive(5, 96, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((word(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An object whose keys mostly come from [`VOCABULARY`], with arbitrary values.
fn object_like() -> impl Strategy<Value = Value> {
    proptest::collection::vec((word(), json_value()), 0..6)
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>()))
}

const WA_TYPES: &[&str] = &[
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "button",
    "order",
    "system",
    "unsupported",
    "poll",
    "reaction",
    "edit",
    "revoke",
];

/// A WhatsApp message with a valid id, timestamp and sender (phone, BSUID or both), a type, and an
/// arbitrary object under that type.
fn wa_message_like() -> impl Strategy<Value = Value> {
    (proptest::sample::select(WA_TYPES), object_like(), 0..3_u8, proptest::option::of(object_like())).prop_map(
        |(kind, object, sender, context)| {
            let mut message = json!({"id": "wamid.p", "timestamp": TS.to_string(), "type": kind});
            if sender != 1 {
                message["from"] = json!(CUSTOMER);
            }
            if sender != 0 {
                message["from_user_id"] = json!(BSUID);
            }
            message[kind] = if kind == "contacts" { json!([object]) } else { object };
            if let Some(context) = context {
                message["context"] = context;
            }
            message
        },
    )
}

const FB_KEYS: &[&str] = &["message", "message_edit", "reaction", "read", "delivery", "postback"];
const FB_ATTACHMENTS: &[&str] = &[
    "image",
    "video",
    "audio",
    "file",
    "location",
    "fallback",
    "template",
    "share",
    "story_mention",
    "ig_reel",
    "ig_post",
    "animated_image",
    "hologram",
];

/// A Messenger/Instagram item with a valid envelope and an arbitrary event object; messages get a
/// `mid` and attachments of known (and unknown) types with arbitrary payloads.
fn fb_item_like() -> impl Strategy<Value = Value> {
    let attachment = (proptest::sample::select(FB_ATTACHMENTS), object_like())
        .prop_map(|(kind, payload)| json!({"type": kind, "payload": payload}));
    (proptest::sample::select(FB_KEYS), object_like(), proptest::collection::vec(attachment, 0..3), any::<bool>())
        .prop_map(|(key, mut object, attachments, echo)| {
            if key == "message" {
                object["mid"] = json!("m_p");
                object["attachments"] = json!(attachments);
                object["is_echo"] = json!(echo);
            }
            fb_item(key, object)
        })
}

fn known_object() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(&["whatsapp_business_account", "page", "instagram"][..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_delivery(&bytes);
    }

    #[test]
    fn never_panics_on_arbitrary_json(value in json_value()) {
        let _ = parse_delivery(value.to_string().as_bytes());
    }

    #[test]
    fn a_known_object_with_arbitrary_entries_is_accepted(
        object in known_object(),
        entries in proptest::collection::vec(json_value(), 0..4),
    ) {
        let body = json!({"object": object, "entry": entries});
        prop_assert!(parse_delivery(body.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn every_whatsapp_message_or_status_yields_exactly_one_event(
        messages in proptest::collection::vec(json_value(), 1..5),
        statuses in proptest::collection::vec(json_value(), 0..3),
        contacts in proptest::collection::vec(json_value(), 0..3),
    ) {
        let value = wa_value(json!({"contacts": contacts, "messages": messages, "statuses": statuses}));
        let body = wa_body(vec![wa_entry(vec![wa_change("messages", value)])]);
        prop_assert_eq!(parse(&body).events.len(), messages.len() + statuses.len());
    }

    #[test]
    fn every_call_or_preference_item_is_an_event_or_unroutable(
        field in proptest::sample::select(&["calls", "user_preferences"][..]),
        items in proptest::collection::vec(json_value(), 1..5),
        contacts in proptest::collection::vec(json_value(), 0..3),
    ) {
        // Never dropped silently: each item is applied, acknowledged as ignored, or kept as unroutable.
        let value = wa_value(json!({"contacts": contacts, field: items}));
        let delivery = parse(&wa_body(vec![wa_entry(vec![wa_change(field, value)])]));
        prop_assert_eq!(delivery.events.len() + delivery.unroutable.len(), items.len());
    }

    #[test]
    fn messenger_calls_never_break_a_delivery(items in proptest::collection::vec(json_value(), 1..5)) {
        let body = json!({"object": "page", "entry": [{"id": PAGE_ID, "time": TS * 1000, "calls": items}]});
        let delivery = parse(&body);
        prop_assert!(delivery.events.len() + delivery.unroutable.len() >= items.len());
    }

    #[test]
    fn every_messaging_item_yields_exactly_one_event(
        object in known_object().prop_filter("messenger shape", |o| *o != "whatsapp_business_account"),
        items in proptest::collection::vec(json_value(), 1..6),
    ) {
        let body = fb_body(object, PAGE_ID, items.clone());
        prop_assert_eq!(parse(&body).events.len(), items.len());
    }

    #[test]
    fn a_whatsapp_message_with_id_timestamp_and_sender_is_never_dropped(message in wa_message_like()) {
        let kind = message["type"].as_str().unwrap_or_default().to_owned();
        let event = only_kind(&wa_inbound(message));
        match (kind.as_str(), event) {
            (_, EventKind::Message(m)) => prop_assert_eq!(m.external_id, "wamid.p"),
            ("reaction" | "edit" | "revoke", EventKind::Reaction(_) | EventKind::Edit(_)
                | EventKind::Revoke(_) | EventKind::Ignored(_)) => {}
            (kind, other) => prop_assert!(false, "{} became {:?}", kind, other),
        }
    }

    #[test]
    fn a_messenger_message_with_mid_and_sender_is_never_dropped(
        object in known_object().prop_filter("messenger shape", |o| *o != "whatsapp_business_account"),
        item in fb_item_like(),
    ) {
        let is_message = item.get("message").is_some();
        let event = only_kind(&fb_body(object, PAGE_ID, vec![item]));
        if is_message {
            prop_assert!(
                matches!(event, EventKind::Message(_) | EventKind::Revoke(_)),
                "{:?}", event
            );
        }
    }

    #[test]
    fn unknown_fields_anywhere_are_ignored(
        extra in proptest::collection::vec(("x_[a-z]{1,8}", json_value()), 0..4),
    ) {
        let extra: Map<_, _> = extra.into_iter().collect();
        let plain = wa_inbound(wa_text("wamid.u", "hola"));
        let mut noisy = plain.clone();
        for pointer in ["", "/entry/0", "/entry/0/changes/0/value", "/entry/0/changes/0/value/messages/0"] {
            if let Some(object) = noisy.pointer_mut(pointer).and_then(Value::as_object_mut) {
                object.extend(extra.clone());
            }
        }
        let kinds = |body: &Value| parse(body).events.into_iter().map(|e| e.kind).collect::<Vec<_>>();
        prop_assert_eq!(kinds(&noisy), kinds(&plain));
    }

    #[test]
    fn any_whatsapp_text_is_kept_verbatim(text in "\\PC{0,200}") {
        prop_assert_eq!(
            only_content(&wa_inbound(wa_text("wamid.p", &text))),
            MessageContent::Text { body: text }
        );
    }

    #[test]
    fn any_messenger_text_is_kept_verbatim(text in "\\PC{1,200}") {
        prop_assert_eq!(
            only_content(&page_body(vec![fb_message(json!({"mid": "m_p", "text": text.clone()}))])),
            MessageContent::Text { body: text }
        );
    }
}
