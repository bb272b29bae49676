//! Marketing opt-outs (`user_preferences`, 131050) and calls (`calls`), end to end through the simulator.

use crate::harness::{assert_error, on_both_stores, TestAccount, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::payloads::{self, CallStep, WaUser};
use simulator::{demo, Fault};
use std::time::Duration;

on_both_stores!(
    an_opted_out_customer_gets_no_marketing_template_but_utility_and_replies_still_go,
    resume_clears_the_opt_out_and_a_redelivered_stop_is_shown_once,
    meta_131050_sets_the_preference_from_a_status_or_a_send_answer,
    a_call_from_a_new_customer_creates_the_conversation_with_one_notice,
    a_duplicate_call_event_is_ignored,
    a_terminate_after_a_connect_updates_the_one_notice,
    calls_and_preferences_for_groups_or_unknown_numbers_are_kept_unrouted,
);

const CUSTOMER: &str = "5215512345678";
const MARKETING: &str = "bienvenida";

async fn synced(app: &TestApp) -> TestAccount {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    let path = format!("/api/v1/channels/{}/templates/sync", channels.cloud["id"].as_str().unwrap());
    assert_eq!(app.post(&acct.admin_token, &path, json!({})).await.status(), StatusCode::OK);
    acct
}

fn customer(app: &TestApp) -> simulator::WhatsAppCustomer {
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, CUSTOMER).unwrap().named("María López")
}

fn marketing() -> Value {
    json!({"type": "template", "template": {"name": MARKETING, "language": "es_MX"}, "parameters": {"body": ["Ana"]}})
}

fn utility() -> Value {
    json!({"type": "template", "template": {"name": "seguimiento_pedido", "language": "es_MX"},
        "parameters": {"header": {"type": "image", "link": "https://example.com/p.png"}, "body": ["Ana", "A-1"],
                       "buttons": [{"index": 0, "text": "A-1"}]}})
}

fn system_notices(messages: &[Value], kind: &str) -> Vec<Value> {
    messages.iter().filter(|m| m["kind"] == "system" && m["system"]["type"] == kind).cloned().collect()
}

fn message_sends(app: &TestApp) -> usize {
    app.sim.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/messages")).count()
}

