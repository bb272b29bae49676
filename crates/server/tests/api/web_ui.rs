//! The web UI served by the binary: the app on every non-API path, with a strict CSP.

use crate::harness::{assert_error, TestApp};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use simulator::demo;

async fn serves_the_app_with_a_strict_content_security_policy(app: TestApp) {
    for path in ["/", "/c/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"] {
        let page = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        let csp = page.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string();
        // No inline script, no foreign origin, no framing.
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(page.headers().get("cache-control").unwrap(), "no-cache");
        let html = page.text().await.unwrap();
        assert!(html.contains("Escala Inbox"));
        assert!(!html.contains("<script>"), "inline script in {path}");
    }
    // A missing asset is a plain 404 (a stale tab must not get the app as JavaScript).
    let missing = app.http.get(app.url("/assets/missing-0000.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // The API keeps its JSON errors.
    assert_error(
        app.http.get(app.url("/api/v1/nothing-here")).send().await.unwrap(),
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

crate::harness::on_both_stores!(serves_the_app_with_a_strict_content_security_policy);

/// "Editado · ver texto anterior": the earlier texts of an edited message, for those who may see it.
async fn edited_message_shows_its_previous_text_to_those_who_may_see_it(app: TestApp) {
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
    let edited = msgs[0]["id"].as_str().unwrap();
    let versions = app.get_json(&acct.admin_token, &format!("/api/v1/messages/{edited}/versions")).await;
    assert_eq!(versions["items"].as_array().unwrap().len(), 1);
    assert_eq!(versions["items"][0]["text"], "Quiero 3 piezas");
    // A deleted message keeps nothing to show, not even through its versions.
    let deleted = msgs[1]["id"].as_str().unwrap();
    assert_error(
        app.get(&acct.admin_token, &format!("/api/v1/messages/{deleted}/versions")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A seller it is not assigned to, and another account, cannot read it.
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    let other = app.full_account().await;
    for token in [&seller, &other.admin_token] {
        assert_error(
            app.get(token, &format!("/api/v1/messages/{edited}/versions")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
}

/// The composer learns at upload time that a channel will refuse a file, before anything is sent.
async fn upload_for_a_channel_is_refused_at_once_when_the_channel_would_refuse_it(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    let mp3 = include_bytes!("../../../media/tests/fixtures/sniff/tone.mp3").to_vec();
    let upload = |channel: &str| {
        let form =
            Form::new().part("file", Part::bytes(mp3.clone()).file_name("tono.mp3").mime_str("audio/mpeg").unwrap());
        app.http
            .post(app.url(&format!("/api/v1/uploads?channel_id={channel}")))
            .bearer_auth(&acct.admin_token)
            .multipart(form)
            .send()
    };
    // Instagram takes AAC/M4A/WAV/MP4 audio only.
    let refused = upload(channels.instagram["id"].as_str().unwrap()).await.unwrap();
    assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "unsupported_media_type").await;
    // WhatsApp takes MP3.
    let accepted = upload(channels.cloud["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(accepted.status(), StatusCode::CREATED);
    // Another account's channel is not there for this caller.
    let other = app.full_account().await;
    let theirs = app.create_channel(&other.admin_token, "instagram").await;
    assert_eq!(upload(theirs["id"].as_str().unwrap()).await.unwrap().status(), StatusCode::NOT_FOUND);
}

crate::harness::on_both_stores!(
    edited_message_shows_its_previous_text_to_those_who_may_see_it,
    upload_for_a_channel_is_refused_at_once_when_the_channel_would_refuse_it,
);

/// The browser sends the session cookie with requests other sites make it send: those writes, and
/// the events socket, are refused; the UI's own (same-origin) requests and bearer-token calls pass.
async fn cookie_writes_and_the_events_socket_are_refused_from_another_site(app: TestApp) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let acct = app.full_account().await;
    let browser = app.session_client();
    let login = browser
        .post(app.url("/api/v1/auth/login"))
        .header("origin", app.base.clone())
        .json(&serde_json::json!({"email": acct.admin_email, "password": crate::harness::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let body = serde_json::json!({"shortcut": "hola", "title": "Saludo", "text": "¡Hola!"});
    // Forged from another site: refused before any handler, nothing written.
    for (header, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let forged =
            browser.post(app.url("/api/v1/quick_replies")).header(header, value).json(&body).send().await.unwrap();
        assert_error(forged, StatusCode::FORBIDDEN, "cross_site_request").await;
    }
    let forged_login = browser
        .post(app.url("/api/v1/auth/login"))
        .header("sec-fetch-site", "cross-site")
        .json(&serde_json::json!({"email": acct.admin_email, "password": crate::harness::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_error(forged_login, StatusCode::FORBIDDEN, "cross_site_request").await;
    let list = app.get_json(&acct.admin_token, "/api/v1/quick_replies").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // The UI's own request passes.
    let own = browser
        .post(app.url("/api/v1/quick_replies"))
        .header("origin", app.base.clone())
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::CREATED);
    // A bearer token carries no ambient authority: not subject to the check.
    let token_call = app
        .http
        .post(app.url("/api/v1/quick_replies"))
        .bearer_auth(&acct.admin_token)
        .header("sec-fetch-site", "cross-site")
        .json(&serde_json::json!({"shortcut": "adios", "title": "Despedida", "text": "¡Adiós!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(token_call.status(), StatusCode::CREATED);
    // The events socket from another site is refused too (cross-site WebSocket hijacking).
    let mut req = format!("{}/api/v1/events", app.base.replace("http://", "ws://")).into_client_request().unwrap();
    req.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    let err = tokio_tungstenite::connect_async(req).await.expect_err("refused");
    assert!(err.to_string().contains("403"), "{err}");
}

crate::harness::on_both_stores!(cookie_writes_and_the_events_socket_are_refused_from_another_site);

/// A customer's document is downloaded with its exact name, whatever characters it has, and its bytes
/// arrive intact (served as a stream).
async fn a_document_downloads_with_its_exact_name_and_bytes(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let pdf = include_bytes!("../../../media/tests/fixtures/sniff/invoice.pdf").to_vec();
    let name = "Cotización \"final\" ñandú 📦.pdf";
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    c.document(pdf.clone(), "application/pdf", name, None).await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let mut attachment = serde_json::Value::Null;
    for _ in 0..200 {
        attachment = app.messages(&acct.admin_token, &id).await[0]["attachment"].clone();
        if attachment["status"] == "ready" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(attachment["status"], "ready", "{attachment}");
    let res = app.get(&acct.admin_token, attachment["url"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res.headers().get("content-disposition").unwrap().to_str().unwrap().to_string();
    let encoded = disposition.split("filename*=UTF-8''").nth(1).expect("an RFC 8187 file name");
    assert_eq!(percent_encoding::percent_decode_str(encoded).decode_utf8().unwrap(), name);
    assert_eq!(res.headers().get("content-length").unwrap().to_str().unwrap(), pdf.len().to_string());
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);
}

crate::harness::on_both_stores!(a_document_downloads_with_its_exact_name_and_bytes);
