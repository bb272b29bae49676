//! Inbound: signed Meta deliveries land once, in the right conversation, visible to the right users.

use crate::harness::{assert_error, on_both_stores, TestApp, APP_SECRET};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;
use simulator::payloads::{self, WaContent, WaMessage, WaStatus, WaStatusKind, WaUser};

on_both_stores!(
    verification_handshake_answers_only_the_right_token,
    unsigned_or_badly_signed_deliveries_leave_no_trace,
    malformed_json_is_400_and_unknown_destination_is_kept,
    whatsapp_text_opens_a_conversation_with_an_open_window,
    the_same_delivery_three_times_stores_one_message,
    batched_delivery_stores_every_message_in_order,
    one_failing_event_does_not_hold_back_the_others_of_its_delivery,
    every_message_type_is_stored_and_unknown_types_become_unsupported,
    reactions_attach_to_their_message_and_can_be_removed,
    replies_keep_their_quote_even_when_it_arrives_later,
    statuses_never_move_backwards_and_wait_for_their_message,
    media_bytes_are_served_back_identical,
    seller_sees_a_conversation_only_once_it_is_assigned,
    filters_by_channel_kind_channel_and_unread,
    resolved_conversation_reopens_on_a_customer_message_but_not_on_an_echo,
    messenger_and_instagram_messages_reactions_and_reads,
    username_customer_without_phone_is_a_full_conversation_and_joins_later,
    edits_replace_content_and_revokes_hide_it_without_new_rows,
    group_events_are_acknowledged_and_ignored,
    messages_page_back_with_before_until_the_first,
    concurrent_deliveries_share_commits_and_each_is_stored_once,
    a_worker_batch_announces_each_conversation_and_message_once,
    a_backlog_of_several_batches_is_applied_and_announced_in_journal_order,
    a_reaction_in_one_batch_to_a_message_of_the_next_is_applied,
    a_worker_batch_resolves_each_customer_as_one_message_at_a_time_would,
    new_customers_of_one_batch_are_linked_to_the_one_contact_having_their_number,
    an_older_event_does_not_put_back_a_name_the_customer_has_since_changed,
    a_message_that_fails_in_a_batch_holds_back_only_its_own_delivery,
    a_batch_stored_one_by_one_is_stored_before_the_next_batch,
    messages_a_dead_process_stored_without_announcing_are_announced_once_when_applied_again,
    a_message_delivered_again_in_the_next_batch_is_announced_once,
    a_message_delivered_again_two_batches_later_is_announced_once,
    claims_of_a_killed_process_are_taken_up_at_restart_on_sqlite_and_after_their_lease_on_postgres,
);

pub(crate) fn cloud() -> payloads::WaBusiness {
    payloads::WaBusiness {
        waba_id: demo::WABA_ID.into(),
        phone_number_id: demo::CLOUD_PHONE_NUMBER_ID.into(),
        display_phone_number: demo::CLOUD_DISPLAY_NUMBER.into(),
    }
}

fn coexistence() -> payloads::WaBusiness {
    payloads::WaBusiness {
        waba_id: demo::WABA_ID.into(),
        phone_number_id: demo::APP_PHONE_NUMBER_ID.into(),
        display_phone_number: demo::APP_DISPLAY_NUMBER.into(),
    }
}

/// Somebody else's contact card, as a customer shares it.
pub fn card(name: &str) -> payloads::ContactCard {
    payloads::ContactCard {
        formatted_name: name.into(),
        first_name: Some(name.into()),
        last_name: None,
        phones: vec![payloads::ContactPhone {
            phone: "+52 55 4444 3333".into(),
            wa_id: Some("5215544443333".into()),
            kind: "CELL".into(),
        }],
        emails: vec![],
        vcard: None,
    }
}

fn now_s() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn text_from(wa_id: &str, id: &str, body: &str) -> Value {
    payloads::whatsapp_text(&cloud(), &WaUser::phone(wa_id).with_name("María López"), id, now_s(), body)
}

