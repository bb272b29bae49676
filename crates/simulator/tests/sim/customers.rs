//! Simulated customers: signed, Meta-shaped webhooks, media the inbox can download, identity changes.

use inbox_simulator::payloads::{self, WaStatus, WaStatusKind};
use inbox_simulator::{demo, samples, sign, verify, SimConfig, SimError, StatusPolicy};
use serde_json::{json, Value};

use crate::support::{env, env_with, text_to, MARIA, NUMBER, SECRET, TOKEN};

fn value(json: &Value) -> &Value {
    &json["entry"][0]["changes"][0]["value"]
}

#[tokio::test]
async fn webhooks_are_signed_with_the_app_secret_over_the_raw_body() {
    let env = env().await;
    env.maria_writes().await;
    let got = env.hooks.wait_for(1).await;
    let signature = got[0].signature.clone().expect("X-Hub-Signature-256");
    assert!(verify(SECRET, &got[0].raw, &signature));
    assert_eq!(signature, sign(SECRET, &got[0].raw));
    assert!(!verify("another-secret", &got[0].raw, &signature));
    let v = value(&got[0].json);
    assert_eq!(got[0].json["object"], "whatsapp_business_account");
    assert_eq!(got[0].json["entry"][0]["id"], demo::WABA_ID);
    assert_eq!(v["metadata"]["phone_number_id"], NUMBER);
    assert_eq!(v["contacts"][0]["wa_id"], MARIA);
    assert_eq!(v["contacts"][0]["profile"]["name"], "María López");
    assert!(v["contacts"][0]["user_id"].as_str().is_some_and(|u| u.starts_with("MX.")));
    assert_eq!(v["messages"][0]["from"], MARIA);
    assert_eq!(v["messages"][0]["type"], "text");
    assert_eq!(v["messages"][0]["timestamp"], env.sim.now().unix_timestamp().to_string());
    assert_eq!(env.sim.webhooks()[0].status, Some(200));
}

#[tokio::test]
async fn customer_media_is_downloadable_by_its_id() {
    let env = env().await;
    let maria = env.sim.whatsapp_customer(NUMBER, MARIA).expect("number");
    maria.audio(samples::ogg_opus(), "audio/ogg; codecs=opus", true).await.expect("delivered");
    let got = env.hooks.wait_for(1).await;
    let audio = &value(&got[0].json)["messages"][0]["audio"];
    assert_eq!(audio["voice"], true);
    assert_eq!(audio["mime_type"], "audio/ogg; codecs=opus");
    let id = audio["id"].as_str().expect("media id");
    let (_, info) = env.get(id, Some(TOKEN)).await;
    let bytes = env.http.get(info["url"].as_str().unwrap_or_default()).bearer_auth(TOKEN).send().await.expect("up");
    assert_eq!(bytes.bytes().await.expect("bytes").to_vec(), samples::ogg_opus());
}

#[tokio::test]
async fn a_username_customer_has_no_phone_until_they_share_it() {
    let env = env().await;
    let ana = env.sim.username_customer(NUMBER, "ana.mx").expect("number");
    ana.text("Hola").await.expect("delivered");
    ana.share_own_phone("+52 1 55 8765 4321").await.expect("delivered");
    ana.text("Gracias").await.expect("delivered");
    let got = env.hooks.wait_for(3).await;

    let first = value(&got[0].json);
    assert!(first["contacts"][0].get("wa_id").is_none());
    assert!(first["messages"][0].get("from").is_none());
    assert_eq!(first["contacts"][0]["user_id"], ana.user_id());
    assert_eq!(first["contacts"][0]["profile"]["username"], "ana.mx");
    assert_eq!(first["messages"][0]["from_user_id"], ana.user_id());

    let shared = &value(&got[1].json)["messages"][0];
    assert_eq!(shared["type"], "contacts");
    assert_eq!(shared["origin"], "contact_request");
    assert_eq!(shared["contacts"][0]["phones"][0]["wa_id"], "5215587654321");
    assert!(shared["contacts"][0]["vcard"].as_str().is_some_and(|v| v.contains("waid=5215587654321")));

    let later = value(&got[2].json);
    assert_eq!(later["contacts"][0]["wa_id"], "5215587654321");
    assert_eq!(later["contacts"][0]["user_id"], ana.user_id());
    assert_eq!(later["messages"][0]["from"], "5215587654321");
    let (status, body) = env.wa_send(text_to("5215587654321", "Hola Ana")).await;
    assert_eq!(status, 200);
    assert_eq!(body["contacts"][0]["wa_id"], "5215587654321");
}

