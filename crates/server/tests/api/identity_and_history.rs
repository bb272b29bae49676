//! Identity (BSUID statuses, LatAm phone matching, contact search), coexistence history and state sync,
//! and media that cannot be fetched.

use crate::harness::{on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;
use simulator::payloads::{
    self, HistoryMessage, HistoryThread, SocialAttachment, SocialMessage, SocialPlatform, StateSyncContact, WaContent,
    WaMessage, WaStatus, WaStatusKind, WaUser,
};
use std::time::Duration;

on_both_stores!(
    status_naming_only_the_bsuid_is_applied,
    inbound_sender_is_linked_to_the_contact_with_an_equivalent_phone,
    contacts_are_found_by_any_phone_format_and_by_username,
    coexistence_history_is_imported_once_and_saved_names_kept,
    media_that_cannot_be_fetched_ends_failed_not_lost,
    a_customers_html_file_is_served_as_a_sandboxed_download,
);

fn now_s() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn cloud() -> payloads::WaBusiness {
    payloads::WaBusiness {
        waba_id: demo::WABA_ID.into(),
        phone_number_id: demo::CLOUD_PHONE_NUMBER_ID.into(),
        display_phone_number: demo::CLOUD_DISPLAY_NUMBER.into(),
    }
}

async fn status_naming_only_the_bsuid_is_applied(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    // Only the status this test posts may move the message (no automatic ones from the simulator).
    app.sim.set_status_policy(simulator::StatusPolicy::disabled());
    let lucia =
        app.sim.bsuid_customer(demo::CLOUD_PHONE_NUMBER_ID, "MX.1234567890123456789", Some("lucia.mx")).unwrap();
    lucia.text("hola").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "text", "text": "¡Hola Lucía!"}),
        )
        .await;
    let m: Value = res.json().await.unwrap();
    let sent = crate::outbound_wait(&app, &acct.admin_token, &id, m["id"].as_str().unwrap()).await;
    let wamid = sent["external_id"].as_str().unwrap().to_string();
    let read = WaStatus::new(wamid.clone(), WaStatusKind::Read, now_s() + 5).to_user("MX.1234567890123456789");
    let body = payloads::whatsapp_status(&cloud(), &read);
    assert!(body.to_string().contains("recipient_user_id") && !body.to_string().contains("\"recipient_id\""), "{body}");
    assert_eq!(app.post_webhook(&body).await, StatusCode::OK);
    app.settle().await;
    let msgs = app.messages(&acct.admin_token, &id).await;
    let mine = msgs.iter().find(|x| x["external_id"] == wamid.as_str()).unwrap();
    assert_eq!(mine["status"], "read");
}