async fn verification_handshake_answers_only_the_right_token(app: TestApp) {
    let ok = app
        .http
        .get(app.url("/webhooks/meta?hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=1158201444"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let bad = app
        .http
        .get(app.url("/webhooks/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::FORBIDDEN);
    let missing = app.http.get(app.url("/webhooks/meta?hub.mode=subscribe&hub.challenge=1")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
}

async fn unsigned_or_badly_signed_deliveries_leave_no_trace(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let body = serde_json::to_vec(&text_from("5215512345678", "wamid.UNSIGNED", "Hola")).unwrap();
    let unsigned = app.http.post(app.url("/webhooks/meta")).body(body.clone()).send().await.unwrap();
    assert_error(unsigned, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let wrong = meta::sign(b"not-the-app-secret", &body);
    let forged = app
        .http
        .post(app.url("/webhooks/meta"))
        .header("x-hub-signature-256", wrong)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_error(forged, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Signed correctly but over other bytes: the body was tampered with.
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let sig = meta::sign(APP_SECRET.as_bytes(), &body);
    let res = app
        .http
        .post(app.url("/webhooks/meta"))
        .header("x-hub-signature-256", sig)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    app.settle().await;
    assert_eq!(app.get_json(&acct.admin_token, "/api/v1/conversations?status=all").await["items"], json!([]));
}

async fn malformed_json_is_400_and_unknown_destination_is_kept(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let body = b"{\"object\": \"whatsapp_business_account\", \"entry\": [".to_vec();
    let sig = meta::sign(APP_SECRET.as_bytes(), &body);
    let res =
        app.http.post(app.url("/webhooks/meta")).header("x-hub-signature-256", sig).body(body).send().await.unwrap();
    assert_error(res, StatusCode::BAD_REQUEST, "invalid_json").await;

    let stranger = payloads::WaBusiness {
        waba_id: "1".into(),
        phone_number_id: "999999999".into(),
        display_phone_number: "1555".into(),
    };
    let payload =
        payloads::whatsapp_text(&stranger, &WaUser::phone("5215512345678"), "wamid.NOWHERE", now_s(), "¿Hola?");
    assert_eq!(app.post_webhook(&payload).await, StatusCode::OK, "acknowledged so Meta does not retry forever");
    app.settle().await;
    assert_eq!(app.state.store.count_unrouted().await.unwrap(), 1, "kept for inspection");
    assert_eq!(app.get_json(&acct.admin_token, "/api/v1/conversations?status=all").await["items"], json!([]));
}

async fn whatsapp_text_opens_a_conversation_with_an_open_window(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    // A message to the other (coexistence) number is another conversation on another channel.
    app.sim.whatsapp_customer(demo::APP_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola app").await.unwrap();
    app.settle().await;
    let other = app.get_json(&acct.admin_token, "/api/v1/conversations?channel=whatsapp_business_app").await;
    assert_eq!(other["items"][0]["channel"]["id"], channels.app["id"]);
    let customer =
        app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().named("María López");
    assert_eq!(customer.text("Hola, ¿tienen envíos a Puebla? 🚚").await.unwrap().status, 200);
    app.settle().await;
    let page = app.get_json(&acct.admin_token, "/api/v1/conversations?channel=whatsapp_cloud").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let conv = page["items"][0].clone();
    assert_eq!(conv["channel"]["id"], channels.cloud["id"]);
    assert_eq!(conv["channel"]["kind"], "whatsapp_cloud");
    assert_eq!(conv["handle"]["wa_id"], "5215512345678");
    assert_eq!(conv["handle"]["external_id"], "5215512345678");
    assert_eq!(conv["handle"]["profile_name"], "María López");
    assert!(conv["handle"]["user_id"].as_str().is_some_and(|u| u.contains('.')), "Meta's BSUID kept: {conv}");
    assert_eq!(conv["contact"], Value::Null);
    assert_eq!(conv["status"], "open");
    assert_eq!(conv["unread_count"], 1);
    assert_eq!(conv["last_message"]["text"], "Hola, ¿tienen envíos a Puebla? 🚚");
    assert_eq!(conv["window"]["state"], "open");
    assert_eq!(conv["window"]["free_form"], true);
    assert_eq!(conv["window"]["templates_allowed"], true);
    assert!(conv["window"]["expires_at"].is_string());
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        (msgs[0]["direction"].as_str(), msgs[0]["origin"].as_str(), msgs[0]["kind"].as_str()),
        (Some("inbound"), Some("customer"), Some("text"))
    );
    assert!(msgs[0]["external_id"].as_str().unwrap().starts_with("wamid."));

    let read = app
        .post(&acct.admin_token, &format!("/api/v1/conversations/{}/read", conv["id"].as_str().unwrap()), json!({}))
        .await;
    assert_eq!(read.status(), StatusCode::NO_CONTENT);
    let after =
        app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap())).await;
    assert_eq!(after["unread_count"], 0);
    // The customer sees their message read (WhatsApp blue ticks).
    for _ in 0..200 {
        if app
            .sim
            .requests()
            .iter()
            .any(|r| r.json()["status"] == "read" && r.json()["message_id"] == msgs[0]["external_id"])
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no read receipt reached the Graph API");
}

async fn the_same_delivery_three_times_stores_one_message(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let payload = text_from("5215512345678", "wamid.DUP1", "Hola");
    for _ in 0..3 {
        assert_eq!(app.post_webhook(&payload).await, StatusCode::OK);
    }
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    assert_eq!(app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await.len(), 1);
    assert_eq!(conv["unread_count"], 1, "a duplicate does not count twice");
}

async fn batched_delivery_stores_every_message_in_order(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = now_s();
    let ana = WaUser::phone("5215511111111").with_name("Ana");
    let luis = WaUser::phone("5215522222222").with_name("Luis");
    let first = payloads::whatsapp_messages(
        &cloud(),
        &ana,
        &[
            WaMessage::new("wamid.B1", t - 3, WaContent::Text("uno".into())),
            WaMessage::new("wamid.B2", t - 2, WaContent::Text("dos".into())),
        ],
    );
    let second = payloads::whatsapp_text(&cloud(), &luis, "wamid.B3", t - 1, "tres");
    assert_eq!(app.post_webhook(&payloads::batch(&[first, second])).await, StatusCode::OK);
    app.settle().await;
    let page = app.get_json(&acct.admin_token, "/api/v1/conversations").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["handle"]["profile_name"], "Luis", "newest activity first");
    let ana_msgs = app.messages(&acct.admin_token, items[1]["id"].as_str().unwrap()).await;
    let texts: Vec<&str> = ana_msgs.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, vec!["uno", "dos"]);
}

async fn every_message_type_is_stored_and_unknown_types_become_unsupported(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    c.image(simulator::samples::png(), "image/png", Some("la foto")).await.unwrap();
    c.video(simulator::samples::mp4(), "video/mp4", None).await.unwrap();
    c.audio(simulator::samples::ogg_opus(), "audio/ogg; codecs=opus", true).await.unwrap();
    c.document(simulator::samples::pdf(), "application/pdf", "cotización.pdf", None).await.unwrap();
    c.sticker(simulator::samples::webp(), false).await.unwrap();
    c.location(19.4326, -99.1332, Some("Zócalo"), Some("Centro, CDMX")).await.unwrap();
    c.contacts(vec![card("Pedro Pérez")]).await.unwrap();
    c.button_reply("btn-1", "Sí, confirmo").await.unwrap();
    c.template_button("STOP", "Dejar de recibir").await.unwrap();
    c.unsupported().await.unwrap();
    c.send(WaContent::Other { kind: "poll".into(), object: json!({"question": "¿Cuál?"}) }).await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    let kinds: Vec<&str> = msgs.iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        vec![
            "image",
            "video",
            "audio",
            "document",
            "sticker",
            "location",
            "contacts",
            "interactive",
            "button",
            "unsupported",
            "unsupported"
        ]
    );
    assert_eq!(msgs[0]["text"], "la foto");
    assert_eq!(msgs[0]["attachment"]["kind"], "image");
    assert_eq!(msgs[2]["voice"], true);
    assert_eq!(msgs[3]["attachment"]["filename"], "cotización.pdf");
    assert_eq!(msgs[5]["location"]["latitude"], 19.4326);
    assert_eq!(msgs[5]["location"]["address"], "Centro, CDMX");
    assert_eq!(msgs[6]["contacts"][0]["formatted_name"], "Pedro Pérez");
    assert_eq!(msgs[7]["interactive"]["id"], "btn-1");
    assert_eq!(msgs[8]["button"]["payload"], "STOP");
    assert_eq!(msgs[9]["unsupported"]["code"], 131051);
    assert_eq!(msgs[10]["unsupported"]["original_type"], "poll");
}

async fn reactions_attach_to_their_message_and_can_be_removed(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    let sent = c.text("Precio?").await.unwrap().message_id.unwrap();
    c.react(&sent, "👍").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs.len(), 1, "a reaction is never a message row");
    assert_eq!(msgs[0]["reactions"], json!([{"actor": "customer", "emoji": "👍"}]));
    c.react(&sent, "").await.unwrap();
    app.settle().await;
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs[0]["reactions"], json!([]));
}

async fn replies_keep_their_quote_even_when_it_arrives_later(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = now_s();
    let user = WaUser::phone("5215512345678");
    let reply = WaMessage::new("wamid.REPLY", t, WaContent::Text("¿y este?".into())).replying_to("wamid.QUOTED", None);
    app.post_webhook(&payloads::whatsapp_message(&cloud(), &user, &reply)).await;
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs[0]["reply_to"]["external_id"], "wamid.QUOTED");
    assert_eq!(msgs[0]["reply_to"]["id"], Value::Null, "not stored yet");
    app.post_webhook(&payloads::whatsapp_text(&cloud(), &user, "wamid.QUOTED", t - 60, "el modelo azul")).await;
    app.settle().await;
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs[0]["text"], "el modelo azul", "ordered by time sent");
    assert_eq!(msgs[1]["reply_to"]["id"], msgs[0]["id"]);
    assert_eq!(msgs[1]["reply_to"]["text"], "el modelo azul");
}

async fn statuses_never_move_backwards_and_wait_for_their_message(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = now_s();
    let biz = coexistence();
    let user = WaUser::phone("5215512345678");
    // The status arrives before the message it describes (an echo typed on the phone).
    let read = WaStatus::new("wamid.ECHO1", WaStatusKind::Read, t + 2).to("5215512345678");
    assert_eq!(app.post_webhook(&payloads::whatsapp_status(&biz, &read)).await, StatusCode::OK);
    app.settle().await;
    let echo = WaMessage::new("wamid.ECHO1", t, WaContent::Text("Te escribo desde el teléfono".into()));
    app.post_webhook(&payloads::whatsapp_echo(&biz, &user, &echo)).await;
    let delivered = WaStatus::new("wamid.ECHO1", WaStatusKind::Delivered, t + 1)
        .to("5215512345678")
        .priced(payloads::Pricing::free_customer_service("service"));
    app.post_webhook(&payloads::whatsapp_status(&biz, &delivered)).await;
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!((msgs[0]["direction"].as_str(), msgs[0]["origin"].as_str()), (Some("outbound"), Some("business_app")));
    assert_eq!(msgs[0]["status"], "read", "the late 'delivered' does not undo 'read'");
    assert_eq!(msgs[0]["pricing"]["category"], "service", "pricing kept even from a late status");
    // An echo opens no window and is not unread.
    assert_eq!(conv["window"]["state"], "closed");
    assert_eq!(conv["unread_count"], 0);
}

