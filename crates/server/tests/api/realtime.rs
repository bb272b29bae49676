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
    events_carry_a_rising_seq_and_a_socket_that_fell_behind_is_told_to_resync,
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
    connect_to(&app.base, token).await
}

/// The events socket of the server at `base`.
async fn connect_to(base: &str, token: &str) -> Socket {
    let mut req = format!("{}/api/v1/events", base.replace("http://", "ws://")).into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("websocket");
    let hello = next_event(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    ws
}

/// The next event (bounded: 10 s; a socket that stays silent fails the test).
pub(crate) async fn next_event(ws: &mut Socket) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).expect("events are JSON"),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no event within 10 s: {other:?}"),
        }
    }
}

/// Reads events until one matches `wanted`; returns it and the events before it.
pub(crate) async fn event_where(ws: &mut Socket, wanted: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
    let mut before = vec![];
    loop {
        let e = next_event(ws).await;
        if wanted(&e) {
            return (e, before);
        }
        before.push(e);
    }
}

/// The next event if one arrives within 700 ms. Only for asserting that nothing (more) arrives: a
/// test waiting *for* an event uses `next_event`/`event_where`.
pub(crate) async fn next_event_within(ws: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_millis(700), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).ok(),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// Every event until the socket stays silent for 700 ms.
pub(crate) async fn events_until_quiet(ws: &mut Socket) -> Vec<Value> {
    let mut all = vec![];
    while let Some(e) = next_event_within(ws).await {
        all.push(e);
    }
    all
}

fn message_created(text: &'static str) -> impl Fn(&Value) -> bool {
    move |e| e["type"] == "message.created" && e["data"]["text"] == text
}

/// A customer writes to a Messenger Page of `token`'s account (connected here with a fresh id): an
/// event only that account sees, used as a marker — whatever a socket receives before it was
/// published before it.
async fn marker_for_account(app: &TestApp, token: &str, text: &str) {
    let body = app.channel_body("messenger");
    let res = app.post(token, "/api/v1/channels", body.clone()).await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let customer = app.sim.messenger_customer(body["page_id"].as_str().unwrap()).unwrap();
    customer.text(text).await.unwrap();
    app.settle().await;
}

/// Whether an event is about another conversation than `ours` (a conversation or a message event).
fn not_about(ours: &Value) -> impl Fn(&Value) -> bool + '_ {
    move |e| e["data"]["id"] != *ours && e["data"]["conversation_id"] != *ours
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
    let (created, before) = event_where(&mut admin, message_created("¿hay stock?")).await;
    assert!(before.iter().any(|e| e["type"] == "conversation.created"), "{before:?}");
    // Another account's customer: the stranger's first event is theirs, nothing of ours came before.
    marker_for_account(&app, &other.admin_token, "marca ajena").await;
    let ours = created["data"]["conversation_id"].clone();
    let (_, leaked) = event_where(&mut stranger, message_created("marca ajena")).await;
    assert!(leaked.iter().all(not_about(&ours)), "another account sees nothing: {leaked:?}");

    let conv = app.only_conversation(&acct.admin_token).await;
    assert_eq!(created["data"]["conversation_id"], conv["id"]);
    app.patch(
        &acct.admin_token,
        &format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap()),
        json!({"assignee_id": seller_id}),
    )
    .await;
    // Unassigned, it was not the seller's: the assignment is the first thing they hear of it.
    let first = next_event(&mut seller).await;
    assert_eq!(first["type"], "conversation.updated", "{first}");
    assert_eq!(first["data"]["assignee"]["id"], seller_id);
    c.text("¿me confirmas?").await.unwrap();
    app.settle().await;
    let (later, _) = event_where(&mut seller, message_created("¿me confirmas?")).await;
    assert_eq!(later["data"]["conversation_id"], conv["id"]);
    marker_for_account(&app, &other.admin_token, "otra marca").await;
    let (_, leaked) = event_where(&mut stranger, message_created("otra marca")).await;
    assert!(leaked.iter().all(not_about(&ours)), "{leaked:?}");
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
    event_where(&mut ws, message_created("primero")).await;
    // Narrowed to a seller: told to reload, then nothing unassigned reaches it.
    app.patch(&acct.admin_token, &format!("/api/v1/users/{user_id}"), json!({"role": "seller"})).await;
    let (_, before) = event_where(&mut ws, |e| e["type"] == "resync").await;
    assert!(before.iter().all(|e| e["type"] != "message.created"), "{before:?}");
    c.text("segundo").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    app.patch(
        &acct.admin_token,
        &format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap()),
        json!({"assignee_id": user_id}),
    )
    .await;
    let first = next_event(&mut ws).await;
    assert_eq!(first["type"], "conversation.updated", "\"segundo\" never reached the narrowed socket: {first}");
    assert_eq!(first["data"]["assignee"]["id"], user_id);
}

