//! The customer service windows at their edges, with the simulator's clock moved instead of sleeping.

use std::time::Duration;

use inbox_simulator::{demo, SendOutcome, SimConfig, StatusPolicy};
use serde_json::json;

use crate::support::{code, env, env_with, text_to, MARIA, SECRET};

const HOUR: u64 = 3600;

#[tokio::test]
async fn whatsapp_free_form_is_delivered_until_just_before_24_hours() {
    let env = env().await;
    env.maria_writes().await;
    env.sim.advance_clock(Duration::from_secs(24 * HOUR - 1));
    let (status, _) = env.wa_send(text_to(MARIA, "¿Sigues ahí?")).await;
    assert_eq!(status, 200);
    assert_eq!(env.sim.sent_messages()[0].outcome, SendOutcome::Delivered);
}

#[tokio::test]
async fn whatsapp_free_form_at_24_hours_is_accepted_then_fails_with_131047() {
    let env = env_with(SimConfig::demo(SECRET).statuses(StatusPolicy::immediate())).await;
    env.maria_writes().await;
    env.sim.advance_clock(Duration::from_secs(24 * HOUR));
    let (status, body) = env.wa_send(text_to(MARIA, "¿Sigues ahí?")).await;
    assert_eq!(status, 200, "the Cloud API accepts it: {body}");
    let id = body["messages"][0]["id"].clone();
    assert_eq!(env.sim.sent_messages()[0].outcome, SendOutcome::Failed { code: 131047 });
    env.hooks.wait_for(2).await;
    let statuses = env.hooks.statuses();
    assert_eq!(statuses.len(), 1, "a lone failed status: {statuses:?}");
    assert_eq!(statuses[0]["id"], id);
    assert_eq!(statuses[0]["status"], "failed");
    assert_eq!(statuses[0]["recipient_id"], MARIA);
    assert_eq!(statuses[0]["errors"][0]["code"], 131047);
    assert_eq!(statuses[0]["errors"][0]["title"], "Re-engagement message");
}

#[tokio::test]
async fn a_new_customer_message_reopens_the_window_and_business_messages_do_not() {
    let env = env().await;
    let maria = env.maria_writes().await;
    env.sim.advance_clock(Duration::from_secs(20 * HOUR));
    maria.echo_text("eco").await.ok(); // not a coexistence number: refused, and no window either
    env.wa_send(text_to(MARIA, "respuesta")).await;
    env.sim.advance_clock(Duration::from_secs(5 * HOUR));
    env.wa_send(text_to(MARIA, "tarde")).await;
    maria.text("Hola otra vez").await.expect("delivered");
    env.wa_send(text_to(MARIA, "a tiempo")).await;
    let outcomes: Vec<_> = env.sim.sent_messages().iter().map(|m| m.outcome).collect();
    assert_eq!(outcomes, vec![SendOutcome::Delivered, SendOutcome::Failed { code: 131047 }, SendOutcome::Delivered]);
}

#[tokio::test]
async fn a_customer_who_never_wrote_gets_only_templates() {
    let env = env().await;
    env.wa_send(text_to("5491112345678", "Hola")).await;
    assert_eq!(env.sim.sent_messages()[0].outcome, SendOutcome::Failed { code: 131047 });
}

fn messenger(psid: &str, kind: &str, tag: Option<&str>) -> serde_json::Value {
    let mut body = json!({"recipient": {"id": psid}, "messaging_type": kind, "message": {"text": "Hola"}});
    if let Some(tag) = tag {
        body["tag"] = json!(tag);
    }
    body
}

#[tokio::test]
async fn messenger_response_closes_at_24_hours() {
    let env = env().await;
    let ana = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    ana.text("Hola").await.expect("delivered");
    env.sim.advance_clock(Duration::from_secs(24 * HOUR - 1));
    let path = format!("{}/messages", demo::PAGE_ID);
    let (status, _) = env.post(&path, Some(demo::PAGE_TOKEN), &messenger(ana.id(), "RESPONSE", None)).await;
    assert_eq!(status, 200);
    env.sim.advance_clock(Duration::from_secs(1));
    let (status, body) = env.post(&path, Some(demo::PAGE_TOKEN), &messenger(ana.id(), "RESPONSE", None)).await;
    assert_eq!((status, code(&body)), (400, 10));
    assert_eq!(body["error"]["error_subcode"], 2018278);
    assert!(body["error"].get("error_data").is_none());
}