#[tokio::test]
async fn every_message_kind_has_meta_shape() {
    let env = env().await;
    let maria = env.sim.whatsapp_customer(NUMBER, MARIA).expect("number");
    let first = maria.text("Hola").await.expect("delivered").message_id.unwrap_or_default();
    maria.image(samples::png(), "image/png", Some("foto")).await.expect("image");
    maria.video(samples::mp4(), "video/mp4", None).await.expect("video");
    maria.document(samples::pdf(), "application/pdf", "cotizacion.pdf", None).await.expect("document");
    maria.sticker(samples::webp(), false).await.expect("sticker");
    maria.location(19.43, -99.13, Some("Oficina"), Some("Reforma 1")).await.expect("location");
    maria.react(&first, "👍").await.expect("reaction");
    maria.reply(&first, "cita").await.expect("reply");
    maria.unsupported().await.expect("unsupported");
    maria.edit(&first, "Hola!").await.expect("edit");
    maria.revoke(&first).await.expect("revoke");
    let got = env.hooks.wait_for(11).await;
    let msgs: Vec<Value> = got.iter().map(|r| value(&r.json)["messages"][0].clone()).collect();
    let kinds: Vec<&str> = msgs.iter().map(|m| m["type"].as_str().unwrap_or_default()).collect();
    assert_eq!(
        kinds,
        [
            "text",
            "image",
            "video",
            "document",
            "sticker",
            "location",
            "reaction",
            "text",
            "unsupported",
            "edit",
            "revoke"
        ]
    );
    assert_eq!(msgs[1]["image"]["caption"], "foto");
    assert!(msgs[1]["image"]["sha256"].as_str().is_some_and(|s| s.ends_with('=')), "base64 like Meta");
    assert_eq!(msgs[3]["document"]["filename"], "cotizacion.pdf");
    assert_eq!(msgs[4]["sticker"]["mime_type"], "image/webp");
    assert_eq!(msgs[5]["location"]["latitude"], 19.43);
    assert_eq!(msgs[6]["reaction"], json!({"message_id": first, "emoji": "👍"}));
    assert_eq!(msgs[7]["context"]["id"], first.as_str());
    assert_eq!(msgs[8]["errors"][0]["code"], 131051);
    assert_eq!(msgs[9]["edit"]["message"]["text"]["body"], "Hola!");
    assert_eq!(msgs[10]["revoke"]["original_message_id"], first.as_str());
}

#[tokio::test]
async fn coexistence_numbers_get_echoes_and_others_refuse_them() {
    let env = env().await;
    let cloud = env.sim.whatsapp_customer(NUMBER, MARIA).expect("number");
    assert!(matches!(cloud.echo_text("x").await, Err(SimError::NotCoexistence(_))));
    let app = env.sim.whatsapp_customer(demo::APP_PHONE_NUMBER_ID, MARIA).expect("number");
    app.echo_text("Te escribo desde el cel").await.expect("delivered");
    let got = env.hooks.wait_for(1).await;
    assert_eq!(got[0].json["entry"][0]["changes"][0]["field"], "smb_message_echoes");
    let echo = &value(&got[0].json)["message_echoes"][0];
    assert_eq!(echo["from"], demo::APP_DISPLAY_NUMBER);
    assert_eq!(echo["to"], MARIA);
    assert_eq!(echo["text"]["body"], "Te escribo desde el cel");
    assert_eq!(env.sim.sent_messages().len(), 0);
    // An echo opens no window.
    let (_, body) =
        env.post(&format!("{}/messages", demo::APP_PHONE_NUMBER_ID), Some(demo::APP_TOKEN), &text_to(MARIA, "x")).await;
    assert!(body["messages"][0]["id"].is_string());
    assert_eq!(env.sim.sent_messages()[0].outcome, inbox_simulator::SendOutcome::Failed { code: 131047 });
}

#[tokio::test]
async fn statuses_follow_a_send_in_order_with_pricing() {
    let env = env_with(SimConfig::demo(SECRET).statuses(StatusPolicy::immediate())).await;
    env.maria_writes().await;
    let (_, body) = env.wa_send(text_to(MARIA, "Hola")).await;
    let id = body["messages"][0]["id"].clone();
    env.hooks.wait_for(4).await;
    let statuses = env.hooks.statuses();
    let kinds: Vec<&str> = statuses.iter().map(|s| s["status"].as_str().unwrap_or_default()).collect();
    assert_eq!(kinds, ["sent", "delivered", "read"]);
    assert!(statuses.iter().all(|s| s["id"] == id && s["recipient_id"] == MARIA));
    assert_eq!(
        statuses[0]["pricing"],
        json!({"billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"})
    );
    assert!(statuses[2].get("pricing").is_none());
    assert!(statuses[0].get("conversation").is_none(), "v24 has no conversation object");
}

