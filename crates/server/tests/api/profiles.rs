//! Messenger and Instagram customers are named from Meta's User Profile API, off the hot path, with
//! retries.

use crate::harness::{on_both_stores, TestApp};
use serde_json::Value;
use simulator::{demo, Fault};
use std::time::Duration;

on_both_stores!(
    new_messenger_customer_gets_their_name,
    new_instagram_customer_gets_name_and_username,
    failed_profile_lookup_is_retried_then_given_up,
);

/// The conversation of the only customer of `kind`, once `done` says its handle is complete.
async fn wait_handle(app: &TestApp, token: &str, kind: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let page = app.get_json(token, &format!("/api/v1/conversations?channel={kind}")).await;
        if let Some(c) = page["items"].as_array().and_then(|i| i.first()) {
            if done(&c["handle"]) {
                return c.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the {kind} customer's profile never arrived");
}

/// New Messenger customers write; returns the first one's id once both were looked up. Due lookups are
/// claimed in batches, oldest first: any lookup due before the first marker was claimed in its batch or
/// an earlier one, and the second marker's lookup comes in a later batch, so by then all were made.
async fn marker_lookup(app: &TestApp) -> String {
    let mut ids = vec![];
    for _ in 0..2 {
        let marker = app.sim.messenger_customer(demo::PAGE_ID).unwrap();
        marker.text("marca").await.unwrap();
        app.settle().await;
        let looked_up = async {
            for _ in 0..400 {
                if !profile_lookups(app, marker.id()).is_empty() {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            false
        };
        assert!(looked_up.await, "the marker customer was never looked up");
        ids.push(marker.id().to_string());
    }
    ids.swap_remove(0)
}

fn profile_lookups(app: &TestApp, id: &str) -> Vec<simulator::RecordedRequest> {
    app.sim.requests().into_iter().filter(|r| r.method == "GET" && r.path == format!("/v24.0/{id}")).collect()
}

async fn new_messenger_customer_gets_their_name(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let mut events = app.state.events.tap();
    let fb = app.sim.messenger_customer(demo::PAGE_ID).unwrap().named("Sofía Martínez");
    fb.text("¿Abren el domingo?").await.unwrap();
    let conv = wait_handle(&app, &acct.admin_token, "messenger", |h| !h["profile_name"].is_null()).await;
    assert_eq!(conv["handle"]["profile_name"], "Sofía Martínez");
    assert_eq!(conv["handle"]["external_id"], fb.id(), "the id stays the customer's id");
    let lookups = profile_lookups(&app, fb.id());
    assert_eq!(lookups.len(), 1, "one lookup per new customer");
    assert_eq!(lookups[0].query.as_deref(), Some("fields=first_name%2Clast_name%2Cprofile_pic"));
    assert_eq!(lookups[0].bearer(), Some(demo::PAGE_TOKEN));
    // The name arrives as a conversation.updated event.
    let mut named_event = false;
    while let Ok(server::realtime::mailboxes::Received::Event(e)) =
        tokio::time::timeout(Duration::from_millis(500), events.recv()).await
    {
        let e: serde_json::Value = serde_json::from_str(&e.text).unwrap();
        if e["type"] == "conversation.updated" && e["data"]["handle"]["profile_name"] == "Sofía Martínez" {
            named_event = true;
            break;
        }
    }
    assert!(named_event, "a conversation.updated event carries the name");
    // A later message from the same customer asks Meta nothing more: a lookup it caused would come
    // before that of a customer who writes after it.
    fb.text("¿Y el lunes?").await.unwrap();
    app.settle().await;
    marker_lookup(&app).await;
    assert_eq!(profile_lookups(&app, fb.id()).len(), 1);
    let found = app.get_json(&acct.admin_token, "/api/v1/conversations?q=mart%C3%ADnez").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "the customer is found by the fetched name");
}

async fn new_instagram_customer_gets_name_and_username(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    // Connecting read the channels' assets at Meta; only what follows is about customers.
    app.sim.clear_requests();
    let ig = app.sim.instagram_customer(demo::IG_ID).unwrap().named("Diego Hernández").with_username("diego.mx");
    ig.text("Me encantó el reel 🔥").await.unwrap();
    let conv = wait_handle(&app, &acct.admin_token, "instagram", |h| !h["profile_name"].is_null()).await;
    assert_eq!(conv["handle"]["profile_name"], "Diego Hernández");
    assert_eq!(conv["handle"]["username"], "diego.mx");
    let lookups = profile_lookups(&app, ig.id());
    assert_eq!(lookups.len(), 1);
    assert_eq!(lookups[0].query.as_deref(), Some("fields=name%2Cusername%2Cprofile_pic"));
    assert_eq!(lookups[0].bearer(), Some(demo::IG_TOKEN));
    // WhatsApp customers are named by their webhooks: nobody is looked up for them.
    let wa = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().named("María");
    wa.text("hola").await.unwrap();
    app.settle().await;
    marker_lookup(&app).await;
    let wa_lookups = app
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && (r.path.ends_with("5215512345678") || r.path.ends_with(wa.user_id())))
        .count();
    assert_eq!(wa_lookups, 0, "nobody looks up a WhatsApp customer");
}

async fn failed_profile_lookup_is_retried_then_given_up(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    app.sim.fail_next_profile_lookups(2, Fault::Http500);
    let fb = app.sim.messenger_customer(demo::PAGE_ID).unwrap().named("Ana Ruiz");
    fb.text("hola").await.unwrap();
    let conv = wait_handle(&app, &acct.admin_token, "messenger", |h| !h["profile_name"].is_null()).await;
    assert_eq!(conv["handle"]["profile_name"], "Ana Ruiz");
    assert_eq!(profile_lookups(&app, fb.id()).len(), 3, "two failures, then the name");

    // Meta failing every time: a few tries, then the customer keeps showing their id.
    app.sim.fail_next_profile_lookups(100, Fault::Http500);
    let ig = app.sim.instagram_customer(demo::IG_ID).unwrap();
    ig.text("hola").await.unwrap();
    app.settle().await;
    for _ in 0..400 {
        if profile_lookups(&app, ig.id()).len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // The worker takes due lookups oldest first and one batch at a time. A customer who writes now is
    // looked up once the fifth failure is recorded; then, an hour later, a sixth try would be due
    // before the lookup of a customer who writes then.
    marker_lookup(&app).await;
    app.clock.advance(Duration::from_secs(3600));
    marker_lookup(&app).await;
    assert_eq!(profile_lookups(&app, ig.id()).len(), 5, "given up after five tries");
    let page = app.get_json(&acct.admin_token, "/api/v1/conversations?channel=instagram").await;
    assert_eq!(page["items"][0]["handle"]["profile_name"], Value::Null);
    assert_eq!(page["items"][0]["handle"]["external_id"], ig.id());
}
