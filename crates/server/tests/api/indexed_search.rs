//! The trigram-indexed contact and conversation search (migration 0040) finds what reading every key
//! found: texts shorter than three characters (answered without the index), characters the index's
//! query language would read as syntax, phone digits inside a WhatsApp id, usernames, and rows after
//! an edit or a merge.

use crate::harness::{on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;

on_both_stores!(
    short_texts_and_query_syntax_are_searched_literally,
    conversations_are_found_by_number_digits_username_and_merged_contact,
    a_common_name_finds_the_newest_first_page_like_a_rare_one,
);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn ids(app: &TestApp, token: &str, path: &str, q: &str) -> Vec<String> {
    let found = app.get_json(token, &format!("{path}{}", urlencode(q))).await;
    let mut ids: Vec<String> =
        found["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

async fn contacts(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    ids(app, token, "/api/v1/contacts?q=", q).await
}

async fn conversations(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    ids(app, token, "/api/v1/conversations?status=all&q=", q).await
}

async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let res = app.post(token, "/api/v1/contacts", body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn short_texts_and_query_syntax_are_searched_literally(app: TestApp) {
    let acct = app.full_account().await;
    let token = &acct.admin_token;
    let quoted = create(&app, token, json!({"first_name": "Zoë \"Q\"", "last_name": "O'Brien-Ávila"})).await;
    let plain = create(&app, token, json!({"first_name": "Al", "last_name": "Ng"})).await;
    // Shorter than a trigram: still found, by reading the keys.
    assert_eq!(contacts(&app, token, "NG").await, vec![plain.clone()]);
    assert_eq!(contacts(&app, token, "zo").await, vec![quoted.clone()]);
    // Quotes, operators and wildcards of the index's query language are plain characters.
    for q in ["zoë \"q\"", "\"Q\"", "o'brien", "brien-avi", "O'BRIEN-ÁVILA"] {
        assert_eq!(contacts(&app, token, q).await, vec![quoted.clone()], "searching {q:?}");
    }
    for q in ["zoe OR al", "al*", "NEAR(al ng)", "^al", "-ng", "\"al\"", "%ng"] {
        assert!(contacts(&app, token, q).await.is_empty(), "searching {q:?} should find nothing");
    }
    // Every word must match, whether indexed or short.
    assert_eq!(contacts(&app, token, "al ng").await, vec![plain.clone()]);
    assert!(contacts(&app, token, "al avila").await.is_empty());
    // An edit moves the contact in the index at once.
    let res = app.patch(token, &format!("/api/v1/contacts/{plain}"), json!({"last_name": "Ngozi"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(contacts(&app, token, "ngoz").await, vec![plain.clone()]);
}

async fn conversations_are_found_by_number_digits_username_and_merged_contact(app: TestApp) {
    let acct = app.full_account().await;
    let token = &acct.admin_token;
    app.connect_demo_channels(token).await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215511112222").unwrap().text("hola").await.unwrap();
    app.sim.username_customer(demo::CLOUD_PHONE_NUMBER_ID, "tienda.zoe").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let page = app.get_json(token, "/api/v1/conversations?status=all").await;
    let by = |field: &str, value: &str| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["handle"][field].as_str() == Some(value))
            .map(|c| c["id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no conversation with {field} {value}"))
    };
    let by_phone = by("wa_id", "5215511112222");
    let by_username = by("username", "tienda.zoe");
    // Digits inside the WhatsApp id (four or more), in any punctuation; three are too few to be a number.
    for q in ["1111 2222", "5511-1122", "(551) 111"] {
        assert_eq!(conversations(&app, token, q).await, vec![by_phone.clone()], "searching {q:?}");
    }
    assert!(conversations(&app, token, "222").await.is_empty());
    for q in ["tienda.zoe", "ZOE", "da.z"] {
        assert_eq!(conversations(&app, token, q).await, vec![by_username.clone()], "searching {q:?}");
    }
    // Two contacts, one per conversation; merged, the kept one's name finds both conversations and the
    // other's name nothing (its contact is gone).
    let kept = create(&app, token, json!({"first_name": "Ifeoma", "conversation_id": by_phone})).await;
    let other = create(&app, token, json!({"first_name": "Bartholomew", "conversation_id": by_username})).await;
    assert_eq!(conversations(&app, token, "bartho").await, vec![by_username.clone()]);
    let res = app.post(token, &format!("/api/v1/contacts/{kept}/merge"), json!({"other_id": other})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut both = vec![by_phone.clone(), by_username.clone()];
    both.sort();
    assert_eq!(conversations(&app, token, "IFEOMA").await, both);
    assert!(conversations(&app, token, "bartho").await.is_empty());
    assert!(contacts(&app, token, "bartho").await.is_empty());
}

/// A surname more than a thousand customers share is searched by walking the conversations newest
/// first (its matches are dense) instead of through the indexes: the same answer either way — the
/// newest page of those matching, by the customer's name or by their contact's.
async fn a_common_name_finds_the_newest_first_page_like_a_rare_one(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let business = simulator::payloads::WaBusiness {
        waba_id: demo::WABA_ID.into(),
        phone_number_id: demo::CLOUD_PHONE_NUMBER_ID.into(),
        display_phone_number: demo::CLOUD_DISPLAY_NUMBER.into(),
    };
    let t0 = time::OffsetDateTime::now_utc().unix_timestamp() - 5000;
    // 1 100 customers named Álvarez, in deliveries of 100, each writing one second after the last.
    for chunk in 0..11 {
        let deliveries: Vec<Value> = (0..100)
            .map(|i| {
                let n = chunk * 100 + i;
                let who = simulator::payloads::WaUser::phone(format!("52155{n:08}")).with_name(&if n == 42 {
                    "Marta Álvarez Zubizarreta".to_string()
                } else {
                    format!("Marta Álvarez {n:04}")
                });
                simulator::payloads::whatsapp_text(&business, &who, &format!("wamid.CN{n}"), t0 + n, "hola")
            })
            .collect();
        assert_eq!(app.post_webhook(&simulator::payloads::batch(&deliveries)).await, StatusCode::OK);
    }
    // 1 100 new customers take the worker longer than `settle`'s 5 s in a debug build.
    for _ in 0..1200 {
        if app.state.store.pending_webhooks().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.state.store.pending_webhooks().await.unwrap(), 0, "applied within a minute");
    let token = &acct.admin_token;
    let page = app.get_json(token, "/api/v1/conversations?status=all&limit=30&q=ALVAREZ").await;
    let names: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|c| c["handle"]["profile_name"].as_str().unwrap()).collect();
    let newest: Vec<String> = (1070..1100).rev().map(|n| format!("Marta Álvarez {n:04}")).collect();
    assert_eq!(names, newest, "the newest thirty, newest first");
    assert!(page["next_cursor"].is_string(), "and more pages");
    // A rare text among them goes through the index: the one customer.
    let rare = app.get_json(token, "/api/v1/conversations?status=all&q=zubiZARRETA").await;
    let rare: Vec<&str> =
        rare["items"].as_array().unwrap().iter().map(|c| c["handle"]["profile_name"].as_str().unwrap()).collect();
    assert_eq!(rare, ["Marta Álvarez Zubizarreta"]);
}