/// Waits until the message reaches `status` (the simulator's statuses arrive over time).
async fn wait_status(app: &TestApp, token: &str, conversation: &str, message: &str, status: &str) -> Value {
    for _ in 0..400 {
        let msgs = app.messages(token, conversation).await;
        if let Some(m) = msgs.iter().find(|m| m["id"] == message && m["status"] == status) {
            return m.clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("message {message} never reached {status}: {:?}", app.messages(token, conversation).await);
}

async fn wait_for(app: &TestApp, token: &str, path: &str, ok: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let v = app.get_json(token, path).await;
        if ok(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{path} never matched: {}", app.get_json(token, path).await);
}

async fn an_opted_out_customer_gets_no_marketing_template_but_utility_and_replies_still_go(app: TestApp) {
    let acct = synced(&app).await;
    let t = &acct.admin_token;
    let maria = customer(&app);
    maria.text("Hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(t).await;
    let id = conv["id"].as_str().unwrap().to_string();
    assert_eq!(conv["handle"]["marketing_opt_out"], Value::Null);
    let res = app.post(t, "/api/v1/contacts", json!({"first_name": "María", "conversation_id": id})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let contact: Value = res.json().await.unwrap();

    maria.set_marketing(true).await.unwrap();
    app.settle().await;
    let conv = app.get_json(t, &format!("/api/v1/conversations/{id}")).await;
    assert!(conv["handle"]["marketing_opt_out"]["since"].is_string(), "{conv}");
    assert!(conv["contact"]["marketing_opt_out"]["since"].is_string(), "{conv}");
    let c = app.get_json(t, &format!("/api/v1/contacts/{}", contact["id"].as_str().unwrap())).await;
    assert!(c["marketing_opt_out"]["since"].is_string(), "{c}");
    let notices = system_notices(&app.messages(t, &id).await, "marketing_preference");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["system"]["value"], "stop");
    assert_eq!(notices[0]["system"]["opted_out"], true);
    assert_eq!(conv["unread_count"], 1, "a preference is no message to read");

    let path = format!("/api/v1/conversations/{id}/messages");
    app.sim.clear_requests();
    assert_error(app.post(t, &path, marketing()).await, StatusCode::UNPROCESSABLE_ENTITY, "marketing_opted_out").await;
    // Starting a conversation by phone or by contact is refused the same way.
    let started = json!({"channel_id": conv["channel"]["id"], "phone": "+52 55 1234 5678",
        "template": {"name": MARKETING, "language": "es_MX"}, "parameters": {"body": ["Ana"]}});
    assert_error(
        app.post(t, "/api/v1/conversations", started).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "marketing_opted_out",
    )
    .await;
    let started = json!({"channel_id": conv["channel"]["id"], "contact_id": contact["id"],
        "template": {"name": MARKETING, "language": "es_MX"}, "parameters": {"body": ["Ana"]}});
    assert_error(
        app.post(t, "/api/v1/conversations", started).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "marketing_opted_out",
    )
    .await;
    // The refusals stored nothing, so nothing of theirs can ever be sent.
    assert_eq!(message_sends(&app), 0, "no Graph call for a refused marketing template");

    let res = app.post(t, &path, utility()).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let sent: Value = res.json().await.unwrap();
    let sent = app.verdict(t, &id, sent["id"].as_str().unwrap()).await;
    assert_eq!(sent["status"], "read", "{sent}");
    assert_eq!(message_sends(&app), 1, "the utility template, and nothing else");
    let res = app.post(t, &path, json!({"type": "text", "text": "Con gusto"})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "free-form replies inside the window stay allowed");
    app.wait_for_sends(2).await;
}

async fn resume_clears_the_opt_out_and_a_redelivered_stop_is_shown_once(app: TestApp) {
    let acct = synced(&app).await;
    let t = &acct.admin_token;
    let maria = customer(&app);
    maria.text("Hola").await.unwrap();
    let stop = maria.set_marketing(true).await.unwrap();
    app.settle().await;
    assert_eq!(app.post_webhook(&stop.payload).await, StatusCode::OK);
    app.settle().await;
    let id = app.only_conversation(t).await["id"].as_str().unwrap().to_string();
    assert_eq!(system_notices(&app.messages(t, &id).await, "marketing_preference").len(), 1, "one stop notice");

    app.sim.advance_clock(Duration::from_secs(60));
    maria.set_marketing(false).await.unwrap();
    app.settle().await;
    let conv = app.get_json(t, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(conv["handle"]["marketing_opt_out"], Value::Null, "{conv}");
    let notices = system_notices(&app.messages(t, &id).await, "marketing_preference");
    assert_eq!(
        notices.iter().map(|n| n["system"]["value"].clone()).collect::<Vec<_>>(),
        [json!("stop"), json!("resume")]
    );
    // The older stop delivered again after the resume does not undo it.
    assert_eq!(app.post_webhook(&stop.payload).await, StatusCode::OK);
    app.settle().await;
    let conv = app.get_json(t, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(conv["handle"]["marketing_opt_out"], Value::Null);
    let res = app.post(t, &format!("/api/v1/conversations/{id}/messages"), marketing()).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "marketing templates are allowed again");
}

async fn meta_131050_sets_the_preference_from_a_status_or_a_send_answer(app: TestApp) {
    let acct = synced(&app).await;
    let t = &acct.admin_token;
    let maria = customer(&app);
    maria.text("Hola").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(t).await["id"].as_str().unwrap().to_string();
    // Meta knows of the stop but its webhook never reached us.
    let url = app.sim.webhook_url().unwrap();
    app.sim.set_webhook_url("http://127.0.0.1:9/nowhere");
    assert!(maria.set_marketing(true).await.is_err());
    app.sim.set_webhook_url(url);

    let path = format!("/api/v1/conversations/{id}/messages");
    let res = app.post(t, &path, marketing()).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "we did not know yet");
    let sent: Value = res.json().await.unwrap();
    let failed = wait_status(&app, t, &id, sent["id"].as_str().unwrap(), "failed").await;
    assert_eq!(failed["error"]["code"], "131050", "{failed}");
    let conv =
        wait_for(&app, t, &format!("/api/v1/conversations/{id}"), |c| c["handle"]["marketing_opt_out"].is_object())
            .await;
    assert!(conv["handle"]["marketing_opt_out"]["since"].is_string());
    let notices = system_notices(&app.messages(t, &id).await, "marketing_preference");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["system"]["source"], "meta_error_131050");
    assert_error(app.post(t, &path, marketing()).await, StatusCode::UNPROCESSABLE_ENTITY, "marketing_opted_out").await;

    // The same code in a send's answer (another customer) sets it too.
    let luis = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5491155556666").unwrap();
    luis.text("Hola").await.unwrap();
    app.settle().await;
    let convs = app.get_json(t, "/api/v1/conversations").await;
    let luis_id = convs["items"].as_array().unwrap().iter().find(|c| c["id"] != json!(id)).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.sim.fail_next(1, Fault::GraphError { code: 131050, http_status: 400 });
    let res = app.post(t, &format!("/api/v1/conversations/{luis_id}/messages"), marketing()).await;
    let sent: Value = res.json().await.unwrap();
    let failed = crate::outbound_wait(&app, t, &luis_id, sent["id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed");
    let conv = wait_for(&app, t, &format!("/api/v1/conversations/{luis_id}"), |c| {
        c["handle"]["marketing_opt_out"].is_object()
    })
    .await;
    assert!(conv["handle"]["marketing_opt_out"]["since"].is_string());
}

fn calls(messages: &[Value]) -> Vec<Value> {
    system_notices(messages, "call")
}

async fn a_call_from_a_new_customer_creates_the_conversation_with_one_notice(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = &acct.admin_token;
    let d = customer(&app).call(125).await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(t).await;
    assert_eq!(conv["handle"]["wa_id"], CUSTOMER);
    assert_eq!(conv["handle"]["profile_name"], "María López");
    assert_eq!(conv["unread_count"], 1, "a call from the customer asks for attention");
    assert_eq!(conv["window"]["state"], "open", "Meta: a call from the customer opens the service window");
    let notices = calls(&app.messages(t, conv["id"].as_str().unwrap()).await);
    assert_eq!(notices.len(), 1);
    let call = &notices[0]["system"];
    assert_eq!(call["call_id"], json!(d.message_id.unwrap()));
    assert_eq!(call["direction"], "inbound");
    assert_eq!(call["outcome"], "completed");
    assert_eq!(call["duration_seconds"], 125);
    // The list's preview carries the notice too, so it can say "Llamada de 2 min 5 s".
    assert_eq!(conv["last_message"]["kind"], "system");
    assert_eq!(conv["last_message"]["system"]["type"], "call");
    assert_eq!(conv["last_message"]["system"]["outcome"], "completed");

    // Messenger: a missed call, shown the same way; Messenger's docs do not say calls open its window.
    let fb = app.sim.messenger_customer(demo::PAGE_ID).unwrap();
    fb.call(0).await.unwrap();
    app.settle().await;
    let page = app.get_json(t, "/api/v1/conversations?channel=messenger").await;
    let fb_conv = &page["items"][0];
    assert_eq!(fb_conv["handle"]["external_id"], fb.id());
    assert_eq!(fb_conv["window"]["state"], "closed");
    let notices = calls(&app.messages(t, fb_conv["id"].as_str().unwrap()).await);
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["system"]["outcome"], "missed");
}

fn step(id: &str, event: &str, duration: Option<i64>) -> CallStep {
    CallStep {
        call_id: id.into(),
        event: event.into(),
        user_initiated: true,
        timestamp: time::OffsetDateTime::now_utc().unix_timestamp(),
        status: (event == "terminate").then(|| "COMPLETED".into()),
        duration,
    }
}

async fn a_duplicate_call_event_is_ignored(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = &acct.admin_token;
    let maria = customer(&app);
    let connect = maria.call_step(&step("wacid.DUP", "connect", None)).await.unwrap();
    app.settle().await;
    assert_eq!(app.post_webhook(&connect.payload).await, StatusCode::OK);
    maria.call_step(&step("wacid.DUP", "connect", None)).await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(t).await;
    assert_eq!(conv["unread_count"], 1);
    let notices = calls(&app.messages(t, conv["id"].as_str().unwrap()).await);
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["system"]["outcome"], "ringing");
}

async fn a_terminate_after_a_connect_updates_the_one_notice(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let t = &acct.admin_token;
    let maria = customer(&app);
    let connect = maria.call_step(&step("wacid.ONE", "connect", None)).await.unwrap();
    app.settle().await;
    let id = app.only_conversation(t).await["id"].as_str().unwrap().to_string();
    let first = calls(&app.messages(t, &id).await);
    assert_eq!(first[0]["system"]["outcome"], "ringing");
    maria.call_step(&step("wacid.ONE", "terminate", Some(65))).await.unwrap();
    app.settle().await;
    let after = calls(&app.messages(t, &id).await);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["id"], first[0]["id"], "the same notice, updated");
    assert_eq!(after[0]["system"]["outcome"], "completed");
    assert_eq!(after[0]["system"]["duration_seconds"], 65);
    // A connect delivered late changes nothing.
    assert_eq!(app.post_webhook(&connect.payload).await, StatusCode::OK);
    app.settle().await;
    let late = calls(&app.messages(t, &id).await);
    assert_eq!(late.len(), 1);
    assert_eq!(late[0]["system"]["outcome"], "completed");
    assert_eq!(app.only_conversation(t).await["unread_count"], 1, "one call, one unread");
}

async fn calls_and_preferences_for_groups_or_unknown_numbers_are_kept_unrouted(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let stranger = payloads::WaBusiness {
        waba_id: "1".into(),
        phone_number_id: "999999999".into(),
        display_phone_number: "1555".into(),
    };
    let user = WaUser::phone(CUSTOMER);
    let call = payloads::whatsapp_call(&stranger, &user, &step("wacid.X", "connect", None));
    assert_eq!(app.post_webhook(&call).await, StatusCode::OK);
    let pref = payloads::whatsapp_user_preference(&stranger, &user, true, 1_739_321_024);
    assert_eq!(app.post_webhook(&pref).await, StatusCode::OK);
    let cloud = app.sim.business(demo::CLOUD_PHONE_NUMBER_ID).unwrap();
    let mut group = payloads::whatsapp_call(&cloud, &user, &step("wacid.G", "connect", None));
    group["entry"][0]["changes"][0]["value"]["calls"][0]["group_id"] = json!("120363025555555555");
    assert_eq!(app.post_webhook(&group).await, StatusCode::OK);
    let mut group_pref = payloads::whatsapp_user_preference(&cloud, &user, true, 1_739_321_024);
    group_pref["entry"][0]["changes"][0]["value"]["user_preferences"][0]["recipient_type"] = json!("group");
    assert_eq!(app.post_webhook(&group_pref).await, StatusCode::OK);
    app.settle().await;
    assert_eq!(app.state.store.count_unrouted().await.unwrap(), 4, "each kept for inspection");
    assert_eq!(app.get_json(&acct.admin_token, "/api/v1/conversations?status=all").await["items"], json!([]));
}
