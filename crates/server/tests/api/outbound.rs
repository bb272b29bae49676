//! Outbound: every send goes out once, in Meta's format, or is refused before anything leaves.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::{demo, Fault};
use std::time::Duration;

on_both_stores!(
    personalised_reply_goes_out_once_in_meta_format,
    whatsapp_window_closes_at_24_hours_and_refusals_send_nothing,
    messenger_uses_human_agent_tag_until_7_days_then_refuses,
    username_customer_is_addressed_by_recipient_never_to,
    transient_graph_error_is_retried_into_exactly_one_message,
    permanent_graph_error_ends_failed_with_metas_code,
    invalid_sends_are_refused_and_leave_no_trace,
    seller_cannot_send_to_a_conversation_that_is_not_theirs,
    contact_request_then_shared_number_fills_the_contact,
    reaction_goes_to_meta_and_shows_on_its_target,
    a_send_queued_before_an_upgrade_still_goes_out,
    an_unreadable_queued_send_fails_with_its_reason_and_sends_nothing,
    every_202_shows_the_message_as_queued_while_the_worker_sends_others,
);

async fn setup(app: &TestApp, wa_id: &str) -> (crate::harness::TestAccount, Value, Value) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let c = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, wa_id).unwrap().named("María López");
    c.text("Hola, ¿precio del modelo azul?").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let first = app.messages(&acct.admin_token, conv["id"].as_str().unwrap()).await[0].clone();
    (acct, conv, first)
}

fn sends(app: &TestApp) -> Vec<simulator::RecordedRequest> {
    app.sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/messages") && r.json().get("status").is_none())
        .collect()
}

async fn personalised_reply_goes_out_once_in_meta_format(app: TestApp) {
    let (acct, conv, first) = setup(&app, "5215512345678").await;
    let id = conv["id"].as_str().unwrap();
    let res =
        app.post(&acct.admin_token, "/api/v1/contacts", json!({"first_name": "María", "conversation_id": id})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app.post(&acct.admin_token, &format!("/api/v1/conversations/{id}/messages"),
        json!({"type": "text", "text": "Hola {{contact.first_name}}, soy {{agent.name}}. {{contact.email | te escribo por aquí}}", "reply_to": first["id"]})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let queued: Value = res.json().await.unwrap();
    assert_eq!(queued["status"], "pending");
    assert_eq!(queued["text"], "Hola María, soy Admin. te escribo por aquí");
    let sent = app.verdict(&acct.admin_token, id, queued["id"].as_str().unwrap()).await;
    assert_eq!(sent["status"], "read", "{sent}");
    assert!(sent["external_id"].as_str().unwrap().starts_with("wamid."));
    let calls = sends(&app);
    assert_eq!(calls.len(), 1, "exactly one Graph call");
    let call = &calls[0];
    assert_eq!(call.path, format!("/v24.0/{}/messages", demo::CLOUD_PHONE_NUMBER_ID));
    assert_eq!(call.bearer(), Some(demo::CLOUD_TOKEN));
    assert_eq!(
        call.json(),
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "5215512345678", "type": "text",
            "text": {"body": "Hola María, soy Admin. te escribo por aquí", "preview_url": false},
            "context": {"message_id": first["external_id"]}
        })
    );
    let conv = app.only_conversation(&acct.admin_token).await;
    assert_eq!(conv["last_message"]["id"], queued["id"]);
    assert_eq!(conv["window"]["state"], "open", "the business's message does not move the window");
    let audit = app.get_json(&acct.admin_token, "/api/v1/audit").await;
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "message.sent" && e["target_id"] == queued["id"]));
}