async fn events_carry_a_rising_seq_and_a_socket_that_fell_behind_is_told_to_resync(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    let mut ws = connect(&app, &acct.admin_token).await;
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    c.text("uno").await.unwrap();
    c.text("dos").await.unwrap();
    app.settle().await;
    let (last, mut events) = event_where(&mut ws, message_created("dos")).await;
    events.push(last);
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().expect("every event has a seq")).collect();
    assert!(seqs.len() >= 3 && seqs.windows(2).all(|w| w[0] < w[1]), "rising: {seqs:?}");

    // The socket stops being read while more happens than the server keeps for it: the events that
    // fill the connection, then more than its backlog (4096). Reading again, it is told to reload.
    let account: domain::ids::AccountId = acct.account_id.parse().unwrap();
    let channel: domain::ids::ChannelId = channels.cloud["id"].as_str().unwrap().parse().unwrap();
    let big = "x".repeat(64 * 1024);
    let event = |name: &str| server::realtime::Event {
        account_id: account,
        audience: server::realtime::Audience::Conversation { channel_id: channel, assignee: None },
        payload: server::realtime::Payload::LabelUpdated(server::views::label::LabelView {
            id: domain::ids::LabelId::new(),
            name: name.to_string(),
            color: "#000000".into(),
        }),
    };
    for _ in 0..400 {
        app.state.events.publish(event(&big));
    }
    for _ in 0..5000 {
        app.state.events.publish(event("x"));
    }
    let (resync, _) = event_where(&mut ws, |e| e["type"] == "resync").await;
    assert!(resync.get("seq").is_none(), "{resync}");
    // After the resync, events flow again.
    c.text("tres").await.unwrap();
    app.settle().await;
    event_where(&mut ws, message_created("tres")).await;
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
    assert_eq!(next_event(&mut ws).await["type"], "hello");
    let res = browser.post(app.url("/api/v1/auth/logout")).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NO_CONTENT);
    assert!(closed_by_server(&mut ws).await, "the socket of the ended session stays open");
}

/// Several processes on one PostgreSQL: a browser connected to one of them receives what another
/// published — a customer's message the other process ingested, and an event too large for a
/// PostgreSQL notification — and nothing its user may not see. (One SQLite database serves one
/// process, so this is PostgreSQL's alone.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_a_browser_connected_to_another_process() {
    let app = TestApp::spawn(crate::harness::Backend::Postgres).await;
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    let other = app.another_process().await;
    let mut admin_ws = connect_to(&other.base, &acct.admin_token).await;
    let mut seller_ws = connect_to(&other.base, &seller).await;

    // Meta's webhook reaches the first process; the admin connected to the second sees the message.
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    c.text("hola desde otro proceso").await.unwrap();
    app.settle().await;
    let (created, _) = event_where(&mut admin_ws, message_created("hola desde otro proceso")).await;
    assert!(created["seq"].as_u64().is_some(), "{created}");
    let conversation = created["data"]["conversation_id"].as_str().unwrap().to_string();

    // A note far over PostgreSQL's 8000-byte notification limit still crosses.
    let long = "ñ".repeat(4500);
    let res = app
        .post(&acct.admin_token, &format!("/api/v1/conversations/{conversation}/notes"), json!({"text": long}))
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let (note, _) = event_where(&mut admin_ws, |e| e["type"] == "note.created").await;
    assert_eq!(note["data"]["text"].as_str().map(|t| t.chars().count()), Some(4500));

    // The unassigned conversation is not the seller's: the other process filters by the same rule.
    let quiet = events_until_quiet(&mut seller_ws).await;
    assert!(quiet.is_empty(), "the seller saw {quiet:?}");
}
