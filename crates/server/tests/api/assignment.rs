//! Assignment: round-robin of new conversations over the available users who may take them, manual
//! assign / unassign / transfer with their notices, availability set by each user, and roles that can be
//! edited and deleted.

use crate::harness::{assert_error, on_both_stores, TestApp};
use crate::realtime::{connect, next_event_within, Socket};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;
use std::collections::HashMap;
use std::time::Duration;

on_both_stores!(
    round_robin_spreads_thirty_conversations_ten_each,
    concurrent_new_conversations_are_still_spread_evenly,
    a_worker_batch_of_new_conversations_is_spread_by_workload_and_each_assignment_announced,
    an_assignment_a_dead_process_stored_is_announced_once_with_the_notice_it_stored,
    a_reopened_conversation_keeps_its_assignee,
    users_set_their_own_availability,
    assign_unassign_and_transfer_are_announced,
    roles_can_be_edited_and_deleted,
);

/// The next event matching `wanted`, skipping others; `None` if none comes within 5 s.
pub(crate) async fn wait_for(ws: &mut Socket, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        if let Some(e) = next_event_within(ws).await {
            if wanted(&e) {
                return Some(e);
            }
        }
    }
    None
}

async fn set_auto_assign(app: &TestApp, token: &str, channel: &Value) {
    let res = app
        .patch(token, &format!("/api/v1/channels/{}", channel["id"].as_str().unwrap()), json!({"auto_assign": true}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn set_me_available(app: &TestApp, token: &str, available: bool) {
    let res = app.patch(token, "/api/v1/me", json!({"available": available})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["user"]["available"], available);
}

/// A custom role that sees and answers one channel only.
async fn channel_role(app: &TestApp, token: &str, name: &str, channel: &Value) -> String {
    let res = app
        .post(
            token,
            "/api/v1/roles",
            json!({"name": name, "permissions": {"visibility": "channels", "channel_ids": [channel["id"]], "actions": ["send_messages"]}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

/// How many open conversations each assignee has (`""`: unassigned), as the admin sees them.
async fn assignee_counts(app: &TestApp, token: &str) -> HashMap<String, usize> {
    let page = app.get_json(token, "/api/v1/conversations?limit=100").await;
    let mut counts = HashMap::new();
    for c in page["items"].as_array().unwrap() {
        let who = c["assignee"]["id"].as_str().unwrap_or("").to_string();
        *counts.entry(who).or_insert(0) += 1;
    }
    counts
}

async fn round_robin_spreads_thirty_conversations_ten_each(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    set_auto_assign(&app, &acct.admin_token, &channels.cloud).await;
    // The administrator does not sell: they say so.
    set_me_available(&app, &acct.admin_token, false).await;
    let mut sellers = vec![];
    for _ in 0..3 {
        sellers.push(app.create_user(&acct.admin_token, "seller").await);
    }
    let (resting_id, resting) = app.create_user(&acct.admin_token, "seller").await;
    set_me_available(&app, &resting, false).await;
    let facebook_role = channel_role(&app, &acct.admin_token, "Vendedor Facebook", &channels.page).await;
    let (facebook_id, _) = app.create_user(&acct.admin_token, &facebook_role).await;
    let mut first_seller = connect(&app, &sellers[0].1).await;

    for i in 0..30 {
        let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, &format!("52155120000{i:02}")).unwrap();
        c.text("hola, ¿tienen stock?").await.unwrap();
    }
    app.settle().await;

    let counts = assignee_counts(&app, &acct.admin_token).await;
    for (id, _) in &sellers {
        assert_eq!(counts.get(id), Some(&10), "each available seller gets 10: {counts:?}");
    }
    assert_eq!(counts.get(&resting_id), None, "an unavailable seller gets none");
    assert_eq!(counts.get(&facebook_id), None, "a seller of another channel gets none");
    assert_eq!(counts.get(&acct.admin_id), None, "an unavailable administrator gets none");
    assert_eq!(counts.get(""), None, "nothing left unassigned");

    // The seller was told about theirs, with a notice in each conversation.
    let assigned = wait_for(&mut first_seller, |e| e["type"] == "conversation.assigned").await.expect("told");
    assert_eq!(assigned["data"]["assignee"]["id"], sellers[0].0.as_str());
    assert_eq!(assigned["data"]["auto"], true);
    assert_eq!(assigned["data"]["by"], Value::Null);
    let conversation = assigned["data"]["conversation"]["id"].as_str().unwrap();
    let messages = app.messages(&sellers[0].1, conversation).await;
    let notice = messages.iter().find(|m| m["kind"] == "system").expect("an assignment notice");
    assert_eq!(notice["system"]["type"], "assignment");
    assert_eq!(notice["system"]["assignee"]["id"], sellers[0].0.as_str());

    // A channel without auto_assign leaves its conversations to be assigned by hand.
    app.sim.whatsapp_customer(demo::APP_PHONE_NUMBER_ID, "5215512999999").unwrap().text("hola").await.unwrap();
    app.settle().await;
    assert_eq!(assignee_counts(&app, &acct.admin_token).await.get(""), Some(&1));
}

/// Two workers creating conversations at once (several server processes on PostgreSQL) must not both
/// count the same workloads: the store serialises the choice per account.
async fn concurrent_new_conversations_are_still_spread_evenly(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    set_auto_assign(&app, &acct.admin_token, &channels.cloud).await;
    set_me_available(&app, &acct.admin_token, false).await;
    let mut sellers = vec![];
    for _ in 0..3 {
        sellers.push(app.create_user(&acct.admin_token, "seller").await.0);
    }
    let account: domain::ids::AccountId = acct.account_id.parse().unwrap();
    let channel: domain::ids::ChannelId = channels.cloud["id"].as_str().unwrap().parse().unwrap();
    let mut tasks = vec![];
    for i in 0..30 {
        let store = app.state.store.clone();
        let now = app.state.now_ms();
        tasks.push(tokio::spawn(async move {
            let wa_id = format!("52155130000{i:02}");
            let who = store::CustomerIdentity {
                phone_keys: domain::phone::match_keys(&wa_id),
                wa_id: Some(wa_id),
                ..Default::default()
            };
            let msg = store::NewMessage {
                external_id: format!("wamid.concurrent.{i}"),
                origin: domain::message::Origin::Customer,
                kind: "text".into(),
                text: Some("hola".into()),
                content: json!({}),
                reply_to_external_id: None,
                sent_at: now,
                attachments: vec![],
                anchors_window: true,
                counts_as_unread: true,
                reopens: true,
            };
            store.ingest_message(account, channel, &who, &msg, now).await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("ingested");
    }
    let counts = assignee_counts(&app, &acct.admin_token).await;
    for id in &sellers {
        assert_eq!(counts.get(id), Some(&10), "{counts:?}");
    }
}

/// A campaign's first replies reach the worker as one batch of deliveries, each starting a
/// conversation: the round-robin reads the workloads once for the batch and must still count every
/// assignment it makes in it, and announce each (notice, event, audit entry) as it would one by one.
async fn a_worker_batch_of_new_conversations_is_spread_by_workload_and_each_assignment_announced(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    set_auto_assign(&app, &acct.admin_token, &channels.cloud).await;
    set_me_available(&app, &acct.admin_token, false).await;
    // The first seller already works three open conversations when the campaign starts.
    let (busy_id, _) = app.create_user(&acct.admin_token, "seller").await;
    for i in 0..3 {
        let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, &format!("52155140000{i:02}")).unwrap();
        c.text("hola").await.unwrap();
    }
    app.settle().await;
    assert_eq!(assignee_counts(&app, &acct.admin_token).await.get(&busy_id), Some(&3));
    let (second_id, _) = app.create_user(&acct.admin_token, "seller").await;
    let (third_id, third) = app.create_user(&acct.admin_token, "seller").await;
    let mut third_socket = connect(&app, &third).await;

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let bodies: Vec<Value> = (0..30)
        .map(|i| {
            let user = simulator::payloads::WaUser::phone(format!("52155150000{i:02}")).with_name("Cliente");
            simulator::payloads::whatsapp_text(
                &crate::inbound::cloud(),
                &user,
                &format!("wamid.batch.{i}"),
                now,
                "hola",
            )
        })
        .collect();
    crate::inbound::journal_as_one_batch(&app, &bodies).await;
    app.settle().await;

    let counts = assignee_counts(&app, &acct.admin_token).await;
    assert_eq!(counts.get(&busy_id), Some(&11), "the busy seller gets fewer of the new ones: {counts:?}");
    assert_eq!(counts.get(&second_id), Some(&11), "{counts:?}");
    assert_eq!(counts.get(&third_id), Some(&11), "{counts:?}");
    assert_eq!(counts.get(""), None, "nothing left unassigned");

    // Each assignment told once: the assignee's socket, a notice in its conversation, the audit log.
    let mut told = std::collections::HashSet::new();
    while let Some(e) = wait_for(&mut third_socket, |e| e["type"] == "conversation.assigned").await {
        assert_eq!(e["data"]["assignee"]["id"], third_id.as_str());
        assert_eq!(e["data"]["auto"], true);
        assert!(told.insert(e["data"]["conversation"]["id"].as_str().unwrap().to_string()), "told twice: {e}");
        if told.len() == 11 {
            break;
        }
    }
    assert_eq!(told.len(), 11, "the third seller is told of each of theirs");
    for conversation in &told {
        let messages = app.messages(&third, conversation).await;
        let notices: Vec<&Value> = messages.iter().filter(|m| m["kind"] == "system").collect();
        assert_eq!(notices.len(), 1, "one notice: {messages:?}");
        assert_eq!(notices[0]["system"]["assignee"]["id"], third_id.as_str());
        assert_eq!(notices[0]["system"]["auto"], true);
    }
    let audit = app.get_json(&acct.admin_token, "/api/v1/audit?action=conversation.assigned&limit=100").await;
    let entries = audit["items"].as_array().unwrap();
    assert_eq!(entries.len(), 33, "one entry per assignment");
    assert!(entries.iter().all(|e| e["details"]["auto"] == true && e["user_id"].is_null()), "{entries:?}");
}

/// The round-robin's notice and audit entry are stored with the conversation they tell of, in the
/// worker batch's first stage. A process that dies before its second stage leaves them stored and
/// untold; the delivery applied again announces the conversation with that notice and its
/// `conversation.assigned` — once — and stores neither a second time.
async fn an_assignment_a_dead_process_stored_is_announced_once_with_the_notice_it_stored(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    set_auto_assign(&app, &acct.admin_token, &channels.cloud).await;
    set_me_available(&app, &acct.admin_token, false).await;
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;
    let mut socket = connect(&app, &seller).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ana = simulator::payloads::WaUser::phone("5215516000000").with_name("Ana");
    let body = simulator::payloads::whatsapp_text(&crate::inbound::cloud(), &ana, "wamid.dead.1", now, "hola");
    // The dead process's batch: its first stage stored the message; its second never ran.
    let delivery = meta::parse_delivery(body.to_string().as_bytes()).expect("a delivery");
    let applier = server::inbound::apply::Applier { state: &app.state };
    let nothing_announcing = Default::default();
    drop(server::inbound::batch::store(&applier, vec![delivery], &nothing_announcing, &[]).await.expect("first stage"));
    let conversation = app.only_conversation(&acct.admin_token).await;
    let id = conversation["id"].as_str().unwrap().to_string();
    assert_eq!(conversation["assignee"]["id"], seller_id.as_str(), "assigned in the first stage");
    let stored = app.messages(&acct.admin_token, &id).await;
    assert_eq!(stored.iter().filter(|m| m["kind"] == "system").count(), 1, "its notice too: {stored:?}");

    // Its delivery, still in the journal, is applied again.
    let told = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e["type"].as_str() {
                Some("conversation.created") => Some("conversation".to_string()),
                Some("conversation.assigned") => {
                    Some(format!("assigned to {}", e["data"]["assignee"]["id"].as_str().unwrap_or("nobody")))
                }
                Some("message.created") => Some(format!("message {}", e["data"]["kind"].as_str().unwrap_or("?"))),
                _ => None,
            })
            .collect()
    };
    crate::inbound::journal_as_one_batch(&app, std::slice::from_ref(&body)).await;
    app.settle().await;
    let events = crate::realtime::events_until_quiet(&mut socket).await;
    let assigned = format!("assigned to {seller_id}");
    assert_eq!(told(&events), ["conversation", "message text", "message system", assigned.as_str()]);
    let notice = events.iter().find(|e| e["type"] == "message.created" && e["data"]["kind"] == "system").unwrap();
    let stored_notice = stored.iter().find(|m| m["kind"] == "system").unwrap();
    assert_eq!(notice["data"]["id"], stored_notice["id"], "the notice stored then, not another");

    // Meta delivers it once more: it was announced, there is nothing to tell.
    crate::inbound::journal_as_one_batch(&app, std::slice::from_ref(&body)).await;
    app.settle().await;
    assert_eq!(told(&crate::realtime::events_until_quiet(&mut socket).await), Vec::<String>::new());
    let messages = app.messages(&acct.admin_token, &id).await;
    assert_eq!(messages.iter().filter(|m| m["kind"] == "system").count(), 1, "one notice: {messages:?}");
    let audit = app.get_json(&acct.admin_token, "/api/v1/audit?action=conversation.assigned").await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "one audit entry: {audit}");
}

async fn a_reopened_conversation_keeps_its_assignee(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    set_auto_assign(&app, &acct.admin_token, &channels.cloud).await;
    set_me_available(&app, &acct.admin_token, false).await;
    let (ana, ana_token) = app.create_user(&acct.admin_token, "seller").await;
    let customer = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    customer.text("hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    assert_eq!(conv["assignee"]["id"], ana.as_str());
    let path = format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap());
    assert_eq!(app.patch(&ana_token, &path, json!({"status": "resolved"})).await.status(), StatusCode::OK);

    // Bruno is available with nothing open; Ana is now unavailable. The customer writes again.
    let (_bruno, _) = app.create_user(&acct.admin_token, "seller").await;
    set_me_available(&app, &ana_token, false).await;
    customer.text("una pregunta más").await.unwrap();
    app.settle().await;
    let again = app.only_conversation(&acct.admin_token).await;
    assert_eq!(again["status"], "open");
    assert_eq!(again["assignee"]["id"], ana.as_str(), "reopening keeps the assignee");
}

async fn users_set_their_own_availability(app: TestApp) {
    let acct = app.full_account().await;
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;
    let (other_id, _) = app.create_user(&acct.admin_token, "seller").await;
    assert_eq!(app.get_json(&seller, "/api/v1/me").await["user"]["available"], true);
    set_me_available(&app, &seller, false).await;
    assert_eq!(app.get_json(&seller, "/api/v1/me").await["user"]["available"], false);
    set_me_available(&app, &seller, true).await;

    // Only one's own: another user's availability is for those who manage users.
    let res = app.patch(&seller, &format!("/api/v1/users/{other_id}"), json!({"available": false})).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app.patch(&acct.admin_token, &format!("/api/v1/users/{seller_id}"), json!({"available": false})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.get_json(&seller, "/api/v1/me").await["user"]["available"], false);

    // Bad input changes nothing; no credentials, no change.
    let res = app.patch(&seller, "/api/v1/me", json!({"available": "yes"})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
    let res = app.http.patch(app.url("/api/v1/me")).json(&json!({"available": true})).send().await.unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(app.get_json(&seller, "/api/v1/me").await["user"]["available"], false);
    let audit = app.get_json(&acct.admin_token, "/api/v1/audit").await;
    assert!(audit["items"].as_array().unwrap().iter().any(|e| e["action"] == "user.availability"), "{audit}");
}

async fn assign_unassign_and_transfer_are_announced(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let (ana, ana_token) = app.create_user(&acct.admin_token, "seller").await;
    let (bruno, bruno_token) = app.create_user(&acct.admin_token, "seller").await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let id = conv["id"].as_str().unwrap();
    let path = format!("/api/v1/conversations/{id}");
    let mut ana_ws = connect(&app, &ana_token).await;
    let mut bruno_ws = connect(&app, &bruno_token).await;

    // Assign: Ana, who could not see it, is told, conversation included.
    assert_eq!(app.patch(&acct.admin_token, &path, json!({"assignee_id": ana})).await.status(), StatusCode::OK);
    let told = wait_for(&mut ana_ws, |e| e["type"] == "conversation.assigned").await.expect("Ana is told");
    assert_eq!(told["data"]["assignee"]["id"], ana.as_str());
    assert_eq!(told["data"]["previous"], Value::Null);
    assert_eq!(told["data"]["by"]["id"], acct.admin_id.as_str());
    assert_eq!(told["data"]["conversation"]["id"], id);

    // Transfer: Bruno is told; Ana, who no longer sees it, is told it left her view — and nothing more.
    assert_eq!(app.patch(&acct.admin_token, &path, json!({"assignee_id": bruno})).await.status(), StatusCode::OK);
    let told = wait_for(&mut bruno_ws, |e| e["type"] == "conversation.assigned").await.expect("Bruno is told");
    assert_eq!(told["data"]["previous"]["id"], ana.as_str());
    let removed = wait_for(&mut ana_ws, |e| e["type"] == "conversation.removed").await.expect("Ana is told");
    assert_eq!(removed["data"], json!({"id": id}));
    assert_error(app.get(&ana_token, &path).await, StatusCode::NOT_FOUND, "not_found").await;

    // Unassign.
    assert_eq!(app.patch(&acct.admin_token, &path, json!({"assignee_id": null})).await.status(), StatusCode::OK);
    assert!(wait_for(&mut bruno_ws, |e| e["type"] == "conversation.removed").await.is_some());
    // Assigning it to whom already has it announces nothing new.
    app.patch(&acct.admin_token, &path, json!({"assignee_id": null})).await;

    let notices: Vec<Value> = app
        .messages(&acct.admin_token, id)
        .await
        .into_iter()
        .filter(|m| m["system"]["type"] == "assignment")
        .map(|m| m["system"].clone())
        .collect();
    assert_eq!(notices.len(), 3, "{notices:?}");
    assert_eq!(notices[0]["assignee"]["id"], ana.as_str());
    assert_eq!(notices[0]["by"]["id"], acct.admin_id.as_str());
    assert_eq!(notices[1]["previous"]["id"], ana.as_str());
    assert_eq!(notices[2]["assignee"], Value::Null);
    assert_eq!(app.sim.requests_to("/messages").len(), 0, "a notice is never sent to the customer");

    let audit = app.get_json(&acct.admin_token, "/api/v1/audit").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target_id"] == id)
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "conversation.assigned").count(), 2, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "conversation.unassigned").count(), 1, "{actions:?}");
}

async fn roles_can_be_edited_and_deleted(app: TestApp) {
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
    let role_id = role["id"].as_str().unwrap();
    let (user_id, user_token) = app.create_user(&acct.admin_token, role_id).await;
    let mut user_ws = connect(&app, &user_token).await;
    let path = format!("/api/v1/roles/{role_id}");

    // Edit: the role's users have the new grant at once, their open sockets told to reload.
    let res = app
        .patch(
            &acct.admin_token,
            &path,
            json!({"name": "Supervisora", "permissions": {"visibility": "all", "actions": ["assign"]}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["name"], "Supervisora");
    assert_eq!(edited["permissions"]["actions"], json!(["assign"]));
    assert_eq!(app.get_json(&user_token, "/api/v1/me").await["permissions"]["actions"], json!(["assign"]));
    assert!(wait_for(&mut user_ws, |e| e["type"] == "resync").await.is_some(), "the socket re-checks");

    // What may not be edited.
    let res = app.patch(&acct.admin_token, "/api/v1/roles/seller", json!({"name": "Ventas"})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "builtin_role").await;
    let res = app.patch(&user_token, &path, json!({"name": "Jefa"})).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    app.post(&acct.admin_token, "/api/v1/roles", json!({"name": "Otro", "permissions": {"visibility": "assigned"}}))
        .await;
    let res = app.patch(&acct.admin_token, &path, json!({"name": "Otro"})).await;
    assert_error(res, StatusCode::CONFLICT, "role_exists").await;
    let res = app
        .patch(&acct.admin_token, &path, json!({"permissions": {"visibility": "channels", "channel_ids": []}}))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_permissions").await;
    let res =
        app.patch(&acct.admin_token, &format!("/api/v1/roles/{}", uuid::Uuid::now_v7()), json!({"name": "X"})).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;

    // Delete: refused while in use, with how many; moved and deleted in one step.
    assert_error(
        app.http.delete(app.url("/api/v1/roles/admin")).bearer_auth(&acct.admin_token).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "builtin_role",
    )
    .await;
    let res = app.http.delete(app.url(&path)).bearer_auth(&acct.admin_token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "role_in_use");
    assert_eq!(body["error"]["details"]["users"], 1);
    assert_eq!(app.get_json(&user_token, "/api/v1/me").await["role"], role_id, "nothing changed");
    for bad in [role_id.to_string(), uuid::Uuid::now_v7().to_string(), "nobody".into()] {
        let res = app
            .http
            .delete(app.url(&format!("{path}?move_to={bad}")))
            .bearer_auth(&acct.admin_token)
            .send()
            .await
            .unwrap();
        assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_role").await;
    }
    let res = app
        .http
        .delete(app.url(&format!("{path}?move_to=seller")))
        .bearer_auth(&acct.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let users = app.get_json(&acct.admin_token, "/api/v1/users").await;
    let moved = users["items"].as_array().unwrap().iter().find(|u| u["id"] == user_id.as_str()).unwrap().clone();
    assert_eq!(moved["role"], "seller");
    let roles = app.get_json(&acct.admin_token, "/api/v1/roles").await;
    assert!(roles["items"].as_array().unwrap().iter().all(|r| r["id"] != role_id));
    let res = app.http.delete(app.url(&path)).bearer_auth(&acct.admin_token).send().await.unwrap();
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;

    // A role nobody has goes at once.
    let res = app
        .post(&acct.admin_token, "/api/v1/roles", json!({"name": "Vacío", "permissions": {"visibility": "assigned"}}))
        .await;
    let empty: Value = res.json().await.unwrap();
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/roles/{}", empty["id"].as_str().unwrap())))
        .bearer_auth(&acct.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let audit = app.get_json(&acct.admin_token, "/api/v1/audit").await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"role.updated") && actions.contains(&"role.deleted"), "{actions:?}");
}
