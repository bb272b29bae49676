//! Outgoing webhooks: an account's automations receive its events as signed POSTs, durably, in
//! order, retried until their receiver takes them. Receivers here are small HTTP servers on loopback
//! (the harness allows private webhook URLs; one test runs without that and is refused).

use crate::harness::{assert_error, changed_tables, on_both_stores, on_both_stores_with, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::config::Config;
use simulator::demo;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex};

on_both_stores!(
    a_receiver_gets_signed_events_of_messages_assignments_statuses_and_contacts,
    a_receiver_that_fails_twice_gets_the_same_delivery_on_the_third_try,
    a_webhook_gets_only_its_events_and_a_disabled_one_nothing,
    the_secret_is_shown_once_and_a_rotated_one_signs_what_follows,
    a_finished_delivery_can_be_sent_again_with_the_same_id,
    another_accounts_webhooks_are_not_found_and_sellers_may_not_manage_them,
    bad_events_and_urls_are_refused_without_writing,
    finished_deliveries_are_pruned_by_retention,
    a_csv_import_sends_each_contact_created_and_updated,
);
on_both_stores_with!(strict => loopback_and_private_urls_are_refused_without_the_allow_option);

fn strict(config: &mut Config) {
    config.webhook_allow_private = false;
}

pub const ALL_EVENTS: [&str; 7] = [
    "message.created",
    "message.updated",
    "conversation.created",
    "conversation.assigned",
    "conversation.status_changed",
    "contact.created",
    "contact.updated",
];

/// One POST a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub delivery: String,
    pub signature: String,
    pub content_type: String,
    pub body: Vec<u8>,
    pub json: Value,
}

impl Received {
    /// Whether the signature is `sha256=` + hex HMAC-SHA256 of the exact body under `secret`.
    pub fn signed_with(&self, secret: &str) -> bool {
        self.signature == format!("sha256={}", hex::encode(hmac_sha256(secret.as_bytes(), &self.body)))
    }
}

/// HMAC-SHA256 (RFC 2104) written out here, so the test checks the server's signatures with code
/// of its own rather than the server's.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize());
    out
}

/// A webhook receiver on 127.0.0.1: records every POST and answers 500 to the first `fail_next`
/// of them, 200 to the rest.
pub struct Receiver {
    pub url: String,
    rx: Mutex<mpsc::UnboundedReceiver<Received>>,
    failures: Arc<AtomicUsize>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        use axum::http::{HeaderMap, StatusCode as Status};
        let (tx, rx) = mpsc::unbounded_channel();
        let failures = Arc::new(AtomicUsize::new(0));
        let failing = failures.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let (tx, failing) = (tx.clone(), failing.clone());
                async move {
                    let header =
                        |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                    let _ = tx.send(Received {
                        event: header("x-inbox-event"),
                        delivery: header("x-inbox-delivery"),
                        signature: header("x-inbox-signature-256"),
                        content_type: header("content-type"),
                        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
                        body: body.to_vec(),
                    });
                    let fail = failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    if fail {
                        Status::INTERNAL_SERVER_ERROR
                    } else {
                        Status::OK
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Receiver { url, rx: Mutex::new(rx), failures, _stop: stop }
    }

    /// Answer 500 to the next `n` POSTs.
    pub fn fail_next(&self, n: usize) {
        self.failures.store(n, Ordering::SeqCst);
    }

    /// The next POST (bounded: 10 s).
    pub async fn next(&self) -> Received {
        let mut rx = self.rx.lock().await;
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(r)) => r,
            other => panic!("the receiver got nothing within 10 s: {other:?}"),
        }
    }

    /// The next POST of event `kind`; returns it and the others received before it.
    pub async fn next_of(&self, kind: &str) -> (Received, Vec<Received>) {
        let mut before = vec![];
        loop {
            let r = self.next().await;
            if r.event == kind {
                return (r, before);
            }
            before.push(r);
        }
    }

    /// What arrived and was not read yet (nothing waits).
    pub async fn unread(&self) -> Vec<Received> {
        let mut rx = self.rx.lock().await;
        let mut out = vec![];
        while let Ok(r) = rx.try_recv() {
            out.push(r);
        }
        out
    }
}

