//! Contact search and the conversation list's `q` fold case and accents the same on both stores:
//! "Álvaro" is found by "Álvaro", "ÁLVARO", "alvaro" and "alva".

use crate::harness::{on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;

on_both_stores!(
    contacts_are_found_whatever_the_case_and_accents,
    conversations_are_found_by_folded_customer_and_contact_names,
);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn contact_ids(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let found = app.get_json(token, &format!("/api/v1/contacts?q={}", urlencode(q))).await;
    found["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

async fn conversation_ids(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let found = app.get_json(token, &format!("/api/v1/conversations?status=all&q={}", urlencode(q))).await;
    found["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let res = app.post(token, "/api/v1/contacts", body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn contacts_are_found_whatever_the_case_and_accents(app: TestApp) {
    let acct = app.full_account().await;
    let token = &acct.admin_token;
    let alvaro = create(&app, token, json!({"first_name": "Álvaro", "last_name": "Núñez"})).await;
    let ursula = create(&app, token, json!({"first_name": "Úrsula", "email": "URSULA@Example.com"})).await;
    let oscar = create(&app, token, json!({"first_name": "Oscar"})).await;
    for q in ["Álvaro", "ÁLVARO", "alvaro", "alva", "ALVA", "nuñez", "NUNEZ", "álvaro núñez", "Alvaro Nunez"] {
        assert_eq!(contact_ids(&app, token, q).await, vec![alvaro.clone()], "searching {q:?}");
    }
    for q in ["Úrsula", "ursula", "URSULA", "ursula@example", "Ürsula"] {
        assert_eq!(contact_ids(&app, token, q).await, vec![ursula.clone()], "searching {q:?}");
    }
    // Accents typed where the name has none still find it.
    assert_eq!(contact_ids(&app, token, "Óscar").await, vec![oscar.clone()]);
    assert!(contact_ids(&app, token, "alvarez").await.is_empty());
    // A wildcard typed is taken literally.
    assert!(contact_ids(&app, token, "%").await.is_empty());
    // An edit is searchable at once, and the old name no longer matches.
    let res = app.patch(token, &format!("/api/v1/contacts/{oscar}"), json!({"first_name": "Ángel"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(contact_ids(&app, token, "angel").await, vec![oscar.clone()]);
    assert!(contact_ids(&app, token, "oscar").await.is_empty());
}

async fn conversations_are_found_by_folded_customer_and_contact_names(app: TestApp) {
    let acct = app.full_account().await;
    let token = &acct.admin_token;
    app.connect_demo_channels(token).await;
    // A customer known only by their WhatsApp profile name…
    app.sim
        .whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215511112222")
        .unwrap()
        .named("Úrsula Ibáñez")
        .text("hola")
        .await
        .unwrap();
    // …and one whose contact the agent created.
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215533334444").unwrap().text("buenas").await.unwrap();
    app.settle().await;
    let all = conversation_ids(&app, token, "").await;
    assert_eq!(all.len(), 2);
    let page = app.get_json(token, "/api/v1/conversations?status=all").await;
    let find = |profile: &str| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["handle"]["profile_name"].as_str() == Some(profile))
            .map(|c| c["id"].as_str().unwrap().to_string())
    };
    let ursula = find("Úrsula Ibáñez").expect("Úrsula's conversation");
    let other = all.iter().find(|id| **id != ursula).unwrap().clone();
    let res = app.post(token, "/api/v1/contacts", json!({"first_name": "Álvaro", "conversation_id": other})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for q in ["Úrsula", "ursula", "URSULA IBANEZ", "ibáñez"] {
        assert_eq!(conversation_ids(&app, token, q).await, vec![ursula.clone()], "searching {q:?}");
    }
    for q in ["Álvaro", "ÁLVARO", "alvaro", "alva"] {
        assert_eq!(conversation_ids(&app, token, q).await, vec![other.clone()], "searching {q:?}");
    }
}
