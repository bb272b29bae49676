//! WhatsApp inbound messages: every type of docs/meta.md §2's table, identities (§12), edits and
//! revokes (§13), and the items that must be ignored or flagged without failing the delivery.

use super::test_builders::*;
use super::*;
use serde_json::json;
use time::macros::datetime;

#[test]
fn text_message_is_routed_by_phone_number_id_with_the_sender_profile() {
    let event = only_event(&wa_inbound(wa_text("wamid.1", "Hola")));
    assert_eq!(event.routing, RoutingKey { kind: RoutingKind::WhatsAppPhoneNumber, id: PHONE_NUMBER_ID.into() });
    assert_eq!(event.raw["id"], "wamid.1");
    let message = as_message(event.kind);
    assert_eq!(message.external_id, "wamid.1");
    assert_eq!(message.timestamp, datetime!(2025-02-12 00:43:44 UTC));
    assert_eq!(message.origin, Origin::Customer);
    assert_eq!(message.content, MessageContent::Text { body: "Hola".into() });
    assert_eq!(
        message.customer,
        CustomerRef {
            external_id: CUSTOMER.into(),
            wa_id: Some(CUSTOMER.into()),
            profile_name: Some("María López".into()),
            ..CustomerRef::default()
        }
    );
}

#[test]
fn emoji_and_non_latin_text_survive_intact() {
    let body = "¡Hola! 👋🏽 Привет 你好 مرحبا 👨‍👩‍👧";
    assert_eq!(only_content(&wa_inbound(wa_text("wamid.1", body))), MessageContent::Text { body: body.into() });
}

fn media_of(kind: &str, object: serde_json::Value) -> Media {
    match only_content(&wa_inbound(wa_msg("wamid.m", kind, object))) {
        MessageContent::Media(media) => media,
        other => panic!("{other:?}"),
    }
}

#[test]
fn image_and_video_keep_their_media_id_and_caption() {
    for (kind, expected) in [("image", MediaKind::Image), ("video", MediaKind::Video)] {
        let media = media_of(kind, json!({"id": "777", "mime_type": "image/jpeg", "sha256": "abc", "caption": "mira"}));
        assert_eq!(media.kind, expected);
        assert_eq!(
            media.source,
            MediaSource::WhatsappId {
                id: "777".into(),
                mime_type: Some("image/jpeg".into()),
                sha256: Some("abc".into())
            }
        );
        assert_eq!(media.caption.as_deref(), Some("mira"));
    }
}

#[test]
fn audio_knows_a_recorded_voice_note() {
    let media = media_of("audio", json!({"id": "1", "mime_type": "audio/ogg; codecs=opus", "voice": true}));
    assert_eq!(media.kind, MediaKind::Audio);
    assert!(media.voice);
    assert!(!media_of("audio", json!({"id": "1"})).voice);
}

#[test]
fn a_message_of_type_voice_is_a_voice_note() {
    let media = media_of("voice", json!({"id": "9", "mime_type": "audio/ogg; codecs=opus"}));
    assert_eq!(media.kind, MediaKind::Audio);
    assert!(media.voice);
    assert_eq!(
        media.source,
        MediaSource::WhatsappId { id: "9".into(), mime_type: Some("audio/ogg; codecs=opus".into()), sha256: None }
    );
}

#[test]
fn an_unknown_type_carrying_media_keeps_its_file() {
    let media = media_of("ptv", json!({"id": "5", "mime_type": "video/mp4"}));
    assert_eq!(media.kind, MediaKind::Video);
    assert_eq!(media_of("new_kind", json!({"id": "6", "mime_type": "application/zip"})).kind, MediaKind::Document);
    // Without a media object it is still an "unsupported" notice, never an error.
    assert!(matches!(
        only_content(&wa_inbound(wa_msg("wamid.p", "poll", json!({"question": "¿Color?"})))),
        MessageContent::Unsupported(_)
    ));
}

