//! Voice notes on Instagram and Messenger: the WAV the UI records for Instagram reaches the customer;
//! recordings Instagram cannot play (WebM, Ogg) are refused before the 202, never failed later.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::{demo, SendOutcome};

on_both_stores!(
    wav_voice_note_reaches_instagram_and_messenger,
    recordings_a_channel_cannot_play_are_refused_before_the_202,
);

/// PCM 16-bit mono WAV, as the UI records for Instagram.
const WAV: &[u8] = include_bytes!("../../../media/tests/fixtures/sniff/tone.wav");
const WEBM_OPUS: &[u8] = include_bytes!("../../../media/tests/fixtures/chrome-opus-mono.webm");
const OGG_OPUS: &[u8] = include_bytes!("../../../media/tests/fixtures/sniff/tone-opus.ogg");

async fn upload(app: &TestApp, token: &str, bytes: &[u8], filename: &str, mime: &str) -> Value {
    let form =
        Form::new().part("file", Part::bytes(bytes.to_vec()).file_name(filename.to_string()).mime_str(mime).unwrap());
    let res = app.http.post(app.url("/api/v1/uploads")).bearer_auth(token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn conversation_of(app: &TestApp, token: &str, kind: &str) -> String {
    app.settle().await;
    let page = app.get_json(token, &format!("/api/v1/conversations?channel={kind}")).await;
    page["items"][0]["id"].as_str().unwrap().to_string()
}

async fn wav_voice_note_reaches_instagram_and_messenger(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let ig = app.sim.instagram_customer(demo::IG_ID).unwrap();
    ig.text("¿me mandas un audio?").await.unwrap();
    let fb = app.sim.messenger_customer(demo::PAGE_ID).unwrap();
    fb.text("¿y a mí?").await.unwrap();
    let wav = upload(&app, &acct.admin_token, WAV, "nota.wav", "audio/wav").await;
    assert_eq!((wav["mime"].as_str(), wav["kind"].as_str()), (Some("audio/wav"), Some("audio")), "{wav}");

    for (kind, customer, asset) in [("instagram", ig.id(), demo::IG_ID), ("messenger", fb.id(), demo::PAGE_ID)] {
        let id = conversation_of(&app, &acct.admin_token, kind).await;
        let res = app
            .post(
                &acct.admin_token,
                &format!("/api/v1/conversations/{id}/messages"),
                json!({"type": "audio", "upload_id": wav["id"]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED, "{kind}");
        let m: Value = res.json().await.unwrap();
        assert_eq!(m["kind"], "audio");
        assert_eq!(m["attachment"]["mime"], "audio/wav");
        assert_eq!(m["voice"], false, "only WhatsApp has voice notes as such");
        let m = app.verdict(&acct.admin_token, &id, m["id"].as_str().unwrap()).await;
        assert_eq!(m["status"], "read", "{kind}: {m}");
        // The simulator took the WAV and delivered it to the customer.
        let upload = app.sim.requests_to(&format!("/{asset}/message_attachments")).pop().expect("uploaded");
        let simulator::RecordedBody::Multipart(parts) = &upload.body else { panic!("multipart upload") };
        let file = parts.iter().find(|p| p.name == "filedata").expect("filedata");
        assert_eq!(file.content_type.as_deref(), Some("audio/wav"));
        assert_eq!(file.size, WAV.len());
        let sent = app.sim.sent_messages().into_iter().find(|s| s.recipient == customer).expect("sent");
        assert_eq!(sent.kind, "attachment");
        assert_eq!(sent.body["message"]["attachment"]["type"], "audio");
        assert_eq!(sent.outcome, SendOutcome::Delivered);
    }
}

async fn recordings_a_channel_cannot_play_are_refused_before_the_202(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    app.sim.instagram_customer(demo::IG_ID).unwrap().text("hola").await.unwrap();
    let ig = conversation_of(&app, &acct.admin_token, "instagram").await;
    let path = format!("/api/v1/conversations/{ig}/messages");
    let webm = upload(&app, &acct.admin_token, WEBM_OPUS, "grabacion.webm", "audio/webm").await;
    let ogg = upload(&app, &acct.admin_token, OGG_OPUS, "grabacion.ogg", "audio/ogg").await;
    for recording in [&webm, &ogg] {
        let res = app.post(&acct.admin_token, &path, json!({"type": "audio", "upload_id": recording["id"]})).await;
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unsupported_media_type", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("instagram") && message.contains("WAV"), "says what to record instead: {message}");
        // As a plain attachment it is refused too.
        let res = app.post(&acct.admin_token, &path, json!({"type": "attachment", "upload_id": recording["id"]})).await;
        assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "unsupported_media_type").await;
    }
    assert_eq!(app.messages(&acct.admin_token, &ig).await.len(), 1, "nothing stored");

    // WhatsApp plays no WAV: refused the same way, saying what it takes.
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    let wa = conversation_of(&app, &acct.admin_token, "whatsapp_cloud").await;
    let wav = upload(&app, &acct.admin_token, WAV, "nota.wav", "audio/wav").await;
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{wa}/messages"),
            json!({"type": "audio", "upload_id": wav["id"]}),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("WebM/Opus"), "{body}");
    assert_eq!(app.messages(&acct.admin_token, &wa).await.len(), 1, "nothing stored, so nothing can leave");
    assert!(
        app.sim.requests().iter().all(|r| !r.path.ends_with("/messages") && !r.path.ends_with("/message_attachments")),
        "nothing reached Meta"
    );
}
