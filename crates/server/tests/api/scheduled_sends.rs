//! Scheduled sends ("Enviar más tarde"): kept until their time (the test clock moves, nothing
//! sleeps), then sent through the ordinary send path — so the window is checked again at that moment
//! — and followed to Meta's verdict; edited and cancelled while they wait; visible like their
//! conversation.

use crate::harness::{assert_error, on_both_stores, TestApp};
use crate::realtime::{connect, event_where};
use domain::ids::ScheduledId;
use domain::permissions::ConversationScope;
use domain::scheduled::ScheduledStatus;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::clock::Clock;
use simulator::{demo, StatusPolicy};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;

on_both_stores!(
    a_scheduled_text_goes_out_at_its_time_and_not_before,
    an_edited_schedule_sends_its_new_text_and_a_cancelled_one_never_goes,
    a_text_whose_window_closed_by_its_time_is_not_sent_and_says_why,
    a_template_scheduled_after_the_window_closes_is_sent,
    on_messenger_a_schedule_goes_as_a_human_agent_reply_and_not_after_seven_days,
    an_attachment_is_sent_at_its_time,
    a_waiting_schedules_file_outlives_the_upload_retention,
    schedules_are_visible_like_their_conversation_and_changed_by_their_author,
    the_time_and_the_window_are_checked_when_scheduling,
    a_deactivated_authors_schedule_is_not_sent,
    two_workers_never_claim_one_schedule_twice,
);

const CUSTOMER: &str = "5215512345678";

/// A WhatsApp customer who wrote just now; the conversation id.
async fn whatsapp_conversation(app: &TestApp, token: &str) -> String {
    app.connect_demo_channels(token).await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, CUSTOMER).unwrap().text("Hola").await.unwrap();
    app.settle().await;
    app.only_conversation(token).await["id"].as_str().unwrap().to_string()
}

/// `from_now` after the server's now, RFC 3339.
fn at(app: &TestApp, from_now: Duration) -> String {
    (app.clock.now() + from_now).format(&Rfc3339).unwrap()
}

/// Moves our clock and Meta's together.
fn advance(app: &TestApp, by: Duration) {
    app.clock.advance(by);
    app.sim.advance_clock(by);
}