async fn whatsapp_window_closes_at_24_hours_and_refusals_send_nothing(app: TestApp) {
    let (acct, conv, _) = setup(&app, "5215512345678").await;
    let id = conv["id"].as_str().unwrap();
    let path = format!("/api/v1/conversations/{id}/messages");
    app.clock.advance(Duration::from_secs(24 * 3600 - 60));
    let c = app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(c["window"]["state"], "open");
    let res = app.post(&acct.admin_token, &path, json!({"type": "text", "text": "¿Sigues ahí?"})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "one minute before 24 h");
    let last: Value = res.json().await.unwrap();
    // It left before the window closed (Meta's clock did not move: it delivers it).
    assert_eq!(app.verdict(&acct.admin_token, id, last["id"].as_str().unwrap()).await["status"], "read");
    app.clock.advance(Duration::from_secs(61));
    let c = app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(c["window"]["state"], "closed");
    assert_eq!(c["window"]["free_form"], false);
    assert_eq!(c["window"]["templates_allowed"], true);
    let before = sends(&app).len();
    let count = app.messages(&acct.admin_token, id).await.len();
    for body in [json!({"type": "text", "text": "tarde"}), json!({"type": "contact_request", "text": "¿Tu número?"})]
    {
        assert_error(app.post(&acct.admin_token, &path, body).await, StatusCode::UNPROCESSABLE_ENTITY, "window_closed")
            .await;
    }
    // Nothing stored, and everything stored earlier has left: nothing more can reach Meta.
    let msgs = app.messages(&acct.admin_token, id).await;
    assert_eq!(msgs.len(), count, "nothing stored");
    assert!(msgs.iter().all(|m| m["status"] != "pending"), "{msgs:?}");
    assert_eq!(sends(&app).len(), before, "nothing reached the Graph API");
}

async fn messenger_uses_human_agent_tag_until_7_days_then_refuses(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let fb = app.sim.messenger_customer(demo::PAGE_ID).unwrap();
    fb.text("hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let id = conv["id"].as_str().unwrap();
    let path = format!("/api/v1/conversations/{id}/messages");
    let res = app.post(&acct.admin_token, &path, json!({"type": "text", "text": "¡Hola!"})).await;
    let first: Value = res.json().await.unwrap();
    assert_eq!(app.verdict(&acct.admin_token, id, first["id"].as_str().unwrap()).await["status"], "read");
    // 25 h later: the human-agent period. Both clocks move: ours and Meta's.
    app.clock.advance(Duration::from_secs(25 * 3600));
    app.sim.advance_clock(Duration::from_secs(25 * 3600));
    let c = app.get_json(&acct.admin_token, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(c["window"]["state"], "human_agent");
    let res = app.post(&acct.admin_token, &path, json!({"type": "text", "text": "Te escribe un asesor"})).await;
    let second: Value = res.json().await.unwrap();
    let second = app.verdict(&acct.admin_token, id, second["id"].as_str().unwrap()).await;
    assert_eq!(second["status"], "read", "a human agent's reply reaches the customer: {second}");
    let calls = sends(&app);
    assert_eq!(calls[0].json()["messaging_type"], "RESPONSE");
    assert_eq!(calls[1].json()["messaging_type"], "MESSAGE_TAG");
    assert_eq!(calls[1].json()["tag"], "HUMAN_AGENT");
    assert_eq!(calls[1].json()["recipient"]["id"], fb.id());
    assert_eq!(calls[1].bearer(), Some(demo::PAGE_TOKEN));
    app.clock.advance(Duration::from_secs(6 * 24 * 3600));
    assert_error(
        app.post(&acct.admin_token, &path, json!({"type": "text", "text": "¿?"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "window_expired",
    )
    .await;
    assert_eq!(sends(&app).len(), 2);
}

async fn username_customer_is_addressed_by_recipient_never_to(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let c = app.sim.username_customer(demo::CLOUD_PHONE_NUMBER_ID, "ana.compras").unwrap();
    c.text("hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let id = conv["id"].as_str().unwrap();
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "text", "text": "¡Hola Ana!"}),
        )
        .await;
    let m: Value = res.json().await.unwrap();
    let m = app.verdict(&acct.admin_token, id, m["id"].as_str().unwrap()).await;
    assert_eq!(m["status"], "read", "{m}");
    let body = sends(&app)[0].json();
    assert_eq!(body["recipient"], c.user_id());
    assert!(body.get("to").is_none(), "{body}");
}

async fn transient_graph_error_is_retried_into_exactly_one_message(app: TestApp) {
    let (acct, conv, _) = setup(&app, "5215512345678").await;
    let id = conv["id"].as_str().unwrap();
    app.sim.fail_next(2, Fault::Http500);
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "text", "text": "reintento"}),
        )
        .await;
    let m: Value = res.json().await.unwrap();
    let m = app.verdict(&acct.admin_token, id, m["id"].as_str().unwrap()).await;
    assert_eq!(m["status"], "read", "{m}");
    assert_eq!(sends(&app).len(), 3, "two failures, then one success");
    let delivered: Vec<_> =
        app.sim.sent_messages().into_iter().filter(|s| s.body["text"]["body"] == "reintento").collect();
    assert_eq!(delivered.len(), 1, "the customer got it once");
}