#[test]
fn document_keeps_its_filename() {
    let media = media_of("document", json!({"id": "1", "mime_type": "application/pdf", "filename": "cotización.pdf"}));
    assert_eq!(media.kind, MediaKind::Document);
    assert_eq!(media.filename.as_deref(), Some("cotización.pdf"));
}

#[test]
fn sticker_knows_whether_it_is_animated() {
    let media = media_of("sticker", json!({"id": "1", "mime_type": "image/webp", "animated": true}));
    assert_eq!(media.kind, MediaKind::Sticker);
    assert!(media.animated);
}

#[test]
fn location_with_and_without_a_name() {
    let object = json!({"latitude": 19.4326, "longitude": -99.1332, "name": "Zócalo",
        "address": "Centro, CDMX", "url": "https://maps.example/z"});
    assert_eq!(
        only_content(&wa_inbound(wa_msg("wamid.l", "location", object))),
        MessageContent::Location(Location {
            latitude: 19.4326,
            longitude: -99.1332,
            name: Some("Zócalo".into()),
            address: Some("Centro, CDMX".into()),
            url: Some("https://maps.example/z".into()),
        })
    );
    let bare = json!({"latitude": "1.5", "longitude": 2});
    let MessageContent::Location(location) = only_content(&wa_inbound(wa_msg("wamid.l", "location", bare))) else {
        panic!()
    };
    assert_eq!((location.latitude, location.longitude), (1.5, 2.0));
}

fn contacts_message(cards: serde_json::Value) -> serde_json::Value {
    json!({"from": CUSTOMER, "id": "wamid.c", "timestamp": TS.to_string(), "type": "contacts",
           "contacts": cards})
}

#[test]
fn contact_cards_keep_names_phones_emails_and_company() {
    let cards = json!([{
        "name": {"formatted_name": "Ana Pérez", "first_name": "Ana", "last_name": "Pérez"},
        "phones": [{"phone": "+52 55 1234 5678", "wa_id": "5215512345678", "type": "CELL"},
                   {"phone": "+52 55 0000 0000", "type": "WORK"}],
        "emails": [{"email": "ana@example.com", "type": "WORK"}],
        "org": {"company": "Escala"},
        "urls": [{"url": "https://escala.com"}]
    }]);
    let MessageContent::Contacts { cards, shared_origin } = only_content(&wa_inbound(contacts_message(cards))) else {
        panic!()
    };
    assert_eq!(shared_origin, None);
    assert_eq!(
        cards,
        vec![ContactCard {
            formatted_name: Some("Ana Pérez".into()),
            first_name: Some("Ana".into()),
            last_name: Some("Pérez".into()),
            phones: vec![
                ContactPhone {
                    phone: Some("+52 55 1234 5678".into()),
                    wa_id: Some("5215512345678".into()),
                    kind: Some("CELL".into())
                },
                ContactPhone { phone: Some("+52 55 0000 0000".into()), wa_id: None, kind: Some("WORK".into()) },
            ],
            emails: vec!["ana@example.com".into()],
            org: Some("Escala".into()),
        }]
    );
}

#[test]
fn a_shared_own_number_is_marked_contact_request_on_the_message_or_the_card() {
    let card = json!({"name": {"formatted_name": "Yo"}, "phones": [{"phone": "+1 555", "wa_id": "1555"}]});
    let on_message = with(contacts_message(json!([card.clone()])), "origin", json!("contact_request"));
    let mut on_card = card;
    on_card["origin"] = json!({"type": "contact_request"});
    for message in [on_message, contacts_message(json!([on_card]))] {
        let MessageContent::Contacts { shared_origin, .. } = only_content(&wa_inbound(message)) else { panic!() };
        assert_eq!(shared_origin.as_deref(), Some("contact_request"));
    }
}

