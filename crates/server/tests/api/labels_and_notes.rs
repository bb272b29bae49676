//! Team features: labels on conversations, private notes (never sent to the customer) and @mentions
//! that notify the teammates mentioned, and only them.

use crate::assignment::wait_for;
use crate::harness::{assert_error, on_both_stores, TestApp};
use crate::realtime::{connect, events_until_quiet};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;

on_both_stores!(
    labels_are_managed_and_filter_the_list,
    labels_on_conversations_follow_visibility,
    notes_are_never_sent_to_meta,
    notes_are_changed_only_by_their_author,
    mentions_notify_only_the_mentioned_user,
);

async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.http.delete(app.url(path)).bearer_auth(token).send().await.unwrap()
}

async fn put(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.http.put(app.url(path)).bearer_auth(token).send().await.unwrap()
}

async fn create_label(app: &TestApp, token: &str, name: &str, color: &str) -> Value {
    let res = app.post(token, "/api/v1/labels", json!({"name": name, "color": color})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

/// Two customers write; returns their conversations (newest activity first).
async fn two_conversations(app: &TestApp, token: &str) -> (String, String) {
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215511111111").unwrap().text("uno").await.unwrap();
    app.settle().await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215522222222").unwrap().text("dos").await.unwrap();
    app.settle().await;
    let page = app.get_json(token, "/api/v1/conversations").await;
    let ids: Vec<String> = page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().into()).collect();
    assert_eq!(ids.len(), 2);
    (ids[0].clone(), ids[1].clone())
}

async fn labels_are_managed_and_filter_the_list(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    let urgent = create_label(&app, &acct.admin_token, "  Urgente ", "#E11D48").await;
    assert_eq!((urgent["name"].as_str(), urgent["color"].as_str()), (Some("Urgente"), Some("#e11d48")));
    let quote = create_label(&app, &acct.admin_token, "Cotización", "#0a0").await;
    assert_eq!(quote["color"], "#00aa00");

    // Refusals: a name taken (ignoring case and accents), bad values, no permission.
    let res = app.post(&acct.admin_token, "/api/v1/labels", json!({"name": "COTIZACION", "color": "#123456"})).await;
    assert_error(res, StatusCode::CONFLICT, "label_exists").await;
    let res = app.post(&acct.admin_token, "/api/v1/labels", json!({"name": "Roja", "color": "red"})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_color").await;
    let res = app.post(&acct.admin_token, "/api/v1/labels", json!({"name": " ", "color": "#123456"})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_name").await;
    let res = app.post(&seller, "/api/v1/labels", json!({"name": "Mía", "color": "#123456"})).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .patch(&seller, &format!("/api/v1/labels/{}", urgent["id"].as_str().unwrap()), json!({"color": "#000000"}))
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(
        delete(&app, &seller, &format!("/api/v1/labels/{}", urgent["id"].as_str().unwrap())).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Everyone reads them, by name.
    let names: Vec<String> = app.get_json(&seller, "/api/v1/labels").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["Cotización", "Urgente"]);
    // A role granted manage_labels manages them.
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/roles",
            json!({"name": "Coordinación", "permissions": {"visibility": "all", "actions": ["manage_labels"]}}),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let (_, coordinator) = app.create_user(&acct.admin_token, role["id"].as_str().unwrap()).await;
    let vip = create_label(&app, &coordinator, "VIP", "#FFD700").await;

    // On conversations: shown in the list and the detail; the list filters by label.
    let (first, second) = two_conversations(&app, &acct.admin_token).await;
    let mut admin_ws = connect(&app, &acct.admin_token).await;
    let urgent_id = urgent["id"].as_str().unwrap();
    let res = put(&app, &acct.admin_token, &format!("/api/v1/conversations/{first}/labels/{urgent_id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let conv: Value = res.json().await.unwrap();
    assert_eq!(conv["labels"], json!([{"id": urgent_id, "name": "Urgente", "color": "#e11d48"}]));
    let updated = wait_for(&mut admin_ws, |e| e["type"] == "conversation.updated").await.expect("realtime");
    assert_eq!(updated["data"]["labels"][0]["id"], urgent_id);
    // Again: nothing changes, nothing is announced.
    assert_eq!(
        put(&app, &acct.admin_token, &format!("/api/v1/conversations/{first}/labels/{urgent_id}")).await.status(),
        StatusCode::OK
    );
    put(&app, &acct.admin_token, &format!("/api/v1/conversations/{first}/labels/{}", vip["id"].as_str().unwrap()))
        .await;
    put(&app, &acct.admin_token, &format!("/api/v1/conversations/{second}/labels/{}", vip["id"].as_str().unwrap()))
        .await;
    let detail = app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{first}")).await;
    let on_first: Vec<&str> =
        detail["labels"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(on_first, vec!["Urgente", "VIP"], "by name");
    // What the inbound worker announces when the customer writes again, and a search, carry them
    // too (read with the conversations, apart from the list's own query).
    // `first` is the newest: the second customer's.
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215522222222").unwrap().text("otra vez").await.unwrap();
    let announced = wait_for(&mut admin_ws, |e| {
        e["type"] == "conversation.updated" && e["data"]["last_message"]["text"] == "otra vez"
    })
    .await
    .expect("the conversation announced with its new message");
    let names = |c: &Value| -> Vec<String> {
        c["labels"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(
        (announced["data"]["id"].as_str(), names(&announced["data"])),
        (Some(first.as_str()), vec!["Urgente".to_string(), "VIP".to_string()])
    );
    let found = app.get_json(&acct.admin_token, "/api/v1/conversations?status=all&q=5522222222").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(names(&found["items"][0]), vec!["Urgente", "VIP"]);

    let filtered = app.get_json(&acct.admin_token, &format!("/api/v1/conversations?label={urgent_id}")).await;
    let ids: Vec<&str> = filtered["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![first.as_str()]);
    let both =
        app.get_json(&acct.admin_token, &format!("/api/v1/conversations?label={}", vip["id"].as_str().unwrap())).await;
    assert_eq!(both["items"].as_array().unwrap().len(), 2);
    assert_eq!(both["items"][0]["labels"].as_array().unwrap().len(), 2, "the list carries every label");
    let res = app.get(&acct.admin_token, "/api/v1/conversations?label=nope").await;
    assert_error(res, StatusCode::BAD_REQUEST, "invalid_query").await;

    // Renaming shows everywhere; the change is announced account-wide.
    let res =
        app.patch(&acct.admin_token, &format!("/api/v1/labels/{urgent_id}"), json!({"name": "Muy urgente"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let renamed = wait_for(&mut admin_ws, |e| e["type"] == "label.updated").await.expect("label.updated");
    assert_eq!(renamed["data"]["name"], "Muy urgente");
    let detail = app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{first}")).await;
    assert_eq!(detail["labels"][0]["name"], "Muy urgente");
    // Taking off and deleting.
    let res = delete(
        &app,
        &acct.admin_token,
        &format!("/api/v1/conversations/{second}/labels/{}", vip["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(res.json::<Value>().await.unwrap()["labels"], json!([]));
    assert_eq!(
        delete(&app, &acct.admin_token, &format!("/api/v1/labels/{urgent_id}")).await.status(),
        StatusCode::NO_CONTENT
    );
    let detail = app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{first}")).await;
    let left: Vec<&str> = detail["labels"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(left, vec!["VIP"]);
    assert_error(
        delete(&app, &acct.admin_token, &format!("/api/v1/labels/{urgent_id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let res = put(&app, &acct.admin_token, &format!("/api/v1/conversations/{first}/labels/{urgent_id}")).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    assert!(wait_for(&mut admin_ws, |e| e["type"] == "label.deleted").await.is_some());
}

async fn labels_on_conversations_follow_visibility(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;
    let label = create_label(&app, &acct.admin_token, "Seguimiento", "#336699").await;
    let label_id = label["id"].as_str().unwrap();
    let (mine, theirs) = two_conversations(&app, &acct.admin_token).await;
    app.patch(&acct.admin_token, &format!("/api/v1/conversations/{mine}"), json!({"assignee_id": seller_id})).await;

    // Any agent who may see a conversation labels it; one they cannot see does not exist for them.
    let res = put(&app, &seller, &format!("/api/v1/conversations/{mine}/labels/{label_id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = put(&app, &seller, &format!("/api/v1/conversations/{theirs}/labels/{label_id}")).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let filtered = app.get_json(&seller, &format!("/api/v1/conversations?label={label_id}")).await;
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    // Another account's label is no label here.
    let other = app.full_account().await;
    let foreign = create_label(&app, &other.admin_token, "Ajena", "#000000").await;
    let res = put(
        &app,
        &acct.admin_token,
        &format!("/api/v1/conversations/{mine}/labels/{}", foreign["id"].as_str().unwrap()),
    )
    .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(app.get_json(&other.admin_token, "/api/v1/labels").await["items"].as_array().unwrap().len(), 1);
    // Labels, notes and mentions are part of the inbox, and so of its plan.
    let basic = app.create_account("basic", &[]).await;
    for path in ["/api/v1/labels", "/api/v1/mentions"] {
        assert_error(app.get(&basic.admin_token, path).await, StatusCode::FORBIDDEN, "plan_required").await;
    }
}

async fn notes_are_never_sent_to_meta(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let id = conv["id"].as_str().unwrap();
    let mut ws = connect(&app, &acct.admin_token).await;

    let secret = "nota interna: el cliente debe 3 facturas";
    let res = app.post(&acct.admin_token, &format!("/api/v1/conversations/{id}/notes"), json!({"text": secret})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let note: Value = res.json().await.unwrap();
    assert_eq!(note["text"], secret);
    assert_eq!(note["author"]["id"], acct.admin_id.as_str());
    let created = wait_for(&mut ws, |e| e["type"] == "note.created").await.expect("note.created");
    assert_eq!(created["data"]["id"], note["id"]);

    // Shown apart: in the notes, never among the messages or in the list's preview.
    let notes = app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{id}/notes")).await;
    assert_eq!(notes["items"].as_array().unwrap().len(), 1);
    let messages = app.messages(&acct.admin_token, id).await;
    assert!(messages.iter().all(|m| m["text"] != secret), "{messages:?}");
    assert_ne!(app.only_conversation(&acct.admin_token).await["last_message"]["text"], secret);

    // A real reply afterwards reaches Meta: once it has, everything queued before it has too.
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "text", "text": "¡Hola! ¿En qué te ayudo?"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let sends = app.wait_for_sends(1).await;
    assert_eq!(sends.len(), 1, "only the reply was sent");
    for r in app.sim.requests() {
        let body = serde_json::to_string(&r.body).unwrap();
        assert!(!body.contains("facturas"), "a note reached Meta: {} {body}", r.path);
    }
    // Bad notes are refused.
    let res = app.post(&acct.admin_token, &format!("/api/v1/conversations/{id}/notes"), json!({"text": "  "})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "text_empty").await;
    let res = app
        .post(&acct.admin_token, &format!("/api/v1/conversations/{id}/notes"), json!({"text": "a".repeat(10_001)}))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "text_too_long").await;
}

async fn notes_are_changed_only_by_their_author(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;
    let (mine, theirs) = two_conversations(&app, &acct.admin_token).await;
    app.patch(&acct.admin_token, &format!("/api/v1/conversations/{mine}"), json!({"assignee_id": seller_id})).await;

    let res = app.post(&seller, &format!("/api/v1/conversations/{mine}/notes"), json!({"text": "llamar mañana"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let note: Value = res.json().await.unwrap();
    let path = format!("/api/v1/conversations/{mine}/notes/{}", note["id"].as_str().unwrap());
    // The admin reads it but may not change it.
    assert_eq!(
        app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{mine}/notes")).await["items"][0]["text"],
        "llamar mañana"
    );
    assert_error(
        app.patch(&acct.admin_token, &path, json!({"text": "otra cosa"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_error(delete(&app, &acct.admin_token, &path).await, StatusCode::FORBIDDEN, "forbidden").await;
    // The seller sees nothing of a conversation that is not theirs.
    let res = app.post(&seller, &format!("/api/v1/conversations/{theirs}/notes"), json!({"text": "hola"})).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    assert_error(
        app.get(&seller, &format!("/api/v1/conversations/{theirs}/notes")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Under another conversation's path the note does not exist.
    let elsewhere = format!("/api/v1/conversations/{theirs}/notes/{}", note["id"].as_str().unwrap());
    assert_error(
        app.patch(&acct.admin_token, &elsewhere, json!({"text": "x"})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let res = app.patch(&seller, &path, json!({"text": "llamar el lunes"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["text"], "llamar el lunes");
    assert!(edited["edited_at"].is_string());
    assert_eq!(delete(&app, &seller, &path).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json(&seller, &format!("/api/v1/conversations/{mine}/notes")).await["items"], json!([]));
    assert_error(delete(&app, &seller, &path).await, StatusCode::NOT_FOUND, "not_found").await;
}

fn mention(name: &str, id: &str) -> String {
    format!("@[{name}]({id})")
}

async fn mentions_notify_only_the_mentioned_user(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let (ana, ana_token) = app.create_user(&acct.admin_token, "seller").await;
    let (bruno, bruno_token) = app.create_user(&acct.admin_token, "seller").await;
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/roles",
            json!({"name": "Supervisión", "permissions": {"visibility": "all", "actions": ["send_messages"]}}),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let (carla, carla_token) = app.create_user(&acct.admin_token, role["id"].as_str().unwrap()).await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let id = conv["id"].as_str().unwrap();
    app.patch(&acct.admin_token, &format!("/api/v1/conversations/{id}"), json!({"assignee_id": ana})).await;

    // Who may be mentioned: those who may see it (not Bruno), without the author.
    let who = app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{id}/mentionable")).await;
    let mut ids: Vec<&str> = who["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut expected = vec![ana.as_str(), carla.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    // Mentioning someone who cannot see the conversation is refused, and nothing is stored.
    let text = format!("{} mira esto", mention("Bruno", &bruno));
    let res = app.post(&acct.admin_token, &format!("/api/v1/conversations/{id}/notes"), json!({"text": text})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_mention").await;
    let text = format!("{} hola", mention("Nadie", &uuid::Uuid::now_v7().to_string()));
    let res = app.post(&acct.admin_token, &format!("/api/v1/conversations/{id}/notes"), json!({"text": text})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_mention").await;
    assert_eq!(app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{id}/notes")).await["items"], json!([]));

    let mut ana_ws = connect(&app, &ana_token).await;
    let mut bruno_ws = connect(&app, &bruno_token).await;
    let mut carla_ws = connect(&app, &carla_token).await;
    let text = format!("{} el cliente quiere factura; @Carla sin token no cuenta", mention("Ana", &ana));
    let res = app.post(&acct.admin_token, &format!("/api/v1/conversations/{id}/notes"), json!({"text": text})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let note: Value = res.json().await.unwrap();
    assert_eq!(note["mentions"], json!([{"id": ana, "name": "Vendedor Uno"}]));

    let told = wait_for(&mut ana_ws, |e| e["type"] == "mention.created").await.expect("Ana is told");
    assert_eq!(told["data"]["note"]["id"], note["id"]);
    assert_eq!(told["data"]["note"]["excerpt"], "@Ana el cliente quiere factura; @Carla sin token no cuenta");
    assert_eq!(told["data"]["conversation"]["id"], id);
    let carla_saw = events_until_quiet(&mut carla_ws).await;
    assert!(
        carla_saw.iter().any(|e| e["type"] == "note.created"),
        "Carla sees the conversation's notes: {carla_saw:?}"
    );
    assert!(carla_saw.iter().all(|e| e["type"] != "mention.created"), "but was not mentioned: {carla_saw:?}");
    assert_eq!(events_until_quiet(&mut bruno_ws).await, Vec::<Value>::new(), "Bruno sees nothing of it");

    // The "Menciones" view.
    let list = app.get_json(&ana_token, "/api/v1/mentions?unread=true").await;
    assert_eq!(list["unread_count"], 1);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["conversation"]["id"], id);
    assert_eq!(items[0]["note"]["author"]["id"], acct.admin_id.as_str());
    assert_eq!(items[0]["read_at"], Value::Null);
    for token in [&carla_token, &bruno_token, &acct.admin_token] {
        assert_eq!(app.get_json(token, "/api/v1/mentions").await["items"], json!([]));
    }
    let mention_id = items[0]["id"].as_str().unwrap();
    let res = app.post(&carla_token, &format!("/api/v1/mentions/{mention_id}/read"), json!({})).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app.post(&ana_token, &format!("/api/v1/mentions/{mention_id}/read"), json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json(&ana_token, "/api/v1/mentions?unread=true").await["items"], json!([]));
    let all = app.get_json(&ana_token, "/api/v1/mentions").await;
    assert!(all["items"][0]["read_at"].is_string());
    assert_eq!(all["unread_count"], 0);

    // Editing to mention Carla too tells Carla, and Ana not a second time.
    let path = format!("/api/v1/conversations/{id}/notes/{}", note["id"].as_str().unwrap());
    let text = format!("{} y {}: factura", mention("Ana", &ana), mention("Carla", &carla));
    assert_eq!(app.patch(&acct.admin_token, &path, json!({"text": text})).await.status(), StatusCode::OK);
    assert!(wait_for(&mut carla_ws, |e| e["type"] == "mention.created").await.is_some(), "Carla is told");
    assert!(events_until_quiet(&mut ana_ws).await.iter().all(|e| e["type"] != "mention.created"));
    assert_eq!(app.get_json(&carla_token, "/api/v1/mentions?unread=true").await["unread_count"], 1);
    // Deleting the note takes its mentions away.
    assert_eq!(delete(&app, &acct.admin_token, &path).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_json(&carla_token, "/api/v1/mentions").await["items"], json!([]));
    assert_eq!(app.get_json(&ana_token, "/api/v1/mentions").await["items"], json!([]));
}
