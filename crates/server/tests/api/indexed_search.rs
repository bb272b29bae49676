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
    a_rare_search_is_paged_newest_first_once_each_and_scoped,
    a_common_contact_name_is_paged_in_name_order_like_a_rare_one,
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

/// A rare text's customers are collected first (through the indexes, a customer possibly twice: by
/// its own name and by its contact's) and their conversations then read by id: the answer is still
/// each matching conversation once, newest first, page after page, only those the caller may see;
/// a whole number finds its customer and not another whose number ends alike; a seller's contacts
/// are those of their conversations.
async fn a_rare_search_is_paged_newest_first_once_each_and_scoped(app: TestApp) {
    let acct = app.full_account().await;
    let token = &acct.admin_token;
    app.connect_demo_channels(token).await;
    let business = simulator::payloads::WaBusiness {
        waba_id: demo::WABA_ID.into(),
        phone_number_id: demo::CLOUD_PHONE_NUMBER_ID.into(),
        display_phone_number: demo::CLOUD_DISPLAY_NUMBER.into(),
    };
    let t0 = time::OffsetDateTime::now_utc().unix_timestamp() - 1000;
    // Oldest first. Carla's and Darío's numbers end in the same eight digits.
    let customers = [
        ("5215500000100", "Ana Quetzal"),
        ("5215500000101", "Beto Quetzal"),
        ("5215611112222", "Carla Ruiz"),
        ("5215511112222", "Darío Ruiz"),
        ("5215500000104", "Elena Quetzal"),
        ("5215500000105", "Fito Ortega"),
    ];
    let deliveries: Vec<Value> = customers
        .iter()
        .enumerate()
        .map(|(n, (phone, name))| {
            let who = simulator::payloads::WaUser::phone(*phone).with_name(*name);
            simulator::payloads::whatsapp_text(&business, &who, &format!("wamid.RS{n}"), t0 + n as i64, "hola")
        })
        .collect();
    assert_eq!(app.post_webhook(&simulator::payloads::batch(&deliveries)).await, StatusCode::OK);
    app.settle().await;
    let page = app.get_json(token, "/api/v1/conversations?status=all&limit=100").await;
    let conversation_of = |name: &str| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["handle"]["profile_name"].as_str() == Some(name))
            .map(|c| c["id"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no conversation of {name}"))
    };
    // Elena is found by her own name and by her contact's; Fito only by his contact's.
    let elena = create(
        &app,
        token,
        json!({"first_name": "Elena", "last_name": "Quetzal", "conversation_id": conversation_of("Elena Quetzal")}),
    )
    .await;
    create(&app, token, json!({"first_name": "Quetzal", "conversation_id": conversation_of("Fito Ortega")})).await;

    let names_paged = |token: String, q: &'static str, limit: usize| {
        let app = &app;
        async move {
            let mut names = vec![];
            let mut cursor = String::new();
            loop {
                let page = app
                    .get_json(
                        &token,
                        &format!("/api/v1/conversations?status=all&limit={limit}&q={}{cursor}", urlencode(q)),
                    )
                    .await;
                let items = page["items"].as_array().unwrap();
                assert!(items.len() <= limit);
                names.extend(items.iter().map(|c| c["handle"]["profile_name"].as_str().unwrap().to_string()));
                match page["next_cursor"].as_str() {
                    Some(next) => cursor = format!("&cursor={next}"),
                    None => return names,
                }
            }
        }
    };
    let newest_first = ["Fito Ortega", "Elena Quetzal", "Beto Quetzal", "Ana Quetzal"];
    assert_eq!(names_paged(token.clone(), "QUETZAL", 2).await, newest_first, "two by two");
    assert_eq!(names_paged(token.clone(), "quetzal", 30).await, newest_first, "in one page");
    // A whole number in another format: its customer only, not the one whose number ends alike.
    assert_eq!(names_paged(token.clone(), "+52 1 55 1111 2222", 30).await, ["Darío Ruiz"]);
    assert_eq!(names_paged(token.clone(), "56 1111 2222", 30).await, ["Carla Ruiz"]);
    assert_eq!(names_paged(token.clone(), "1111 2222", 30).await, ["Darío Ruiz", "Carla Ruiz"]);

    // A seller sees the matches assigned to them, and the contacts of their conversations only.
    let (seller_id, seller) = app.create_user(token, "seller").await;
    assert!(names_paged(seller.clone(), "quetzal", 30).await.is_empty(), "nothing assigned yet");
    for name in ["Beto Quetzal", "Elena Quetzal", "Carla Ruiz"] {
        let res = app
            .patch(
                token,
                &format!("/api/v1/conversations/{}", conversation_of(name)),
                json!({"assignee_id": seller_id}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    assert_eq!(names_paged(seller.clone(), "QUETZAL", 1).await, ["Elena Quetzal", "Beto Quetzal"]);
    assert_eq!(names_paged(seller.clone(), "+52 1 55 1111 2222", 30).await, Vec::<String>::new());
    let seller_contacts = app.get_json(&seller, "/api/v1/contacts").await;
    let seller_contacts: Vec<&str> =
        seller_contacts["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(seller_contacts, [elena.as_str()]);
}

/// The contacts of a text more than a thousand contacts share are found by walking the contacts in
/// name order (their matches are dense); those of a rarer text are collected through the indexes
/// first and then read by id. Either way the same pages: in name order, each contact once, and a
/// text matching nothing finds nothing.
async fn a_common_contact_name_is_paged_in_name_order_like_a_rare_one(app: TestApp) {
    let acct = app.full_account().await;
    let token = &acct.admin_token;
    let mut csv = String::from("first_name,last_name\r\n");
    // Imported in reverse, so that name order is not the order they were created in.
    for n in (0..1100).rev() {
        csv.push_str(&format!("Marta,Álvarez {n:04}\r\n"));
    }
    csv.push_str("Marta,Álvarez Zubizarreta\r\n");
    let (status, imported) = crate::csv::import(&app, token, false, &csv).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(imported["created"], 1101);
    let names = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|c| c["last_name"].as_str().unwrap().to_string()).collect()
    };
    // Common: every contact matches.
    let first = app.get_json(token, "/api/v1/contacts?limit=30&q=ALVAREZ").await;
    let expected: Vec<String> = (0..30).map(|n| format!("Álvarez {n:04}")).collect();
    assert_eq!(names(&first), expected, "the first thirty in name order");
    let cursor = first["next_cursor"].as_str().expect("more pages").to_string();
    let second =
        app.get_json(token, &format!("/api/v1/contacts?limit=30&q=ALVAREZ&cursor={}", urlencode(&cursor))).await;
    let expected: Vec<String> = (30..60).map(|n| format!("Álvarez {n:04}")).collect();
    assert_eq!(names(&second), expected, "then the next thirty");
    // Rare: a dozen of them (the numbers holding "010"), paged the same way.
    let expected: Vec<String> =
        (0..1100).map(|n| format!("{n:04}")).filter(|n| n.contains("010")).map(|n| format!("Álvarez {n}")).collect();
    assert_eq!(expected.len(), 12);
    let mut found = Vec::new();
    let mut path = "/api/v1/contacts?limit=5&q=alvarez%20010".to_string();
    loop {
        let page = app.get_json(token, &path).await;
        let names = names(&page);
        assert!(names.len() <= 5);
        found.extend(names);
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/contacts?limit=5&q=alvarez%20010&cursor={}", urlencode(c)),
            None => break,
        }
    }
    assert_eq!(found, expected, "every one once, in name order");
    assert_eq!(contacts(&app, token, "zubiZARRETA").await.len(), 1);
    assert!(contacts(&app, token, "alvarez 2000").await.is_empty());
}