#[test]
fn interactive_replies_of_every_kind() {
    let cases = [
        (json!({"type": "button_reply", "button_reply": {"id": "yes", "title": "Sí"}}), InteractiveKind::ButtonReply),
        (
            json!({"type": "list_reply", "list_reply": {"id": "r1", "title": "Fila", "description": "Desc"}}),
            InteractiveKind::ListReply,
        ),
        (
            json!({"type": "nfm_reply", "nfm_reply": {"response_json": "{\"a\":1}", "body": "Sent", "name": "flow"}}),
            InteractiveKind::NfmReply,
        ),
    ];
    for (object, kind) in cases {
        let MessageContent::Interactive(reply) = only_content(&wa_inbound(wa_msg("wamid.i", "interactive", object)))
        else {
            panic!()
        };
        assert_eq!(reply.reply_kind, kind);
        match kind {
            InteractiveKind::ListReply => assert_eq!(reply.description.as_deref(), Some("Desc")),
            InteractiveKind::NfmReply => {
                assert_eq!(reply.response_json.as_deref(), Some("{\"a\":1}"));
                assert_eq!(reply.body.as_deref(), Some("Sent"));
            }
            InteractiveKind::ButtonReply => assert_eq!(reply.title.as_deref(), Some("Sí")),
        }
    }
}

#[test]
fn an_unknown_interactive_kind_is_unsupported() {
    let object = json!({"type": "call_permission_reply", "call_permission_reply": {}});
    let MessageContent::Unsupported(u) = only_content(&wa_inbound(wa_msg("wamid.i", "interactive", object))) else {
        panic!()
    };
    assert_eq!(u.original_type, "interactive:call_permission_reply");
}

#[test]
fn template_button_tap() {
    let object = json!({"payload": "STOP", "text": "Detener promociones"});
    assert_eq!(
        only_content(&wa_inbound(wa_msg("wamid.b", "button", object))),
        MessageContent::Button { payload: Some("STOP".into()), text: Some("Detener promociones".into()) }
    );
}

#[test]
fn order_is_kept_as_sent() {
    let items = json!([{"product_retailer_id": "sku-1", "quantity": 2, "item_price": 10.5, "currency": "MXN"}]);
    let object = json!({"catalog_id": "555", "text": "Lo quiero", "product_items": items});
    assert_eq!(
        only_content(&wa_inbound(wa_msg("wamid.o", "order", object))),
        MessageContent::Order { catalog_id: Some("555".into()), text: Some("Lo quiero".into()), product_items: items }
    );
}

#[test]
fn system_messages_name_their_kind() {
    let changed = json!({"body": "User A changed from X to Y", "type": "user_changed_number",
        "new_wa_id": "5215599999999"});
    assert_eq!(
        only_content(&wa_inbound(wa_msg("wamid.s", "system", changed))),
        MessageContent::System {
            body: Some("User A changed from X to Y".into()),
            kind: SystemKind::UserChangedNumber,
            new_wa_id: Some("5215599999999".into())
        }
    );
    let identity = json!({"body": "Identity changed", "type": "customer_identity_changed",
        "identity": {"acknowledged": true, "created_timestamp": 1, "hash": "h"}});
    let MessageContent::System { kind, .. } = only_content(&wa_inbound(wa_msg("wamid.s", "system", identity))) else {
        panic!()
    };
    assert_eq!(kind, SystemKind::CustomerIdentityChanged);
}

#[test]
fn unsupported_type_carries_metas_error() {
    let message = json!({"from": CUSTOMER, "id": "wamid.u", "timestamp": TS.to_string(),
        "type": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown",
        "message": "Message type unknown", "error_data": {"details": "Message type is currently not supported."}}]});
    assert_eq!(
        only_content(&wa_inbound(message)),
        MessageContent::Unsupported(Unsupported {
            original_type: "unsupported".into(),
            code: Some(131051),
            title: Some("Message type unknown".into()),
            reason: Some("Message type is currently not supported.".into()),
        })
    );
}