async fn permanent_graph_error_ends_failed_with_metas_code(app: TestApp) {
    let (acct, conv, _) = setup(&app, "5215512345678").await;
    let id = conv["id"].as_str().unwrap();
    app.sim.fail_next(1, Fault::GraphError { code: 131026, http_status: 400 });
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "text", "text": "no llega"}),
        )
        .await;
    let m: Value = res.json().await.unwrap();
    let m = app.verdict(&acct.admin_token, id, m["id"].as_str().unwrap()).await;
    assert_eq!(m["status"], "failed");
    assert_eq!(m["error"]["code"], "131026");
    assert!(m["error"]["message"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(sends(&app).len(), 1, "not retried");
}

async fn invalid_sends_are_refused_and_leave_no_trace(app: TestApp) {
    let (acct, conv, _) = setup(&app, "5215512345678").await;
    let id = conv["id"].as_str().unwrap();
    let path = format!("/api/v1/conversations/{id}/messages");
    let cases = [
        (json!({"type": "text", "text": "Hola {{contact.apodo}}"}), "invalid_placeholder"),
        (json!({"type": "text", "text": "x".repeat(4097)}), "text_too_long"),
        (json!({"type": "text", "text": "   "}), "text_empty"),
        (json!({"type": "text", "text": "hola", "reply_to": uuid::Uuid::now_v7()}), "invalid_target"),
        (json!({"type": "fax", "text": "hola"}), "invalid_request"),
    ];
    for (body, code) in cases {
        assert_error(app.post(&acct.admin_token, &path, body).await, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    let res = app.post(&acct.admin_token, &path, json!({"type": "text", "text": "x".repeat(4096)})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "exactly at the limit");
    let m: Value = res.json().await.unwrap();
    assert_eq!(app.verdict(&acct.admin_token, id, m["id"].as_str().unwrap()).await["status"], "read", "Meta takes it");
    assert_eq!(app.messages(&acct.admin_token, id).await.len(), 2);
    assert_eq!(sends(&app).len(), 1);
}

async fn seller_cannot_send_to_a_conversation_that_is_not_theirs(app: TestApp) {
    let (acct, conv, _) = setup(&app, "5215512345678").await;
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    let path = format!("/api/v1/conversations/{}/messages", conv["id"].as_str().unwrap());
    assert_error(
        app.post(&seller, &path, json!({"type": "text", "text": "hola"})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/roles",
            json!({"name": "Solo lectura", "permissions": {"visibility": "all", "actions": []}}),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let (_, reader) = app.create_user(&acct.admin_token, role["id"].as_str().unwrap()).await;
    assert_error(
        app.post(&reader, &path, json!({"type": "text", "text": "hola"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

async fn contact_request_then_shared_number_fills_the_contact(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let c = app.sim.username_customer(demo::CLOUD_PHONE_NUMBER_ID, "pedro.mx").unwrap();
    c.text("hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    let id = conv["id"].as_str().unwrap();
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "contact_request", "text": "¿Nos compartes tu número?"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let m: Value = res.json().await.unwrap();
    assert_eq!(app.verdict(&acct.admin_token, id, m["id"].as_str().unwrap()).await["status"], "read");
    let body = sends(&app)[0].json();
    assert_eq!(body["type"], "interactive");
    assert_eq!(body["interactive"]["type"], "request_contact_info");
    assert_eq!(body["recipient"], c.user_id());
    c.share_own_phone("+52 1 55 9876 5432").await.unwrap();
    c.text("listo").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&acct.admin_token).await;
    assert_eq!(conv["contact"]["phone_whatsapp"], "+525598765432");
    assert_eq!(conv["contact"]["whatsapp_user_id"], c.user_id());
    assert_eq!(conv["contact"]["whatsapp_username"], "pedro.mx");
    let msgs = app.messages(&acct.admin_token, id).await;
    assert!(msgs.iter().any(|m| m["kind"] == "system" && m["system"]["type"] == "phone_shared"), "{msgs:?}");
    // Someone else's card changes no contact.
    let other = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215511112222").unwrap();
    other.contacts(vec![crate::inbound::card("Su primo")]).await.unwrap();
    app.settle().await;
    let page = app.get_json(&acct.admin_token, "/api/v1/conversations?channel=whatsapp_cloud").await;
    let cousin = page["items"].as_array().unwrap().iter().find(|c| c["handle"]["wa_id"] == "5215511112222").unwrap();
    assert_eq!(cousin["contact"], Value::Null);
}

async fn reaction_goes_to_meta_and_shows_on_its_target(app: TestApp) {
    let (acct, conv, first) = setup(&app, "5215512345678").await;
    let id = conv["id"].as_str().unwrap();
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "reaction", "message_id": first["id"], "emoji": "👍"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let body = app.wait_for_sends(1).await[0].json();
    assert_eq!(body["type"], "reaction");
    // Messenger pages cannot react: refused up front, nothing shown or sent.
    let fb = app.sim.messenger_customer(demo::PAGE_ID).unwrap();
    fb.text("hola").await.unwrap();
    app.settle().await;
    let fb_conv = app.get_json(&acct.admin_token, "/api/v1/conversations?channel=messenger").await["items"][0].clone();
    let fb_id = fb_conv["id"].as_str().unwrap();
    let fb_first = app.messages(&acct.admin_token, fb_id).await[0].clone();
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{fb_id}/messages"),
            json!({"type": "reaction", "message_id": fb_first["id"], "emoji": "👍"}),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "unsupported_by_channel").await;
    assert_eq!(app.messages(&acct.admin_token, fb_id).await[0]["reactions"], json!([]));
    assert_eq!(body["reaction"], json!({"message_id": first["external_id"], "emoji": "👍"}));
    let msgs = app.messages(&acct.admin_token, id).await;
    assert_eq!(msgs.len(), 1, "a reaction is not a message row");
    assert_eq!(msgs[0]["reactions"], json!([{"actor": "business", "emoji": "👍"}]));

    // Instagram delivers only ❤️ ("love"): another emoji is refused up front, never shown as sent.
    let ig = app.sim.instagram_customer(demo::IG_ID).unwrap();
    ig.text("hola").await.unwrap();
    app.settle().await;
    let ig_conv = app.get_json(&acct.admin_token, "/api/v1/conversations?channel=instagram").await["items"][0].clone();
    let ig_id = ig_conv["id"].as_str().unwrap();
    let ig_first = app.messages(&acct.admin_token, ig_id).await[0].clone();
    let ig_path = format!("/api/v1/conversations/{ig_id}/messages");
    let react = |emoji: &str| {
        app.post(&acct.admin_token, &ig_path, json!({"type": "reaction", "message_id": ig_first["id"], "emoji": emoji}))
    };
    assert_error(react("👍").await, StatusCode::UNPROCESSABLE_ENTITY, "unsupported_by_channel").await;
    assert_eq!(app.messages(&acct.admin_token, ig_id).await[0]["reactions"], json!([]));
    assert_eq!(react("❤️").await.status(), StatusCode::ACCEPTED);
    let sent = app.wait_for_sends(2).await;
    let love =
        sent.iter().map(|r| r.json()).find(|b| b["sender_action"] == "react").expect("the reaction reached Instagram");
    assert_eq!(love["payload"]["reaction"], "love");
    assert_eq!(
        app.messages(&acct.admin_token, ig_id).await[0]["reactions"],
        json!([{"actor": "business", "emoji": "❤️"}])
    );
}

/// Queues a text message the way the server did before outbox requests were typed: the message row and
/// its outbox row written directly, with `request` as given. Returns the message id.
async fn queue_as_before(app: &TestApp, acct: &crate::harness::TestAccount, conv: &Value, request: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let now = app.state.now_ms();
    let (account, channel, conversation) =
        (&acct.account_id, conv["channel"]["id"].as_str().unwrap(), conv["id"].as_str().unwrap());
    app.execute_sql(&format!(
        "INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, origin, kind, text, content, \
           reply_to_external_id, status, status_rank, sender_user_id, sent_at, created_at, updated_at) \
         VALUES ('{id}', '{account}', '{channel}', '{conversation}', NULL, 'outbound', 'agent', 'text', 'Hola', '{{}}', NULL, 'pending', 0, NULL, {now}, {now}, {now});
         INSERT INTO outbox (message_id, account_id, channel_id, request, state, attempts, next_attempt_at, created_at) \
         VALUES ('{id}', '{account}', '{channel}', '{request}', 'queued', 0, {now}, {now});"
    ))
    .await;
    app.state.outbox_wakeup.notify_one();
    id
}

async fn a_send_queued_before_an_upgrade_still_goes_out(app: TestApp) {
    let (acct, conv, first) = setup(&app, "5215512345678").await;
    let quoted = first["external_id"].as_str().unwrap();
    let request = format!(r#"{{"type": "text", "text": "Hola, te escribo desde antes", "reply_to": "{quoted}"}}"#);
    let id = queue_as_before(&app, &acct, &conv, &request).await;
    let sent = crate::outbound_wait(&app, &acct.admin_token, conv["id"].as_str().unwrap(), &id).await;
    assert!(matches!(sent["status"].as_str(), Some("sent" | "delivered" | "read")), "{sent}");
    let calls = sends(&app);
    assert_eq!(calls.len(), 1, "exactly one Graph call");
    assert_eq!(
        calls[0].json(),
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": "5215512345678", "type": "text",
            "text": {"body": "Hola, te escribo desde antes", "preview_url": false},
            "context": {"message_id": quoted}
        })
    );
}

async fn an_unreadable_queued_send_fails_with_its_reason_and_sends_nothing(app: TestApp) {
    let (acct, conv, _) = setup(&app, "5215512345678").await;
    let before = app.sim.requests().len();
    // A text without its `text` (read as "" before, and sent empty), and a type no version wrote.
    for (request, named) in
        [(r#"{"type": "text", "body": "Hola"}"#, "text"), (r#"{"type": "fax", "text": "Hola"}"#, "fax")]
    {
        let id = queue_as_before(&app, &acct, &conv, request).await;
        let failed = crate::outbound_wait(&app, &acct.admin_token, conv["id"].as_str().unwrap(), &id).await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert_eq!(failed["error"]["title"], "unreadable send");
        let reason = failed["error"]["message"].as_str().unwrap();
        assert!(reason.contains("cannot be read") && reason.contains(named), "a reason a person can act on: {reason}");
    }
    assert_eq!(app.sim.requests().len(), before, "nothing reached the Graph API, not even an empty text");
}

/// The `202` of a send is the message as its queuing transaction stored it (`pending`), read inside
/// that transaction: never as the outbox worker — busy with the sends just before it, two callers at
/// once — may already have moved it.
async fn every_202_shows_the_message_as_queued_while_the_worker_sends_others(app: TestApp) {
    let (acct, conv, _) = setup(&app, "5215512345678").await;
    let id = conv["id"].as_str().unwrap();
    let send_many = |tag: &'static str| {
        let (app, token) = (&app, acct.admin_token.as_str());
        async move {
            let mut answers = vec![];
            for i in 0..15 {
                let body = json!({"type": "text", "text": format!("{tag} {i}")});
                let res = app.post(token, &format!("/api/v1/conversations/{id}/messages"), body).await;
                assert_eq!(res.status(), StatusCode::ACCEPTED);
                answers.push(res.json::<Value>().await.unwrap());
            }
            answers
        }
    };
    let (a, b) = tokio::join!(send_many("a"), send_many("b"));
    for answer in a.iter().chain(&b) {
        assert_eq!(answer["status"], "pending", "{answer}");
        assert!(answer["external_id"].is_null(), "{answer}");
    }
    for answer in a.iter().chain(&b) {
        let done = app.verdict(&acct.admin_token, id, answer["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "read", "{done}");
    }
    assert_eq!(sends(&app).len(), 30, "each send went out once");
}

/// Two processes on one PostgreSQL database send to the same number: together they keep to its
/// configured rate (5 a second here), because each send reserves its slot in the database. Each
/// process alone would keep to it, but together they would send twice as fast.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_together_keep_to_a_numbers_rate() {
    let app = TestApp::spawn_with(crate::harness::Backend::Postgres, |c| c.messages_per_second = 5).await;
    let (acct, conv, _) = setup(&app, "5215512345678").await;
    let other = app.another_process().await;
    let id = conv["id"].as_str().unwrap();
    let mut queued = vec![];
    for i in 0..10 {
        // Half through each process, so that both outbox workers are awake and sending.
        let base = if i % 2 == 0 { &app.base } else { &other.base };
        let res = app
            .http
            .post(format!("{base}/api/v1/conversations/{id}/messages"))
            .bearer_auth(&acct.admin_token)
            .json(&json!({"type": "text", "text": format!("mensaje {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        queued.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string());
    }
    for message in &queued {
        let done = app.verdict(&acct.admin_token, id, message).await;
        assert_eq!(done["status"], "read", "{done}");
    }
    let mut at: Vec<_> = sends(&app).iter().map(|r| r.at).collect();
    assert_eq!(at.len(), 10, "each sent once");
    at.sort();
    // Ten sends at 5 a second take at least nine intervals of 200 ms (less the jitter of the first).
    let span = at[9] - at[0];
    assert!(span >= time::Duration::milliseconds(1600), "ten sends within {span}: faster than 5 a second");
}
