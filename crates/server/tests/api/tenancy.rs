//! What a caller may not see stays out of reach: starting a conversation never touches or reveals
//! another user's customer, contact conflicts name only visible contacts, channel-scoped roles learn
//! nothing of other channels (settings, kinds, the roles that name them), and `email_taken` cannot be
//! used to enumerate other accounts' users.

use crate::harness::{assert_error, changed_tables, on_both_stores, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;

on_both_stores!(
    starting_a_conversation_with_someone_elses_customer_writes_and_tells_nothing,
    someone_elses_customers_cannot_be_probed_in_bulk,
    a_channel_scoped_role_cannot_start_on_a_channel_it_does_not_know,
    contact_conflicts_name_only_contacts_the_caller_may_see,
    a_channel_scoped_manager_changes_only_its_channels,
    the_role_list_is_for_user_managers_and_shows_only_what_they_may_grant,
    email_taken_answers_are_few_so_other_accounts_cannot_be_enumerated,
);

fn start(channel: &Value, phone: &str) -> Value {
    json!({"channel_id": channel["id"], "phone": phone, "template": {"name": "bienvenida", "language": "es_MX"},
        "parameters": {"body": ["Ana"]}})
}

fn sends(app: &TestApp) -> usize {
    app.sim.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/messages")).count()
}

async fn sync_templates(app: &TestApp, token: &str, channel: &Value) {
    let path = format!("/api/v1/channels/{}/templates/sync", channel["id"].as_str().unwrap());
    assert_eq!(app.post(token, &path, json!({})).await.status(), StatusCode::OK);
}

/// A seller types the number of a customer another seller is serving — as WhatsApp names it, or in
/// another form of it (Mexico without the `1`). The answer is the `404` of anything hidden — also when
/// the customer stopped marketing messages, which would otherwise be `422 marketing_opted_out` — and
/// nothing is written: no second conversation, not the handle, not a message, not the audit log.
/// Starting with a new number works.
async fn starting_a_conversation_with_someone_elses_customer_writes_and_tells_nothing(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let channels = app.connect_demo_channels(admin).await;
    sync_templates(&app, admin, &channels.cloud).await;
    let (colleague, _) = app.create_user(admin, "seller").await;
    let (_, seller) = app.create_user(admin, "seller").await;
    let mexican = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap();
    let spanish = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "34612345678").unwrap();
    for customer in [&mexican, &spanish] {
        customer.text("hola").await.unwrap();
    }
    app.settle().await;
    let convs = app.get_json(admin, "/api/v1/conversations").await["items"].as_array().unwrap().clone();
    for conv in &convs {
        let path = format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap());
        assert_eq!(app.patch(admin, &path, json!({"assignee_id": colleague})).await.status(), StatusCode::OK);
    }
    let hidden = app.get(&seller, &format!("/api/v1/conversations/{}", uuid::Uuid::now_v7())).await;
    let hidden: Value = hidden.json().await.unwrap();
    let before_all = app.get_json(admin, "/api/v1/conversations").await;

    for (typed, stop_marketing) in
        [("+52 55 1234 5678", false), ("+34 612 34 56 78", false), ("+52 55 1234 5678", true)]
    {
        if stop_marketing {
            mexican.set_marketing(true).await.unwrap();
            app.settle().await;
        }
        let before = app.db_snapshot().await;
        let sent = sends(&app);
        let res = app.post(&seller, "/api/v1/conversations", start(&channels.cloud, typed)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{typed}, marketing stopped: {stop_marketing}");
        assert_eq!(res.json::<Value>().await.unwrap(), hidden, "the very answer of anything hidden");
        assert_eq!(changed_tables(&before, &app.db_snapshot().await), Vec::<String>::new(), "{typed}: nothing written");
        assert_eq!(sends(&app), sent, "nothing sent");
    }
    let after_all = app.get_json(admin, "/api/v1/conversations").await;
    let handles = |page: &Value| -> Vec<String> {
        let mut all: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{} {}", c["handle"]["wa_id"], c["assignee"]["id"]))
            .collect();
        all.sort();
        all
    };
    assert_eq!(
        handles(&after_all),
        handles(&before_all),
        "the same customers, as WhatsApp names them, still the colleague's"
    );

    let res = app.post(&seller, "/api/v1/conversations", start(&channels.cloud, "+52 55 7777 8888")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let started: Value = res.json().await.unwrap();
    assert_eq!(started["conversation"]["handle"]["wa_id"], "525577778888");
}

/// Each refusal above still tells that the number is someone's customer (no answer can hide it: a
/// new customer gets a conversation, someone else's cannot be handed over), so a user gets few of them
/// an hour; then every start waits (`429`), whatever the number. Other users are not affected.
async fn someone_elses_customers_cannot_be_probed_in_bulk(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let channels = app.connect_demo_channels(admin).await;
    sync_templates(&app, admin, &channels.cloud).await;
    let (_, seller) = app.create_user(admin, "seller").await;
    let (_, colleague) = app.create_user(admin, "seller").await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(admin).await;
    let path = format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap());
    assert_eq!(app.patch(admin, &path, json!({"assignee_id": acct.admin_id})).await.status(), StatusCode::OK);
    for _ in 0..10 {
        let res = app.post(&seller, "/api/v1/conversations", start(&channels.cloud, "+52 55 1234 5678")).await;
        assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    }
    for phone in ["+52 55 1234 5678", "+52 55 7777 8888"] {
        let res = app.post(&seller, "/api/v1/conversations", start(&channels.cloud, phone)).await;
        assert!(res.headers().get("retry-after").is_some());
        assert_error(res, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    }
    let res = app.post(&colleague, "/api/v1/conversations", start(&channels.cloud, "+52 55 7777 8888")).await;
    assert_eq!(res.status(), StatusCode::CREATED, "another user has their own allowance");
}

/// A role scoped to the cloud number names the Facebook page (outside its scope) when starting: the
/// answer is the one for a channel that does not exist, not what kind of channel it is.
async fn a_channel_scoped_role_cannot_start_on_a_channel_it_does_not_know(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let channels = app.connect_demo_channels(admin).await;
    let res = app
        .post(
            admin,
            "/api/v1/roles",
            json!({"name": "Solo Cloud", "permissions": {"visibility": "channels",
            "channel_ids": [channels.cloud["id"]], "actions": ["send_messages", "send_templates"]}}),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let (_, scoped) = app.create_user(admin, role["id"].as_str().unwrap()).await;
    for channel in [&channels.page, &channels.app] {
        let res = app.post(&scoped, "/api/v1/conversations", start(channel, "+52 55 7777 8888")).await;
        assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_channel").await;
    }
    let res = app
        .post(&scoped, "/api/v1/conversations", start(&json!({"id": uuid::Uuid::now_v7()}), "+52 55 7777 8888"))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_channel").await;
}

/// Two contacts share a number; the seller sees only one of them (through its conversation). Its
/// `conflicts` name only contacts the caller may see — the administrator's name both.
async fn contact_conflicts_name_only_contacts_the_caller_may_see(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    app.connect_demo_channels(admin).await;
    let (seller_id, seller) = app.create_user(admin, "seller").await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215511112222").unwrap().text("hola").await.unwrap();
    app.sim.whatsapp_customer(demo::APP_PHONE_NUMBER_ID, "5215533334444").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let convs = app.get_json(admin, "/api/v1/conversations").await;
    let by_number = |wa: &str| {
        convs["items"].as_array().unwrap().iter().find(|c| c["handle"]["wa_id"] == wa).unwrap()["id"].clone()
    };
    let (mine, hidden) = (by_number("5215511112222"), by_number("5215533334444"));
    let res = app
        .patch(admin, &format!("/api/v1/conversations/{}", mine.as_str().unwrap()), json!({"assignee_id": seller_id}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let contact = |conversation: &Value| json!({"first_name": "Ana", "phone_primary": "+52 55 9999 0000", "conversation_id": conversation});
    let res = app.post(admin, "/api/v1/contacts", contact(&mine)).await;
    let visible: Value = res.json().await.unwrap();
    let res = app.post(admin, "/api/v1/contacts", contact(&hidden)).await;
    let other: Value = res.json().await.unwrap();
    assert_eq!(other["conflicts"], json!([visible["id"]]), "the administrator sees both");
    let path = format!("/api/v1/contacts/{}", visible["id"].as_str().unwrap());
    assert_eq!(app.get_json(admin, &path).await["conflicts"], json!([other["id"]]));

    assert_eq!(app.get_json(&seller, &path).await["conflicts"], json!([]), "the seller sees none");
    let res = app.patch(&seller, &path, json!({"last_name": "López"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["conflicts"], json!([]));
    let res = app
        .post(&seller, "/api/v1/contacts", json!({"first_name": "Nueva", "phone_primary": "+52 55 9999 0000"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.json::<Value>().await.unwrap()["conflicts"], json!([visible["id"]]), "only the one it sees");
}

/// A role that manages channels but is scoped to one cannot rename, disable or re-route the others:
/// they do not exist for it.
async fn a_channel_scoped_manager_changes_only_its_channels(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let channels = app.connect_demo_channels(admin).await;
    let res = app
        .post(
            admin,
            "/api/v1/roles",
            json!({"name": "Jefe Cloud", "permissions": {"visibility": "channels",
            "channel_ids": [channels.cloud["id"]], "actions": ["manage_channels"]}}),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let (_, manager) = app.create_user(admin, role["id"].as_str().unwrap()).await;
    let patch = |c: &Value| format!("/api/v1/channels/{}", c["id"].as_str().unwrap());
    let res = app.patch(&manager, &patch(&channels.cloud), json!({"name": "Ventas MX"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let audit_before = app.get_json(admin, "/api/v1/audit").await["items"].as_array().unwrap().len();
    let res = app.patch(&manager, &patch(&channels.page), json!({"name": "mío", "enabled": false})).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let listed = app.get_json(admin, "/api/v1/channels").await;
    let page = listed["items"].as_array().unwrap().iter().find(|c| c["id"] == channels.page["id"]).unwrap().clone();
    assert_eq!((page["name"].clone(), page["enabled"].clone()), (channels.page["name"].clone(), json!(true)));
    assert_eq!(app.get_json(admin, "/api/v1/audit").await["items"].as_array().unwrap().len(), audit_before);
}

/// `GET /roles` is for choosing a role for a user: it needs `manage_users`, and a manager who is not an
/// administrator is shown only the roles it may grant — not roles naming channels it does not know.
async fn the_role_list_is_for_user_managers_and_shows_only_what_they_may_grant(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let channels = app.connect_demo_channels(admin).await;
    let role = |name: &str, channel: &Value, actions: Value| json!({"name": name, "permissions": {"visibility": "channels", "channel_ids": [channel["id"]], "actions": actions}});
    let app_role: Value =
        app.post(admin, "/api/v1/roles", role("Solo App", &channels.app, json!([]))).await.json().await.unwrap();
    let cloud_agent: Value = app
        .post(admin, "/api/v1/roles", role("Agente Cloud", &channels.cloud, json!(["send_messages"])))
        .await
        .json()
        .await
        .unwrap();
    let manager_role: Value = app
        .post(admin, "/api/v1/roles", role("Jefe Cloud", &channels.cloud, json!(["send_messages", "manage_users"])))
        .await
        .json()
        .await
        .unwrap();
    let (_, manager) = app.create_user(admin, manager_role["id"].as_str().unwrap()).await;
    let (_, seller) = app.create_user(admin, "seller").await;

    assert_error(app.get(&seller, "/api/v1/roles").await, StatusCode::FORBIDDEN, "forbidden").await;
    let names = |list: Value| -> Vec<String> {
        list["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(
        names(app.get_json(admin, "/api/v1/roles").await),
        ["admin", "seller", "Solo App", "Agente Cloud", "Jefe Cloud"]
    );
    let shown = app.get(&manager, "/api/v1/roles").await.text().await.unwrap();
    assert!(!shown.contains(channels.app["id"].as_str().unwrap()), "{shown}");
    assert!(!shown.contains(app_role["id"].as_str().unwrap()), "{shown}");
    assert_eq!(names(serde_json::from_str(&shown).unwrap()), ["Agente Cloud", "Jefe Cloud"]);
    assert!(shown.contains(cloud_agent["id"].as_str().unwrap()));
}

/// E-mail addresses are the login, unique across the installation, so creating a user with an
/// address of another account is refused like one of this account (`409 email_taken`). Such answers
/// are few per account and hour; then every creation waits (`429`), whatever the address — so they
/// cannot be used to enumerate who uses the inbox elsewhere. Other accounts are not affected.
async fn email_taken_answers_are_few_so_other_accounts_cannot_be_enumerated(app: TestApp) {
    let a = app.full_account().await;
    let b = app.full_account().await;
    let create = |email: &str| json!({"email": email, "name": "N", "password": PASSWORD, "role": "seller"});
    let own = app.post(&a.admin_token, "/api/v1/users", create(&a.admin_email)).await;
    let own_body = own.text().await.unwrap();
    let theirs = app.post(&a.admin_token, "/api/v1/users", create(&b.admin_email)).await;
    assert_eq!(theirs.status(), StatusCode::CONFLICT);
    assert_eq!(theirs.text().await.unwrap(), own_body, "one answer, wherever the address is used");
    for _ in 2..10 {
        let res = app.post(&a.admin_token, "/api/v1/users", create(&b.admin_email)).await;
        assert_error(res, StatusCode::CONFLICT, "email_taken").await;
    }
    let fresh = format!("nuevo-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app.post(&a.admin_token, "/api/v1/users", create(&fresh)).await;
    assert!(res.headers().get("retry-after").is_some());
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    let res = app.post(&a.admin_token, "/api/v1/users", create(&b.admin_email)).await;
    assert_error(res, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    let res = app.post(&b.admin_token, "/api/v1/users", create(&fresh)).await;
    assert_eq!(res.status(), StatusCode::CREATED, "another account has its own allowance");
}
