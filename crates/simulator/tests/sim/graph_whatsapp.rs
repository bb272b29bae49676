//! `POST /{PHONE_NUMBER_ID}/messages`: answers, validation and recorded requests.

use std::time::Duration;

use inbox_simulator::payloads::WaStatusKind;
use inbox_simulator::{RecordedBody, SendOutcome, SimConfig, StatusPolicy};
use serde_json::json;

use crate::support::{code, env, env_with, text_to, MARIA, NUMBER, SECRET, TOKEN};

#[tokio::test]
async fn a_text_inside_the_window_answers_like_the_cloud_api() {
    let env = env().await;
    env.maria_writes().await;
    let (status, body) = env.wa_send(text_to(MARIA, "Hola Ana")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["contacts"][0], json!({"input": MARIA, "wa_id": MARIA}));
    assert!(body["messages"][0]["id"].as_str().is_some_and(|id| id.starts_with("wamid.")));
    let sent = env.sim.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].outcome, SendOutcome::Delivered);
}

#[tokio::test]
async fn every_request_is_recorded_with_its_token_and_body() {
    let env = env().await;
    env.maria_writes().await;
    let body = text_to(MARIA, "Hola");
    env.wa_send(body.clone()).await;
    let recorded = env.sim.requests_to("/messages");
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, format!("/v24.0/{NUMBER}/messages"));
    assert_eq!(recorded[0].authorization(), Some(format!("Bearer {TOKEN}").as_str()));
    assert_eq!(recorded[0].bearer(), Some(TOKEN));
    assert!(matches!(&recorded[0].body, RecordedBody::Json(v) if *v == body));
    env.sim.clear_requests();
    assert!(env.sim.requests().is_empty());
}

#[tokio::test]
async fn a_bad_or_missing_token_is_190_with_http_401() {
    let env = env().await;
    for token in [Some("EAA-wrong"), None] {
        let (status, body) = env.post(&format!("{NUMBER}/messages"), token, &text_to(MARIA, "x")).await;
        assert_eq!(status, 401);
        assert_eq!(code(&body), 190);
        assert_eq!(body["error"]["type"], "OAuthException");
        assert!(body["error"]["fbtrace_id"].is_string());
    }
}

#[tokio::test]
async fn a_token_of_another_asset_cannot_reach_the_number() {
    let env = env().await;
    let (status, body) =
        env.post(&format!("{NUMBER}/messages"), Some(inbox_simulator::demo::PAGE_TOKEN), &text_to(MARIA, "x")).await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), 100);
    assert_eq!(body["error"]["error_subcode"], 33);
    let (_, body) = env.post("999999/messages", Some(TOKEN), &text_to(MARIA, "x")).await;
    assert_eq!(body["error"]["error_subcode"], 33);
}

#[tokio::test]
async fn malformed_bodies_get_error_100_with_whatsapp_error_data() {
    let env = env().await;
    let cases = [
        json!({"to": MARIA, "type": "text", "text": {"body": "x"}}),
        json!({"messaging_product": "sms", "to": MARIA, "type": "text", "text": {"body": "x"}}),
        json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}),
        json!({"messaging_product": "whatsapp", "to": MARIA, "type": "text", "text": {"body": ""}}),
        json!({"messaging_product": "whatsapp", "to": MARIA, "type": "text", "text": {"body": "a".repeat(4097)}}),
        json!({"messaging_product": "whatsapp", "to": MARIA, "type": "poll", "poll": {}}),
        json!({"messaging_product": "whatsapp", "to": MARIA, "type": "reaction", "reaction": {"emoji": "👍"}}),
        json!({"messaging_product": "whatsapp", "recipient": "not-a-bsuid", "type": "text", "text": {"body": "x"}}),
    ];
    for case in cases {
        let (status, body) = env.wa_send(case.clone()).await;
        assert_eq!((status, code(&body)), (400, 100), "{case} → {body}");
        assert_eq!(body["error"]["error_data"]["messaging_product"], "whatsapp");
        assert!(body["error"]["error_data"]["details"].is_string());
    }
    let (status, _) = env.wa_send(text_to(MARIA, &"é".repeat(4096))).await;
    assert_eq!(status, 200, "4096 characters (not bytes) are allowed");
}

#[tokio::test]
async fn a_bsuid_recipient_is_answered_with_user_id_and_to_wins_over_recipient() {
    let env = env().await;
    let ana = env.sim.username_customer(NUMBER, "ana.mx").expect("number");
    ana.text("Hola").await.expect("delivered");
    let send = json!({"messaging_product": "whatsapp", "recipient": ana.user_id(), "type": "text",
                      "text": {"body": "Hola Ana"}});
    let (status, body) = env.wa_send(send).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["contacts"][0], json!({"input": ana.user_id(), "user_id": ana.user_id()}));
    let (_, body) = env
        .wa_send(json!({"messaging_product": "whatsapp", "to": MARIA, "recipient": ana.user_id(), "type": "text",
                        "text": {"body": "x"}}))
        .await;
    assert_eq!(body["contacts"][0]["wa_id"], MARIA);
}