async fn schedule(app: &TestApp, token: &str, conversation: &str, send_at: String, message: Value) -> Value {
    let res = app
        .post(
            token,
            &format!("/api/v1/conversations/{conversation}/scheduled"),
            json!({"send_at": send_at, "message": message}),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Waits (bounded) until the schedule reaches `status`; returns it as the store has it.
async fn wait_status(app: &TestApp, account: &str, id: &Value, status: ScheduledStatus) -> store::ScheduledRecord {
    let account = account.parse().unwrap();
    let id: ScheduledId = id.as_str().unwrap().parse().unwrap();
    for _ in 0..500 {
        let r = app.state.store.get_scheduled(account, &ConversationScope::All, id).await.unwrap();
        if r.status == status {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = app.state.store.get_scheduled(account, &ConversationScope::All, id).await.unwrap();
    panic!("schedule {id} never became {status:?}: it is {:?} ({:?})", r.status, r.failure);
}

fn sends(app: &TestApp) -> usize {
    app.sim.sent_messages().len()
}

async fn pending_in(app: &TestApp, token: &str, conversation: &str) -> Vec<Value> {
    let list = app.get_json(token, &format!("/api/v1/conversations/{conversation}/scheduled")).await;
    list["items"].as_array().unwrap().clone()
}

const HOUR: Duration = Duration::from_secs(3600);

async fn a_scheduled_text_goes_out_at_its_time_and_not_before(app: TestApp) {
    app.sim.set_status_policy(StatusPolicy::immediate());
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let conversation = whatsapp_conversation(&app, token).await;
    let s = schedule(&app, token, &conversation, at(&app, HOUR), json!({"type": "text", "text": "¿Te llamo mañana?"}))
        .await;
    assert_eq!(s["status"], "scheduled");
    assert_eq!(s["message"]["text"], "¿Te llamo mañana?");
    assert_eq!(pending_in(&app, token, &conversation).await.len(), 1);
    let mine = app.get_json(token, "/api/v1/scheduled").await;
    assert_eq!(mine["items"][0]["id"], s["id"]);

    // A minute before its time a worker step sends nothing.
    advance(&app, HOUR - Duration::from_secs(60));
    server::scheduled::worker::send_due(&app.state).await.unwrap();
    assert_eq!(sends(&app), 0);
    assert_eq!(app.messages(token, &conversation).await.len(), 1, "only the customer's message");

    advance(&app, Duration::from_secs(61));
    let sent = wait_status(&app, &acct.account_id, &s["id"], ScheduledStatus::Sent).await;
    let message = sent.message_id.expect("the message it became").to_string();
    let m = app.verdict(token, &conversation, &message).await;
    assert_eq!(m["status"], "read", "{m}");
    assert_eq!(m["text"], "¿Te llamo mañana?");
    assert_eq!(sends(&app), 1);
    assert!(pending_in(&app, token, &conversation).await.is_empty(), "a sent schedule leaves the list");

    // Sent: no longer edited or cancelled.
    let path = format!("/api/v1/scheduled/{}", s["id"].as_str().unwrap());
    assert_error(
        app.patch(token, &path, json!({"text": "otro"})).await,
        StatusCode::CONFLICT,
        "scheduled_not_editable",
    )
    .await;
    assert_error(app.delete(token, &path).await, StatusCode::CONFLICT, "scheduled_not_cancellable").await;
    // It was sent as its author's message and recorded like every send.
    let audit = app.get_json(token, "/api/v1/audit").await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"message.scheduled") && actions.contains(&"message.sent"), "{actions:?}");
}

async fn an_edited_schedule_sends_its_new_text_and_a_cancelled_one_never_goes(app: TestApp) {
    app.sim.set_status_policy(StatusPolicy::immediate());
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let conversation = whatsapp_conversation(&app, token).await;
    let mut ws = connect(&app, token).await;
    let kept = schedule(&app, token, &conversation, at(&app, HOUR), json!({"type": "text", "text": "primero"})).await;
    let dropped = schedule(&app, token, &conversation, at(&app, HOUR), json!({"type": "text", "text": "nunca"})).await;
    let (created, _) =
        event_where(&mut ws, |e| e["type"] == "scheduled.created" && e["data"]["id"] == dropped["id"]).await;
    assert_eq!(created["data"]["status"], "scheduled");

    let res = app
        .patch(
            token,
            &format!("/api/v1/scheduled/{}", kept["id"].as_str().unwrap()),
            json!({"text": "corregido", "send_at": at(&app, 2 * HOUR)}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["message"]["text"], "corregido");
    let (e, _) = event_where(&mut ws, |e| e["type"] == "scheduled.updated" && e["data"]["id"] == kept["id"]).await;
    assert_eq!(e["data"]["message"]["text"], "corregido");

    let res = app.delete(token, &format!("/api/v1/scheduled/{}", dropped["id"].as_str().unwrap())).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (e, _) = event_where(&mut ws, |e| e["type"] == "scheduled.updated" && e["data"]["id"] == dropped["id"]).await;
    assert_eq!(e["data"]["status"], "cancelled");
    let pending = pending_in(&app, token, &conversation).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], kept["id"]);
    // Cancelling twice is a conflict, not a second cancel.
    let again = app.delete(token, &format!("/api/v1/scheduled/{}", dropped["id"].as_str().unwrap())).await;
    assert_error(again, StatusCode::CONFLICT, "scheduled_not_cancellable").await;

    // At the first time nothing goes (the kept one moved to the second); then only the edited text.
    advance(&app, HOUR + Duration::from_secs(1));
    server::scheduled::worker::send_due(&app.state).await.unwrap();
    assert_eq!(sends(&app), 0);
    advance(&app, HOUR);
    let sent = wait_status(&app, &acct.account_id, &kept["id"], ScheduledStatus::Sent).await;
    let m = app.verdict(token, &conversation, &sent.message_id.unwrap().to_string()).await;
    assert_eq!(m["status"], "read");
    let texts: Vec<Value> = app.sim.sent_messages().iter().map(|s| s.body["text"]["body"].clone()).collect();
    assert_eq!(texts, vec![json!("corregido")]);
    let cancelled = wait_status(&app, &acct.account_id, &dropped["id"], ScheduledStatus::Cancelled).await;
    assert!(cancelled.message_id.is_none());
}

async fn a_text_whose_window_closed_by_its_time_is_not_sent_and_says_why(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let conversation = whatsapp_conversation(&app, token).await;
    // Open now, closed (24 h after the customer wrote) by its time.
    let s = schedule(&app, token, &conversation, at(&app, 25 * HOUR), json!({"type": "text", "text": "¿Sigues ahí?"}))
        .await;
    let mut ws = connect(&app, token).await;
    advance(&app, 25 * HOUR + Duration::from_secs(1));
    let (told, _) = event_where(&mut ws, |e| e["type"] == "scheduled.failed").await;
    assert_eq!(told["data"]["id"], s["id"]);
    assert_eq!(told["data"]["failure"]["code"], "window_closed");
    assert!(told["data"]["failure"]["message"].as_str().is_some_and(|m| m.contains("template")), "{told}");
    let failed = wait_status(&app, &acct.account_id, &s["id"], ScheduledStatus::Failed).await;
    assert_eq!(failed.failure.as_ref().map(|f| f.0.as_str()), Some("window_closed"));
    assert!(failed.message_id.is_none());
    // It shows in the conversation, with why, until dismissed; nothing was stored or sent.
    let pending = pending_in(&app, token, &conversation).await;
    assert_eq!(pending[0]["status"], "failed");
    assert_eq!(pending[0]["failure"]["code"], "window_closed");
    assert_eq!(app.messages(token, &conversation).await.len(), 1);
    assert!(app.sim.requests_to("/messages").is_empty());
    let path = format!("/api/v1/scheduled/{}", s["id"].as_str().unwrap());
    assert_error(app.patch(token, &path, json!({"text": "x"})).await, StatusCode::CONFLICT, "scheduled_not_editable")
        .await;
    assert_eq!(app.delete(token, &path).await.status(), StatusCode::NO_CONTENT, "a failure is dismissed");
    assert!(pending_in(&app, token, &conversation).await.is_empty());
}

async fn a_template_scheduled_after_the_window_closes_is_sent(app: TestApp) {
    app.sim.set_status_policy(StatusPolicy::immediate());
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let conversation = whatsapp_conversation(&app, token).await;
    let channel = app.only_conversation(token).await["channel"]["id"].as_str().unwrap().to_string();
    let res = app.post(token, &format!("/api/v1/channels/{channel}/templates/sync"), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let template = json!({"type": "template", "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": ["Ana"]}});
    let s = schedule(&app, token, &conversation, at(&app, 30 * HOUR), template).await;
    advance(&app, 30 * HOUR + Duration::from_secs(1));
    let sent = wait_status(&app, &acct.account_id, &s["id"], ScheduledStatus::Sent).await;
    let m = app.verdict(token, &conversation, &sent.message_id.unwrap().to_string()).await;
    assert_eq!(m["status"], "read", "{m}");
    assert_eq!(app.sim.sent_messages()[0].kind, "template");
}

async fn on_messenger_a_schedule_goes_as_a_human_agent_reply_and_not_after_seven_days(app: TestApp) {
    app.sim.set_status_policy(StatusPolicy::immediate());
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    app.connect_demo_channels(token).await;
    app.sim.messenger_customer(demo::PAGE_ID).unwrap().text("Hola").await.unwrap();
    app.settle().await;
    let page = app.get_json(token, "/api/v1/conversations?channel=messenger").await;
    let conversation = page["items"][0]["id"].as_str().unwrap().to_string();
    let day = 24 * HOUR;
    let within =
        schedule(&app, token, &conversation, at(&app, 3 * day), json!({"type": "text", "text": "¿Sigues interesado?"}))
            .await;
    let after =
        schedule(&app, token, &conversation, at(&app, 8 * day), json!({"type": "text", "text": "Demasiado tarde"}))
            .await;
    // Three days on, past 24 h but within 7 days: sent with the HUMAN_AGENT tag, decided then.
    advance(&app, 3 * day + Duration::from_secs(1));
    let sent = wait_status(&app, &acct.account_id, &within["id"], ScheduledStatus::Sent).await;
    let m = app.verdict(token, &conversation, &sent.message_id.unwrap().to_string()).await;
    assert_eq!(m["status"], "read", "{m}");
    let body = &app.sim.sent_messages()[0].body;
    assert_eq!(body["messaging_type"], "MESSAGE_TAG", "{body}");
    assert_eq!(body["tag"], "HUMAN_AGENT", "{body}");
    // Eight days on, nothing can be sent until the customer writes again.
    advance(&app, 5 * day);
    let failed = wait_status(&app, &acct.account_id, &after["id"], ScheduledStatus::Failed).await;
    assert_eq!(failed.failure.as_ref().map(|f| f.0.as_str()), Some("window_expired"));
    assert_eq!(app.sim.sent_messages().len(), 1);
}

async fn an_attachment_is_sent_at_its_time(app: TestApp) {
    use reqwest::multipart::{Form, Part};
    app.sim.set_status_policy(StatusPolicy::immediate());
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let conversation = whatsapp_conversation(&app, token).await;
    let form = Form::new().part("file", Part::bytes(simulator::samples::png()).file_name("foto.png"));
    let res = app.http.post(app.url("/api/v1/uploads")).bearer_auth(token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let upload = res.json::<Value>().await.unwrap()["id"].clone();
    let s = schedule(
        &app,
        token,
        &conversation,
        at(&app, HOUR),
        json!({"type": "attachment", "upload_id": upload, "caption": "El catálogo"}),
    )
    .await;
    // The caption is what an edit of a file changes.
    let res = app
        .patch(token, &format!("/api/v1/scheduled/{}", s["id"].as_str().unwrap()), json!({"text": "Catálogo nuevo"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    advance(&app, HOUR + Duration::from_secs(1));
    let sent = wait_status(&app, &acct.account_id, &s["id"], ScheduledStatus::Sent).await;
    let m = app.verdict(token, &conversation, &sent.message_id.unwrap().to_string()).await;
    assert_eq!(m["status"], "read", "{m}");
    let sent = &app.sim.sent_messages()[0];
    assert_eq!(sent.kind, "image");
    assert_eq!(sent.body["image"]["caption"], "Catálogo nuevo");
}

async fn a_waiting_schedules_file_outlives_the_upload_retention(app: TestApp) {
    use reqwest::multipart::{Form, Part};
    app.sim.set_status_policy(StatusPolicy::immediate());
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let conversation = whatsapp_conversation(&app, token).await;
    let form = Form::new().part("file", Part::bytes(simulator::samples::png()).file_name("foto.png"));
    let res = app.http.post(app.url("/api/v1/uploads")).bearer_auth(token).multipart(form).send().await.unwrap();
    let upload = res.json::<Value>().await.unwrap()["id"].clone();
    let retention = app.state.config.upload_retention;
    let s = schedule(
        &app,
        token,
        &conversation,
        at(&app, retention + 36 * HOUR),
        json!({"type": "attachment", "upload_id": upload}),
    )
    .await;
    advance(&app, retention + 24 * HOUR);
    let swept = server::retention::sweep_once(&app.state).await.unwrap();
    assert_eq!(swept.uploads, 0, "the file a waiting schedule will send is kept");
    // The customer wrote again meanwhile, so the window is open at its time.
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, CUSTOMER).unwrap().text("¿Y la foto?").await.unwrap();
    app.settle().await;
    advance(&app, 12 * HOUR + Duration::from_secs(1));
    let sent = wait_status(&app, &acct.account_id, &s["id"], ScheduledStatus::Sent).await;
    let m = app.verdict(token, &conversation, &sent.message_id.unwrap().to_string()).await;
    assert_eq!(m["status"], "read", "{m}");
}

async fn schedules_are_visible_like_their_conversation_and_changed_by_their_author(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let conversation = whatsapp_conversation(&app, token).await;
    let (seller_id, seller) = app.create_user(token, "seller").await;
    let other = app.full_account().await;
    let s = schedule(&app, token, &conversation, at(&app, HOUR), json!({"type": "text", "text": "del admin"})).await;
    let path = format!("/api/v1/scheduled/{}", s["id"].as_str().unwrap());
    let list_path = format!("/api/v1/conversations/{conversation}/scheduled");
    let body = json!({"send_at": at(&app, HOUR), "message": {"type": "text", "text": "hola"}});

    // Another account, and a seller who cannot see the (unassigned) conversation: as if it did not exist.
    for who in [other.admin_token.as_str(), seller.as_str()] {
        assert_eq!(app.get(who, &list_path).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.post(who, &list_path, body.clone()).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.patch(who, &path, json!({"text": "x"})).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(app.delete(who, &path).await.status(), StatusCode::NOT_FOUND);
        assert!(app.get_json(who, "/api/v1/scheduled").await["items"].as_array().unwrap().is_empty());
    }
    // Assigned to the seller: they see the admin's schedule but may not change it; their own, yes.
    let res =
        app.patch(token, &format!("/api/v1/conversations/{conversation}"), json!({"assignee_id": seller_id})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(pending_in(&app, &seller, &conversation).await.len(), 1);
    assert_eq!(app.patch(&seller, &path, json!({"text": "x"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&seller, &path).await.status(), StatusCode::FORBIDDEN);
    let own =
        schedule(&app, &seller, &conversation, at(&app, HOUR), json!({"type": "text", "text": "del vendedor"})).await;
    assert_eq!(own["author"]["id"], seller_id.as_str());
    let mine = app.get_json(&seller, "/api/v1/scheduled").await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "a seller's list is their own: {mine}");
    let all = app.get_json(token, "/api/v1/scheduled").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2, "an administrator's list is everyone's: {all}");
    let own_path = format!("/api/v1/scheduled/{}", own["id"].as_str().unwrap());
    assert_eq!(app.patch(&seller, &own_path, json!({"text": "editado"})).await.status(), StatusCode::OK);
    // An administrator may cancel anyone's.
    assert_eq!(app.delete(token, &own_path).await.status(), StatusCode::NO_CONTENT);
}

async fn the_time_and_the_window_are_checked_when_scheduling(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let conversation = whatsapp_conversation(&app, token).await;
    let path = format!("/api/v1/conversations/{conversation}/scheduled");
    let text = json!({"type": "text", "text": "hola"});
    let post =
        |send_at: String, message: Value| app.post(token, &path, json!({"send_at": send_at, "message": message}));
    let past = (app.clock.now() - Duration::from_secs(1)).format(&Rfc3339).unwrap();
    assert_error(post(past, text.clone()).await, StatusCode::UNPROCESSABLE_ENTITY, "send_at_in_past").await;
    let too_far = at(&app, Duration::from_secs(30 * 24 * 3600 + 60));
    assert_error(post(too_far, text.clone()).await, StatusCode::UNPROCESSABLE_ENTITY, "send_at_too_far").await;
    let empty = json!({"type": "text", "text": "  "});
    assert_error(post(at(&app, HOUR), empty).await, StatusCode::UNPROCESSABLE_ENTITY, "text_empty").await;
    let no_template = json!({"type": "template", "template": {"name": "no_existe", "language": "es_MX"}});
    assert_error(post(at(&app, HOUR), no_template).await, StatusCode::UNPROCESSABLE_ENTITY, "template_not_found").await;
    assert!(pending_in(&app, token, &conversation).await.is_empty(), "nothing refused was stored");
    // 30 days ahead (less a minute) is allowed.
    assert_eq!(
        post(at(&app, Duration::from_secs(30 * 24 * 3600 - 60)), text.clone()).await.status(),
        StatusCode::CREATED
    );

    // Once the window is closed, free-form cannot be scheduled (it reopens only if the customer
    // writes); a template can.
    advance(&app, 24 * HOUR + Duration::from_secs(1));
    assert_error(post(at(&app, HOUR), text.clone()).await, StatusCode::UNPROCESSABLE_ENTITY, "window_closed").await;
    let channel = app.only_conversation(token).await["channel"]["id"].as_str().unwrap().to_string();
    app.post(token, &format!("/api/v1/channels/{channel}/templates/sync"), json!({})).await;
    let template = json!({"type": "template", "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": ["Ana"]}});
    assert_eq!(post(at(&app, HOUR), template).await.status(), StatusCode::CREATED);
    // An edit is checked like a creation.
    let first = &pending_in(&app, token, &conversation).await[0];
    let edit = app
        .patch(
            token,
            &format!("/api/v1/scheduled/{}", first["id"].as_str().unwrap()),
            json!({"send_at": at(&app, Duration::ZERO)}),
        )
        .await;
    assert_error(edit, StatusCode::UNPROCESSABLE_ENTITY, "send_at_in_past").await;
}

async fn a_deactivated_authors_schedule_is_not_sent(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let conversation = whatsapp_conversation(&app, token).await;
    let (seller_id, seller) = app.create_user(token, "seller").await;
    let res =
        app.patch(token, &format!("/api/v1/conversations/{conversation}"), json!({"assignee_id": seller_id})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let s = schedule(&app, &seller, &conversation, at(&app, HOUR), json!({"type": "text", "text": "de quien se fue"}))
        .await;
    let res = app.patch(token, &format!("/api/v1/users/{seller_id}"), json!({"active": false})).await;
    assert_eq!(res.status(), StatusCode::OK);
    advance(&app, HOUR + Duration::from_secs(1));
    let failed = wait_status(&app, &acct.account_id, &s["id"], ScheduledStatus::Failed).await;
    assert_eq!(failed.failure.as_ref().map(|f| f.0.as_str()), Some("author_inactive"));
    let msgs = app.messages(token, &conversation).await;
    assert!(msgs.iter().all(|m| m["text"] != "de quien se fue"), "nothing stored as a message: {msgs:?}");
    assert!(app.sim.requests_to("/messages").is_empty());
}

async fn two_workers_never_claim_one_schedule_twice(app: TestApp) {
    let acct = app.full_account().await;
    let token = acct.admin_token.as_str();
    let conversation = whatsapp_conversation(&app, token).await;
    let s = schedule(&app, token, &conversation, at(&app, HOUR), json!({"type": "text", "text": "una vez"})).await;
    // Claimed at an instant of our choosing (past its time); the server's own worker, on the real
    // clock, is not due yet and stays out of it.
    let due = domain::time_util::to_millis(app.clock.now() + HOUR) + 1;
    let store = &app.state.store;
    let claims = futures::future::join_all((0..4).map(|_| store.claim_scheduled(due, 60_000, 10))).await;
    let claimed: Vec<_> = claims.into_iter().flat_map(|c| c.unwrap()).collect();
    assert_eq!(claimed.len(), 1, "exactly one worker holds it");
    assert_eq!(claimed[0].id.to_string(), s["id"].as_str().unwrap());
    assert_eq!(claimed[0].status, ScheduledStatus::Sending);
    // Claimed: it can no longer be edited or cancelled.
    let path = format!("/api/v1/scheduled/{}", s["id"].as_str().unwrap());
    assert_error(app.delete(token, &path).await, StatusCode::CONFLICT, "scheduled_not_cancellable").await;
    // A worker that died holding it: after the lease the row fails as interrupted, never re-sent.
    assert!(store.claim_scheduled(due + 120_000, 60_000, 10).await.unwrap().is_empty());
    let failed = store.fail_abandoned_scheduled(due + 60_001, "interrupted", "stopped").await.unwrap();
    assert_eq!(failed.len(), 1);
    let r = wait_status(&app, &acct.account_id, &s["id"], ScheduledStatus::Failed).await;
    assert_eq!(r.failure.map(|f| f.0), Some("interrupted".to_string()));
}
