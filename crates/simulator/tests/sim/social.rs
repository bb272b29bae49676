//! Messenger and Instagram sends: validation, attachments, sender actions, statuses and echoes.

use inbox_simulator::{demo, SimConfig, StatusPolicy};
use serde_json::{json, Value};

use crate::support::{code, env, env_with, SECRET};

fn page_path() -> String {
    format!("{}/messages", demo::PAGE_ID)
}

#[tokio::test]
async fn an_unknown_recipient_is_no_matching_user() {
    let env = env().await;
    let body = json!({"recipient": {"id": "123"}, "messaging_type": "RESPONSE", "message": {"text": "Hola"}});
    let (status, answer) = env.post(&page_path(), Some(demo::PAGE_TOKEN), &body).await;
    assert_eq!((status, code(&answer)), (400, 100));
    assert_eq!(answer["error"]["error_subcode"], 2018001);
}

#[tokio::test]
async fn text_limits_are_2000_characters_on_messenger_and_1000_bytes_on_instagram() {
    let env = env().await;
    let fb = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    fb.text("Hola").await.expect("delivered");
    let ig = env.sim.instagram_customer(demo::IG_ID).expect("account");
    ig.text("Hola").await.expect("delivered");
    let send = |to: &str, text: String| json!({"recipient": {"id": to}, "messaging_type": "RESPONSE", "message": {"text": text}});

    let (status, _) = env.post(&page_path(), Some(demo::PAGE_TOKEN), &send(fb.id(), "é".repeat(2000))).await;
    assert_eq!(status, 200);
    let (status, body) = env.post(&page_path(), Some(demo::PAGE_TOKEN), &send(fb.id(), "a".repeat(2001))).await;
    assert_eq!((status, code(&body)), (400, 100));

    let ig_path = format!("{}/messages", demo::IG_ID);
    let (status, body) = env.post(&ig_path, Some(demo::IG_TOKEN), &send(ig.id(), "a".repeat(1000))).await;
    assert_eq!(status, 200);
    assert!(body["message_id"].as_str().is_some_and(|m| !m.is_empty()));
    let (status, _) = env.post(&ig_path, Some(demo::IG_TOKEN), &send(ig.id(), "é".repeat(501))).await;
    assert_eq!(status, 400, "1002 bytes is over Instagram's limit");
}

#[tokio::test]
async fn attachments_go_by_url_or_by_uploaded_attachment_id() {
    let env = env().await;
    let fb = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    fb.text("Hola").await.expect("delivered");
    let upload = json!({"message": {"attachment": {"type": "image", "payload": {"url": "https://x/y.png", "is_reusable": true}}}});
    let (status, body) =
        env.post(&format!("{}/message_attachments", demo::PAGE_ID), Some(demo::PAGE_TOKEN), &upload).await;
    assert_eq!(status, 200, "{body}");
    let attachment_id = body["attachment_id"].as_str().expect("attachment_id").to_string();

    let send = |payload: Value| {
        json!({"recipient": {"id": fb.id()}, "messaging_type": "RESPONSE",
               "message": {"attachment": {"type": "image", "payload": payload}}})
    };
    let (status, _) =
        env.post(&page_path(), Some(demo::PAGE_TOKEN), &send(json!({"attachment_id": attachment_id}))).await;
    assert_eq!(status, 200);
    let (status, _) = env.post(&page_path(), Some(demo::PAGE_TOKEN), &send(json!({"url": "https://x/z.png"}))).await;
    assert_eq!(status, 200);
    let (status, _) = env.post(&page_path(), Some(demo::PAGE_TOKEN), &send(json!({"attachment_id": "42"}))).await;
    assert_eq!(status, 400);
    let (status, _) = env.post(&page_path(), Some(demo::PAGE_TOKEN), &send(json!({}))).await;
    assert_eq!(status, 400);

    let form = reqwest::multipart::Form::new()
        .text("recipient", json!({"id": fb.id()}).to_string())
        .text("messaging_type", "RESPONSE")
        .text("message", json!({"attachment": {"type": "file", "payload": {"is_reusable": false}}}).to_string())
        .part("filedata", reqwest::multipart::Part::bytes(vec![b'%', b'P', b'D', b'F']).file_name("a.pdf"));
    let res = env
        .http
        .post(format!("{}/{}", env.sim.graph_base(), page_path()))
        .bearer_auth(demo::PAGE_TOKEN)
        .multipart(form)
        .send()
        .await
        .expect("reachable");
    assert_eq!(res.status().as_u16(), 200, "multipart filedata sends work");
}

#[tokio::test]
async fn sender_actions_answer_the_recipient_only_inside_the_window() {
    let env = env().await;
    let fb = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    let mid = fb.text("Hola").await.expect("delivered").message_id.unwrap_or_default();
    for body in [
        json!({"recipient": {"id": fb.id()}, "sender_action": "mark_seen"}),
        json!({"recipient": {"id": fb.id()}, "sender_action": "typing_on"}),
        json!({"recipient": {"id": fb.id()}, "sender_action": "react", "payload": {"message_id": mid, "reaction": "love"}}),
    ] {
        let (status, answer) = env.post(&page_path(), Some(demo::PAGE_TOKEN), &body).await;
        assert_eq!(status, 200, "{body} → {answer}");
        assert_eq!(answer, json!({"recipient_id": fb.id()}));
    }
    let bad = json!({"recipient": {"id": fb.id()}, "sender_action": "dance"});
    assert_eq!(env.post(&page_path(), Some(demo::PAGE_TOKEN), &bad).await.0, 400);
    env.sim.advance_clock(std::time::Duration::from_secs(24 * 3600));
    let seen = json!({"recipient": {"id": fb.id()}, "sender_action": "mark_seen"});
    let (_, answer) = env.post(&page_path(), Some(demo::PAGE_TOKEN), &seen).await;
    assert_eq!(answer["error"]["error_subcode"], 2018278);
}

#[tokio::test]
async fn messenger_sends_get_delivery_read_and_optional_echo_webhooks() {
    let env = env_with(SimConfig::demo(SECRET).statuses(StatusPolicy::immediate()).echo_api_sends(true)).await;
    let fb = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    fb.text("Hola").await.expect("delivered");
    let body = json!({"recipient": {"id": fb.id()}, "messaging_type": "RESPONSE", "message": {"text": "¡Hola!"}});
    let (_, answer) = env.post(&page_path(), Some(demo::PAGE_TOKEN), &body).await;
    let mid = answer["message_id"].clone();
    let got = env.hooks.wait_for(4).await;
    let events: Vec<Value> = got[1..].iter().map(|r| r.json["entry"][0]["messaging"][0].clone()).collect();
    assert_eq!(events[0]["message"]["is_echo"], true);
    assert_eq!(events[0]["message"]["mid"], mid);
    assert_eq!(events[0]["sender"]["id"], demo::PAGE_ID);
    assert_eq!(events[1]["delivery"]["mids"][0], mid);
    assert!(events[2]["read"]["watermark"].is_i64());
}
