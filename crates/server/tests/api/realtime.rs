//! The realtime stream: each user receives exactly the events of the conversations they may see.

use crate::harness::{on_both_stores, TestApp};
use futures::StreamExt;
use serde_json::{json, Value};
use simulator::demo;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

on_both_stores!(
    websocket_delivers_only_what_the_user_may_see,
    websocket_refuses_without_credentials,
    a_deactivated_users_socket_closes_at_once,
    a_narrowed_role_narrows_the_open_socket,
    logging_out_closes_that_sessions_socket,
);

/// Waits for the server to close the socket (a close frame or the end of the stream).
async fn closed_by_server(ws: &mut Socket) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return false,
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

pub(crate) type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) async fn connect(app: &TestApp, token: &str) -> Socket {
    let mut req = format!("{}/api/v1/events", app.base.replace("http://", "ws://")).into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("websocket");
    let hello = next_event(&mut ws).await.expect("hello");
    assert_eq!(hello["type"], "hello");
    ws
}

/// The next event, or `None` if nothing arrives within a short while.
pub(crate) async fn next_event(ws: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_millis(700), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).ok(),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

async fn events_until_quiet(ws: &mut Socket) -> Vec<Value> {
    let mut all = vec![];
    while let Some(e) = next_event(ws).await {
        all.push(e);
    }
    all
}

async fn websocket_delivers_only_what_the_user_may_see(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let (seller_id, seller_token) = app.create_user(&acct.admin_token, "seller").await;
    let other = app.full_account().await;
    let mut admin = connect(&app, &acct.admin_token).await;
    let mut seller = connect(&app, &seller_token).await;
    let mut stranger = connect(&app, &other.admin_token).await;

    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    c.text("¿hay stock?").await.unwrap();
    app.settle().await;
    let seen = events_until_quiet(&mut admin).await;
    let types: Vec<&str> = seen.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(types.contains(&"conversation.created") && types.contains(&"message.created"), "{types:?}");
    let created = seen.iter().find(|e| e["type"] == "message.created").unwrap();
    assert_eq!(created["data"]["text"], "¿hay stock?");
    assert_eq!(events_until_quiet(&mut seller).await, Vec::<Value>::new(), "unassigned: not the seller's");
    assert_eq!(events_until_quiet(&mut stranger).await, Vec::<Value>::new(), "another account sees nothing");

    let conv = app.only_conversation(&acct.admin_token).await;
    assert_eq!(created["data"]["conversation_id"], conv["id"]);
    app.patch(
        &acct.admin_token,
        &format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap()),
        json!({"assignee_id": seller_id}),
    )
    .await;
    let assigned = events_until_quiet(&mut seller).await;
    assert!(
        assigned.iter().any(|e| e["type"] == "conversation.updated" && e["data"]["assignee"]["id"] == seller_id),
        "{assigned:?}"
    );
    c.text("¿me confirmas?").await.unwrap();
    app.settle().await;
    let later = events_until_quiet(&mut seller).await;
    assert!(later.iter().any(|e| e["type"] == "message.created" && e["data"]["text"] == "¿me confirmas?"), "{later:?}");
    assert_eq!(events_until_quiet(&mut stranger).await, Vec::<Value>::new());
}

async fn websocket_refuses_without_credentials(app: TestApp) {
    let req = format!("{}/api/v1/events", app.base.replace("http://", "ws://")).into_client_request().unwrap();
    let err = tokio_tungstenite::connect_async(req).await.expect_err("refused");
    assert!(err.to_string().contains("401"), "{err}");
}

async fn a_deactivated_users_socket_closes_at_once(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let (seller_id, seller_token) = app.create_user(&acct.admin_token, "seller").await;
    let mut seller = connect(&app, &seller_token).await;
    let res = app.patch(&acct.admin_token, &format!("/api/v1/users/{seller_id}"), json!({"active": false})).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert!(closed_by_server(&mut seller).await, "the deactivated seller's socket stays open");
}

async fn a_narrowed_role_narrows_the_open_socket(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/roles",
            json!({"name": "Supervisor", "permissions": {"visibility": "all", "actions": []}}),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let (user_id, token) = app.create_user(&acct.admin_token, role["id"].as_str().unwrap()).await;
    let mut ws = connect(&app, &token).await;
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    c.text("primero").await.unwrap();
    app.settle().await;
    assert!(
        events_until_quiet(&mut ws).await.iter().any(|e| e["type"] == "message.created"),
        "sees everything at first"
    );
    // Narrowed to a seller: told to reload, then nothing unassigned reaches it.
    app.patch(&acct.admin_token, &format!("/api/v1/users/{user_id}"), json!({"role": "seller"})).await;
    let after_change = events_until_quiet(&mut ws).await;
    assert!(after_change.iter().any(|e| e["type"] == "resync"), "{after_change:?}");
    c.text("segundo").await.unwrap();
    app.settle().await;
    assert_eq!(events_until_quiet(&mut ws).await, Vec::<Value>::new());
}

async fn logging_out_closes_that_sessions_socket(app: TestApp) {
    let acct = app.full_account().await;
    let browser = app.session_client();
    let login = browser
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": acct.admin_email, "password": crate::harness::PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string();
    let mut req = format!("{}/api/v1/events", app.base.replace("http://", "ws://")).into_client_request().unwrap();
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("websocket");
    assert_eq!(next_event(&mut ws).await.unwrap()["type"], "hello");
    let res = browser.post(app.url("/api/v1/auth/logout")).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NO_CONTENT);
    assert!(closed_by_server(&mut ws).await, "the socket of the ended session stays open");
}