#[test]
fn unknown_future_types_are_kept_as_unsupported_messages() {
    for kind in ["poll", "call", "hologram"] {
        let message = only_message(&wa_inbound(wa_msg("wamid.f", kind, json!({"x": 1}))));
        assert_eq!(message.external_id, "wamid.f");
        let MessageContent::Unsupported(u) = message.content else { panic!() };
        assert_eq!(u.original_type, kind);
    }
    let untyped = without(wa_text("wamid.n", "x"), "type");
    let MessageContent::Unsupported(u) = only_content(&wa_inbound(untyped)) else { panic!() };
    assert_eq!(u.original_type, "unknown");
}

#[test]
fn a_known_type_with_an_unreadable_object_is_unsupported_not_an_error() {
    let MessageContent::Unsupported(u) =
        only_content(&wa_inbound(wa_msg("wamid.x", "image", json!({"caption": "no id"}))))
    else {
        panic!()
    };
    assert_eq!(u.original_type, "image");
    assert!(u.reason.is_some());
}

#[test]
fn reply_context_forwarding_and_ad_referral() {
    let message = with(
        with(
            wa_text("wamid.r", "Sí, ese"),
            "context",
            json!({"from": BUSINESS_NUMBER, "id": "wamid.QUOTED", "forwarded": true, "frequently_forwarded": true}),
        ),
        "referral",
        json!({"source_url": "https://fb.me/ad", "source_type": "ad", "source_id": "120",
               "headline": "Promo", "body": "50%", "media_type": "image", "ctwa_clid": "clid"}),
    );
    let message = only_message(&wa_inbound(message));
    assert_eq!(message.reply_to.as_deref(), Some("wamid.QUOTED"));
    assert!(message.forwarded && message.frequently_forwarded);
    let referral = message.referral.unwrap();
    assert_eq!(referral.source_id.as_deref(), Some("120"));
    assert_eq!(referral.ctwa_clid.as_deref(), Some("clid"));
}

#[test]
fn reactions_added_and_removed() {
    let react = |emoji: serde_json::Value| {
        let mut object = json!({"message_id": "wamid.TARGET"});
        if !emoji.is_null() {
            object["emoji"] = emoji;
        }
        match only_kind(&wa_inbound(wa_msg("wamid.re", "reaction", object))) {
            EventKind::Reaction(r) => r,
            other => panic!("{other:?}"),
        }
    };
    let added = react(json!("👍🏽"));
    assert_eq!(added.target_external_id, "wamid.TARGET");
    assert_eq!(added.emoji.as_deref(), Some("👍🏽"));
    assert_eq!(added.external_id.as_deref(), Some("wamid.re"));
    assert_eq!(added.customer.wa_id.as_deref(), Some(CUSTOMER));
    assert_eq!(react(json!("")).emoji, None);
    assert_eq!(react(serde_json::Value::Null).emoji, None);
}

#[test]
fn a_bsuid_only_customer_is_a_normal_message_without_a_phone() {
    let contact = json!({"profile": {"name": "Ana", "username": "ana.mx"},
        "user_id": BSUID, "parent_user_id": PARENT_BSUID});
    let message = json!({"from_user_id": BSUID, "id": "wamid.b", "timestamp": TS.to_string(),
        "type": "text", "text": {"body": "hola"}});
    let message = only_message(&wa_messages(vec![contact], vec![message]));
    assert_eq!(
        message.customer,
        CustomerRef {
            external_id: BSUID.into(),
            wa_id: None,
            user_id: Some(BSUID.into()),
            parent_user_id: Some(PARENT_BSUID.into()),
            username: Some("ana.mx".into()),
            profile_name: Some("Ana".into()),
        }
    );
}

