//! The CRM: custom field definitions and typed values, the contacts list (paged by name, searched by
//! name, e-mail, username or any phone in any format), automatic linking of WhatsApp senders, and
//! merging two contacts.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;
use simulator::payloads::{self, WaUser};

on_both_stores!(
    a_mexican_number_is_found_in_every_format_and_linked_to_its_whatsapp_sender,
    the_list_is_paged_by_name_and_searched_ignoring_case_and_accents,
    custom_fields_are_defined_by_admins_and_type_the_values,
    deleting_a_field_deletes_its_values,
    merging_keeps_one_contact_with_every_conversation_and_value,
    a_merge_with_more_than_three_phones_needs_a_choice,
);

fn urlencode(s: &str) -> String {
    s.replace('%', "%25").replace('+', "%2B").replace(' ', "%20").replace('@', "%40")
}

fn now_s() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn cloud() -> payloads::WaBusiness {
    payloads::WaBusiness {
        waba_id: demo::WABA_ID.into(),
        phone_number_id: demo::CLOUD_PHONE_NUMBER_ID.into(),
        display_phone_number: demo::CLOUD_DISPLAY_NUMBER.into(),
    }
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let res = app.post(token, "/api/v1/contacts", body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "creating {body}");
    res.json().await.unwrap()
}

async fn search_ids(app: &TestApp, token: &str, q: &str) -> Vec<Value> {
    let found = app.get_json(token, &format!("/api/v1/contacts?q={}", urlencode(q))).await;
    found["items"].as_array().unwrap().iter().map(|c| c["id"].clone()).collect()
}

async fn a_mexican_number_is_found_in_every_format_and_linked_to_its_whatsapp_sender(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = &acct.admin_token;
    let ana = create(&app, t, json!({"first_name": "Ana", "phone_primary": "+52 55 1234 5678"})).await;
    create(&app, t, json!({"first_name": "Otra", "phone_primary": "+52 55 1234 5679"})).await;
    for q in ["5512345678", "+52 1 55 1234 5678", "525512345678", "55 1234 5678", "5215512345678"] {
        assert_eq!(search_ids(&app, t, q).await, vec![ana["id"].clone()], "searching {q}");
    }
    app.post_webhook(&payloads::whatsapp_text(&cloud(), &WaUser::phone("5215512345678"), "wamid.L1", now_s(), "hola"))
        .await;
    app.settle().await;
    let conv = app.only_conversation(t).await;
    assert_eq!(conv["contact"]["id"], ana["id"], "the sender 5215512345678 is Ana");
}

async fn the_list_is_paged_by_name_and_searched_ignoring_case_and_accents(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = &acct.admin_token;
    let angela = create(&app, t, json!({"first_name": "Ángela", "last_name": "Ruíz"})).await;
    let beto = create(&app, t, json!({"first_name": "beto", "email": "Beto.Compras@Example.com"})).await;
    let carla = create(&app, t, json!({"first_name": "Carla"})).await;
    let zoe = create(&app, t, json!({"last_name": "Zoé"})).await;
    let nameless = create(&app, t, json!({"email": "david@example.com"})).await;
    // A WhatsApp username customer, linked to a contact.
    app.sim.username_customer(demo::CLOUD_PHONE_NUMBER_ID, "eva.tienda").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(t).await;
    let eva = create(&app, t, json!({"first_name": "Eva", "conversation_id": conv["id"]})).await;

    // Pages of two, by folded name: Ángela, beto, Carla, david@…, Eva, Zoé.
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/contacts?limit=2&cursor={c}"),
            None => "/api/v1/contacts?limit=2".to_string(),
        };
        let page = app.get_json(t, &path).await;
        seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let expected: Vec<Value> =
        [&angela, &beto, &carla, &nameless, &eva, &zoe].iter().map(|c| c["id"].clone()).collect();
    assert_eq!(seen, expected);
    let res = app.get(t, "/api/v1/contacts?cursor=not-a-cursor").await;
    assert_error(res, StatusCode::BAD_REQUEST, "invalid_cursor").await;

    for (q, who) in [
        ("angela", &angela),
        ("ANGELA RUIZ", &angela),
        ("ruíz", &angela),
        ("beto.compras@example", &beto),
        ("BETO.COMPRAS", &beto),
        ("eva.tienda", &eva),
        ("@eva.tienda", &eva),
        ("zoe", &zoe),
    ] {
        assert_eq!(search_ids(&app, t, q).await, vec![who["id"].clone()], "searching {q}");
    }
    assert!(search_ids(&app, t, "nadie").await.is_empty());
    // A seller sees only the contacts of their conversations: none here.
    let (_, seller) = app.create_user(t, "seller").await;
    assert_eq!(app.get_json(&seller, "/api/v1/contacts").await["items"], json!([]));
    assert!(search_ids(&app, &seller, "angela").await.is_empty());
}

