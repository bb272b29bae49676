//! Uploads, attachments and voice notes: types decided by content, channel limits checked before
//! sending, browser recordings arriving at WhatsApp as Ogg/Opus voice notes.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;

on_both_stores!(
    uploads_are_typed_by_content_and_executables_refused,
    image_attachment_goes_to_whatsapp_media_then_messages,
    file_over_the_channel_limit_is_refused_before_sending,
    chrome_recording_arrives_as_an_ogg_opus_voice_note,
    messenger_attachment_is_uploaded_and_sent_by_id,
    a_gif_is_refused_for_whatsapp_before_the_202_and_reaches_messenger_as_an_image,
    whatsapp_stickers_are_judged_by_their_size_and_dimensions_before_the_202,
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
    assert_eq!(
        app.messages(&acct.admin_token, &id).await.len(),
        1,
        "the refusals stored nothing, so nothing can leave"
    );
    let res = app.post(&acct.admin_token, &path, json!({"type": "attachment", "upload_id": ok["id"]})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let m: Value = res.json().await.unwrap();
    assert_eq!(app.verdict(&acct.admin_token, &id, m["id"].as_str().unwrap()).await["status"], "read");
    assert_eq!(app.sim.requests_to("/media").len(), 1, "only the file within the limit went to Meta");
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
    let sent = app.verdict(&acct.admin_token, &id, m["id"].as_str().unwrap()).await;
    assert_eq!(sent["status"], "played", "the customer played the voice note: {sent}");
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

const GIF: &[u8] = include_bytes!("../../../media/tests/fixtures/sniff/pixel.gif");

async fn a_gif_is_refused_for_whatsapp_before_the_202_and_reaches_messenger_as_an_image(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let channels = app.connect_demo_channels(token).await;
    let id = open_conversation(&app, token).await;
    let gif = uploaded(&app, token, GIF.to_vec(), "risa.gif", "image/gif").await;
    assert_eq!((gif["mime"].as_str(), gif["kind"].as_str()), (Some("image/gif"), Some("image")));

    // WhatsApp takes no GIF (its media upload refuses image/gif): refused at once, saying what to send.
    for channel in [&channels.cloud, &channels.app] {
        let res = app
            .http
            .post(app.url(&format!("/api/v1/uploads?channel_id={}", channel["id"].as_str().unwrap())))
            .bearer_auth(token)
            .multipart(Form::new().part("file", Part::bytes(GIF.to_vec()).file_name("risa.gif")))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "gif_not_supported", "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("MP4"), "{body}");
    }
    let path = format!("/api/v1/conversations/{id}/messages");
    let res = app.post(token, &path, json!({"type": "attachment", "upload_id": gif["id"], "caption": "jaja"})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "gif_not_supported").await;
    let res = app
        .post(token, "/api/v1/quick_replies", json!({"shortcut": "risa", "title": "Risa", "upload_id": gif["id"]}))
        .await;
    let quick: Value = res.json().await.unwrap();
    let res = app.post(token, &path, json!({"type": "quick_reply", "quick_reply_id": quick["id"]})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "gif_not_supported").await;
    assert_eq!(app.messages(token, &id).await.len(), 1, "nothing stored, nothing to send");

    // Messenger shows GIFs as images: the same file reaches the customer.
    app.sim.messenger_customer(demo::PAGE_ID).unwrap().text("¿y un gif?").await.unwrap();
    app.settle().await;
    let page = app.get_json(token, "/api/v1/conversations?channel=messenger").await;
    let fb = page["items"][0]["id"].as_str().unwrap().to_string();
    let res = app
        .post(
            token,
            &format!("/api/v1/conversations/{fb}/messages"),
            json!({"type": "attachment", "upload_id": gif["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["kind"], "image");
    assert_eq!(app.verdict(token, &fb, m["id"].as_str().unwrap()).await["status"], "read");
    let upload = app.sim.requests_to("/message_attachments").pop().expect("uploaded to the Page");
    assert_eq!(upload.part("filedata").and_then(|p| p.content_type.as_deref()), Some("image/gif"));
    assert!(app.sim.requests_to("/media").is_empty(), "nothing ever went to WhatsApp");
}

async fn whatsapp_stickers_are_judged_by_their_size_and_dimensions_before_the_202(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let channels = app.connect_demo_channels(token).await;
    let id = open_conversation(&app, token).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let sticker = |w, h, animated, len| simulator::samples::webp_sticker(w, h, animated, len);
    let cases = [
        ("static, 512×512, 100 KB", sticker(512, 512, false, 100_000), None),
        ("animated, 512×512, 500 KB", sticker(512, 512, true, 500_000), None),
        ("static over 100 KB", sticker(512, 512, false, 100_002), Some("media_too_large")),
        ("animated over 500 KB", sticker(512, 512, true, 500_002), Some("media_too_large")),
        ("not 512×512", sticker(256, 256, false, 2_000), Some("unsupported_media_type")),
        ("a 1×1 WebP", simulator::samples::webp(), Some("unsupported_media_type")),
    ];
    let mut accepted = vec![];
    for (what, bytes, refusal) in cases {
        let up = uploaded(&app, token, bytes.clone(), "sticker.webp", "image/webp").await;
        let res = app.post(token, &path, json!({"type": "attachment", "upload_id": up["id"]})).await;
        match refusal {
            None => {
                assert_eq!(res.status(), StatusCode::ACCEPTED, "{what}");
                let m: Value = res.json().await.unwrap();
                assert_eq!(m["kind"], "sticker", "{what}");
                accepted.push(m["id"].as_str().unwrap().to_string());
            }
            Some(code) => {
                assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, code).await;
                // The composer's upload check says the same at once.
                let res = app
                    .http
                    .post(app.url(&format!("/api/v1/uploads?channel_id={}", channels.cloud["id"].as_str().unwrap())))
                    .bearer_auth(token)
                    .multipart(Form::new().part("file", Part::bytes(bytes).file_name("sticker.webp")))
                    .send()
                    .await
                    .unwrap();
                assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, code).await;
            }
        }
    }
    for m in accepted {
        assert_eq!(app.verdict(token, &id, &m).await["status"], "read", "WhatsApp took the sticker");
    }
    let stickers: Vec<_> = app.sim.sent_messages().into_iter().filter(|s| s.kind == "sticker").collect();
    assert_eq!(stickers.len(), 2);
    assert!(stickers.iter().all(|s| s.outcome == simulator::SendOutcome::Delivered));
}
