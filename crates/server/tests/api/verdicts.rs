//! Meta's verdict on what we send: every kind of send on every channel that has it is followed past the
//! API's `202` and past Meta's answer to the last status webhook the simulator emits for it, and must end
//! `read` (`played` for a voice note) — or `failed` with Meta's code where Meta's rules say so. Checking
//! only the request we built would let every layer pass while the customer gets nothing.

use crate::harness::{assert_error, on_both_stores, on_both_stores_with, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::{demo, Fault, SendOutcome, StatusPolicy};
use std::time::Duration;

on_both_stores!(
    every_send_kind_reaches_the_customer_on_every_channel,
    a_reply_queued_before_the_window_closed_fails_with_131047_when_it_leaves_after,
    rate_limits_are_retried_into_exactly_one_delivered_message,
    a_send_whose_answer_a_gateway_lost_is_failed_as_uncertain_never_resent,
);
on_both_stores_with!(short_graph_timeout => a_send_meta_never_answers_is_failed_as_uncertain_never_resent);

const WEBM_OPUS: &[u8] = include_bytes!("../../../media/tests/fixtures/chrome-opus-mono.webm");
const WAV: &[u8] = include_bytes!("../../../media/tests/fixtures/sniff/tone.wav");
const MP4: &[u8] = include_bytes!("../../../media/tests/fixtures/sniff/clip.mp4");
const MP3: &[u8] = include_bytes!("../../../media/tests/fixtures/sniff/tone.mp3");
const M4A: &[u8] = include_bytes!("../../../media/tests/fixtures/sniff/tone.m4a");

/// The other WhatsApp customer, who writes to the Business App (coexistence) number.
const APP_CUSTOMER: &str = "5215587654321";
const CLOUD_CUSTOMER: &str = "5215512345678";

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>, filename: &str) -> String {
    use reqwest::multipart::{Form, Part};
    let form = Form::new().part("file", Part::bytes(bytes).file_name(filename.to_string()));
    let res = app.http.post(app.url("/api/v1/uploads")).bearer_auth(token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "uploading {filename}");
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

/// The conversation of a channel kind (each customer below writes once).
async fn conversation(app: &TestApp, token: &str, kind: &str) -> (String, Value) {
    let page = app.get_json(token, &format!("/api/v1/conversations?channel={kind}")).await;
    let id = page["items"][0]["id"].as_str().unwrap_or_else(|| panic!("no {kind} conversation")).to_string();
    let first = app.messages(token, &id).await[0].clone();
    (id, first)
}

async fn every_send_kind_reaches_the_customer_on_every_channel(app: TestApp) {
    app.sim.set_status_policy(StatusPolicy::immediate());
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let channels = app.connect_demo_channels(token).await;
    for channel in [&channels.cloud, &channels.app] {
        let res = app
            .post(token, &format!("/api/v1/channels/{}/templates/sync", channel["id"].as_str().unwrap()), json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, CLOUD_CUSTOMER).unwrap().text("Hola").await.unwrap();
    app.sim.whatsapp_customer(demo::APP_PHONE_NUMBER_ID, APP_CUSTOMER).unwrap().text("Hola").await.unwrap();
    let fb = app.sim.messenger_customer(demo::PAGE_ID).unwrap();
    fb.text("Hola").await.unwrap();
    let ig = app.sim.instagram_customer(demo::IG_ID).unwrap();
    ig.text("Hola").await.unwrap();
    app.settle().await;

    let png = upload(&app, token, simulator::samples::png(), "foto.png").await;
    let mp4 = upload(&app, token, MP4.to_vec(), "video.mp4").await;
    let mp3 = upload(&app, token, MP3.to_vec(), "audio.mp3").await;
    let m4a = upload(&app, token, M4A.to_vec(), "audio.m4a").await;
    let pdf = upload(&app, token, simulator::samples::pdf(), "catalogo.pdf").await;
    let sticker = upload(&app, token, simulator::samples::webp_sticker(512, 512, false, 20_000), "sticker.webp").await;
    let webm = upload(&app, token, WEBM_OPUS.to_vec(), "nota.webm").await;
    let wav = upload(&app, token, WAV.to_vec(), "nota.wav").await;
    let header = upload(&app, token, simulator::samples::png(), "pedido.png").await;
    let mut quick_replies = vec![];
    for body in [
        json!({"shortcut": "horario", "title": "Horario", "text": "Abrimos de 9 a 18 h."}),
        json!({"shortcut": "catalogo", "title": "Catálogo", "text": "Te comparto el catálogo", "upload_id": pdf}),
    ] {
        let res = app.post(token, "/api/v1/quick_replies", body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        quick_replies.push(res.json::<Value>().await.unwrap()["id"].clone());
    }

    // (what, send body) per channel; `reply_to` is filled with the customer's message.
    let common = |first: &Value| {
        vec![
            ("text", json!({"type": "text", "text": "¡Hola! ¿En qué te ayudo?"})),
            ("reply", json!({"type": "text", "text": "Sobre esto:", "reply_to": first["id"]})),
            ("image", json!({"type": "attachment", "upload_id": png})),
            ("video", json!({"type": "attachment", "upload_id": mp4})),
            ("document", json!({"type": "attachment", "upload_id": pdf})),
            ("quick reply", json!({"type": "quick_reply", "quick_reply_id": quick_replies[0]})),
            ("quick reply with a file", json!({"type": "quick_reply", "quick_reply_id": quick_replies[1]})),
        ]
    };
    let whatsapp = |first: &Value| {
        let mut cases = common(first);
        cases.extend([
            ("captioned image", json!({"type": "attachment", "upload_id": png, "caption": "Mira", "reply_to": first["id"]})),
            ("audio", json!({"type": "attachment", "upload_id": mp3})),
            ("sticker", json!({"type": "attachment", "upload_id": sticker})),
            ("voice note", json!({"type": "audio", "upload_id": webm})),
            ("contact request", json!({"type": "contact_request", "text": "¿Nos compartes tu número?"})),
            (
                "template",
                json!({"type": "template", "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": ["Ana"]}}),
            ),
            (
                "template with a header image",
                json!({"type": "template", "template": {"name": "seguimiento_pedido", "language": "es_MX"},
                    "parameters": {"header": {"type": "image", "upload_id": header}, "body": ["Ana", "A-100"],
                        "buttons": [{"index": 0, "text": "A-100"}]}}),
            ),
        ]);
        cases
    };
    let social = |first: &Value, audio: &str| {
        let mut cases = common(first);
        cases.extend([
            ("audio", json!({"type": "attachment", "upload_id": audio})),
            ("voice note", json!({"type": "audio", "upload_id": wav})),
        ]);
        cases
    };

    let mut sent = vec![];
    for kind in ["whatsapp_cloud", "whatsapp_business_app", "messenger", "instagram"] {
        let (id, first) = conversation(&app, token, kind).await;
        let cases = match kind {
            "messenger" => social(&first, &m4a),
            "instagram" => social(&first, &m4a),
            _ => whatsapp(&first),
        };
        for (what, body) in cases {
            let res = app.post(token, &format!("/api/v1/conversations/{id}/messages"), body).await;
            let status = res.status();
            let m: Value = res.json().await.unwrap();
            assert_eq!(status, StatusCode::ACCEPTED, "{kind} {what}: {m}");
            sent.push((format!("{kind} {what}"), id.clone(), m["id"].as_str().unwrap().to_string()));
        }
    }
    for (what, conversation, message) in &sent {
        let m = app.verdict(token, conversation, message).await;
        let expected = if what.ends_with("voice note") && what.starts_with("whatsapp") { "played" } else { "read" };
        assert_eq!(m["status"], expected, "{what}: {m}");
        assert!(m["error"].is_null(), "{what}: {m}");
        assert!(m["external_id"].is_string(), "{what}: {m}");
    }
    // Everything outbound, the second message of a quick reply with a file included, reached the customer.
    for kind in ["whatsapp_cloud", "whatsapp_business_app", "messenger", "instagram"] {
        let (id, _) = conversation(&app, token, kind).await;
        for m in app.messages(token, &id).await.into_iter().filter(|m| m["direction"] == "outbound") {
            let m = app.verdict(token, &id, m["id"].as_str().unwrap()).await;
            assert!(matches!(m["status"].as_str(), Some("read" | "played")), "{kind}: {m}");
        }
    }
    let outcomes: Vec<_> = app.sim.sent_messages().into_iter().map(|s| (s.kind, s.outcome)).collect();
    assert!(outcomes.iter().all(|(_, o)| *o == SendOutcome::Delivered), "{outcomes:?}");

    // Reactions are shown on their target, not as rows: their verdict is the simulator's, and the target.
    for (kind, number, customer) in [
        ("whatsapp_cloud", demo::CLOUD_PHONE_NUMBER_ID, CLOUD_CUSTOMER),
        ("whatsapp_business_app", demo::APP_PHONE_NUMBER_ID, APP_CUSTOMER),
    ] {
        let (id, first) = conversation(&app, token, kind).await;
        let res = app
            .post(
                token,
                &format!("/api/v1/conversations/{id}/messages"),
                json!({"type": "reaction", "message_id": first["id"], "emoji": "👍"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED, "{kind}");
        let reaction = wait_for_sent(&app, |s| s.kind == "reaction" && s.recipient == customer).await;
        assert_eq!(reaction.body["reaction"]["message_id"], first["external_id"], "{kind} via {number}");
        assert!(app.sim.wait_statuses_posted(Duration::from_secs(10)).await);
        app.settle().await;
        assert_eq!(app.sim.final_status(&reaction.id), Some(simulator::payloads::WaStatusKind::Read), "{kind}");
        assert_eq!(
            app.message(token, &id, first["id"].as_str().unwrap()).await["reactions"],
            json!([{"actor": "business", "emoji": "👍"}])
        );
    }
    let (ig_conv, ig_first) = conversation(&app, token, "instagram").await;
    let before = app.sim.requests_to("/messages").len();
    let res = app
        .post(
            token,
            &format!("/api/v1/conversations/{ig_conv}/messages"),
            json!({"type": "reaction", "message_id": ig_first["id"], "emoji": "❤️"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let sends = app.wait_for_sends(before + 1).await;
    assert!(sends.iter().any(|r| r.json()["sender_action"] == "react" && r.json()["recipient"]["id"] == ig.id()));
    let (fb_conv, fb_first) = conversation(&app, token, "messenger").await;
    assert_error(
        app.post(
            token,
            &format!("/api/v1/conversations/{fb_conv}/messages"),
            json!({"type": "reaction", "message_id": fb_first["id"], "emoji": "👍"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unsupported_by_channel",
    )
    .await;
}

/// Waits (bounded) until the simulator accepted a send matching `pick`.
async fn wait_for_sent(app: &TestApp, pick: impl Fn(&simulator::SentMessage) -> bool) -> simulator::SentMessage {
    for _ in 0..400 {
        if let Some(s) = app.sim.sent_messages().into_iter().find(|s| pick(s)) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the simulator never accepted such a send");
}

/// A customer who wrote at the start; the conversation id and the sends path.
async fn whatsapp_conversation(app: &TestApp, token: &str) -> (String, String) {
    app.connect_demo_channels(token).await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, CLOUD_CUSTOMER).unwrap().text("Hola").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(token).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/conversations/{id}/messages");
    (id, path)
}

async fn a_reply_queued_before_the_window_closed_fails_with_131047_when_it_leaves_after(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let (id, path) = whatsapp_conversation(&app, token).await;
    // A minute before the window closes, for us and for Meta.
    let almost = Duration::from_secs(24 * 3600 - 60);
    app.clock.advance(almost);
    app.sim.advance_clock(almost);
    // Meta is slow and then fails the first attempt (a 504 with its transient error: retried)...
    app.sim.fail_next(1, Fault::Timeout(Duration::from_millis(500)));
    let res = app.post(token, &path, json!({"type": "text", "text": "¿Sigues ahí?"})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "the window is still open");
    let queued: Value = res.json().await.unwrap();
    // ...and while it holds the first attempt, the window closes: the retry leaves after 24 h.
    app.wait_for_sends(1).await;
    app.clock.advance(Duration::from_secs(90));
    app.sim.advance_clock(Duration::from_secs(90));
    let m = app.verdict(token, &id, queued["id"].as_str().unwrap()).await;
    assert_eq!(m["status"], "failed", "{m}");
    assert_eq!(m["error"]["code"], "131047", "Meta's code, from the failed status webhook: {m}");
    assert!(m["error"]["message"].as_str().is_some_and(|r| r.contains("24 hours")), "{m}");
    assert!(m["external_id"].as_str().is_some_and(|e| e.starts_with("wamid.")), "Meta accepted it first: {m}");
    let sent = app.sim.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].outcome, SendOutcome::Failed { code: 131047 });
    let c = app.get_json(token, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(c["window"]["state"], "closed");
}

async fn rate_limits_are_retried_into_exactly_one_delivered_message(app: TestApp) {
    app.sim.set_status_policy(StatusPolicy::immediate());
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let (wa, wa_path) = whatsapp_conversation(&app, token).await;
    let fb = app.sim.messenger_customer(demo::PAGE_ID).unwrap();
    fb.text("Hola").await.unwrap();
    app.settle().await;
    let (fb_conv, _) = conversation(&app, token, "messenger").await;
    // WhatsApp's throughput limit is 130429; Messenger's rate limit is 613.
    for (conversation, path, text) in [
        (wa.as_str(), wa_path.clone(), "reintento por WhatsApp"),
        (fb_conv.as_str(), format!("/api/v1/conversations/{fb_conv}/messages"), "reintento por Messenger"),
    ] {
        app.sim.clear_requests();
        app.sim.fail_next(2, Fault::RateLimit);
        let res = app.post(token, &path, json!({"type": "text", "text": text})).await;
        let m: Value = res.json().await.unwrap();
        let m = app.verdict(token, conversation, m["id"].as_str().unwrap()).await;
        assert_eq!(m["status"], "read", "{m}");
        assert_eq!(app.sim.requests_to("/messages").len(), 3, "{text}: two refusals, then one success");
        let delivered: Vec<_> = app
            .sim
            .sent_messages()
            .into_iter()
            .filter(|s| s.body["text"]["body"] == text || s.body["message"]["text"] == text)
            .collect();
        assert_eq!(delivered.len(), 1, "{text}: the customer got it once");
    }
}

async fn a_send_whose_answer_a_gateway_lost_is_failed_as_uncertain_never_resent(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let (id, path) = whatsapp_conversation(&app, token).await;
    // Meta delivers, then a gateway answers a bare 504: we cannot know it arrived.
    app.sim.fail_next(1, Fault::TimeoutAfterDelivery(Duration::from_millis(20)));
    let res = app.post(token, &path, json!({"type": "text", "text": "¿llegó?"})).await;
    let m: Value = res.json().await.unwrap();
    let m = app.verdict(token, &id, m["id"].as_str().unwrap()).await;
    assert_eq!(m["status"], "failed", "{m}");
    assert_eq!(m["error"]["title"], "delivery uncertain", "{m}");
    assert!(m["error"]["message"].as_str().is_some_and(|r| r.contains("Check with the customer")), "{m}");
    assert_eq!(app.sim.sent_messages().len(), 1, "the customer got it once");
    assert_eq!(
        app.sim.requests_to("/messages").iter().filter(|r| r.json().get("status").is_none()).count(),
        1,
        "never resent"
    );
}

/// Meta's answer must come within 2 s here, so a held send times out quickly.
fn short_graph_timeout(config: &mut server::config::Config) {
    config.graph_timeout = Duration::from_secs(2);
}

async fn a_send_meta_never_answers_is_failed_as_uncertain_never_resent(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let (id, path) = whatsapp_conversation(&app, token).await;
    // Meta delivers, then holds the answer past our timeout.
    app.sim.fail_next(1, Fault::TimeoutAfterDelivery(Duration::from_secs(4)));
    let res = app.post(token, &path, json!({"type": "text", "text": "¿y este?"})).await;
    let m: Value = res.json().await.unwrap();
    let m = app.verdict(token, &id, m["id"].as_str().unwrap()).await;
    assert_eq!(m["status"], "failed", "{m}");
    assert_eq!(m["error"]["title"], "delivery uncertain", "{m}");
    assert_eq!(app.sim.sent_messages().len(), 1, "the customer got it once");
    assert!(app.sim.wait_idle(Duration::from_secs(10)).await, "the held request ends");
    let sends = app.sim.requests_to("/messages").into_iter().filter(|r| r.json().get("status").is_none()).count();
    assert_eq!(sends, 1, "never resent");
}