#[test]
fn a_customer_with_both_identities_keeps_both() {
    let contact = json!({"profile": {"name": "Ana", "username": "ana.mx"}, "wa_id": CUSTOMER,
        "user_id": BSUID, "parent_user_id": PARENT_BSUID});
    let message = with(wa_text("wamid.both", "hola"), "from_user_id", json!(BSUID));
    let customer = only_message(&wa_messages(vec![contact], vec![message])).customer;
    assert_eq!(customer.external_id, CUSTOMER);
    assert_eq!(customer.wa_id.as_deref(), Some(CUSTOMER));
    assert_eq!(customer.user_id.as_deref(), Some(BSUID));
    assert_eq!(customer.parent_user_id.as_deref(), Some(PARENT_BSUID));
    assert_eq!(customer.username.as_deref(), Some("ana.mx"));
}

#[test]
fn each_message_gets_its_own_contact_in_a_batch() {
    let messages =
        vec![with(wa_text("wamid.1", "a"), "from", json!("111")), with(wa_text("wamid.2", "b"), "from", json!("222"))];
    let contacts = vec![wa_contact("222", "Dos"), wa_contact("111", "Uno")];
    let names: Vec<_> = events(&wa_messages(contacts, messages))
        .into_iter()
        .map(|e| as_message(e.kind).customer.profile_name.unwrap())
        .collect();
    assert_eq!(names, ["Uno", "Dos"]);
}

#[test]
fn a_bsuid_in_from_is_never_taken_for_a_phone() {
    let message = with(wa_text("wamid.1", "hola"), "from", json!(BSUID));
    let customer = only_message(&wa_messages(vec![], vec![message])).customer;
    assert_eq!(customer.wa_id, None);
    assert_eq!(customer.user_id.as_deref(), Some(BSUID));
    assert_eq!(customer.external_id, BSUID);
}

#[test]
fn a_message_naming_no_customer_or_without_id_is_ignored_but_siblings_are_kept() {
    let anonymous = without(wa_text("wamid.anon", "?"), "from");
    let no_id = without(wa_text("wamid.x", "?"), "id");
    let bad_time = with(wa_text("wamid.t", "?"), "timestamp", json!("yesterday"));
    let good = wa_text("wamid.ok", "bien");
    let events = events(&wa_messages(vec![], vec![anonymous, no_id, bad_time, good]));
    assert_eq!(events.len(), 4);
    for event in &events[..3] {
        assert!(matches!(&event.kind, EventKind::Ignored(Ignored { reason: IgnoreReason::Malformed(_) })), "{event:?}");
    }
    assert_eq!(as_message(events[3].kind.clone()).external_id, "wamid.ok");
}

#[test]
fn group_messages_are_ignored() {
    let in_group = with(wa_text("wamid.g", "hola grupo"), "group_id", json!("120363"));
    assert!(matches!(only_kind(&wa_inbound(in_group)), EventKind::Ignored(Ignored { reason: IgnoreReason::Group })));
}

#[test]
fn an_edit_carries_the_new_content() {
    let edit = json!({"original_message_id": "wamid.ORIG",
        "message": {"type": "text", "text": {"body": "corregido ✅"}}});
    let EventKind::Edit(edit) = only_kind(&wa_inbound(wa_msg("wamid.e", "edit", edit))) else { panic!() };
    assert_eq!(edit.original_external_id, "wamid.ORIG");
    assert_eq!(edit.new_content, MessageContent::Text { body: "corregido ✅".into() });
    assert_eq!(edit.origin, Origin::Customer);
}

#[test]
fn a_revoke_names_the_deleted_message() {
    let revoke = json!({"original_message_id": "wamid.ORIG"});
    let EventKind::Revoke(revoke) = only_kind(&wa_inbound(wa_msg("wamid.d", "revoke", revoke))) else { panic!() };
    assert_eq!(revoke.original_external_id, "wamid.ORIG");
    assert_eq!(revoke.customer.wa_id.as_deref(), Some(CUSTOMER));
}

#[test]
fn edits_and_revokes_without_their_target_are_ignored() {
    for kind in ["edit", "revoke", "reaction"] {
        assert!(matches!(only_kind(&wa_inbound(wa_msg("wamid.z", kind, json!({})))), EventKind::Ignored(_)));
    }
}