async fn custom_fields_are_defined_by_admins_and_type_the_values(app: TestApp) {
    let acct = app.full_account().await;
    let t = &acct.admin_token;
    let (_, seller) = app.create_user(t, "seller").await;
    let res = app.post(&seller, "/api/v1/contact-fields", json!({"key": "rfc", "label": "RFC", "type": "text"})).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    for (body, code) in [
        (json!({"key": "Con Espacio", "label": "x", "type": "text"}), "invalid_key"),
        (json!({"key": "nivel", "label": "Nivel", "type": "choice"}), "invalid_choices"),
        (json!({"key": "nivel", "label": "Nivel", "type": "text", "choices": ["a"]}), "invalid_choices"),
        (json!({"key": "nivel", "label": " ", "type": "text"}), "invalid_label"),
    ] {
        let res = app.post(t, "/api/v1/contact-fields", body.clone()).await;
        assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    for body in [
        json!({"key": "rfc", "label": "RFC", "type": "text"}),
        json!({"key": "monto", "label": "Monto", "type": "number"}),
        json!({"key": "alta", "label": "Fecha de alta", "type": "date"}),
        json!({"key": "nivel", "label": "Nivel", "type": "choice", "choices": ["Oro", "Plata"]}),
    ] {
        let res = app.post(t, "/api/v1/contact-fields", body).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let res = app.post(t, "/api/v1/contact-fields", json!({"key": "rfc", "label": "Otra", "type": "text"})).await;
    assert_error(res, StatusCode::CONFLICT, "field_exists").await;
    let list = app.get_json(&seller, "/api/v1/contact-fields").await;
    let keys: Vec<&str> = list["items"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(keys, vec!["rfc", "monto", "alta", "nivel"], "in creation order; every user reads them");
    assert_eq!(list["items"][3]["choices"], json!(["Oro", "Plata"]));

    // Values are checked against their definitions, every problem at once.
    let res = app
        .post(
            t,
            "/api/v1/contacts",
            json!({"first_name": "Ana", "custom_fields": {"monto": "doce", "alta": "31/01/2024", "nivel": "Bronce", "color": "rojo"}}),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_custom_fields");
    let mut problems: Vec<(String, String)> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap().to_string(), f["code"].as_str().unwrap().to_string()))
        .collect();
    problems.sort();
    assert_eq!(
        problems,
        vec![
            ("alta".to_string(), "invalid_date".to_string()),
            ("color".to_string(), "unknown_field".to_string()),
            ("monto".to_string(), "invalid_number".to_string()),
            ("nivel".to_string(), "invalid_choice".to_string()),
        ]
    );
    assert!(app.get_json(t, "/api/v1/contacts").await["items"].as_array().unwrap().is_empty(), "nothing half-written");

    let ana = create(
        &app,
        t,
        json!({"first_name": "Ana", "custom_fields": {"rfc": "LOAM800101", "monto": "12.50", "alta": "2024-01-31", "nivel": "Oro"}}),
    )
    .await;
    let id = ana["id"].as_str().unwrap();
    // A change names only what changes: `null` clears, other keys keep their value.
    let res = app.patch(&seller, &format!("/api/v1/contacts/{id}"), json!({"custom_fields": {"nivel": "Plata"}})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "the seller cannot see Ana");
    let res = app
        .patch(t, &format!("/api/v1/contacts/{id}"), json!({"custom_fields": {"nivel": "Plata", "monto": null}}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let after: Value = res.json().await.unwrap();
    assert_eq!(after["custom_fields"], json!({"rfc": "LOAM800101", "alta": "2024-01-31", "nivel": "Plata"}));
    let res = app.patch(t, &format!("/api/v1/contacts/{id}"), json!({"custom_fields": {"alta": "2023-02-29"}})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_custom_fields").await;

    // Labels, choices and order change; key and type never do.
    let res = app
        .patch(
            t,
            "/api/v1/contact-fields/nivel",
            json!({"label": "Nivel de cliente", "choices": ["Oro", "Plata", "Bronce"], "position": 0}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.patch(t, "/api/v1/contact-fields/nivel", json!({"type": "text"})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
    let res = app.patch(&seller, "/api/v1/contact-fields/nivel", json!({"label": "x"})).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app.patch(t, "/api/v1/contact-fields/nada", json!({"label": "x"})).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;

    // Personalize offers the defined fields with their labels, in their order.
    let menu = app.get_json(&seller, "/api/v1/personalize/fields").await;
    let custom: Vec<(&str, &str)> = menu["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["group"] == "custom")
        .map(|i| (i["key"].as_str().unwrap(), i["label"].as_str().unwrap()))
        .collect();
    assert_eq!(
        custom,
        vec![
            ("contact.custom.nivel", "Nivel de cliente"),
            ("contact.custom.rfc", "RFC"),
            ("contact.custom.monto", "Monto"),
            ("contact.custom.alta", "Fecha de alta"),
        ]
    );
}

async fn deleting_a_field_deletes_its_values(app: TestApp) {
    let acct = app.full_account().await;
    let other = app.full_account().await;
    let t = &acct.admin_token;
    for token in [t, &other.admin_token] {
        let res =
            app.post(token, "/api/v1/contact-fields", json!({"key": "rfc", "label": "RFC", "type": "text"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        app.post(token, "/api/v1/contact-fields", json!({"key": "giro", "label": "Giro", "type": "text"})).await;
    }
    let ana =
        create(&app, t, json!({"first_name": "Ana", "custom_fields": {"rfc": "LOAM800101", "giro": "textil"}})).await;
    let theirs =
        create(&app, &other.admin_token, json!({"first_name": "Beto", "custom_fields": {"rfc": "PERJ900202"}})).await;
    let res = app.http.delete(app.url("/api/v1/contact-fields/rfc")).bearer_auth(t).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let after = app.get_json(t, &format!("/api/v1/contacts/{}", ana["id"].as_str().unwrap())).await;
    assert_eq!(after["custom_fields"], json!({"giro": "textil"}), "its values went with it");
    let keys: Vec<Value> = app.get_json(t, "/api/v1/contact-fields").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].clone())
        .collect();
    assert_eq!(keys, vec![json!("giro")]);
    let res = app
        .patch(t, &format!("/api/v1/contacts/{}", ana["id"].as_str().unwrap()), json!({"custom_fields": {"rfc": "X"}}))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_custom_fields").await;
    let theirs =
        app.get_json(&other.admin_token, &format!("/api/v1/contacts/{}", theirs["id"].as_str().unwrap())).await;
    assert_eq!(theirs["custom_fields"], json!({"rfc": "PERJ900202"}), "another account's field is its own");
    let res = app.http.delete(app.url("/api/v1/contact-fields/rfc")).bearer_auth(t).send().await.unwrap();
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let audit = app.get_json(t, "/api/v1/audit").await;
    assert!(audit.to_string().contains("contact_field.deleted"), "{audit}");
}

async fn merging_keeps_one_contact_with_every_conversation_and_value(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = &acct.admin_token;
    for body in
        [json!({"key": "rfc", "label": "RFC", "type": "text"}), json!({"key": "giro", "label": "Giro", "type": "text"})]
    {
        app.post(t, "/api/v1/contact-fields", body).await;
    }
    // Two customers write on WhatsApp and Messenger; each gets a contact.
    app.post_webhook(&payloads::whatsapp_text(&cloud(), &WaUser::phone("5215512345678"), "wamid.M1", now_s(), "hola"))
        .await;
    app.sim.messenger_customer(demo::PAGE_ID).unwrap().text("hola desde fb").await.unwrap();
    app.settle().await;
    let convs = app.get_json(t, "/api/v1/conversations?status=all").await["items"].as_array().unwrap().clone();
    assert_eq!(convs.len(), 2);
    let wa = convs.iter().find(|c| c["channel"]["kind"] == "whatsapp_cloud").unwrap().clone();
    let fb = convs.iter().find(|c| c["id"] != wa["id"]).unwrap().clone();
    let kept = create(
        &app,
        t,
        json!({"first_name": "Ana", "conversation_id": wa["id"], "custom_fields": {"rfc": "LOAM800101"}}),
    )
    .await;
    let other = create(
        &app,
        t,
        json!({"first_name": "Ana María", "last_name": "Pérez", "email": "ana@example.com", "phone_primary": "+52 55 1234 5678",
               "phone_alternate": "+52 55 9999 0000", "conversation_id": fb["id"], "custom_fields": {"rfc": "OTRO", "giro": "textil"}}),
    )
    .await;
    assert_eq!(other["conflicts"], json!([kept["id"]]), "the same number: a conflict to review");
    let kept_id = kept["id"].as_str().unwrap();

    let (_, seller) = app.create_user(t, "seller").await;
    let res = app.post(&seller, &format!("/api/v1/contacts/{kept_id}/merge"), json!({"other_id": other["id"]})).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a seller cannot merge contacts they cannot see");
    let res = app.post(t, &format!("/api/v1/contacts/{kept_id}/merge"), json!({"other_id": kept["id"]})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_merge").await;

    let mut socket = crate::realtime::connect(&app, t).await;
    let res = app.post(t, &format!("/api/v1/contacts/{kept_id}/merge"), json!({"other_id": other["id"]})).await;
    let status = res.status();
    let merged: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["id"], kept["id"]);
    assert_eq!(merged["first_name"], "Ana", "the kept contact's values win");
    assert_eq!(merged["last_name"], "Pérez", "empty ones are filled from the other");
    assert_eq!(merged["email"], "ana@example.com");
    assert_eq!(merged["phone_whatsapp"], "+5215512345678");
    assert_eq!(merged["phone_primary"], Value::Null, "the other's primary is the kept WhatsApp number, once");
    assert_eq!(merged["phone_alternate"], "+525599990000", "a new number goes to its own slot when free");
    assert_eq!(merged["custom_fields"], json!({"rfc": "LOAM800101", "giro": "textil"}));
    assert_eq!(merged["conflicts"], json!([]), "the conflict is resolved");

    let res = app.get(t, &format!("/api/v1/contacts/{}", other["id"].as_str().unwrap())).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    for conv in [&wa, &fb] {
        let c = app.get_json(t, &format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap())).await;
        assert_eq!(c["contact"]["id"], kept["id"], "every conversation follows the kept contact");
    }
    let mut events = vec![];
    while events.len() < 4 {
        match crate::realtime::next_event_within(&mut socket).await {
            Some(e) if e["type"] == "contact.updated" || e["type"] == "conversation.updated" => events.push(e),
            Some(_) => {}
            None => break,
        }
    }
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "contact.updated").count(), 2, "{events:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "conversation.updated").count(), 2, "{events:?}");
    let update = events.iter().find(|e| e["type"] == "contact.updated").unwrap();
    assert_eq!(update["data"]["merged_id"], other["id"]);
    assert_eq!(update["data"]["contact"]["id"], kept["id"]);
    // Searching by the other's numbers finds the merged contact only.
    assert_eq!(search_ids(&app, t, "55 9999 0000").await, vec![kept["id"].clone()]);
    let audit = app.get_json(t, "/api/v1/audit").await;
    assert!(audit.to_string().contains("contact.merged"), "{audit}");
}

async fn a_merge_with_more_than_three_phones_needs_a_choice(app: TestApp) {
    let acct = app.full_account().await;
    let t = &acct.admin_token;
    let a = create(
        &app,
        t,
        json!({"first_name": "A", "phone_primary": "+52 55 0000 0001", "phone_alternate": "+52 55 0000 0002"}),
    )
    .await;
    let b = create(
        &app,
        t,
        json!({"first_name": "B", "phone_primary": "+52 55 0000 0003", "phone_alternate": "+52 55 0000 0004", "phone_whatsapp": "+52 1 55 0000 0001"}),
    )
    .await;
    let path = format!("/api/v1/contacts/{}/merge", a["id"].as_str().unwrap());
    let res = app.post(t, &path, json!({"other_id": b["id"]})).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("too_many_phones")), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    for p in ["+525500000001", "+525500000002", "+525500000003", "+525500000004"] {
        assert!(message.contains(p), "the error lists {p}: {message}");
    }
    assert!(!message.contains("+5215500000001"), "the `1` variant is the same number: {message}");
    // Nothing changed.
    app.get_json(t, &format!("/api/v1/contacts/{}", b["id"].as_str().unwrap())).await;
    let res = app
        .post(t, &path, json!({"other_id": b["id"], "phones": {"phone_primary": "+52 55 0000 0001", "phone_alternate": "+52 55 0000 0099"}}))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_phone").await;
    let res = app
        .post(
            t,
            &path,
            json!({"other_id": b["id"], "phones": {"phone_primary": "+52 55 0000 0001", "phone_alternate": "+52 55 0000 0004", "phone_whatsapp": "5215500000001"}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let merged: Value = res.json().await.unwrap();
    assert_eq!(
        (&merged["phone_primary"], &merged["phone_alternate"], &merged["phone_whatsapp"]),
        (&json!("+525500000001"), &json!("+525500000004"), &json!("+525500000001"))
    );
    let res = app.get(t, &format!("/api/v1/contacts/{}", b["id"].as_str().unwrap())).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
}
