//! Messenger and Instagram sends: validation, attachments, sender actions, statuses and echoes.

use inbox_simulator::{demo, samples, SimConfig, StatusPolicy};
use serde_json::{json, Value};

use crate::support::{code, env, env_with, Env, SECRET};

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

#[tokio::test]
async fn a_message_without_messaging_type_is_refused_but_sender_actions_need_none() {
    let env = env().await;
    let fb = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    fb.text("Hola").await.expect("delivered");
    let (status, answer) = env
        .post(&page_path(), Some(demo::PAGE_TOKEN), &json!({"recipient": {"id": fb.id()}, "message": {"text": "Hola"}}))
        .await;
    assert_eq!((status, code(&answer)), (400, 100), "{answer}");
    assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains("messaging_type")), "{answer}");
    assert!(env.sim.sent_messages().is_empty());
    let seen = json!({"recipient": {"id": fb.id()}, "sender_action": "mark_seen"});
    assert_eq!(env.post(&page_path(), Some(demo::PAGE_TOKEN), &seen).await.0, 200);
}

/// A multipart send of one file (`filedata`) as `kind`, with its declared type.
async fn send_file(
    env: &Env,
    path: &str,
    token: &str,
    to: &str,
    kind: &str,
    bytes: Vec<u8>,
    mime: &str,
) -> (u16, Value) {
    let form = reqwest::multipart::Form::new()
        .text("recipient", json!({"id": to}).to_string())
        .text("messaging_type", "RESPONSE")
        .text("message", json!({"attachment": {"type": kind, "payload": {"is_reusable": false}}}).to_string())
        .part("filedata", reqwest::multipart::Part::bytes(bytes).file_name("f").mime_str(mime).expect("mime"));
    let res = env
        .http
        .post(format!("{}/{path}", env.sim.graph_base()))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("reachable");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn attachment_files_follow_each_platforms_types_and_sizes() {
    let env = env().await;
    let fb = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    fb.text("Hola").await.expect("delivered");
    let ig = env.sim.instagram_customer(demo::IG_ID).expect("account");
    ig.text("Hola").await.expect("delivered");
    let fb_path = page_path();
    let ig_path = format!("{}/messages", demo::IG_ID);
    let mb = 1_000_000;
    let big = |n: usize, head: &[u8]| {
        let mut v = head.to_vec();
        v.resize(n, 0);
        v
    };
    // (platform, attachment type, file, declared MIME, expected HTTP status)
    type Case = (&'static str, &'static str, Vec<u8>, &'static str, u16);
    let cases: Vec<Case> = vec![
        // Messenger: anything as a file, up to 25 MB; audio must be declared audio.
        ("messenger", "file", big(25 * mb, b"PK"), "application/zip", 200),
        ("messenger", "file", big(25 * mb + 1, b"PK"), "application/zip", 400),
        ("messenger", "audio", samples::ogg_opus(), "audio/ogg", 200),
        ("messenger", "audio", samples::pdf(), "application/pdf", 400),
        ("messenger", "image", samples::pdf(), "application/pdf", 400),
        // Instagram: its own list; images up to 8 MB, GIFs included; PDF the only file.
        ("instagram", "image", big(8 * mb, b"\x89PNG"), "image/png", 200),
        ("instagram", "image", big(8 * mb + 1, b"\x89PNG"), "image/png", 400),
        ("instagram", "image", b"GIF89a".to_vec(), "image/gif", 200),
        ("instagram", "image", samples::webp(), "image/webp", 400),
        ("instagram", "video", samples::mp4(), "video/mp4", 200),
        ("instagram", "video", samples::mp4(), "video/x-matroska", 400),
        ("instagram", "audio", b"RIFF\0\0\0\0WAVE".to_vec(), "audio/wav", 200),
        ("instagram", "audio", samples::ogg_opus(), "audio/ogg", 400),
        ("instagram", "file", samples::pdf(), "application/pdf", 200),
        ("instagram", "file", big(100, b"PK"), "application/zip", 400),
    ];
    for (platform, kind, bytes, mime, expected) in cases {
        let (path, token, to) = match platform {
            "messenger" => (fb_path.as_str(), demo::PAGE_TOKEN, fb.id()),
            _ => (ig_path.as_str(), demo::IG_TOKEN, ig.id()),
        };
        let size = bytes.len();
        let (status, answer) = send_file(&env, path, token, to, kind, bytes, mime).await;
        assert_eq!(status, expected, "{platform} {kind} {mime} of {size} bytes: {answer}");
        if status == 400 {
            assert_eq!(answer["error"]["error_subcode"], 2018047, "{answer}");
        }
    }
    let accepted = env.sim.sent_messages().len();
    assert_eq!(accepted, 7, "refused files sent nothing");

    // The Attachment Upload API checks the same way.
    let form = reqwest::multipart::Form::new()
        .text("message", json!({"attachment": {"type": "audio", "payload": {"is_reusable": true}}}).to_string())
        .part(
            "filedata",
            reqwest::multipart::Part::bytes(samples::ogg_opus())
                .file_name("a.ogg")
                .mime_str("audio/ogg")
                .expect("mime"),
        );
    let res = env
        .http
        .post(format!("{}/{}/message_attachments", env.sim.graph_base(), demo::IG_ID))
        .bearer_auth(demo::IG_TOKEN)
        .multipart(form)
        .send()
        .await
        .expect("reachable");
    assert_eq!(res.status().as_u16(), 400, "Instagram takes no Ogg");
}