async fn media_bytes_are_served_back_identical(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    let png = simulator::samples::png();
    c.image(png.clone(), "image/png", None).await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let mut attachment = Value::Null;
    for _ in 0..200 {
        let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
        attachment = msgs[0]["attachment"].clone();
        if attachment["status"] == "ready" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(attachment["status"], "ready", "{attachment}");
    assert_eq!(attachment["mime"], "image/png");
    assert_eq!(attachment["size"], png.len());
    let res = app.get(&acct.admin_token, attachment["url"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), png.as_slice());
}

async fn seller_sees_a_conversation_only_once_it_is_assigned(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    c.image(simulator::samples::png(), "image/png", None).await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let id = conv["id"].as_str().unwrap();
    let msgs = app.messages(&acct.admin_token, id).await;
    let attachment = msgs[0]["attachment"]["id"].as_str().unwrap().to_string();

    assert_eq!(app.get_json(&seller, "/api/v1/conversations?status=all").await["items"], json!([]));
    for path in [
        format!("/api/v1/conversations/{id}"),
        format!("/api/v1/conversations/{id}/messages"),
        format!("/api/v1/attachments/{attachment}"),
    ] {
        assert_error(app.get(&seller, &path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_error(
        app.post(&seller, &format!("/api/v1/conversations/{id}/read"), json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A seller cannot assign it to themselves either.
    assert_error(
        app.patch(&seller, &format!("/api/v1/conversations/{id}"), json!({"assignee_id": seller_id})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    let res =
        app.patch(&acct.admin_token, &format!("/api/v1/conversations/{id}"), json!({"assignee_id": seller_id})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["assignee"]["id"], seller_id);
    let list = app.get_json(&seller, "/api/v1/conversations?assignee=me").await;
    assert_eq!(list["items"][0]["id"], id);
    assert_eq!(app.get(&seller, &format!("/api/v1/conversations/{id}/messages")).await.status(), StatusCode::OK);
    assert_eq!(app.get(&seller, &format!("/api/v1/conversations/{id}")).await.status(), StatusCode::OK);
    // And another account's admin still sees nothing.
    let other = app.full_account().await;
    assert_error(
        app.get(&other.admin_token, &format!("/api/v1/conversations/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn filters_by_channel_kind_channel_and_unread(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("wa").await.unwrap();
    app.sim.messenger_customer(demo::PAGE_ID).unwrap().text("fb").await.unwrap();
    app.sim.instagram_customer(demo::IG_ID).unwrap().text("ig").await.unwrap();
    app.settle().await;
    let kinds = |page: Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["channel"]["kind"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(app.get_json(&acct.admin_token, "/api/v1/conversations").await).len(), 3);
    assert_eq!(
        kinds(app.get_json(&acct.admin_token, "/api/v1/conversations?channel=messenger").await),
        vec!["messenger"]
    );
    let by_id = format!("/api/v1/conversations?channel_id={}", channels.instagram["id"].as_str().unwrap());
    assert_eq!(kinds(app.get_json(&acct.admin_token, &by_id).await), vec!["instagram"]);
    assert_eq!(
        kinds(app.get_json(&acct.admin_token, "/api/v1/conversations?channel=whatsapp_business_app").await),
        Vec::<String>::new()
    );
    // "WhatsApp" in the UI's filter: Cloud API and Business App numbers together, nothing else.
    app.sim.whatsapp_customer(demo::APP_PHONE_NUMBER_ID, "5215511112222").unwrap().text("app").await.unwrap();
    app.settle().await;
    let mut both = kinds(app.get_json(&acct.admin_token, "/api/v1/conversations?channel=whatsapp").await);
    both.sort();
    assert_eq!(both, vec!["whatsapp_business_app", "whatsapp_cloud"]);
    let wa = app.get_json(&acct.admin_token, "/api/v1/conversations?channel=whatsapp_cloud").await;
    app.post(
        &acct.admin_token,
        &format!("/api/v1/conversations/{}/read", wa["items"][0]["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    assert_eq!(kinds(app.get_json(&acct.admin_token, "/api/v1/conversations?unread=true").await).len(), 3);
    assert_eq!(
        kinds(app.get_json(&acct.admin_token, "/api/v1/conversations?q=5512345678").await),
        vec!["whatsapp_cloud"]
    );
    assert_eq!(kinds(app.get_json(&acct.admin_token, "/api/v1/conversations?assignee=unassigned").await).len(), 4);
    assert_error(
        app.get(&acct.admin_token, "/api/v1/conversations?channel=telegram").await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    // Paging: one per page, newest first, no repeats.
    let mut seen = vec![];
    let mut path = "/api/v1/conversations?limit=1".to_string();
    loop {
        let page = app.get_json(&acct.admin_token, &path).await;
        seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/conversations?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4);
    seen.dedup();
    assert_eq!(seen.len(), 4);
}

async fn resolved_conversation_reopens_on_a_customer_message_but_not_on_an_echo(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let c = app.sim.whatsapp_customer(demo::APP_PHONE_NUMBER_ID, "5215512345678").unwrap();
    c.text("hola").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let res = app.patch(&acct.admin_token, &format!("/api/v1/conversations/{id}"), json!({"status": "resolved"})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "resolved");
    assert_eq!(
        app.get_json(&acct.admin_token, "/api/v1/conversations").await["items"],
        json!([]),
        "the default list shows open ones"
    );
    c.echo_text("Gracias por tu compra").await.unwrap();
    app.settle().await;
    assert_eq!(
        app.only_conversation(&acct.admin_token).await["status"],
        "resolved",
        "the business's own message does not reopen"
    );
    c.text("una pregunta más").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    assert_eq!(conv["status"], "open");
    let msgs = app.messages(&acct.admin_token, &id).await;
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[1]["origin"], "business_app");
}

async fn messenger_and_instagram_messages_reactions_and_reads(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let fb = app.sim.messenger_customer(demo::PAGE_ID).unwrap().named("Carla");
    let mid = fb.text("¿Abren el domingo?").await.unwrap().message_id.unwrap();
    fb.react(&mid, "❤️").await.unwrap();
    fb.attachment("image", simulator::samples::png(), "image/png").await.unwrap();
    let ig = app.sim.instagram_customer(demo::IG_ID).unwrap();
    let ig_mid = ig.text("vi tu reel").await.unwrap().message_id.unwrap();
    ig.unsend(&ig_mid).await.unwrap();
    app.settle().await;
    let fb_conv = app.get_json(&acct.admin_token, "/api/v1/conversations?channel=messenger").await["items"][0].clone();
    assert_eq!(fb_conv["handle"]["external_id"], fb.id());
    assert_eq!(fb_conv["window"]["state"], "open");
    let msgs = app.messages(&acct.admin_token, fb_conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["reactions"][0]["emoji"], "❤️");
    assert_eq!(msgs[1]["kind"], "image");
    let ig_conv = app.get_json(&acct.admin_token, "/api/v1/conversations?channel=instagram").await["items"][0].clone();
    let msgs = app.messages(&acct.admin_token, ig_conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["deleted"], true);
    assert_eq!(msgs[0]["text"], Value::Null, "an unsent message shows no content");
}

async fn username_customer_without_phone_is_a_full_conversation_and_joins_later(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let c = app.sim.username_customer(demo::CLOUD_PHONE_NUMBER_ID, "maria.compras").unwrap();
    c.text("Hola, soy María").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let bsuid = c.user_id().to_string();
    assert_eq!(conv["handle"]["wa_id"], Value::Null, "no invented phone");
    assert_eq!(conv["handle"]["user_id"], bsuid);
    assert_eq!(conv["handle"]["external_id"], bsuid);
    assert_eq!(conv["handle"]["username"], "maria.compras");
    // She shares her phone; every later webhook carries both identities: still one conversation.
    c.share_own_phone("+52 1 55 9876 5432").await.unwrap();
    c.text("ya te pasé mi número").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    assert_eq!(conv["handle"]["user_id"], bsuid);
    assert_eq!(conv["handle"]["wa_id"], "5215598765432");
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    let mut kinds: Vec<&str> = msgs.iter().map(|m| m["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, vec!["contacts", "system", "text", "text"], "the shared number shows a notice");
}

async fn edits_replace_content_and_revokes_hide_it_without_new_rows(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    let first = c.text("Quiero 3 piezas").await.unwrap().message_id.unwrap();
    let second = c.text("y envío a Puebla").await.unwrap().message_id.unwrap();
    c.edit(&first, "Quiero 5 piezas").await.unwrap();
    c.revoke(&second).await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs.len(), 2, "neither edit nor revoke adds a row");
    assert_eq!(msgs[0]["text"], "Quiero 5 piezas");
    assert!(msgs[0]["edited_at"].is_string());
    assert_eq!(msgs[1]["deleted"], true);
    assert_eq!(msgs[1]["text"], Value::Null);
    // An edit that arrives before its original is applied when the original appears.
    let t = now_s();
    let user = WaUser::phone("5215512345678");
    let early = WaMessage::new(
        "wamid.EDIT-EARLY",
        t,
        WaContent::Edit {
            original_message_id: "wamid.LATE".into(),
            content: Box::new(WaContent::Text("corregido".into())),
        },
    );
    app.post_webhook(&payloads::whatsapp_message(&cloud(), &user, &early)).await;
    app.settle().await;
    app.post_webhook(&payloads::whatsapp_text(&cloud(), &user, "wamid.LATE", t - 5, "original")).await;
    app.settle().await;
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs.len(), 3);
    assert!(msgs.iter().any(|m| m["text"] == "corregido"), "{msgs:?}");
}

async fn group_events_are_acknowledged_and_ignored(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let mut status = payloads::whatsapp_status(&cloud(), &WaStatus::new("wamid.G1", WaStatusKind::Delivered, now_s()));
    status["entry"][0]["changes"][0]["value"]["statuses"][0]["recipient_type"] = json!("group");
    status["entry"][0]["changes"][0]["value"]["statuses"][0]["recipient_participant_id"] = json!("5215512345678");
    assert_eq!(app.post_webhook(&status).await, StatusCode::OK);
    app.settle().await;
    assert_eq!(app.get_json(&acct.admin_token, "/api/v1/conversations?status=all").await["items"], json!([]));
}

/// A delivery whose one event cannot be applied (PostgreSQL refuses a NUL character in text) still
/// applies its other events at once, instead of leaving them to the failing event's retries.
async fn one_failing_event_does_not_hold_back_the_others_of_its_delivery(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = now_s();
    let ana = WaUser::phone("5215511111111").with_name("Ana");
    let delivery = payloads::whatsapp_messages(
        &cloud(),
        &ana,
        &[
            WaMessage::new("wamid.NUL", t - 2, WaContent::Text("antes\u{0}después".into())),
            WaMessage::new("wamid.OK", t - 1, WaContent::Text("este sí llega".into())),
        ],
    );
    assert_eq!(app.post_webhook(&delivery).await, StatusCode::OK);
    let mut texts = vec![];
    for _ in 0..200 {
        if let Some(conv) = app.get_json(&acct.admin_token, "/api/v1/conversations").await["items"]
            .as_array()
            .and_then(|i| i.first().cloned())
        {
            texts = app
                .messages(&acct.admin_token, conv["id"].as_str().unwrap())
                .await
                .iter()
                .filter_map(|m| m["text"].as_str().map(str::to_string))
                .collect();
            if texts.iter().any(|t| t == "este sí llega") {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(texts.iter().any(|t| t == "este sí llega"), "{texts:?}");
}

async fn messages_page_back_with_before_until_the_first(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    app.connect_demo_channels(token).await;
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    for n in 1..=5 {
        c.text(&format!("mensaje {n}")).await.unwrap();
    }
    app.settle().await;
    let id = app.only_conversation(token).await["id"].as_str().unwrap().to_string();
    let app = &app;
    let page = |before: Option<&str>| {
        let query = before.map(|b| format!("&before={b}")).unwrap_or_default();
        let path = format!("/api/v1/conversations/{id}/messages?limit=2{query}");
        async move { app.get_json(token, &path).await }
    };
    let texts = |p: &Value| -> Vec<String> {
        p["items"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_string()).collect()
    };
    // Newest first by page, oldest to newest within one; each cursor is the oldest message shown.
    let newest = page(None).await;
    assert_eq!(texts(&newest), ["mensaje 4", "mensaje 5"]);
    assert_eq!(newest["next_cursor"], newest["items"][0]["id"]);
    let middle = page(newest["next_cursor"].as_str()).await;
    assert_eq!(texts(&middle), ["mensaje 2", "mensaje 3"]);
    let oldest = page(middle["next_cursor"].as_str()).await;
    assert_eq!(texts(&oldest), ["mensaje 1"]);
    assert_eq!(oldest["next_cursor"], Value::Null, "the first message ends the paging");
    // Nothing before the very first; a cursor that is no message gives nothing; a bad one is refused.
    let first = oldest["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(texts(&page(Some(&first)).await), Vec::<String>::new());
    assert_eq!(texts(&page(Some(&uuid::Uuid::now_v7().to_string())).await), Vec::<String>::new());
    let res = app.get(token, &format!("/api/v1/conversations/{id}/messages?before=no-es-un-id")).await;
    assert_error(res, StatusCode::BAD_REQUEST, "invalid_query").await;
    let all = app.get_json(token, &format!("/api/v1/conversations/{id}/messages?limit=200")).await;
    assert_eq!(texts(&all).len(), 5);
    assert_eq!(all["next_cursor"], Value::Null);
}

/// Deliveries arriving together are journaled together (group commit): each is acknowledged only
/// once durable, none is lost or doubled, and the same delivery sent twice at once still makes one
/// message.
async fn concurrent_deliveries_share_commits_and_each_is_stored_once(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let payloads: Vec<Value> = (0..120)
        .map(|i| text_from(&format!("52155{:08}", i % 40), &format!("wamid.GC{i}"), &format!("mensaje {i}")))
        .collect();
    // Every delivery at once, and the first ten twice.
    let posts = payloads.iter().chain(&payloads[..10]).map(|p| app.post_webhook(p));
    let answers = futures::future::join_all(posts).await;
    assert!(answers.iter().all(|s| *s == StatusCode::OK), "{answers:?}");
    assert_eq!(app.state.store.count_webhook_journal().await.unwrap(), 130, "each delivery journaled once");
    app.settle().await;
    let page = app.get_json(&acct.admin_token, "/api/v1/conversations?limit=100").await;
    let conversations = page["items"].as_array().unwrap();
    assert_eq!(conversations.len(), 40);
    let mut total = 0;
    for c in conversations {
        let messages = app.messages(&acct.admin_token, c["id"].as_str().unwrap()).await;
        assert_eq!(messages.len(), 3, "{c}");
        total += messages.len();
    }
    assert_eq!(total, 120, "every message once");
}

/// Journals `bodies` in one commit and wakes the worker, which then claims them as one batch.
pub(crate) async fn journal_as_one_batch(app: &TestApp, bodies: &[Value]) {
    let texts: Vec<String> = bodies.iter().map(Value::to_string).collect();
    let now = app.state.now_ms();
    let deliveries: Vec<(&str, i64)> = texts.iter().map(|t| (t.as_str(), now)).collect();
    app.state.store.journal_webhooks(&deliveries).await.unwrap();
    app.state.journal_wakeup.notify_one();
}

/// A backlog several worker batches long (more than a batch on either store): the worker claims the
/// next batch while it applies one, and still applies and announces every message once, in the
/// journal's order, and marks every delivery processed.
async fn a_backlog_of_several_batches_is_applied_and_announced_in_journal_order(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let mut socket = crate::realtime::connect(&app, &acct.admin_token).await;
    let ids: Vec<String> = (0..600).map(|i| format!("wamid.BL{i:03}")).collect();
    let bodies: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| text_from(&format!("52155{:08}", i % 3), id, &format!("mensaje {i}")))
        .collect();
    journal_as_one_batch(&app, &bodies).await;
    app.settle().await;
    let events = crate::realtime::events_until_quiet(&mut socket).await;
    let created: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "message.created")
        .filter_map(|e| e["data"]["external_id"].as_str())
        .collect();
    assert_eq!(created, ids, "each message announced once, in the journal's order");
    let page = app.get_json(&acct.admin_token, "/api/v1/conversations?limit=100").await;
    let conversations = page["items"].as_array().unwrap();
    assert_eq!(conversations.len(), 3);
    for c in conversations {
        assert_eq!(c["unread_count"], 200, "{c}");
    }
    assert_eq!(app.state.store.pending_webhooks().await.unwrap(), 0, "every delivery marked processed");
    assert_eq!(app.state.store.count_webhook_journal().await.unwrap(), 600);
}

/// The worker stores a batch's messages while it announces the batch before and applies its other
/// events: a reaction that came just before its message, the two split between batches (triplets
/// of reaction, message, other message put a reaction last at delivery 256, where a batch ends on
/// both stores: SQLite's batches are 128 long, PostgreSQL's 256), is set aside by the first batch and
/// must be found by the next.
async fn a_reaction_in_one_batch_to_a_message_of_the_next_is_applied(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let ana = WaUser::phone("5215511111111").with_name("Ana");
    let t = now_s();
    let mut bodies = Vec::new();
    for k in 0..100 {
        let id = format!("wamid.RX{k:03}");
        let reaction = WaContent::Reaction { message_id: id.clone(), emoji: "👍".into() };
        bodies.push(payloads::whatsapp_message(
            &cloud(),
            &ana,
            &WaMessage::new(format!("wamid.RR{k:03}"), t, reaction),
        ));
        bodies.push(payloads::whatsapp_message(
            &cloud(),
            &ana,
            &WaMessage::new(&id, t - 1, WaContent::Text(format!("pedido {k}"))),
        ));
        bodies.push(text_from("5215522222222", &format!("wamid.RY{k:03}"), "otro cliente"));
    }
    journal_as_one_batch(&app, &bodies).await;
    app.settle().await;
    assert_eq!(app.state.store.pending_webhooks().await.unwrap(), 0, "every delivery marked processed");
    assert_eq!(app.state.store.count_deferred_events().await.unwrap(), 0, "no reaction left waiting");
    let conversations =
        app.get_json(&acct.admin_token, "/api/v1/conversations").await["items"].as_array().unwrap().clone();
    assert_eq!(conversations.len(), 2);
    let mut reacted = Vec::new();
    for c in &conversations {
        let path = format!("/api/v1/conversations/{}/messages?limit=200", c["id"].as_str().unwrap());
        let page = app.get_json(&acct.admin_token, &path).await;
        let messages = page["items"].as_array().unwrap();
        assert_eq!(messages.len(), 100);
        reacted.extend(messages.iter().filter(|m| m["text"] != "otro cliente").cloned());
    }
    assert_eq!(reacted.len(), 100, "Ana's messages");
    for m in &reacted {
        assert_eq!(m["reactions"][0]["emoji"], "👍", "every message has the reaction that came before it: {m}");
    }
}

async fn a_worker_batch_announces_each_conversation_and_message_once(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let mut socket = crate::realtime::connect(&app, &acct.admin_token).await;
    let t = now_s();
    let ana = WaUser::phone("5215511111111").with_name("Ana");
    let beto = WaUser::phone("5215522222222").with_name("Beto");
    let msg = |user: &WaUser, id: &str, at: i64, content: WaContent| {
        payloads::whatsapp_message(&cloud(), user, &WaMessage::new(id, at, content))
    };
    let first = msg(&ana, "wamid.B1", t - 3, WaContent::Text("hola".into()));
    let bodies = [
        // Ana reacts to her second message before the delivery holding it.
        msg(&ana, "wamid.R1", t, WaContent::Reaction { message_id: "wamid.B2".into(), emoji: "👍".into() }),
        first.clone(),
        msg(&ana, "wamid.B2", t - 2, WaContent::Text("¿tienen envío?".into())),
        msg(&beto, "wamid.B3", t - 1, WaContent::Text("buenas".into())),
        first,
    ];
    journal_as_one_batch(&app, &bodies).await;
    app.settle().await;
    let events = crate::realtime::events_until_quiet(&mut socket).await;
    let kinds: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["type"] == "conversation.created" || e["type"] == "message.created")
        .map(|e| {
            let key = if e["type"] == "conversation.created" { &e["data"]["id"] } else { &e["data"]["external_id"] };
            (e["type"].as_str().unwrap().to_string(), key.as_str().unwrap_or_default().to_string())
        })
        .collect();
    let created: Vec<&str> = kinds.iter().filter(|(k, _)| k == "message.created").map(|(_, id)| id.as_str()).collect();
    assert_eq!(created, ["wamid.B1", "wamid.B2", "wamid.B3"], "each message once, in order: {kinds:?}");
    let conversations =
        app.get_json(&acct.admin_token, "/api/v1/conversations").await["items"].as_array().unwrap().clone();
    assert_eq!(conversations.len(), 2);
    for c in &conversations {
        let id = c["id"].as_str().unwrap();
        let announced = kinds.iter().position(|(k, key)| k == "conversation.created" && key == id);
        assert_eq!(kinds.iter().filter(|(k, key)| k == "conversation.created" && key == id).count(), 1, "{kinds:?}");
        let first_message = events
            .iter()
            .filter(|e| e["type"] == "conversation.created" || e["type"] == "message.created")
            .position(|e| e["type"] == "message.created" && e["data"]["conversation_id"] == id);
        assert!(announced < first_message, "the conversation is announced before its messages: {kinds:?}");
    }
    let ana_conversation = conversations.iter().find(|c| c["unread_count"] == 2).expect("Ana's conversation");
    let messages = app.messages(&acct.admin_token, ana_conversation["id"].as_str().unwrap()).await;
    let second = messages.iter().find(|m| m["external_id"] == "wamid.B2").expect("B2");
    assert_eq!(second["reactions"][0]["emoji"], "👍", "the reaction that came first is on its message: {second}");
    assert!(
        events.iter().any(|e| e["type"] == "message.updated" && e["data"]["external_id"] == "wamid.B2"),
        "the reaction is published"
    );
    assert_eq!(app.state.store.pending_webhooks().await.unwrap(), 0);
}

/// A batch finds the customers it already knows with one read, and resolves the others one by one;
/// whatever a resolution writes (a new customer, ids joined, a new name) must be what the batch's
/// later messages see, as if each message had been applied alone.
async fn a_worker_batch_resolves_each_customer_as_one_message_at_a_time_would(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = now_s();
    let carla = WaUser::phone("5215533333333").with_name("Carla");
    let elena = WaUser::phone("5215566666666").with_name("Elena");
    let gabi = WaUser::phone("5215577777777").with_name("Gabi");
    let before = [
        payloads::whatsapp_text(&cloud(), &carla, "wamid.C0", t - 10, "hola"),
        payloads::whatsapp_text(&cloud(), &elena, "wamid.E0", t - 10, "hola"),
        payloads::whatsapp_text(&cloud(), &gabi, "wamid.G0", t - 10, "hola"),
    ];
    journal_as_one_batch(&app, &before).await;
    app.settle().await;
    let gabi_conv = app.get_json(&acct.admin_token, "/api/v1/conversations").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["handle"]["wa_id"] == "5215577777777")
        .cloned()
        .expect("Gabi's conversation");
    let gabi_id = gabi_conv["id"].as_str().unwrap();
    let res =
        app.patch(&acct.admin_token, &format!("/api/v1/conversations/{gabi_id}"), json!({"status": "resolved"})).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);

    let dora_by_username = WaUser::username_only("US.13491208655302741918", "dora.compras");
    let dora_both = WaUser::phone("5215544444444").with_user_id("US.13491208655302741918").with_name("Dora");
    let dora_by_phone = WaUser::phone("5215544444444").with_name("Dora");
    let carla_renamed = WaUser::phone("5215533333333").with_name("Carla Ruiz");
    let text = |user: &WaUser, id: &str, at: i64| payloads::whatsapp_text(&cloud(), user, id, at, "mensaje");
    let bodies = [
        // Known, and saying nothing new: found in the batch's read; then Meta re-delivers her first.
        text(&carla, "wamid.C1", t - 9),
        text(&carla, "wamid.C0", t - 10),
        // New by her username and BSUID, then the same person with her phone (joined onto the handle
        // the batch just created), then by the phone alone (found through the join).
        text(&dora_by_username, "wamid.D1", t - 8),
        text(&dora_both, "wamid.D2", t - 7),
        text(&dora_by_phone, "wamid.D3", t - 6),
        // A new name, then a message under it.
        text(&carla_renamed, "wamid.C2", t - 5),
        text(&carla_renamed, "wamid.C3", t - 4),
        // A duplicate of a message of this batch.
        text(&dora_by_phone, "wamid.D3", t - 6),
        // WhatsApp names Elena's number in Mexico's other form (her handle keeps the form given),
        // then in the first one again: the handle read at the start of the batch is stale by then.
        text(&WaUser::phone("525566666666").with_name("Elena"), "wamid.E1", t - 3),
        text(&elena, "wamid.E2", t - 2),
        // One message each: their conversations change together. Gabi's was resolved and reopens;
        // Fer is new.
        payloads::whatsapp_text(&cloud(), &gabi, "wamid.G1", t - 1, "¿sigue disponible?"),
        payloads::whatsapp_text(&cloud(), &WaUser::phone("5215588888888").with_name("Fer"), "wamid.F1", t, "buenas"),
    ];
    journal_as_one_batch(&app, &bodies).await;
    app.settle().await;
    assert_eq!(app.state.store.pending_webhooks().await.unwrap(), 0);
    let conversations =
        app.get_json(&acct.admin_token, "/api/v1/conversations").await["items"].as_array().unwrap().clone();
    assert_eq!(conversations.len(), 5, "one conversation per customer: {conversations:#?}");
    let of = |wa: &str| conversations.iter().find(|c| c["handle"]["wa_id"] == wa).cloned().expect(wa);
    let (gabi_conv, fer_conv) = (of("5215577777777"), of("5215588888888"));
    assert_eq!(gabi_conv["status"], "open", "reopened by her message");
    assert_eq!(gabi_conv["unread_count"], 2);
    assert_eq!(gabi_conv["last_message"]["text"], "¿sigue disponible?");
    assert_eq!(fer_conv["unread_count"], 1);
    assert_eq!(fer_conv["last_message"]["text"], "buenas");
    for conv in [&gabi_conv, &fer_conv] {
        assert_eq!(conv["window"]["state"], "open", "the customer's message opens the window: {conv}");
    }
    assert_eq!(of("5215566666666")["unread_count"], 3, "Elena's number as WhatsApp gave it last");
    let (carla_conv, dora_conv) = (of("5215533333333"), of("5215544444444"));
    assert_eq!(carla_conv["handle"]["profile_name"], "Carla Ruiz");
    assert_eq!(dora_conv["handle"]["user_id"], "US.13491208655302741918");
    assert_eq!(dora_conv["handle"]["username"], "dora.compras");
    assert_eq!(dora_conv["unread_count"], 3);
    for (conv, expected) in [
        (&carla_conv, &["wamid.C0", "wamid.C1", "wamid.C2", "wamid.C3"][..]),
        (&dora_conv, &["wamid.D1", "wamid.D2", "wamid.D3"][..]),
    ] {
        let messages = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
        let mut ids: Vec<&str> = messages.iter().map(|m| m["external_id"].as_str().unwrap_or_default()).collect();
        ids.sort();
        assert_eq!(ids, expected, "each message once, in its customer's conversation");
    }
    let found = app.get_json(&acct.admin_token, "/api/v1/conversations?q=carla%20ruiz").await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "the new name is searchable: {found}");
}

async fn new_customers_of_one_batch_are_linked_to_the_one_contact_having_their_number(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let contact = |body: Value| {
        let app = &app;
        let token = acct.admin_token.clone();
        async move {
            let res = app.post(&token, "/api/v1/contacts", body).await;
            assert_eq!(res.status(), reqwest::StatusCode::CREATED);
            res.json::<Value>().await.unwrap()
        }
    };
    let ana = contact(json!({"first_name": "Ana", "phone_primary": "+52 55 1234 5678"})).await;
    let beto =
        contact(json!({"first_name": "Beto", "phone_primary": "+34 600 111 222", "phone_whatsapp": "+34 600 111 222"}))
            .await;
    // Two contacts have Caro's number: a person decides which is hers.
    contact(json!({"first_name": "Caro", "phone_primary": "+54 9 11 5555 6666"})).await;
    contact(json!({"first_name": "Carolina", "phone_alternate": "+54 11 15 5555 6666"})).await;
    let t = now_s();
    let text = |wa: &str, id: &str| payloads::whatsapp_text(&cloud(), &WaUser::phone(wa), id, t, "hola");
    // All four are new: the batch creates them together (crate `store`, new_customers).
    journal_as_one_batch(
        &app,
        &[
            text("5215512345678", "wamid.N1"),
            text("34600111222", "wamid.N2"),
            text("5491155556666", "wamid.N3"),
            text("5215599999999", "wamid.N4"),
        ],
    )
    .await;
    app.settle().await;
    assert_eq!(app.state.store.pending_webhooks().await.unwrap(), 0);
    let conversations =
        app.get_json(&acct.admin_token, "/api/v1/conversations").await["items"].as_array().unwrap().clone();
    assert_eq!(conversations.len(), 4, "{conversations:#?}");
    let of = |wa: &str| conversations.iter().find(|c| c["handle"]["wa_id"] == wa).cloned().expect(wa);
    let ana_conv = of("5215512345678");
    assert_eq!(ana_conv["contact"]["id"], ana["id"], "Mexico's other form of her number");
    assert_eq!(ana_conv["contact"]["phone_whatsapp"], "+5215512345678", "her contact takes the number WhatsApp uses");
    let beto_conv = of("34600111222");
    assert_eq!(beto_conv["contact"]["id"], beto["id"]);
    assert_eq!(beto_conv["contact"]["phone_whatsapp"], "+34600111222");
    assert!(of("5491155556666")["contact"].is_null(), "two contacts have this number: none is chosen");
    assert!(of("5215599999999")["contact"].is_null());
    for wa in ["5215512345678", "34600111222", "5491155556666", "5215599999999"] {
        assert_eq!(of(wa)["unread_count"], 1);
        assert_eq!(of(wa)["last_message"]["text"], "hola");
    }
}

async fn an_older_event_does_not_put_back_a_name_the_customer_has_since_changed(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = now_s();
    let as_named = |name: &str| WaUser::phone("5215533333333").with_name(name);
    let text = |name: &str, id: &str, at: i64| payloads::whatsapp_text(&cloud(), &as_named(name), id, at, "hola");
    let name_now = || async {
        let conv = app.only_conversation(&acct.admin_token).await;
        (
            conv["handle"]["profile_name"].as_str().unwrap_or_default().to_string(),
            conv["id"].as_str().unwrap().to_string(),
        )
    };
    let first = text("Carla", "wamid.N1", t - 10);
    app.post_webhook(&first).await;
    app.settle().await;
    app.post_webhook(&text("Carla Ruiz", "wamid.N2", t)).await;
    app.settle().await;
    assert_eq!(name_now().await.0, "Carla Ruiz");
    // Meta retries the first delivery; then a message from before both arrives late.
    app.post_webhook(&first).await;
    app.settle().await;
    app.post_webhook(&text("Carla", "wamid.N0", t - 20)).await;
    app.settle().await;
    let (name, conversation) = name_now().await;
    assert_eq!(name, "Carla Ruiz", "the older events' name is not put back");
    // In one batch, the newer first: the newest name stands whatever the order of arrival.
    journal_as_one_batch(&app, &[text("Carla R.", "wamid.N4", t + 5), text("Carla", "wamid.N3", t - 5)]).await;
    app.settle().await;
    assert_eq!(name_now().await.0, "Carla R.");
    let messages = app.messages(&acct.admin_token, &conversation).await;
    let mut ids: Vec<&str> = messages.iter().map(|m| m["external_id"].as_str().unwrap_or_default()).collect();
    ids.sort();
    assert_eq!(ids, ["wamid.N0", "wamid.N1", "wamid.N2", "wamid.N3", "wamid.N4"], "every message stored once");
    let found = app.get_json(&acct.admin_token, "/api/v1/conversations?q=carla%20r").await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "found by the name it shows: {found}");
}

async fn a_message_that_fails_in_a_batch_holds_back_only_its_own_delivery(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = now_s();
    let ana = WaUser::phone("5215511111111").with_name("Ana");
    let beto = WaUser::phone("5215522222222").with_name("Beto");
    // PostgreSQL refuses a NUL in text: the batch's transaction fails there, and the worker then
    // stores the messages one by one (SQLite takes it, and both arrive).
    let bodies = [
        payloads::whatsapp_text(&cloud(), &ana, "wamid.NUL", t - 1, "antes\u{0}después"),
        payloads::whatsapp_text(&cloud(), &beto, "wamid.FINE", t, "este sí llega"),
    ];
    journal_as_one_batch(&app, &bodies).await;
    let mut arrived = false;
    for _ in 0..200 {
        let page = app.get_json(&acct.admin_token, "/api/v1/conversations").await;
        if let Some(c) = page["items"].as_array().unwrap().iter().find(|c| c["last_message"]["text"] == "este sí llega")
        {
            let messages = app.messages(&acct.admin_token, c["id"].as_str().unwrap()).await;
            assert_eq!(messages.len(), 1);
            arrived = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(arrived, "the good delivery is applied");
}

/// A batch whose transaction fails is stored one message at a time, and still before the batch
/// after it: a customer whose first message is at the end of that batch and whose second opens the
/// next one sees their conversation announced once, before either message. (PostgreSQL refuses the
/// NUL of the batch's first delivery, so it is there that the batch falls back; 256 deliveries end a
/// batch on both stores: SQLite's batches are 128 long, PostgreSQL's 256.)
async fn a_batch_stored_one_by_one_is_stored_before_the_next_batch(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let mut socket = crate::realtime::connect(&app, &acct.admin_token).await;
    let t = now_s();
    let ana = WaUser::phone("5215511111111").with_name("Ana");
    let beto = WaUser::phone("5215522222222").with_name("Beto");
    let mut bodies = vec![payloads::whatsapp_text(&cloud(), &ana, "wamid.NUL", t - 300, "antes\u{0}después")];
    for i in 0..254 {
        let from = WaUser::phone(format!("52155333333{:02}", i % 4)).with_name("Relleno");
        bodies.push(payloads::whatsapp_text(&cloud(), &from, &format!("wamid.F{i:03}"), t - 290 + i, "relleno"));
    }
    bodies.push(payloads::whatsapp_text(&cloud(), &beto, "wamid.UNO", t - 2, "uno"));
    bodies.push(payloads::whatsapp_text(&cloud(), &beto, "wamid.DOS", t - 1, "dos"));
    journal_as_one_batch(&app, &bodies).await;
    // Ana's delivery is left to retry where it was refused; every other one is applied.
    let refused = i64::from(app.pg_database().is_some());
    for _ in 0..500 {
        if app.state.store.pending_webhooks().await.unwrap() == refused {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(app.state.store.pending_webhooks().await.unwrap(), refused);
    let events = crate::realtime::events_until_quiet(&mut socket).await;
    let beto_conversation = events
        .iter()
        .find(|e| e["type"] == "message.created" && e["data"]["external_id"] == "wamid.UNO")
        .map(|e| e["data"]["conversation_id"].clone())
        .expect("Beto's first message is announced");
    let told: Vec<String> = events
        .iter()
        .filter_map(|e| match e["type"].as_str() {
            Some("conversation.created") if e["data"]["id"] == beto_conversation => Some("conversation".to_string()),
            Some("message.created") if e["data"]["conversation_id"] == beto_conversation => {
                e["data"]["external_id"].as_str().map(str::to_string)
            }
            _ => None,
        })
        .collect();
    assert_eq!(told, ["conversation", "wamid.UNO", "wamid.DOS"], "Beto's conversation, then his messages in order");
    let messages = app.messages(&acct.admin_token, beto_conversation.as_str().unwrap()).await;
    let stored: Vec<&str> = messages.iter().filter_map(|m| m["external_id"].as_str()).collect();
    assert_eq!(stored.len(), 2, "each stored once: {stored:?}");
}

/// A process that dies between a batch's two stages leaves its messages stored and not announced.
/// Applied again (after the restart, or by another process), they are duplicates — and still
/// announced then, with their new conversation, to the sockets and the outgoing webhooks; once: a
/// later retry of the same deliveries tells nothing more.
async fn messages_a_dead_process_stored_without_announcing_are_announced_once_when_applied_again(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    app.connect_demo_channels(admin).await;
    let events = ["message.created", "conversation.created"];
    let (webhook, _) = crate::outgoing_webhooks::create_webhook(&app, admin, "http://127.0.0.1:9/hook", &events).await;
    let hooks_queued = || async {
        let path = format!("/api/v1/webhooks/{}/deliveries", webhook["id"].as_str().unwrap());
        let log = app.get_json(admin, &path).await;
        let mut queued: Vec<String> =
            log["items"].as_array().unwrap().iter().filter_map(|d| d["event"].as_str().map(str::to_string)).collect();
        queued.sort();
        queued
    };
    let mut socket = crate::realtime::connect(&app, admin).await;
    let t = now_s();
    let ana = WaUser::phone("5215511111111").with_name("Ana");
    let bodies = [
        payloads::whatsapp_text(&cloud(), &ana, "wamid.A1", t - 2, "hola"),
        payloads::whatsapp_text(&cloud(), &ana, "wamid.A2", t - 1, "¿siguen abiertos?"),
    ];
    // The dead process's batch: its first stage stored the messages; its second never ran.
    let deliveries: Vec<_> =
        bodies.iter().map(|b| meta::parse_delivery(b.to_string().as_bytes()).expect("a delivery")).collect();
    let applier = server::inbound::apply::Applier { state: &app.state };
    let nothing_announcing = Default::default();
    drop(server::inbound::batch::store(&applier, deliveries, &nothing_announcing, &[]).await.expect("first stage"));
    // Its deliveries, still in the journal, are applied again.
    journal_as_one_batch(&app, &bodies).await;
    app.settle().await;
    let told = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e["type"].as_str() {
                Some("conversation.created") => Some("conversation".to_string()),
                Some("message.created") => e["data"]["external_id"].as_str().map(str::to_string),
                _ => None,
            })
            .collect()
    };
    let first = crate::realtime::events_until_quiet(&mut socket).await;
    assert_eq!(told(&first), ["conversation", "wamid.A1", "wamid.A2"], "announced when applied again");
    assert_eq!(hooks_queued().await, ["conversation.created", "message.created", "message.created"]);
    // Meta delivers them once more: they were announced, there is nothing to tell.
    journal_as_one_batch(&app, &bodies).await;
    app.settle().await;
    let again = crate::realtime::events_until_quiet(&mut socket).await;
    assert_eq!(told(&again), Vec::<String>::new(), "announced once");
    assert_eq!(hooks_queued().await, ["conversation.created", "message.created", "message.created"]);
    let conversation = app.only_conversation(admin).await;
    assert_eq!(app.messages(admin, conversation["id"].as_str().unwrap()).await.len(), 2, "stored once");
}

/// Meta delivers a message twice, in batches that follow each other: the second batch meets it
/// stored and not yet announced — the first batch is announcing it at that very moment, beside the
/// second's first stage — and leaves it to that batch. (256 deliveries end a batch on both stores.)
async fn a_message_delivered_again_in_the_next_batch_is_announced_once(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let mut socket = crate::realtime::connect(&app, &acct.admin_token).await;
    let t = now_s();
    let mut bodies: Vec<Value> = (0..255)
        .map(|i| {
            let from = WaUser::phone(format!("52155444444{:02}", i % 4)).with_name("Relleno");
            payloads::whatsapp_text(&cloud(), &from, &format!("wamid.G{i:03}"), t - 300 + i, "relleno")
        })
        .collect();
    let twice = payloads::whatsapp_text(&cloud(), &WaUser::phone("5215522222222"), "wamid.TWICE", t, "¿hay envío?");
    bodies.push(twice.clone());
    bodies.push(twice);
    journal_as_one_batch(&app, &bodies).await;
    app.settle().await;
    let events = crate::realtime::events_until_quiet(&mut socket).await;
    let announced: Vec<&Value> =
        events.iter().filter(|e| e["type"] == "message.created" && e["data"]["external_id"] == "wamid.TWICE").collect();
    assert_eq!(announced.len(), 1, "announced once: {announced:?}");
    let conversation = &announced[0]["data"]["conversation_id"];
    let created = events.iter().filter(|e| e["type"] == "conversation.created" && e["data"]["id"] == *conversation);
    assert_eq!(created.count(), 1, "its conversation announced once");
}

/// Meta delivers a message twice, the second time two batches after the first. A batch forgets
/// that the messages announced before it wait to be announced in its own transaction, first: the
/// third batch finds the message announced, and tells nothing of it. (SQLite's batches are 128
/// deliveries long, PostgreSQL's 256.)
async fn a_message_delivered_again_two_batches_later_is_announced_once(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let mut socket = crate::realtime::connect(&app, &acct.admin_token).await;
    let batch = if app.pg_database().is_some() { 256 } else { 128 };
    let t = now_s();
    let filler = |i: usize| {
        let from = WaUser::phone(format!("52155444444{:02}", i % 4)).with_name("Relleno");
        payloads::whatsapp_text(&cloud(), &from, &format!("wamid.H{i:03}"), t - 600 + i as i64, "relleno")
    };
    let twice = payloads::whatsapp_text(&cloud(), &WaUser::phone("5215522222222"), "wamid.TWICE", t, "¿hay envío?");
    // The first copy ends the first batch; the second opens the third.
    let mut bodies: Vec<Value> = (0..batch - 1).map(filler).collect();
    bodies.push(twice.clone());
    bodies.extend((batch..2 * batch).map(filler));
    bodies.push(twice);
    journal_as_one_batch(&app, &bodies).await;
    app.settle().await;
    let events = crate::realtime::events_until_quiet(&mut socket).await;
    let announced =
        events.iter().filter(|e| e["type"] == "message.created" && e["data"]["external_id"] == "wamid.TWICE").count();
    assert_eq!(announced, 1, "announced once");
    let fillers = events.iter().filter(|e| e["type"] == "message.created" && e["data"]["text"] == "relleno").count();
    assert_eq!(fillers, 2 * batch - 1, "every other message announced");
}

async fn claims_of_a_killed_process_are_taken_up_at_restart_on_sqlite_and_after_their_lease_on_postgres(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    // A delivery a killed process had claimed, its lease still running for ten minutes.
    let body = text_from("5215511111111", "wamid.CLAIMED", "quedó a medias").to_string();
    let until = app.state.now_ms() + 600_000;
    app.execute_journal_sql(&format!(
        "INSERT INTO webhook_events (id, received_at, body, status, claimed_until, attempts) \
         VALUES ('00000000-0000-7000-8000-000000000001', 0, '{body}', 'processing', {until}, 1)"
    ))
    .await;
    // The process starts again on the same database.
    let _restarted = app.another_process().await;
    app.state.journal_wakeup.notify_one();
    let visible = || async {
        let page = app.get_json(&acct.admin_token, "/api/v1/conversations").await;
        page["items"].as_array().unwrap().iter().any(|c| c["last_message"]["text"] == "quedó a medias")
    };
    if app.pg_database().is_some() {
        // Other live processes may hold claims on PostgreSQL: a start takes none of them over.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert!(!visible().await, "a live lease is respected");
        assert_eq!(app.state.store.pending_webhooks().await.unwrap(), 1);
    } else {
        // SQLite has one process: what is claimed at its start was claimed by the dead one.
        app.settle().await;
        assert!(visible().await, "the delivery is applied without waiting out the lease");
    }
}
