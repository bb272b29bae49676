//! Messenger (docs/meta.md §9) and Instagram (§10) `messaging[]` items.

use super::test_builders::*;
use super::*;
use serde_json::{json, Value};
use time::macros::datetime;

const IG_ACCOUNT: &str = "17841400000000000";
const IGSID: &str = "9876543210";

fn ig_body(items: Vec<Value>) -> Value {
    fb_body("instagram", IG_ACCOUNT, items)
}

fn ig_message(message: Value) -> Value {
    json!({"sender": {"id": IGSID}, "recipient": {"id": IG_ACCOUNT}, "timestamp": TS * 1000,
           "message": message})
}

#[test]
fn text_message_is_routed_by_page_with_a_millisecond_timestamp_and_reply() {
    let event = only_event(&page_body(vec![fb_message(json!({
        "mid": "m_1", "text": "Hola 👋 ¿precio?", "reply_to": {"mid": "m_quoted"}
    }))]));
    assert_eq!(event.routing, RoutingKey { kind: RoutingKind::Page, id: PAGE_ID.into() });
    assert_eq!(event.raw["message"]["mid"], "m_1");
    let message = as_message(event.kind);
    assert_eq!(message.external_id, "m_1");
    assert_eq!(message.customer, CustomerRef::scoped(PSID));
    assert_eq!(message.timestamp, datetime!(2025-02-12 00:43:44.123 UTC));
    assert_eq!(message.reply_to.as_deref(), Some("m_quoted"));
    assert_eq!(message.origin, Origin::Customer);
    assert_eq!(message.content, MessageContent::Text { body: "Hola 👋 ¿precio?".into() });
}

