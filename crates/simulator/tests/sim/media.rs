//! Media upload, retrieval and download; voice notes.

use inbox_simulator::payloads::WaStatusKind;
use inbox_simulator::{samples, SendOutcome};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::support::{code, env, Env, MARIA, NUMBER, TOKEN};

async fn upload(env: &Env, bytes: Vec<u8>, mime: &str) -> (u16, Value) {
    let form = Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", mime.to_string())
        .part("file", Part::bytes(bytes).file_name("file.bin").mime_str(mime).expect("mime"));
    let res = env
        .http
        .post(format!("{}/{NUMBER}/media", env.sim.graph_base()))
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .expect("reachable");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_upload_is_retrievable_and_downloadable_with_the_token() {
    let env = env().await;
    let png = samples::png();
    let (status, body) = upload(&env, png.clone(), "image/png").await;
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_str().expect("id").to_string();

    let recorded = env.sim.requests_to(&format!("{NUMBER}/media"));
    let file = recorded[0].part("file").expect("file part");
    assert_eq!((file.size, file.content_type.as_deref()), (png.len(), Some("image/png")));
    assert_eq!(recorded[0].part("type").and_then(|p| p.text.as_deref()), Some("image/png"));

    let (status, info) = env.get(&id, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(info["id"], id.as_str());
    assert_eq!(info["mime_type"], "image/png");
    assert_eq!(info["file_size"], png.len());
    assert_eq!(info["messaging_product"], "whatsapp");
    assert_eq!(info["sha256"].as_str().map(str::len), Some(64));
    let url = info["url"].as_str().expect("url").to_string();

    let without = env.http.get(&url).send().await.expect("reachable");
    assert_eq!(without.status().as_u16(), 401);
    let with = env.http.get(&url).bearer_auth(TOKEN).send().await.expect("reachable");
    assert_eq!(with.status().as_u16(), 200);
    assert_eq!(with.headers()["content-type"], "image/png");
    assert_eq!(with.bytes().await.expect("bytes").to_vec(), png);

    env.sim.advance_clock(std::time::Duration::from_secs(5 * 60));
    let expired = env.http.get(&url).bearer_auth(TOKEN).send().await.expect("reachable");
    assert_eq!(expired.status().as_u16(), 404, "media URLs live five minutes");
}

#[tokio::test]
async fn unsupported_upload_types_are_refused() {
    let env = env().await;
    for mime in ["audio/webm", "audio/opus", "image/gif"] {
        let (status, body) = upload(&env, vec![1, 2, 3], mime).await;
        assert_eq!((status, code(&body)), (400, 100), "{mime}");
    }
    let (status, _) = upload(&env, vec![0; 5 * 1024 * 1024 + 1], "image/jpeg").await;
    assert_eq!(status, 400, "images are limited to 5 MB");
}

fn voice(id: &str) -> Value {
    json!({"messaging_product": "whatsapp", "to": MARIA, "type": "audio", "audio": {"id": id, "voice": true}})
}

#[tokio::test]
async fn a_voice_note_needs_ogg_opus_uploaded_as_such() {
    let env = env().await;
    env.maria_writes().await;
    let (_, ok) = upload(&env, samples::ogg_opus(), "audio/ogg; codecs=opus").await;
    let (status, body) = env.wa_send(voice(ok["id"].as_str().unwrap_or_default())).await;
    assert_eq!(status, 200, "{body}");

    let (_, plain) = upload(&env, samples::ogg_opus(), "audio/ogg").await;
    let (status, body) = env.wa_send(voice(plain["id"].as_str().unwrap_or_default())).await;
    assert_eq!((status, code(&body)), (400, 131053), "{body}");

    let (_, mp3) = upload(&env, vec![0xFF, 0xFB, 0x90, 0x00], "audio/mpeg").await;
    let id = mp3["id"].as_str().unwrap_or_default();
    let (status, body) = env.wa_send(voice(id)).await;
    assert_eq!((status, code(&body)), (400, 131053));
    let (status, _) =
        env.wa_send(json!({"messaging_product": "whatsapp", "to": MARIA, "type": "audio", "audio": {"id": id}})).await;
    assert_eq!(status, 200, "the same file is fine as plain audio");
}

#[tokio::test]
async fn media_sends_check_ids_types_and_captions() {
    let env = env().await;
    env.maria_writes().await;
    let (_, png) = upload(&env, samples::png(), "image/png").await;
    let png_id = png["id"].as_str().unwrap_or_default();
    let send =
        |kind: &str, object: Value| json!({"messaging_product": "whatsapp", "to": MARIA, "type": kind, kind: object});

    let (status, _) = env.wa_send(send("image", json!({"id": png_id, "caption": "Foto"}))).await;
    assert_eq!(status, 200);
    let (status, _) = env.wa_send(send("document", json!({"id": png_id, "filename": "a.png"}))).await;
    assert_eq!(status, 200, "anything can be sent as a document");
    let (status, _) = env.wa_send(send("image", json!({"link": "https://example.com/a.jpg"}))).await;
    assert_eq!(status, 200);

    let (_, body) = env.wa_send(send("image", json!({"id": "123456"}))).await;
    assert_eq!(code(&body), 131009);
    let (_, body) = env.wa_send(send("video", json!({"id": png_id}))).await;
    assert_eq!(code(&body), 131053);
    let (_, body) = env.wa_send(send("image", json!({"id": png_id, "link": "https://x/y.png"}))).await;
    assert_eq!(code(&body), 100);
    let (_, body) = env.wa_send(send("image", json!({"id": png_id, "caption": "c".repeat(1025)}))).await;
    assert_eq!(code(&body), 100);
    let (_, body) = env.wa_send(send("image", json!({}))).await;
    assert_eq!(code(&body), 100);
}

#[tokio::test]
async fn stickers_are_512_square_webp_within_100_kb_static_or_500_kb_animated() {
    let env = env().await;
    env.maria_writes().await;
    let sticker =
        |id: &str| json!({"messaging_product": "whatsapp", "to": MARIA, "type": "sticker", "sticker": {"id": id}});
    let cases = [
        (samples::webp_sticker(512, 512, false, 100 * 1024), None),
        (samples::webp_sticker(512, 512, false, 100 * 1024 + 2), Some(131053)),
        (samples::webp_sticker(512, 512, true, 500 * 1024), None),
        (samples::webp_sticker(512, 512, true, 100 * 1024 + 2), None),
        (samples::webp_sticker(256, 256, false, 2_000), Some(131053)),
        (samples::webp(), Some(131053)),
    ];
    for (i, (bytes, fails_with)) in cases.into_iter().enumerate() {
        let (status, up) = upload(&env, bytes, "image/webp").await;
        assert_eq!(status, 200, "case {i}: {up}");
        let (status, body) = env.wa_send(sticker(up["id"].as_str().unwrap_or_default())).await;
        assert_eq!(status, 200, "case {i}: accepted, judged when WhatsApp processes it: {body}");
        let sent = env.sim.sent_messages().pop().expect("recorded");
        let expected = fails_with.map_or(SendOutcome::Delivered, |code| SendOutcome::Failed { code });
        assert_eq!(sent.outcome, expected, "case {i}");
    }
    let (status, body) = upload(&env, samples::webp_sticker(512, 512, true, 500 * 1024 + 2), "image/webp").await;
    assert_eq!((status, code(&body)), (400, 100), "no WebP over 500 KB is taken at all");
    // The failure arrives as a status webhook with Meta's code.
    let failed = env.sim.sent_messages().into_iter().find(|s| s.outcome != SendOutcome::Delivered).expect("one");
    env.sim.emit_status(&failed.id, WaStatusKind::Failed).await.expect("delivered");
    let statuses = env.hooks.statuses();
    let status = statuses.iter().find(|s| s["id"] == failed.id.as_str()).expect("the failed status");
    assert_eq!(status["status"], "failed");
    assert_eq!(status["errors"][0]["code"], 131053);
}

#[tokio::test]
async fn deleted_media_is_gone() {
    let env = env().await;
    let (_, body) = upload(&env, samples::pdf(), "application/pdf").await;
    let id = body["id"].as_str().unwrap_or_default();
    let res = env.http.delete(format!("{}/{id}", env.sim.graph_base())).bearer_auth(TOKEN).send().await.expect("up");
    assert_eq!(res.json::<Value>().await.ok(), Some(json!({"success": true})));
    let (status, body) = env.get(id, Some(TOKEN)).await;
    assert_eq!((status, code(&body)), (400, 100));
}
