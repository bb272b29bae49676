//! Uploads, attachments and voice notes: types decided by content, channel limits checked before
//! sending, browser recordings arriving at WhatsApp as Ogg/Opus voice notes.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;
use std::time::Duration;

on_both_stores!(
    uploads_are_typed_by_content_and_executables_refused,
    image_attachment_goes_to_whatsapp_media_then_messages,
    file_over_the_channel_limit_is_refused_before_sending,
    chrome_recording_arrives_as_an_ogg_opus_voice_note,
    messenger_attachment_is_uploaded_and_sent_by_id,
);

const CHROME_WEBM: &[u8] = include_bytes!("../../../media/tests/fixtures/chrome-opus-mono.webm");

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>, filename: &str, mime: &str) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(filename.to_string()).mime_str(mime).unwrap());
    app.http.post(app.url("/api/v1/uploads")).bearer_auth(token).multipart(form).send().await.unwrap()
}

async fn uploaded(app: &TestApp, token: &str, bytes: Vec<u8>, filename: &str, mime: &str) -> Value {
    let res = upload(app, token, bytes, filename, mime).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn open_conversation(app: &TestApp, token: &str) -> String {
    app.sim
        .whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678")
        .unwrap()
        .text("¿me mandas la foto?")
        .await
        .unwrap();
    app.settle().await;
    app.only_conversation(token).await["id"].as_str().unwrap().to_string()
}

async fn uploads_are_typed_by_content_and_executables_refused(app: TestApp) {
    let acct = app.full_account().await;
    let png = uploaded(&app, &acct.admin_token, simulator::samples::png(), "foto.jpg", "image/jpeg").await;
    assert_eq!(png["mime"], "image/png", "the bytes say PNG, whatever the name and declared type say");
    assert_eq!(png["kind"], "image");
    let pdf = uploaded(&app, &acct.admin_token, simulator::samples::pdf(), "cotización.pdf", "application/pdf").await;
    assert_eq!((pdf["mime"].as_str(), pdf["filename"].as_str()), (Some("application/pdf"), Some("cotización.pdf")));
    let elf = std::fs::read(std::env::current_exe().unwrap()).unwrap()[..4096].to_vec();
    let res = upload(&app, &acct.admin_token, elf, "factura.pdf", "application/pdf").await;
    assert_error(res, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let form = Form::new().text("other", "x");
    let res =
        app.http.post(app.url("/api/v1/uploads")).bearer_auth(&acct.admin_token).multipart(form).send().await.unwrap();
    assert_error(res, StatusCode::BAD_REQUEST, "invalid_upload").await;
    let res = app.http.post(app.url("/api/v1/uploads")).multipart(Form::new().text("file", "x")).send().await.unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn image_attachment_goes_to_whatsapp_media_then_messages(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let id = open_conversation(&app, &acct.admin_token).await;
    let png = uploaded(&app, &acct.admin_token, simulator::samples::png(), "modelo.png", "image/png").await;
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "attachment", "upload_id": png["id"], "caption": "Aquí está"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["kind"], "image");
    assert_eq!(m["attachment"]["status"], "ready", "the agent sees their own file at once");
    let sends = app.wait_for_sends(1).await;
    let uploads = app.sim.requests_to("/media");
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].path, format!("/v24.0/{}/media", demo::CLOUD_PHONE_NUMBER_ID));
    let body = sends[0].json();
    assert_eq!(body["type"], "image");
    assert_eq!(body["image"]["caption"], "Aquí está");
    assert!(body["image"]["id"].is_string(), "{body}");
    let bytes = app.get(&acct.admin_token, m["attachment"]["url"].as_str().unwrap()).await.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), simulator::samples::png().as_slice());
}

