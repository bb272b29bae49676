//! Retention: expired sessions, deferred events that can never apply, the webhook journal and
//! orphan uploads are removed by the retention job once the (moved) clock passes their horizon, and
//! nothing younger or still used is touched.

use crate::harness::{on_both_stores, TestApp, PASSWORD};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;
use simulator::payloads::{self, WaStatus, WaStatusKind};
use std::time::Duration;

on_both_stores!(
    expired_sessions_are_purged,
    deferred_events_expire_after_the_retry_horizon,
    the_journal_is_pruned_after_its_retention,
    orphan_uploads_are_pruned_with_their_files_and_used_ones_kept,
);

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

async fn sweep(app: &TestApp) -> server::retention::Swept {
    server::retention::sweep_once(&app.state).await.expect("sweep")
}

fn cloud() -> payloads::WaBusiness {
    payloads::WaBusiness {
        waba_id: demo::WABA_ID.into(),
        phone_number_id: demo::CLOUD_PHONE_NUMBER_ID.into(),
        display_phone_number: demo::CLOUD_DISPLAY_NUMBER.into(),
    }
}

async fn expired_sessions_are_purged(app: TestApp) {
    let acct = app.full_account().await;
    let login = || async {
        let res = app
            .session_client()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": acct.admin_email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    };
    login().await;
    assert_eq!(sweep(&app).await.sessions, 0, "a live session stays");
    assert_eq!(app.state.store.count_sessions().await.unwrap(), 1);
    app.clock.advance(app.state.config.session_ttl + HOUR);
    login().await;
    assert_eq!(sweep(&app).await.sessions, 1);
    assert_eq!(app.state.store.count_sessions().await.unwrap(), 1, "only the expired one went");
}

async fn deferred_events_expire_after_the_retry_horizon(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    // Statuses of messages another app sent on the number: their message never arrives here.
    let now_s = || app.state.clock.now().unix_timestamp();
    let status = |id: &str| WaStatus::new(id, WaStatusKind::Delivered, now_s()).to("5215512345678");
    assert_eq!(app.post_webhook(&payloads::whatsapp_status(&cloud(), &status("wamid.OTHER.1"))).await, StatusCode::OK);
    app.settle().await;
    assert_eq!(app.state.store.count_deferred_events().await.unwrap(), 1);
    app.clock.advance(app.state.config.deferred_event_ttl - HOUR);
    assert_eq!(app.post_webhook(&payloads::whatsapp_status(&cloud(), &status("wamid.OTHER.2"))).await, StatusCode::OK);
    app.settle().await;
    assert_eq!(sweep(&app).await.deferred_events, 0, "nothing is older than the horizon yet");
    app.clock.advance(2 * HOUR);
    assert_eq!(sweep(&app).await.deferred_events, 1, "the first status is past the horizon");
    assert_eq!(app.state.store.count_deferred_events().await.unwrap(), 1, "the younger one waits on");
}

async fn the_journal_is_pruned_after_its_retention(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let kept = app.state.store.count_webhook_journal().await.unwrap();
    assert!(kept >= 1);
    assert_eq!(sweep(&app).await.journal, 0);
    app.clock.advance(app.state.config.journal_retention + HOUR);
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("sigo aquí").await.unwrap();
    app.settle().await;
    assert_eq!(sweep(&app).await.journal, kept as u64);
    assert_eq!(app.state.store.count_webhook_journal().await.unwrap(), 1, "the recent delivery stays");
    // The messages the pruned deliveries carried stay.
    let conversation = app.only_conversation(&acct.admin_token).await;
    assert_eq!(app.messages(&acct.admin_token, conversation["id"].as_str().unwrap()).await.len(), 2);
}

async fn upload(app: &TestApp, token: &str, name: &str) -> Value {
    let form = Form::new().part(
        "file",
        Part::bytes(simulator::samples::png()).file_name(name.to_string()).mime_str("image/png").unwrap(),
    );
    let res = app.http.post(app.url("/api/v1/uploads")).bearer_auth(token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn storage_key(app: &TestApp, account: &str, upload: &Value) -> String {
    let account = account.parse().unwrap();
    let id = upload["id"].as_str().unwrap().parse().unwrap();
    app.state.store.get_upload(account, id).await.expect("upload").storage_key
}

async fn orphan_uploads_are_pruned_with_their_files_and_used_ones_kept(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let conversation = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let orphan = upload(&app, &acct.admin_token, "olvidada.png").await;
    let sent = upload(&app, &acct.admin_token, "enviada.png").await;
    let saved = upload(&app, &acct.admin_token, "respuesta.png").await;
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{conversation}/messages"),
            json!({"type": "attachment", "upload_id": sent["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/quick_replies",
            json!({"shortcut": "foto", "title": "Foto", "text": "La foto", "upload_id": saved["id"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let keys = [
        storage_key(&app, &acct.account_id, &orphan).await,
        storage_key(&app, &acct.account_id, &sent).await,
        storage_key(&app, &acct.account_id, &saved).await,
    ];
    assert_eq!(sweep(&app).await.uploads, 0, "young uploads stay");
    app.clock.advance(app.state.config.upload_retention + DAY);
    let young = upload(&app, &acct.admin_token, "nueva.png").await;
    assert_eq!(sweep(&app).await.uploads, 1);
    assert!(!app.state.media.exists(&keys[0]).await.unwrap(), "the orphan's file is gone");
    assert!(app.state.media.exists(&keys[1]).await.unwrap(), "a sent file stays");
    assert!(app.state.media.exists(&keys[2]).await.unwrap(), "a quick reply's file stays");
    let account = acct.account_id.parse().unwrap();
    let gone = app.state.store.get_upload(account, orphan["id"].as_str().unwrap().parse().unwrap()).await;
    assert!(matches!(gone, Err(store::StoreError::NotFound)), "the orphan's row is gone");
    for kept in [&sent, &saved, &young] {
        let id = kept["id"].as_str().unwrap().parse().unwrap();
        assert!(app.state.store.get_upload(account, id).await.is_ok(), "{kept}");
    }
}
