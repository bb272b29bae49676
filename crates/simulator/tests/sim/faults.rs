//! Fault injection on the next send calls.

use std::time::Duration;

use inbox_simulator::payloads::WaStatusKind;
use inbox_simulator::{demo, Fault, SendOutcome};
use serde_json::json;

use crate::support::{code, env, text_to, MARIA};

#[tokio::test]
async fn the_next_n_sends_fail_then_sends_succeed() {
    let env = env().await;
    env.maria_writes().await;
    env.sim.fail_next(2, Fault::Http500);
    for _ in 0..2 {
        let (status, body) = env.wa_send(text_to(MARIA, "Hola")).await;
        assert_eq!((status, code(&body)), (500, 131000), "{body}");
    }
    let (status, _) = env.wa_send(text_to(MARIA, "Hola")).await;
    assert_eq!(status, 200);
    assert_eq!(env.sim.sent_messages().len(), 1, "failed calls send nothing");
    assert_eq!(env.sim.requests_to("/messages").len(), 3, "failed calls are recorded too");
}

#[tokio::test]
async fn rate_limits_and_chosen_graph_errors_look_like_meta() {
    let env = env().await;
    env.maria_writes().await;
    env.sim.fail_next(1, Fault::RateLimit);
    env.sim.fail_next(1, Fault::GraphError { code: 131048, http_status: 400 });
    env.sim.fail_next(1, Fault::GraphError { code: 190, http_status: 401 });
    let (status, body) = env.wa_send(text_to(MARIA, "x")).await;
    assert_eq!((status, code(&body)), (400, 130429));
    assert_eq!(body["error"]["message"], "(#130429) Rate limit hit");
    let (status, body) = env.wa_send(text_to(MARIA, "x")).await;
    assert_eq!((status, code(&body)), (400, 131048));
    assert_eq!(body["error"]["message"], "(#131048) Spam rate limit hit");
    let (status, body) = env.wa_send(text_to(MARIA, "x")).await;
    assert_eq!((status, code(&body)), (401, 190));
}

#[tokio::test]
async fn a_timeout_holds_the_request_past_the_client_deadline() {
    let env = env().await;
    env.maria_writes().await;
    env.sim.fail_next(1, Fault::Timeout(Duration::from_millis(400)));
    let result = env
        .http
        .post(format!("{}/{}/messages", env.sim.graph_base(), demo::CLOUD_PHONE_NUMBER_ID))
        .bearer_auth(demo::CLOUD_TOKEN)
        .timeout(Duration::from_millis(100))
        .json(&text_to(MARIA, "x"))
        .send()
        .await;
    assert!(result.is_err_and(|e| e.is_timeout()));
    assert!(env.sim.wait_idle(Duration::from_secs(5)).await, "the held request ends");
    assert!(env.sim.sent_messages().is_empty(), "a timed-out call sends nothing");
}

#[tokio::test]
async fn a_timeout_after_delivery_delivers_once_and_loses_the_answer() {
    let env = env().await;
    env.maria_writes().await;
    env.sim.fail_next(1, Fault::TimeoutAfterDelivery(Duration::from_millis(50)));
    let res = env
        .http
        .post(format!("{}/{}/messages", env.sim.graph_base(), demo::CLOUD_PHONE_NUMBER_ID))
        .bearer_auth(demo::CLOUD_TOKEN)
        .json(&text_to(MARIA, "¿llegó?"))
        .send()
        .await
        .expect("reachable");
    assert_eq!(res.status().as_u16(), 504);
    let body = res.text().await.unwrap_or_default();
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err(), "a gateway's answer, no Meta error: {body}");
    let sent = env.sim.sent_messages();
    assert_eq!(sent.len(), 1, "the customer got it all the same");
    assert_eq!(sent[0].outcome, SendOutcome::Delivered);
    let delivered = env.sim.emit_status(&sent[0].id, WaStatusKind::Delivered).await.expect("a status follows");
    assert_eq!(delivered.status, 200);

    // A client that gives up first learns nothing either; the message was delivered before the wait.
    env.sim.fail_next(1, Fault::TimeoutAfterDelivery(Duration::from_millis(400)));
    let result = env
        .http
        .post(format!("{}/{}/messages", env.sim.graph_base(), demo::CLOUD_PHONE_NUMBER_ID))
        .bearer_auth(demo::CLOUD_TOKEN)
        .timeout(Duration::from_millis(100))
        .json(&text_to(MARIA, "¿y este?"))
        .send()
        .await;
    assert!(result.is_err_and(|e| e.is_timeout()));
    assert_eq!(env.sim.sent_messages().len(), 2);

    // A send that does not validate is refused as usual: nothing was delivered, nothing is uncertain.
    env.sim.fail_next(1, Fault::TimeoutAfterDelivery(Duration::from_millis(50)));
    let (status, body) = env.wa_send(text_to(MARIA, "")).await;
    assert_eq!((status, code(&body)), (400, 100));
    assert_eq!(env.sim.sent_messages().len(), 2);
}

#[tokio::test]
async fn a_timeout_after_delivery_on_messenger_delivers_once() {
    let env = env().await;
    let fb = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    fb.text("Hola").await.expect("delivered");
    env.sim.fail_next(1, Fault::TimeoutAfterDelivery(Duration::from_millis(20)));
    let body = json!({"recipient": {"id": fb.id()}, "messaging_type": "RESPONSE", "message": {"text": "Hola"}});
    let (status, answer) = env.post("me/messages", Some(demo::PAGE_TOKEN), &body).await;
    assert_eq!((status, answer), (504, serde_json::Value::Null));
    assert_eq!(env.sim.sent_messages().len(), 1);
}

#[tokio::test]
async fn mark_as_read_does_not_consume_faults_and_messenger_faults_speak_messenger() {
    let env = env().await;
    env.sim.fail_next(1, Fault::RateLimit);
    let (status, _) =
        env.wa_send(json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.A"})).await;
    assert_eq!(status, 200);
    let fb = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    fb.text("Hola").await.expect("delivered");
    let body = json!({"recipient": {"id": fb.id()}, "messaging_type": "RESPONSE", "message": {"text": "Hola"}});
    let (status, answer) = env.post("me/messages", Some(demo::PAGE_TOKEN), &body).await;
    assert_eq!((status, code(&answer)), (400, 613));
    assert!(answer["error"].get("error_data").is_none());
}