#[tokio::test]
async fn a_bsuid_put_in_to_is_accepted_and_fails_undeliverable() {
    let env = env_with(inbox_simulator::SimConfig::demo(SECRET).statuses(StatusPolicy::immediate())).await;
    let ana = env.sim.username_customer(NUMBER, "ana.mx").expect("number");
    ana.text("Hola").await.expect("delivered");
    let (status, body) = env.wa_send(text_to(ana.user_id(), "Hola")).await;
    assert_eq!(status, 200);
    let id = body["messages"][0]["id"].clone();
    env.hooks.wait_for(2).await;
    let statuses = env.hooks.statuses();
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert_eq!(statuses[0]["id"], id);
    assert_eq!(statuses[0]["status"], "failed");
    assert_eq!(statuses[0]["errors"][0]["code"], 131026);
}

#[tokio::test]
async fn a_mexican_number_without_the_mobile_1_gets_its_wa_id_back() {
    let env = env().await;
    env.maria_writes().await;
    let (_, body) = env.wa_send(text_to("+52 55 1234 5678", "Hola")).await;
    assert_eq!(body["contacts"][0]["input"], "+52 55 1234 5678");
    assert_eq!(body["contacts"][0]["wa_id"], MARIA);
}

#[tokio::test]
async fn reactions_interactive_location_and_contacts_are_accepted() {
    let env = env().await;
    env.maria_writes().await;
    let bodies = [
        json!({"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}}),
        json!({"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": ""}}),
        json!({"type": "interactive", "interactive": {"type": "request_contact_info",
               "body": {"text": "¿Nos compartes tu número?"}, "action": {"name": "request_contact_info"}}}),
        json!({"type": "interactive", "interactive": {"type": "button", "body": {"text": "¿Sí?"},
               "action": {"buttons": [{"type": "reply", "reply": {"id": "si", "title": "Sí"}}]}}}),
        json!({"type": "location", "location": {"latitude": 19.43, "longitude": -99.13, "name": "Oficina"}}),
        json!({"type": "contacts", "contacts": [{"name": {"formatted_name": "Ana"}, "phones": [{"phone": "+1"}]}]}),
        json!({"type": "text", "text": {"body": "cita"}, "context": {"message_id": "wamid.Q"}}),
    ];
    for extra in bodies {
        let mut body = json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": MARIA});
        for (k, v) in extra.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        let (status, answer) = env.wa_send(body.clone()).await;
        assert_eq!(status, 200, "{body} → {answer}");
    }
}

#[tokio::test]
async fn a_request_contact_info_without_its_action_name_is_refused() {
    let env = env().await;
    let (status, body) = env
        .wa_send(json!({"messaging_product": "whatsapp", "to": MARIA, "type": "interactive",
            "interactive": {"type": "request_contact_info", "body": {"text": "¿Tu número?"}, "action": {}}}))
        .await;
    assert_eq!((status, code(&body)), (400, 100));
}

#[tokio::test]
async fn mark_as_read_answers_success() {
    let env = env().await;
    let (status, body) = env
        .wa_send(json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.ABC",
                        "typing_indicator": {"type": "text"}}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"success": true}));
    let (status, body) = env.wa_send(json!({"messaging_product": "whatsapp", "status": "read"})).await;
    assert_eq!((status, code(&body)), (400, 100));
    assert!(env.sim.sent_messages().is_empty(), "marking as read sends nothing");
}

#[tokio::test]
async fn the_phone_number_object_answers_its_details() {
    let env = env().await;
    let (status, body) = env.get(NUMBER, Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], NUMBER);
    assert_eq!(body["display_phone_number"], inbox_simulator::demo::CLOUD_DISPLAY_NUMBER);
    let (status, body) = env.get("me", Some(inbox_simulator::demo::PAGE_TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], inbox_simulator::demo::PAGE_ID);
    let (status, body) = env.get("nope/unknown/edge", Some(TOKEN)).await;
    assert_eq!((status, code(&body)), (400, 2500));
}

#[tokio::test]
async fn the_final_status_of_each_send_is_known_once_all_are_posted() {
    let env = env_with(SimConfig::demo(SECRET).statuses(StatusPolicy::immediate())).await;
    env.maria_writes().await;
    let (_, ok) = env.wa_send(text_to(MARIA, "Hola")).await;
    env.sim.advance_clock(Duration::from_secs(24 * 3600));
    let (status, late) = env.wa_send(text_to(MARIA, "¿Sigues ahí?")).await;
    assert_eq!(status, 200, "accepted, failed afterwards: {late}");
    assert!(env.sim.wait_statuses_posted(Duration::from_secs(5)).await);
    let id = |v: &serde_json::Value| v["messages"][0]["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(env.sim.final_status(&id(&ok)), Some(WaStatusKind::Read));
    assert_eq!(env.sim.final_status(&id(&late)), Some(WaStatusKind::Failed));
    let failed = env.hooks.statuses().into_iter().find(|s| s["id"] == id(&late).as_str()).expect("posted");
    assert_eq!(failed["errors"][0]["code"], 131047);
    assert_eq!(env.sim.final_status("wamid.unknown"), None);
}