async fn inbound_sender_is_linked_to_the_contact_with_an_equivalent_phone(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/contacts",
            json!({"first_name": "Ana", "last_name": "Pérez", "phone_primary": "+52 55 1234 5678"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let contact: Value = res.json().await.unwrap();
    // WhatsApp names her with Mexico's old mobile `1`.
    app.post_webhook(&payloads::whatsapp_text(&cloud(), &WaUser::phone("5215512345678"), "wamid.MX1", now_s(), "hola"))
        .await;
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    assert_eq!(conv["contact"]["id"], contact["id"]);
    assert_eq!(conv["contact"]["phone_whatsapp"], "+5215512345678", "the number WhatsApp uses, kept as given");
    assert_eq!(conv["contact"]["phone_primary"], "+525512345678");
    let found = app.get_json(&acct.admin_token, "/api/v1/conversations?q=Ana").await;
    assert_eq!(found["items"][0]["id"], conv["id"]);
}

async fn contacts_are_found_by_any_phone_format_and_by_username(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let res = app
        .post(&acct.admin_token, "/api/v1/contacts", json!({"first_name": "Ana", "phone_primary": "+52 55 1234 5678"}))
        .await;
    let ana: Value = res.json().await.unwrap();
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/contacts",
            json!({"first_name": "Martín", "phone_alternate": "+54 9 11 5555 6666"}),
        )
        .await;
    let martin: Value = res.json().await.unwrap();
    for (q, who) in [
        ("5215512345678", &ana),
        ("+52 1 55 1234 5678", &ana),
        ("525512345678", &ana),
        ("+54 11 15 5555 6666", &martin),
        ("5491155556666", &martin),
    ] {
        let found = app.get_json(&acct.admin_token, &format!("/api/v1/contacts?q={}", urlencode(q))).await;
        let ids: Vec<&Value> = found["items"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
        assert_eq!(ids, vec![&who["id"]], "searching {q}");
    }
    // A username customer's contact is found by username.
    app.sim.username_customer(demo::CLOUD_PHONE_NUMBER_ID, "carla.compras").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let conv = app.get_json(&acct.admin_token, "/api/v1/conversations").await["items"][0].clone();
    app.post(&acct.admin_token, "/api/v1/contacts", json!({"first_name": "Carla", "conversation_id": conv["id"]}))
        .await;
    let found = app.get_json(&acct.admin_token, "/api/v1/contacts?q=carla.compras").await;
    assert_eq!(found["items"][0]["whatsapp_username"], "carla.compras");
    assert_eq!(found["items"][0]["phone_whatsapp"], Value::Null, "no invented phone");
    // The same number on a second contact is a conflict shown, never a merge.
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/contacts",
            json!({"first_name": "Ana bis", "phone_whatsapp": "+52 1 55 1234 5678"}),
        )
        .await;
    let dup: Value = res.json().await.unwrap();
    assert_eq!(dup["conflicts"], json!([ana["id"]]));
    // A seller sees no contact that is not linked to their conversations.
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    assert_eq!(app.get_json(&seller, "/api/v1/contacts").await["items"], json!([]));
    let res = app.get(&seller, &format!("/api/v1/contacts/{}", ana["id"].as_str().unwrap())).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(' ', "%20")
}

async fn coexistence_history_is_imported_once_and_saved_names_kept(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let biz = payloads::WaBusiness {
        waba_id: demo::WABA_ID.into(),
        phone_number_id: demo::APP_PHONE_NUMBER_ID.into(),
        display_phone_number: demo::APP_DISPLAY_NUMBER.into(),
    };
    let t = now_s() - 3 * 24 * 3600;
    let thread = HistoryThread {
        customer: WaUser::phone("5215512345678"),
        messages: vec![
            HistoryMessage {
                from_business: false,
                message: WaMessage::new("wamid.H1", t, WaContent::Text("¿Tienen factura?".into())),
                status: "READ".into(),
            },
            HistoryMessage {
                from_business: true,
                message: WaMessage::new("wamid.H2", t + 60, WaContent::Text("Sí, claro".into())),
                status: "READ".into(),
            },
        ],
    };
    let chunk = payloads::whatsapp_history(&biz, 0, 1, 100, &[thread]);
    for _ in 0..2 {
        assert_eq!(app.post_webhook(&chunk).await, StatusCode::OK);
    }
    let sync = payloads::whatsapp_state_sync(
        &biz,
        now_s(),
        &[StateSyncContact {
            full_name: "Ana de la tienda".into(),
            first_name: "Ana".into(),
            phone_number: "5215512345678".into(),
            action: "add".into(),
        }],
    );
    assert_eq!(app.post_webhook(&sync).await, StatusCode::OK);
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let msgs = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await;
    assert_eq!(msgs.len(), 2, "imported once");
    assert_eq!((msgs[0]["direction"].as_str(), msgs[1]["direction"].as_str()), (Some("inbound"), Some("outbound")));
    assert_eq!(msgs[1]["origin"], "business_app");
    assert_eq!(conv["unread_count"], 0, "history is not news");
    assert_eq!(conv["window"]["state"], "closed", "three days old");
    assert_eq!(conv["handle"]["saved_name"], "Ana de la tienda", "the name saved on the phone");
    let found = app.get_json(&acct.admin_token, "/api/v1/conversations?status=all&q=tienda").await;
    assert_eq!(found["items"][0]["id"], conv["id"]);
}

async fn media_that_cannot_be_fetched_ends_failed_not_lost(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let mut m = SocialMessage { mid: "m_BROKEN".into(), ..SocialMessage::default() };
    m.attachments.push(SocialAttachment {
        kind: "image".into(),
        url: format!("{}/cdn/expired.png", app.sim.base_url()),
        sticker_id: None,
    });
    let body = payloads::social_message(
        SocialPlatform::Messenger,
        demo::PAGE_ID,
        "7001",
        time::OffsetDateTime::now_utc().unix_timestamp() * 1000,
        &m,
    );
    assert_eq!(app.post_webhook(&body).await, StatusCode::OK);
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let mut attachment = Value::Null;
    for _ in 0..200 {
        attachment = app.messages(&acct.admin_token, &id).await[0]["attachment"].clone();
        if attachment["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(attachment["status"], "failed", "{attachment}");
    assert!(attachment["error"].as_str().is_some_and(|e| !e.is_empty()));
    let res = app.get(&acct.admin_token, &format!("/api/v1/attachments/{}", attachment["id"].as_str().unwrap())).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

async fn a_customers_html_file_is_served_as_a_sandboxed_download(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let page = b"<!doctype html><html><body><script>fetch('/api/v1/me')</script></body></html>".to_vec();
    app.sim.messenger_customer(demo::PAGE_ID).unwrap().attachment("file", page.clone(), "text/html").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let mut attachment = Value::Null;
    for _ in 0..200 {
        attachment = app.messages(&acct.admin_token, &id).await[0]["attachment"].clone();
        if attachment["status"] == "ready" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(attachment["status"], "ready", "{attachment}");
    let res = app.get(&acct.admin_token, attachment["url"].as_str().unwrap()).await;
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"), "never rendered inline");
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), page.as_slice(), "kept intact for the agent to download");
}