async fn file_over_the_channel_limit_is_refused_before_sending(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let id = open_conversation(&app, &acct.admin_token).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    // WhatsApp images: at most 5 MB. A PNG of exactly 5 MB passes; one byte more does not.
    let mut at_limit = simulator::samples::png();
    at_limit.resize(5_000_000, 0);
    let mut over = at_limit.clone();
    over.push(0);
    let ok = uploaded(&app, &acct.admin_token, at_limit, "grande.png", "image/png").await;
    let too_big = uploaded(&app, &acct.admin_token, over, "enorme.png", "image/png").await;
    assert_error(
        app.post(&acct.admin_token, &path, json!({"type": "attachment", "upload_id": too_big["id"]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "media_too_large",
    )
    .await;
    let zip = uploaded(
        &app,
        &acct.admin_token,
        b"PK\x03\x04 not really a zip but zip magic".to_vec(),
        "fotos.zip",
        "application/zip",
    )
    .await;
    assert_error(
        app.post(&acct.admin_token, &path, json!({"type": "attachment", "upload_id": zip["id"]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unsupported_media_type",
    )
    .await;
    assert_error(
        app.post(&acct.admin_token, &path, json!({"type": "attachment", "upload_id": uuid::Uuid::now_v7()})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "upload_not_found",
    )
    .await;
    let other = app.full_account().await;
    let theirs = uploaded(&app, &other.admin_token, simulator::samples::png(), "ajena.png", "image/png").await;
    assert_error(
        app.post(&acct.admin_token, &path, json!({"type": "attachment", "upload_id": theirs["id"]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "upload_not_found",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.sim.requests_to("/media").is_empty(), "nothing left for Meta");
    assert_eq!(
        app.post(&acct.admin_token, &path, json!({"type": "attachment", "upload_id": ok["id"]})).await.status(),
        StatusCode::ACCEPTED
    );
}

async fn chrome_recording_arrives_as_an_ogg_opus_voice_note(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let id = open_conversation(&app, &acct.admin_token).await;
    let rec = uploaded(&app, &acct.admin_token, CHROME_WEBM.to_vec(), "grabacion.webm", "audio/webm;codecs=opus").await;
    assert_eq!(rec["kind"], "audio");
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "audio", "upload_id": rec["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["voice"], true);
    assert_eq!(m["attachment"]["mime"], "audio/ogg; codecs=opus");
    let sends = app.wait_for_sends(1).await;
    let body = sends[0].json();
    assert_eq!(body["type"], "audio");
    assert_eq!(body["audio"]["voice"], true);
    let upload = &app.sim.requests_to("/media")[0];
    assert_eq!(upload.part("type").and_then(|p| p.text.clone()).as_deref(), Some("audio/ogg; codecs=opus"));
    // Fetch what WhatsApp received and parse it: a valid Ogg/Opus file with the recording's length.
    let media_id = body["audio"]["id"].as_str().unwrap();
    let client = reqwest::Client::new();
    let info: Value = client
        .get(format!("{}/{media_id}", app.sim.graph_base()))
        .bearer_auth(demo::CLOUD_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bytes = client
        .get(info["url"].as_str().unwrap())
        .bearer_auth(demo::CLOUD_TOKEN)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let ogg = media::voice::validate_ogg_opus(&bytes).expect("valid Ogg/Opus");
    assert!((2300..=2700).contains(&ogg.duration_ms), "{} ms", ogg.duration_ms);
    let sent = crate::outbound_wait(&app, &acct.admin_token, &id, m["id"].as_str().unwrap()).await;
    assert_ne!(sent["status"], "failed", "{sent}");
}

async fn messenger_attachment_is_uploaded_and_sent_by_id(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    app.sim.messenger_customer(demo::PAGE_ID).unwrap().text("¿tienes catálogo?").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let pdf = uploaded(&app, &acct.admin_token, simulator::samples::pdf(), "catalogo.pdf", "application/pdf").await;
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "attachment", "upload_id": pdf["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let sends = app.wait_for_sends(1).await;
    let body = sends[0].json();
    assert_eq!(body["messaging_type"], "RESPONSE");
    assert_eq!(body["message"]["attachment"]["type"], "file");
    assert!(body["message"]["attachment"]["payload"]["attachment_id"].is_string(), "{body}");
    assert_eq!(app.sim.requests_to("/message_attachments").len(), 1);
}