#[test]
fn attachments_become_media_with_urls_in_order() {
    let message = only_message(&page_body(vec![fb_message(json!({"mid": "m_2", "attachments": [
        fb_attachment("image", "https://cdn/i.jpg"),
        fb_attachment("video", "https://cdn/v.mp4"),
        fb_attachment("audio", "https://cdn/a.mp4"),
        fb_attachment("file", "https://cdn/f.pdf"),
    ]}))]));
    let mut all = vec![message.content];
    all.extend(message.additional);
    let kinds: Vec<_> = all
        .iter()
        .map(|c| match c {
            MessageContent::Media(m) => (m.kind, m.source.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (MediaKind::Image, MediaSource::Url { url: "https://cdn/i.jpg".into() }),
            (MediaKind::Video, MediaSource::Url { url: "https://cdn/v.mp4".into() }),
            (MediaKind::Audio, MediaSource::Url { url: "https://cdn/a.mp4".into() }),
            (MediaKind::Document, MediaSource::Url { url: "https://cdn/f.pdf".into() }),
        ]
    );
}

#[test]
fn text_with_an_attachment_keeps_both() {
    let message = only_message(&page_body(vec![fb_message(json!({
        "mid": "m_3", "text": "mira", "attachments": [fb_attachment("image", "https://cdn/i.jpg")]
    }))]));
    assert_eq!(message.content, MessageContent::Text { body: "mira".into() });
    assert_eq!(message.additional.len(), 1);
}

#[test]
fn a_sticker_fallback_link_location_and_unknown_attachment() {
    let sticker = json!({"type": "image", "payload": {"url": "https://cdn/s.png", "sticker_id": 369239263222822_i64}});
    let fallback = json!({"type": "fallback", "title": "Artículo", "payload": {"url": "https://blog/x"}});
    let location =
        json!({"type": "location", "title": "Aquí", "payload": {"coordinates": {"lat": 19.4, "long": -99.1}}});
    let unknown = json!({"type": "hologram", "payload": {}});
    let message = only_message(&page_body(vec![fb_message(
        json!({"mid": "m_4", "attachments": [sticker, fallback, location, unknown]}),
    )]));
    let MessageContent::Media(sticker) = &message.content else { panic!() };
    assert_eq!(sticker.kind, MediaKind::Sticker);
    assert_eq!(
        message.additional[0],
        MessageContent::Shared(SharedContent {
            kind: SharedKind::Share,
            url: Some("https://blog/x".into()),
            title: Some("Artículo".into())
        })
    );
    let MessageContent::Location(location) = &message.additional[1] else { panic!() };
    assert_eq!(location.name.as_deref(), Some("Aquí"));
    let MessageContent::Unsupported(u) = &message.additional[2] else { panic!() };
    assert_eq!(u.original_type, "attachment:hologram");
}

#[test]
fn an_echo_belongs_to_the_recipient_and_the_business_app() {
    let item = json!({"sender": {"id": PAGE_ID}, "recipient": {"id": PSID}, "timestamp": TS * 1000,
        "message": {"mid": "m_echo", "is_echo": true, "app_id": 263902037430900_i64, "text": "Gracias"}});
    let message = only_message(&page_body(vec![item]));
    assert_eq!(message.origin, Origin::BusinessApp);
    assert_eq!(message.customer, CustomerRef::scoped(PSID));
    assert_eq!(message.app_id.as_deref(), Some("263902037430900"));
}

#[test]
fn reactions_and_their_removal() {
    let react = fb_item("reaction", json!({"mid": "m_t", "action": "react", "emoji": "😍", "reaction": "love"}));
    let unreact = fb_item("reaction", json!({"mid": "m_t", "action": "unreact"}));
    let reactions: Vec<_> = events(&page_body(vec![react, unreact]))
        .into_iter()
        .map(|e| match e.kind {
            EventKind::Reaction(r) => r,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(reactions[0].target_external_id, "m_t");
    assert_eq!(reactions[0].emoji.as_deref(), Some("😍"));
    assert_eq!(reactions[0].customer, CustomerRef::scoped(PSID));
    assert_eq!(reactions[1].emoji, None);
}

#[test]
fn read_and_delivery_watermarks() {
    let read = fb_item("read", json!({"watermark": TS * 1000}));
    let delivery = fb_item("delivery", json!({"mids": ["m_a", "m_b"], "watermark": TS * 1000}));
    let kinds: Vec<_> = events(&page_body(vec![read, delivery])).into_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::ReadWatermark(ReadWatermark {
                customer: CustomerRef::scoped(PSID),
                watermark: Some(datetime!(2025-02-12 00:43:44 UTC)),
                mid: None,
            }),
            EventKind::DeliveryWatermark(DeliveryWatermark {
                customer: CustomerRef::scoped(PSID),
                mids: vec!["m_a".into(), "m_b".into()],
                watermark: Some(datetime!(2025-02-12 00:43:44 UTC)),
            }),
        ]
    );
}

#[test]
fn postbacks_with_and_without_a_mid() {
    let with_mid = fb_item("postback", json!({"title": "Ver catálogo", "payload": "CATALOG", "mid": "m_pb"}));
    let without_mid = fb_item("postback", json!({"title": "Empezar", "payload": "GET_STARTED"}));
    let messages: Vec<_> =
        events(&page_body(vec![with_mid, without_mid])).into_iter().map(|e| as_message(e.kind)).collect();
    assert_eq!(messages[0].external_id, "m_pb");
    assert_eq!(
        messages[0].content,
        MessageContent::Postback { title: Some("Ver catálogo".into()), payload: Some("CATALOG".into()) }
    );
    assert_eq!(messages[1].external_id, format!("postback:{PSID}:{}", TS * 1000 + 123));
}

#[test]
fn a_quick_reply_tap_keeps_text_and_payload() {
    let content = only_content(&page_body(vec![fb_message(json!({
        "mid": "m_q", "text": "Rojo", "quick_reply": {"payload": "COLOR_RED"}
    }))]));
    assert_eq!(content, MessageContent::QuickReply { text: "Rojo".into(), payload: "COLOR_RED".into() });
}

#[test]
fn a_messenger_edit_replaces_the_text() {
    let EventKind::Edit(edit) =
        only_kind(&page_body(vec![fb_item("message_edit", json!({"mid": "m_1", "text": "nuevo", "num_edit": 1}))]))
    else {
        panic!()
    };
    assert_eq!(edit.original_external_id, "m_1");
    assert_eq!(edit.new_content, MessageContent::Text { body: "nuevo".into() });
}

#[test]
fn unknown_messaging_events_changes_and_standby_are_ignored() {
    let optin = fb_item("optin", json!({"ref": "x"}));
    let bare_referral = json!({"referral": {"ref": "landing"}});
    let mut body = page_body(vec![optin, bare_referral]);
    body["entry"][0]["changes"] = json!([{"field": "feed", "value": {}}]);
    body["entry"][0]["standby"] = json!([{"sender": {"id": PSID}}]);
    let reasons: Vec<_> = events(&body)
        .into_iter()
        .map(|e| match e.kind {
            EventKind::Ignored(i) => i.reason,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            IgnoreReason::UnhandledEvent("optin,recipient,sender,timestamp".into()),
            IgnoreReason::UnhandledEvent("referral".into()),
            IgnoreReason::UnhandledField("feed".into()),
            IgnoreReason::UnhandledEvent("standby".into()),
        ]
    );
}

#[test]
fn a_malformed_item_does_not_cost_its_siblings() {
    let no_mid = fb_message(json!({"text": "sin id"}));
    let no_sender = json!({"recipient": {"id": PAGE_ID}, "timestamp": 1, "message": {"mid": "m_x"}});
    let good = fb_message(json!({"mid": "m_ok", "text": "bien"}));
    let events = events(&page_body(vec![no_mid, no_sender, good]));
    assert!(matches!(events[0].kind, EventKind::Ignored(_)));
    assert!(matches!(events[1].kind, EventKind::Ignored(_)));
    assert_eq!(as_message(events[2].kind.clone()).external_id, "m_ok");
}

#[test]
fn an_entry_without_id_is_unroutable() {
    let body = json!({"object": "page", "entry": [{"messaging": [fb_message(json!({"mid": "m"}))]}]});
    let delivery = parse(&body);
    assert!(delivery.events.is_empty());
    assert_eq!(delivery.unroutable.len(), 1);
}

#[test]
fn instagram_is_routed_by_the_account_and_identifies_by_igsid() {
    let event = only_event(&ig_body(vec![ig_message(json!({"mid": "ig_1", "text": "hola"}))]));
    assert_eq!(event.routing, RoutingKey { kind: RoutingKind::Instagram, id: IG_ACCOUNT.into() });
    assert_eq!(as_message(event.kind).customer, CustomerRef::scoped(IGSID));
}

#[test]
fn instagram_shares_mentions_reels_and_posts() {
    let cases = [
        ("share", SharedKind::Share),
        ("story_mention", SharedKind::StoryMention),
        ("ig_reel", SharedKind::Reel),
        ("reel", SharedKind::Reel),
        ("ig_post", SharedKind::Post),
    ];
    for (kind, expected) in cases {
        let content = only_content(&ig_body(vec![ig_message(json!({
            "mid": "ig_s", "attachments": [fb_attachment(kind, "https://lookaside/x")]
        }))]));
        assert_eq!(
            content,
            MessageContent::Shared(SharedContent {
                kind: expected,
                url: Some("https://lookaside/x".into()),
                title: None
            }),
            "{kind}"
        );
    }
}

#[test]
fn an_instagram_unsent_message_is_a_revoke() {
    let EventKind::Revoke(revoke) = only_kind(&ig_body(vec![ig_message(json!({"mid": "ig_del", "is_deleted": true}))]))
    else {
        panic!()
    };
    assert_eq!(revoke.original_external_id, "ig_del");
    assert_eq!(revoke.customer, CustomerRef::scoped(IGSID));
}

#[test]
fn an_instagram_unsupported_message_is_kept_as_a_notice() {
    let message = only_message(&ig_body(vec![ig_message(json!({"mid": "ig_u", "is_unsupported": true}))]));
    assert_eq!(message.external_id, "ig_u");
    assert!(matches!(
        message.content,
        MessageContent::Unsupported(Unsupported { ref original_type, .. }) if original_type == "is_unsupported"
    ));
}

#[test]
fn an_instagram_story_reply() {
    let message = only_message(&ig_body(vec![ig_message(json!({
        "mid": "ig_r", "text": "😍", "reply_to": {"story": {"url": "https://cdn/story", "id": "1790"}}
    }))]));
    assert_eq!(message.reply_to, None);
    assert_eq!(
        message.reply_to_story,
        Some(StoryRef { id: Some("1790".into()), url: Some("https://cdn/story".into()) })
    );
}

#[test]
fn an_instagram_reaction_by_name_only_shows_its_emoji() {
    let item = json!({"sender": {"id": IGSID}, "recipient": {"id": IG_ACCOUNT}, "timestamp": TS * 1000,
        "reaction": {"mid": "ig_t", "action": "react", "reaction": "love"}});
    let EventKind::Reaction(reaction) = only_kind(&ig_body(vec![item])) else { panic!() };
    assert_eq!(reaction.emoji.as_deref(), Some("❤️"));
}

#[test]
fn instagram_read_names_a_message() {
    let item = json!({"sender": {"id": IGSID}, "recipient": {"id": IG_ACCOUNT}, "timestamp": TS * 1000,
        "read": {"mid": "ig_last"}});
    let EventKind::ReadWatermark(read) = only_kind(&ig_body(vec![item])) else { panic!() };
    assert_eq!(read.mid.as_deref(), Some("ig_last"));
    assert_eq!(read.watermark, None);
}

#[test]
fn seconds_where_milliseconds_are_expected_are_still_the_right_instant() {
    let mut item = ig_message(json!({"mid": "ig_ts", "text": "x"}));
    item["timestamp"] = json!(TS);
    assert_eq!(only_message(&ig_body(vec![item])).timestamp, datetime!(2025-02-12 00:43:44 UTC));
}

#[test]
fn a_missing_item_timestamp_falls_back_to_the_entry_time() {
    let mut item = fb_message(json!({"mid": "m_nt", "text": "x"}));
    item.as_object_mut().unwrap().remove("timestamp");
    assert_eq!(only_message(&page_body(vec![item])).timestamp, datetime!(2025-02-12 00:43:44 UTC));
}