/// Creates a webhook; returns (its JSON, the secret).
pub async fn create_webhook(app: &TestApp, token: &str, url: &str, events: &[&str]) -> (Value, String) {
    let res = app.post(token, "/api/v1/webhooks", json!({"url": url, "events": events})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    let secret = body["secret"].as_str().expect("the secret is shown on creation").to_string();
    (body["webhook"].clone(), secret)
}

/// The webhook's delivery log, newest first.
async fn deliveries(app: &TestApp, token: &str, webhook: &str) -> Vec<Value> {
    let page = app.get_json(token, &format!("/api/v1/webhooks/{webhook}/deliveries")).await;
    page["items"].as_array().expect("items").clone()
}

/// Waits (bounded) until the delivery `id` shows `status` in the log; returns it.
pub async fn delivery_when(app: &TestApp, token: &str, webhook: &str, id: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let log = deliveries(app, token, webhook).await;
        if let Some(d) = log.iter().find(|d| d["id"] == id && d["status"] == status) {
            return d.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "delivery {id} never became {status}: {log:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn assert_signed(r: &Received, secret: &str) {
    assert!(r.signed_with(secret), "{} is not signed with the secret: {}", r.event, r.signature);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.json["type"], r.event.as_str(), "X-Inbox-Event names the body's type");
    assert_eq!(r.json["id"], r.delivery.as_str(), "X-Inbox-Delivery is the body's id");
    assert!(r.json["created_at"].is_string() && r.json["account_id"].is_string(), "{}", r.json);
}

async fn a_receiver_gets_signed_events_of_messages_assignments_statuses_and_contacts(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    app.connect_demo_channels(admin).await;
    let receiver = Receiver::start().await;
    let (_, secret) = create_webhook(&app, admin, &receiver.url, &ALL_EVENTS).await;

    app.sim
        .whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678")
        .unwrap()
        .text("hola webhook")
        .await
        .unwrap();
    let (created, _) = receiver.next_of("conversation.created").await;
    assert_signed(&created, &secret);
    assert_eq!(created.json["account_id"], acct.account_id.as_str());
    let conversation = created.json["data"]["id"].as_str().expect("the conversation view").to_string();
    let (message, _) = receiver.next_of("message.created").await;
    assert_signed(&message, &secret);
    assert_eq!(message.json["data"]["text"], "hola webhook");
    assert_eq!(message.json["data"]["conversation_id"], conversation.as_str());
    assert_eq!(message.json["data"]["direction"], "inbound");

    let (seller, _) = app.create_user(admin, "seller").await;
    let res = app.patch(admin, &format!("/api/v1/conversations/{conversation}"), json!({"assignee_id": seller})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (assigned, _) = receiver.next_of("conversation.assigned").await;
    assert_signed(&assigned, &secret);
    assert_eq!(assigned.json["data"]["id"], conversation.as_str());
    assert_eq!(assigned.json["data"]["assignee"]["id"], seller.as_str(), "{}", assigned.json);

    let res = app.patch(admin, &format!("/api/v1/conversations/{conversation}"), json!({"status": "resolved"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (status, _) = receiver.next_of("conversation.status_changed").await;
    assert_signed(&status, &secret);
    assert_eq!(status.json["data"]["status"], "resolved");

    let res = app.post(admin, "/api/v1/contacts", json!({"first_name": "Ana", "email": "ana@example.com"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let contact: Value = res.json().await.unwrap();
    let (created, _) = receiver.next_of("contact.created").await;
    assert_signed(&created, &secret);
    assert_eq!(created.json["data"]["id"], contact["id"]);
    assert_eq!(created.json["data"]["first_name"], "Ana");
    let res = app
        .patch(admin, &format!("/api/v1/contacts/{}", contact["id"].as_str().unwrap()), json!({"last_name": "Ruiz"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (updated, _) = receiver.next_of("contact.updated").await;
    assert_signed(&updated, &secret);
    assert_eq!(updated.json["data"]["last_name"], "Ruiz");
    assert_eq!(updated.json["data"]["first_name"], "Ana");

    // An agent's reply: created at once, updated when Meta answers the send.
    let res = app
        .post(
            admin,
            &format!("/api/v1/conversations/{conversation}/messages"),
            json!({"type": "text", "text": "con gusto"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let (reply, _) = receiver.next_of("message.created").await;
    assert_eq!(reply.json["data"]["text"], "con gusto");
    assert_eq!(reply.json["data"]["direction"], "outbound");
    let (sent, _) = receiver.next_of("message.updated").await;
    assert_eq!(sent.json["data"]["id"], reply.json["data"]["id"]);
    assert_signed(&sent, &secret);
}

async fn a_receiver_that_fails_twice_gets_the_same_delivery_on_the_third_try(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let receiver = Receiver::start().await;
    let (hook, secret) = create_webhook(&app, admin, &receiver.url, &["contact.created"]).await;
    let hook = hook["id"].as_str().unwrap();
    receiver.fail_next(2);
    let res = app.post(admin, "/api/v1/contacts", json!({"first_name": "Reintento"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let tries = [receiver.next().await, receiver.next().await, receiver.next().await];
    let id = tries[0].delivery.clone();
    for r in &tries {
        assert_eq!(r.delivery, id, "every attempt carries the same delivery id");
        assert_eq!(r.body, tries[0].body, "and the same body");
        assert_signed(r, &secret);
    }
    let log = delivery_when(&app, admin, hook, &id, "delivered").await;
    assert_eq!(log["attempts"], 3, "{log}");
    assert_eq!(log["event"], "contact.created");
    assert_eq!(log["last_response_status"], 200);
    assert!(log["next_attempt_at"].is_null());
    assert!(receiver.unread().await.is_empty(), "delivered once it succeeded");
}

async fn a_webhook_gets_only_its_events_and_a_disabled_one_nothing(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    app.connect_demo_channels(admin).await;
    let (contacts_only, everything) = (Receiver::start().await, Receiver::start().await);
    let (_, secret) = create_webhook(&app, admin, &contacts_only.url, &["contact.created"]).await;
    let (disabled, _) = create_webhook(&app, admin, &everything.url, &ALL_EVENTS).await;
    let disabled = disabled["id"].as_str().unwrap().to_string();
    let res = app.patch(admin, &format!("/api/v1/webhooks/{disabled}"), json!({"enabled": false})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["enabled"], false);

    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let first: Value = app.post(admin, "/api/v1/contacts", json!({"first_name": "Uno"})).await.json().await.unwrap();
    let res = app
        .patch(admin, &format!("/api/v1/contacts/{}", first["id"].as_str().unwrap()), json!({"last_name": "X"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let last: Value = app.post(admin, "/api/v1/contacts", json!({"first_name": "Dos"})).await.json().await.unwrap();

    // A webhook's events arrive in order: once the last one is in, everything before it is.
    let a = contacts_only.next().await;
    let b = contacts_only.next().await;
    assert_eq!((a.event.as_str(), b.event.as_str()), ("contact.created", "contact.created"));
    assert_eq!(a.json["data"]["id"], first["id"]);
    assert_eq!(b.json["data"]["id"], last["id"]);
    assert_signed(&b, &secret);
    assert!(contacts_only.unread().await.is_empty(), "no message, conversation or update event");
    // A disabled webhook is not even queued for.
    assert!(deliveries(&app, admin, &disabled).await.is_empty());
    assert!(everything.unread().await.is_empty());
}

async fn the_secret_is_shown_once_and_a_rotated_one_signs_what_follows(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let receiver = Receiver::start().await;
    let (hook, secret) = create_webhook(&app, admin, &receiver.url, &["contact.created"]).await;
    let id = hook["id"].as_str().unwrap().to_string();
    assert_eq!(hook["events"], json!(["contact.created"]));
    assert_eq!(hook["enabled"], true);

    let list = app.get(admin, "/api/v1/webhooks").await.text().await.unwrap();
    assert!(list.contains(&id) && !list.contains(&secret) && !list.contains("secret"), "{list}");

    let res = app.post(admin, &format!("/api/v1/webhooks/{id}/test"), json!({})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let queued: Value = res.json().await.unwrap();
    assert_eq!(queued["event"], "ping");
    let ping = receiver.next().await;
    assert_eq!(ping.event, "ping");
    assert_eq!(ping.delivery, queued["id"].as_str().unwrap());
    assert_eq!(ping.json["data"]["webhook_id"], id.as_str());
    assert_signed(&ping, &secret);
    delivery_when(&app, admin, &id, &ping.delivery, "delivered").await;

    let res = app.post(admin, &format!("/api/v1/webhooks/{id}/rotate_secret"), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rotated = res.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
    assert_ne!(rotated, secret);
    app.post(admin, &format!("/api/v1/webhooks/{id}/test"), json!({})).await;
    let ping = receiver.next().await;
    assert!(ping.signed_with(&rotated) && !ping.signed_with(&secret), "signed with the new secret only");

    let audit = app.get_json(admin, "/api/v1/audit?action=webhook").await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"webhook.created") && actions.contains(&"webhook.secret_rotated"), "{actions:?}");
    assert!(
        !audit.to_string().contains(&secret) && !audit.to_string().contains(&rotated),
        "no secret in the audit log"
    );

    let res = app
        .patch(admin, &format!("/api/v1/webhooks/{id}"), json!({"events": ["contact.updated", "message.created"]}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["events"], json!(["message.created", "contact.updated"]));
    assert_eq!(app.delete(admin, &format!("/api/v1/webhooks/{id}")).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get(admin, &format!("/api/v1/webhooks/{id}/deliveries")).await.status(), StatusCode::NOT_FOUND);
    let audit = app.get_json(admin, "/api/v1/audit?action=webhook.deleted").await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
}

async fn a_finished_delivery_can_be_sent_again_with_the_same_id(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let receiver = Receiver::start().await;
    let (hook, secret) = create_webhook(&app, admin, &receiver.url, &["contact.created"]).await;
    let hook = hook["id"].as_str().unwrap();
    app.post(admin, &format!("/api/v1/webhooks/{hook}/test"), json!({})).await;
    let first = receiver.next().await;
    delivery_when(&app, admin, hook, &first.delivery, "delivered").await;

    let res = app.post(admin, &format!("/api/v1/webhooks/{hook}/deliveries/{}/retry", first.delivery), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let again = receiver.next().await;
    assert_eq!(again.delivery, first.delivery);
    assert_eq!(again.body, first.body);
    assert_signed(&again, &secret);
    let log = delivery_when(&app, admin, hook, &first.delivery, "delivered").await;
    assert_eq!(log["attempts"], 1, "a fresh set of attempts: {log}");

    // A delivery still being attempted is not queued twice.
    receiver.fail_next(usize::MAX);
    app.post(admin, &format!("/api/v1/webhooks/{hook}/test"), json!({})).await;
    let failing = receiver.next().await;
    let path = format!("/api/v1/webhooks/{hook}/deliveries/{}/retry", failing.delivery);
    assert_error(app.post(admin, &path, json!({})).await, StatusCode::CONFLICT, "delivery_pending").await;
    let unknown = format!("/api/v1/webhooks/{hook}/deliveries/{}/retry", uuid::Uuid::now_v7());
    assert_error(app.post(admin, &unknown, json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
}

async fn another_accounts_webhooks_are_not_found_and_sellers_may_not_manage_them(app: TestApp) {
    let (a, b) = (app.full_account().await, app.full_account().await);
    let receiver = Receiver::start().await;
    let (hook, _) = create_webhook(&app, &a.admin_token, &receiver.url, &["contact.created"]).await;
    let id = hook["id"].as_str().unwrap();
    app.post(&a.admin_token, &format!("/api/v1/webhooks/{id}/test"), json!({})).await;
    let ping = receiver.next().await;
    delivery_when(&app, &a.admin_token, id, &ping.delivery, "delivered").await;
    let (_, seller) = app.create_user(&a.admin_token, "seller").await;

    let before = app.db_snapshot().await;
    let other = b.admin_token.as_str();
    let calls = [
        ("PATCH", format!("/api/v1/webhooks/{id}"), json!({"enabled": false})),
        ("DELETE", format!("/api/v1/webhooks/{id}"), json!({})),
        ("POST", format!("/api/v1/webhooks/{id}/rotate_secret"), json!({})),
        ("POST", format!("/api/v1/webhooks/{id}/test"), json!({})),
        ("GET", format!("/api/v1/webhooks/{id}/deliveries"), json!({})),
        ("POST", format!("/api/v1/webhooks/{id}/deliveries/{}/retry", ping.delivery), json!({})),
    ];
    for (method, path, body) in &calls {
        let send = |token: &str| {
            app.http
                .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), app.url(path))
                .bearer_auth(token.to_string())
                .json(body)
                .send()
        };
        assert_eq!(send(other).await.unwrap().status(), StatusCode::NOT_FOUND, "{method} {path} by another account");
        assert_eq!(send(&seller).await.unwrap().status(), StatusCode::FORBIDDEN, "{method} {path} by a seller");
    }
    let listed = app.get_json(other, "/api/v1/webhooks").await;
    assert_eq!(listed["items"], json!([]));
    assert_eq!(app.get(&seller, "/api/v1/webhooks").await.status(), StatusCode::FORBIDDEN);
    let res = app.post(&seller, "/api/v1/webhooks", json!({"url": receiver.url, "events": ["contact.created"]})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(changed_tables(&before, &app.db_snapshot().await).is_empty(), "refusals wrote nothing");
    assert!(receiver.unread().await.is_empty());
}

async fn bad_events_and_urls_are_refused_without_writing(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let receiver = Receiver::start().await;
    let (hook, _) = create_webhook(&app, admin, &receiver.url, &["contact.created"]).await;
    let id = hook["id"].as_str().unwrap();
    let before = app.db_snapshot().await;
    for (body, code) in [
        (json!({"url": receiver.url, "events": []}), "invalid_event"),
        (json!({"url": receiver.url, "events": ["contact.deleted"]}), "invalid_event"),
        (json!({"url": receiver.url, "events": ["ping"]}), "invalid_event"),
        (json!({"url": "not a url", "events": ["contact.created"]}), "invalid_webhook_url"),
        (json!({"url": "ftp://127.0.0.1/x", "events": ["contact.created"]}), "invalid_webhook_url"),
        (json!({"url": "http://user:pw@127.0.0.1/x", "events": ["contact.created"]}), "invalid_webhook_url"),
    ] {
        assert_error(app.post(admin, "/api/v1/webhooks", body.clone()).await, StatusCode::UNPROCESSABLE_ENTITY, code)
            .await;
        assert_error(
            app.patch(admin, &format!("/api/v1/webhooks/{id}"), body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        )
        .await;
    }
    let res = app.patch(admin, &format!("/api/v1/webhooks/{id}"), json!({"enabled": false})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let disabled = app.db_snapshot().await;
    assert_error(
        app.post(admin, &format!("/api/v1/webhooks/{id}/test"), json!({})).await,
        StatusCode::CONFLICT,
        "webhook_disabled",
    )
    .await;
    assert!(changed_tables(&disabled, &app.db_snapshot().await).is_empty());
    assert_eq!(changed_tables(&before, &disabled), vec!["audit_log", "webhooks"], "only the accepted change");
}

async fn loopback_and_private_urls_are_refused_without_the_allow_option(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let before = app.db_snapshot().await;
    for (url, code) in [
        ("http://127.0.0.1:9000/hook", "webhook_url_not_https"),
        ("https://127.0.0.1/hook", "webhook_url_not_public"),
        ("https://localhost/hook", "webhook_url_not_public"),
        ("https://[::1]/hook", "webhook_url_not_public"),
        ("https://10.1.2.3/hook", "webhook_url_not_public"),
        ("https://169.254.169.254/latest/meta-data", "webhook_url_not_public"),
        ("https://0.0.0.0/hook", "webhook_url_not_public"),
    ] {
        let res = app.post(admin, "/api/v1/webhooks", json!({"url": url, "events": ["contact.created"]})).await;
        assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    assert!(changed_tables(&before, &app.db_snapshot().await).is_empty(), "nothing written on refusal");
    // A public address is accepted (given as an address: no DNS needed), and cannot be moved to loopback.
    let (hook, _) = create_webhook(&app, admin, "https://93.184.215.14/hook", &["contact.created"]).await;
    let id = hook["id"].as_str().unwrap();
    let before = app.db_snapshot().await;
    let res = app.patch(admin, &format!("/api/v1/webhooks/{id}"), json!({"url": "https://127.0.0.1/hook"})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "webhook_url_not_public").await;
    assert!(changed_tables(&before, &app.db_snapshot().await).is_empty());
}

async fn finished_deliveries_are_pruned_by_retention(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let receiver = Receiver::start().await;
    let (hook, _) = create_webhook(&app, admin, &receiver.url, &["contact.created"]).await;
    let hook = hook["id"].as_str().unwrap();
    app.post(admin, &format!("/api/v1/webhooks/{hook}/test"), json!({})).await;
    let ping = receiver.next().await;
    delivery_when(&app, admin, hook, &ping.delivery, "delivered").await;
    assert_eq!(server::retention::sweep_once(&app.state).await.unwrap().webhook_deliveries, 0, "kept 30 days");
    app.clock.advance(Duration::from_secs(31 * 24 * 3600));
    assert_eq!(server::retention::sweep_once(&app.state).await.unwrap().webhook_deliveries, 1);
    assert!(deliveries(&app, admin, hook).await.is_empty());
}

async fn a_csv_import_sends_each_contact_created_and_updated(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let receiver = Receiver::start().await;
    let (_, secret) = create_webhook(&app, admin, &receiver.url, &["contact.created", "contact.updated"]).await;
    let existing: Value =
        app.post(admin, "/api/v1/contacts", json!({"first_name": "Vieja"})).await.json().await.unwrap();
    let id = existing["id"].as_str().unwrap();
    assert_eq!(receiver.next().await.json["data"]["id"], id);
    let csv = format!(
        "id,first_name,last_name,email,phone_1,phone_2,phone_3,whatsapp_user_id,whatsapp_username\n\
         ,Nueva,Uno,,,,,,\n{id},Vieja,Cambiada,,,,,,\n"
    );
    let (status, body) = crate::csv::import(&app, admin, false, &csv).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (created, updated) = (receiver.next().await, receiver.next().await);
    assert_eq!(created.event, "contact.created");
    assert_eq!(created.json["data"]["first_name"], "Nueva");
    assert_eq!(updated.event, "contact.updated");
    assert_eq!(updated.json["data"]["id"], id);
    assert_eq!(updated.json["data"]["last_name"], "Cambiada");
    assert_signed(&updated, &secret);
}