#[tokio::test]
async fn human_agent_extends_to_seven_days_exclusive() {
    let env = env().await;
    let ana = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    ana.text("Hola").await.expect("delivered");
    let human = messenger(ana.id(), "MESSAGE_TAG", Some("HUMAN_AGENT"));
    env.sim.advance_clock(Duration::from_secs(7 * 24 * HOUR - 1));
    let (status, body) = env.post("me/messages", Some(demo::PAGE_TOKEN), &human).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["recipient_id"], ana.id());
    assert!(body["message_id"].as_str().is_some_and(|m| m.starts_with("m_")));
    env.sim.advance_clock(Duration::from_secs(1));
    let (status, body) = env.post("me/messages", Some(demo::PAGE_TOKEN), &human).await;
    assert_eq!((status, code(&body), body["error"]["error_subcode"].as_i64()), (400, 10, Some(2018278)));
}

#[tokio::test]
async fn instagram_human_agent_works_through_the_linked_page_too() {
    let env = env().await;
    let ig = env.sim.instagram_customer(demo::IG_ID).expect("account");
    ig.text("Hola").await.expect("delivered");
    env.sim.advance_clock(Duration::from_secs(48 * HOUR));
    let via_page = format!("{}/messages", demo::PAGE_ID);
    let (status, _) = env.post(&via_page, Some(demo::PAGE_TOKEN), &messenger(ig.id(), "RESPONSE", None)).await;
    assert_eq!(status, 400);
    let human = messenger(ig.id(), "MESSAGE_TAG", Some("HUMAN_AGENT"));
    let (status, body) = env.post(&via_page, Some(demo::PAGE_TOKEN), &human).await;
    assert_eq!(status, 200, "{body}");
    let direct = format!("{}/messages", demo::IG_ID);
    let (status, _) = env.post(&direct, Some(demo::IG_TOKEN), &human).await;
    assert_eq!(status, 200);
    let (status, body) =
        env.post(&direct, Some(demo::IG_TOKEN), &messenger(ig.id(), "MESSAGE_TAG", Some("POST_PURCHASE_UPDATE"))).await;
    assert_eq!((status, code(&body)), (400, 100), "only HUMAN_AGENT on Instagram");
}

#[tokio::test]
async fn backdated_customers_write_in_the_past_and_their_windows_are_anchored_there() {
    let env = env().await;
    let jorge = env.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215587654321").expect("number");
    let delivery = jorge.backdated(Duration::from_secs(72 * HOUR)).text("¿Siguen abiertos?").await.expect("delivered");
    let sent_at = delivery.payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"].clone();
    let expected = (env.sim.now().unix_timestamp() - 72 * 3600).to_string();
    assert_eq!(sent_at, json!(expected), "the webhook carries the past timestamp");
    env.wa_send(text_to("5215587654321", "¡Hola!")).await;
    assert_eq!(env.sim.sent_messages()[0].outcome, SendOutcome::Failed { code: 131047 }, "closed three days ago");

    let fb = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    fb.backdated(Duration::from_secs(48 * HOUR)).text("Hola").await.expect("delivered");
    let send = |messaging_type: &str| json!({"recipient": {"id": fb.id()}, "messaging_type": messaging_type, "tag": "HUMAN_AGENT", "message": {"text": "Hola"}});
    let path = format!("{}/messages", demo::PAGE_ID);
    let (status, answer) = env.post(&path, Some(demo::PAGE_TOKEN), &send("RESPONSE")).await;
    assert_eq!((status, code(&answer)), (400, 10), "outside the standard window: {answer}");
    let (status, answer) = env.post(&path, Some(demo::PAGE_TOKEN), &send("MESSAGE_TAG")).await;
    assert_eq!(status, 200, "the human agent may still answer: {answer}");
    // A message written now reopens the window; a late one written before it does not close it again.
    fb.text("¿Me ayudas?").await.expect("delivered");
    fb.backdated(Duration::from_secs(48 * HOUR)).text("(atrasado)").await.expect("delivered");
    let (status, _) = env.post(&path, Some(demo::PAGE_TOKEN), &send("RESPONSE")).await;
    assert_eq!(status, 200);
}
