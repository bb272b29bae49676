//! Message search: text and captions, case and accents ignored, newest first, only what the caller
//! may see.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::{demo, payloads, samples};

on_both_stores!(search_finds_text_and_captions_ignoring_case_and_accents, search_respects_visibility_and_accounts);

async fn search(app: &TestApp, token: &str, q: &str) -> Vec<Value> {
    let page = app.get_json(token, &format!("/api/v1/messages/search?q={}", urlencode(q))).await;
    page["items"].as_array().unwrap().clone()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn texts(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| i["message"]["text"].as_str().unwrap_or_default().to_string()).collect()
}

async fn search_finds_text_and_captions_ignoring_case_and_accents(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let maria = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().named("María");
    maria.text("Hola, quiero precios").await.unwrap();
    let rojo = maria.text("el modelo rojo").await.unwrap().message_id.unwrap();
    let luis = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5491155556666").unwrap();
    luis.image(samples::png(), "image/png", Some("PRECIOS de mayoreo")).await.unwrap();
    let fb = app.sim.messenger_customer(demo::PAGE_ID).unwrap();
    fb.text("¿Tienen la Canción en vinilo?").await.unwrap();
    maria.edit(&rojo, "mejor el modelo verde").await.unwrap();
    app.settle().await;

    let found = search(&app, &acct.admin_token, "PRECIOS").await;
    assert_eq!(texts(&found), vec!["PRECIOS de mayoreo", "Hola, quiero precios"], "newest first");
    let hit = &found[1];
    assert_eq!(hit["message"]["direction"], "inbound");
    assert_eq!(hit["message"]["conversation_id"], hit["conversation"]["id"]);
    assert_eq!(hit["conversation"]["handle"]["wa_id"], "5215512345678");
    assert_eq!(hit["conversation"]["channel"]["kind"], "whatsapp_cloud");
    assert!(hit["conversation"]["window"]["state"].is_string(), "the conversation as the list shows it");
    assert_eq!(found[0]["message"]["kind"], "image", "captions are searched");

    assert_eq!(texts(&search(&app, &acct.admin_token, "cancion").await), vec!["¿Tienen la Canción en vinilo?"]);
    assert_eq!(texts(&search(&app, &acct.admin_token, "VINILO canción").await).len(), 1, "every word, any order");
    assert!(search(&app, &acct.admin_token, "canción piano").await.is_empty());
    assert!(search(&app, &acct.admin_token, "rojo").await.is_empty(), "an edit replaces what is searched");
    assert_eq!(texts(&search(&app, &acct.admin_token, "verde").await), vec!["mejor el modelo verde"]);
    assert!(search(&app, &acct.admin_token, "%").await.is_empty(), "LIKE wildcards are plain characters");
    assert!(search(&app, &acct.admin_token, "").await.is_empty());

    // What the agents send is found too.
    let conv = found[1]["conversation"]["id"].as_str().unwrap().to_string();
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"type": "text", "text": "Te paso los precios en un momento"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let found = search(&app, &acct.admin_token, "precios").await;
    assert_eq!(found.len(), 3);
    assert_eq!(found[0]["message"]["direction"], "outbound");

    // Pages: newest first, then older ones through the cursor.
    let page = app.get_json(&acct.admin_token, "/api/v1/messages/search?q=precios&limit=2").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest =
        app.get_json(&acct.admin_token, &format!("/api/v1/messages/search?q=precios&limit=2&cursor={cursor}")).await;
    assert_eq!(texts(rest["items"].as_array().unwrap()), vec!["Hola, quiero precios"]);
    assert_eq!(rest["next_cursor"], Value::Null);
    let res = app.get(&acct.admin_token, "/api/v1/messages/search?q=x&cursor=nonsense").await;
    assert_error(res, StatusCode::BAD_REQUEST, "invalid_query").await;
}

async fn search_respects_visibility_and_accounts(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let maria = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    maria.text("precio del modelo azul").await.unwrap();
    let luis = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5491155556666").unwrap();
    luis.text("precio del modelo rojo").await.unwrap();
    app.settle().await;
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;
    assert!(search(&app, &seller, "precio").await.is_empty(), "nothing assigned to the seller yet");
    let page = app.get_json(&acct.admin_token, "/api/v1/conversations").await;
    let marias = page["items"].as_array().unwrap().iter().find(|c| c["handle"]["wa_id"] == "5215512345678").unwrap();
    let res = app
        .patch(
            &acct.admin_token,
            &format!("/api/v1/conversations/{}", marias["id"].as_str().unwrap()),
            json!({"assignee_id": seller_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(texts(&search(&app, &seller, "PRECIO").await), vec!["precio del modelo azul"]);
    assert_eq!(search(&app, &acct.admin_token, "precio").await.len(), 2);

    // Another account, with its own customer saying the same, never sees the first account's messages.
    let other = app.full_account().await;
    let channel = app.post(&other.admin_token, "/api/v1/channels", app.channel_body("messenger")).await;
    assert_eq!(channel.status(), StatusCode::CREATED);
    let page_id = channel.json::<Value>().await.unwrap()["page_id"].as_str().unwrap().to_string();
    let message = payloads::SocialMessage::text("m_other_account_1", "¿Precio del envío?");
    let payload = payloads::social_message(
        payloads::SocialPlatform::Messenger,
        &page_id,
        "7000000000000001",
        1_700_000_000_000,
        &message,
    );
    assert_eq!(app.post_webhook(&payload).await, StatusCode::OK);
    app.settle().await;
    assert_eq!(texts(&search(&app, &other.admin_token, "precio").await), vec!["¿Precio del envío?"]);
    assert_eq!(search(&app, &acct.admin_token, "precio").await.len(), 2, "not the other account's message");
}