#[tokio::test]
async fn statuses_can_be_emitted_by_hand_and_crafted_out_of_order() {
    let env = env().await;
    env.maria_writes().await;
    let (_, body) = env.wa_send(text_to(MARIA, "Hola")).await;
    let id = body["messages"][0]["id"].as_str().unwrap_or_default().to_string();
    env.sim.emit_status(&id, WaStatusKind::Read).await.expect("delivered");
    env.sim.emit_status(&id, WaStatusKind::Delivered).await.expect("delivered");
    let business = env.sim.business(NUMBER).expect("number");
    let crafted = payloads::whatsapp_statuses(
        &business,
        &[
            WaStatus::new(id.clone(), WaStatusKind::Sent, 1).to(MARIA),
            WaStatus::new(id.clone(), WaStatusKind::Sent, 1).to(MARIA),
        ],
    );
    let d = env.sim.post_webhook(crafted).await.expect("delivered");
    assert_eq!(d.status, 200);
    let kinds: Vec<String> =
        env.hooks.statuses().iter().map(|s| s["status"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(kinds, ["read", "delivered", "sent", "sent"]);
    assert!(env.sim.emit_status("wamid.unknown", WaStatusKind::Read).await.is_err());
}

#[tokio::test]
async fn a_template_status_carries_its_category_and_a_bsuid_send_names_the_user() {
    let env = env_with(SimConfig::demo(SECRET).statuses(StatusPolicy::immediate())).await;
    let ana = env.sim.username_customer(NUMBER, "ana.mx").expect("number");
    let send = json!({"messaging_product": "whatsapp", "recipient": ana.user_id(), "type": "template",
        "template": {"name": "bienvenida", "language": {"code": "es_MX"},
                     "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]}});
    let (status, body) = env.wa_send(send).await;
    assert_eq!(status, 200, "{body}");
    env.hooks.wait_for(3).await;
    let statuses = env.hooks.statuses();
    assert_eq!(statuses[0]["recipient_user_id"], ana.user_id());
    assert!(statuses[0].get("recipient_id").is_none());
    assert_eq!(statuses[1]["pricing"]["category"], "marketing");
    assert_eq!(statuses[1]["pricing"]["type"], "regular");
    assert_eq!(statuses[1]["pricing"]["billable"], true);
}

#[tokio::test]
async fn messenger_and_instagram_customers_send_page_shaped_webhooks() {
    let env = env().await;
    let fb = env.sim.messenger_customer(demo::PAGE_ID).expect("page");
    fb.text("Hola").await.expect("delivered");
    fb.attachment("image", samples::png(), "image/png").await.expect("delivered");
    fb.react("m_1", "❤️").await.expect("delivered");
    fb.read(None).await.expect("delivered");
    let ig = env.sim.instagram_customer(demo::IG_ID).expect("account");
    ig.text("Hola").await.expect("delivered");
    ig.unsend("m_ig").await.expect("delivered");
    let got = env.hooks.wait_for(6).await;
    let event = |i: usize| got[i].json["entry"][0]["messaging"][0].clone();
    assert_eq!(got[0].json["object"], "page");
    assert_eq!(event(0)["sender"]["id"], fb.id());
    assert_eq!(event(0)["message"]["text"], "Hola");
    let url = event(1)["message"]["attachments"][0]["payload"]["url"].as_str().unwrap_or_default().to_string();
    let bytes = env.http.get(&url).send().await.expect("cdn").bytes().await.expect("bytes");
    assert_eq!(bytes.to_vec(), samples::png());
    assert_eq!(event(2)["reaction"]["reaction"], "love");
    assert!(event(3)["read"]["watermark"].is_i64());
    assert_eq!(got[4].json["object"], "instagram");
    assert_eq!(got[4].json["entry"][0]["id"], demo::IG_ID);
    assert_eq!(event(5)["message"]["is_deleted"], true);
}

#[tokio::test]
async fn a_coexistence_number_can_share_its_history() {
    use inbox_simulator::payloads::{HistoryMessage, HistoryThread, WaContent, WaMessage, WaUser};
    let env = env().await;
    let thread = HistoryThread {
        customer: WaUser::phone(MARIA).with_name("María"),
        messages: vec![HistoryMessage {
            from_business: false,
            message: WaMessage::new("wamid.old", 1_700_000_000, WaContent::Text("Hola".into())),
            status: "READ".into(),
        }],
    };
    assert!(matches!(
        env.sim.share_history(NUMBER, std::slice::from_ref(&thread)).await,
        Err(SimError::NotCoexistence(_))
    ));
    let d = env.sim.share_history(demo::APP_PHONE_NUMBER_ID, &[thread]).await.expect("delivered");
    assert_eq!(d.status, 200);
    let got = env.hooks.wait_for(1).await;
    assert_eq!(got[0].json["entry"][0]["changes"][0]["field"], "history");
}
