//! WhatsApp sends: the exact request Meta receives, and what the client reads from the answer.

use inbox_meta::graph::{whatsapp, GraphError, Retry, WaRecipient};
use secrecy::SecretString;
use serde_json::json;
use simulator::SendOutcome;

use crate::support::{demo, meta};

const ANA: &str = "5215512345678";

#[tokio::test]
async fn text_send_returns_an_id_and_meta_receives_path_token_and_body() {
    let m = meta().await;
    let ana = m.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, ANA).expect("customer");
    ana.text("Hola").await.expect("customer writes");

    let body = whatsapp::text(&WaRecipient::Phone(ANA.into()), "Hola Ana", false, Some("wamid.QUOTED"));
    let sent =
        m.graph.whatsapp().send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &body).await.expect("accepted");

    assert!(sent.message_id.starts_with("wamid."), "{}", sent.message_id);
    assert_eq!(sent.wa_id.as_deref(), Some(ANA));
    assert_eq!(sent.user_id, None);
    assert_eq!(sent.message_status, None);
    let requests = m.sim.requests_to("/messages");
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v24.0/106540352242922/messages");
    assert_eq!(request.query, None, "the token never travels in the URL");
    assert_eq!(request.bearer(), Some(demo::CLOUD_TOKEN));
    assert_eq!(request.json(), body);
    let journal = m.sim.sent_messages();
    assert_eq!(journal[0].id, sent.message_id);
    assert!(matches!(journal[0].outcome, SendOutcome::Delivered));
}

#[tokio::test]
async fn bsuid_send_uses_recipient_and_no_to() {
    let m = meta().await;
    let customer = m.sim.username_customer(demo::CLOUD_PHONE_NUMBER_ID, "ana.lopez").expect("customer");
    customer.text("Hola").await.expect("customer writes");
    let bsuid = customer.user_id().to_string();

    let body = whatsapp::text(&WaRecipient::Bsuid(bsuid.clone()), "Hola", false, None);
    let sent =
        m.graph.whatsapp().send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &body).await.expect("accepted");

    assert_eq!(sent.user_id.as_deref(), Some(bsuid.as_str()));
    assert_eq!(sent.wa_id, None);
    let recorded = m.sim.requests_to("/messages")[0].json();
    assert_eq!(recorded["recipient"], json!(bsuid));
    assert!(recorded.get("to").is_none(), "{recorded}");
    assert!(matches!(m.sim.sent_messages()[0].outcome, SendOutcome::Delivered));
}

#[tokio::test]
async fn template_send_is_accepted_with_a_message_status() {
    let m = meta().await;
    let body = whatsapp::template(
        &WaRecipient::Phone(ANA.into()),
        "bienvenida",
        "es_MX",
        &json!([{"type":"body","parameters":[{"type":"text","text":"Ana"}]}]),
    );
    let secret = SecretString::from(demo::CLOUD_TOKEN);
    let sent = m.graph.whatsapp().send_message(demo::CLOUD_PHONE_NUMBER_ID, &secret, &body).await.expect("accepted");
    assert_eq!(sent.message_status.as_deref(), Some("accepted"));
    assert_eq!(m.sim.requests()[0].bearer(), Some(demo::CLOUD_TOKEN));
}

#[tokio::test]
async fn a_template_with_wrong_parameters_is_refused_permanently() {
    let m = meta().await;
    let body = whatsapp::template(&WaRecipient::Phone(ANA.into()), "bienvenida", "es_MX", &json!(null));
    let error = m
        .graph
        .whatsapp()
        .send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &body)
        .await
        .expect_err("refused");
    assert_eq!(error.code(), Some(132000), "{error}");
    assert_eq!(error.http_status(), Some(400));
    assert_eq!(error.classify(), Retry::Permanent);
    assert!(error.reason().contains("parameter count"));
}

#[tokio::test]
async fn a_code_template_to_a_bsuid_is_131062() {
    let m = meta().await;
    let customer = m.sim.username_customer(demo::CLOUD_PHONE_NUMBER_ID, "beto").expect("customer");
    let body = whatsapp::template(
        &WaRecipient::Bsuid(customer.user_id().into()),
        "codigo_acceso",
        "es_MX",
        &json!([
            {"type":"body","parameters":[{"type":"text","text":"123456"}]},
            {"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"123456"}]}
        ]),
    );
    let error = m
        .graph
        .whatsapp()
        .send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &body)
        .await
        .expect_err("refused");
    assert_eq!(error.code(), Some(131062), "{error}");
    assert_eq!(error.classify(), Retry::Permanent);
}

#[tokio::test]
async fn request_contact_info_and_reaction_are_accepted() {
    let m = meta().await;
    let customer = m.sim.username_customer(demo::CLOUD_PHONE_NUMBER_ID, "carla").expect("customer");
    let delivery = customer.text("Hola").await.expect("customer writes");
    let to = WaRecipient::Bsuid(customer.user_id().into());
    let wa = m.graph.whatsapp();
    let ask = whatsapp::request_contact_info(&to, "¿Nos compartes tu número?");
    wa.send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &ask).await.expect("request_contact_info accepted");
    let inbound = delivery.message_id.expect("the customer's wamid");
    let react = whatsapp::reaction(&to, &inbound, "👍");
    wa.send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &react).await.expect("reaction accepted");
    let kinds: Vec<String> = m.sim.sent_messages().into_iter().map(|s| s.kind).collect();
    assert_eq!(kinds, ["interactive", "reaction"]);
}

#[tokio::test]
async fn mark_read_with_typing_indicator() {
    let m = meta().await;
    let ana = m.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, ANA).expect("customer");
    let delivery = ana.text("Hola").await.expect("customer writes");
    let wamid = delivery.message_id.expect("wamid");
    m.graph
        .whatsapp()
        .mark_read(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &wamid, true)
        .await
        .expect("marked read");
    let recorded = m.sim.requests_to("/messages")[0].json();
    assert_eq!(recorded, whatsapp::mark_read(&wamid, true));
}

#[tokio::test]
async fn a_send_without_messages_in_the_answer_is_malformed() {
    // Mark-as-read answers `{"success": true}`: read as a send answer it has no `messages[0].id`.
    let m = meta().await;
    let error = m
        .graph
        .whatsapp()
        .send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &whatsapp::mark_read("wamid.X", false))
        .await
        .expect_err("no message id");
    assert!(matches!(error, GraphError::MalformedResponse(_)), "{error:?}");
    assert_eq!(error.classify(), Retry::Permanent);
}
