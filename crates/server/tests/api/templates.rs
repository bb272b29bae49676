//! Templates: synced from the WABA, sent only when approved and complete, the way to write first.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;
use std::time::Duration;

on_both_stores!(
    templates_sync_from_the_waba_with_their_parameters,
    closed_window_still_allows_an_approved_complete_template,
    template_starts_a_conversation_with_a_new_phone,
    authentication_template_to_a_username_customer_is_refused_before_sending,
    templates_do_not_exist_on_messenger,
    template_cost_is_estimated_from_the_rate_card_and_never_invented,
    template_header_image_from_an_upload_goes_to_whatsapp_media_and_is_delivered,
    template_text_meta_would_refuse_is_refused_before_the_202,
);

async fn synced(app: &TestApp) -> (crate::harness::TestAccount, crate::harness::DemoChannels) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/channels/{}/templates/sync", channels.cloud["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    (acct, channels)
}

async fn templates_sync_from_the_waba_with_their_parameters(app: TestApp) {
    let (acct, channels) = synced(&app).await;
    let list = app
        .get_json(&acct.admin_token, &format!("/api/v1/channels/{}/templates", channels.cloud["id"].as_str().unwrap()))
        .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 8);
    let pedido = items.iter().find(|t| t["name"] == "seguimiento_pedido").unwrap();
    assert_eq!(pedido["status"], "APPROVED");
    assert_eq!(pedido["category"], "UTILITY");
    assert_eq!(pedido["language"], "es_MX");
    assert_eq!(pedido["sendable"], true);
    assert_eq!(pedido["parameters"]["body"].as_array().unwrap().len(), 2);
    let paused = items.iter().find(|t| t["name"] == "promo_pausada").unwrap();
    assert_eq!(paused["sendable"], false);
    // Meta's quality rating, as the templates screen shows it.
    assert_eq!(pedido["quality_score"]["score"], "GREEN");
    assert_eq!(paused["quality_score"]["score"], "RED");
    let in_review = items.iter().find(|t| t["name"] == "en_revision").unwrap();
    assert_eq!(in_review["quality_score"]["score"], "UNKNOWN");
    assert!(app
        .sim
        .requests_to("/message_templates")
        .last()
        .unwrap()
        .query
        .as_deref()
        .unwrap_or_default()
        .contains("quality_score"));
    assert_eq!(app.sim.requests_to("/message_templates").last().unwrap().bearer(), Some(demo::CLOUD_TOKEN));
}

async fn closed_window_still_allows_an_approved_complete_template(app: TestApp) {
    let (acct, _) = synced(&app).await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    app.clock.advance(Duration::from_secs(30 * 3600));
    let path = format!("/api/v1/conversations/{id}/messages");
    assert_error(
        app.post(&acct.admin_token, &path, json!({"type": "text", "text": "hola"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "window_closed",
    )
    .await;
    let cases = [
        (
            json!({"type": "template", "template": {"name": "promo_pausada", "language": "es_MX"}, "parameters": {"body": ["x"]}}),
            "template_not_approved",
        ),
        (
            json!({"type": "template", "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": []}}),
            "template_parameters",
        ),
        (
            json!({"type": "template", "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": ["Ana", "extra"]}}),
            "template_parameters",
        ),
        (
            json!({"type": "template", "template": {"name": "seguimiento_pedido", "language": "es_MX"}, "parameters": {"body": ["Ana", "A-100"], "buttons": [{"index": 0, "text": "A-100"}]}}),
            "template_parameters",
        ),
        (json!({"type": "template", "template": {"name": "no_existe", "language": "es_MX"}}), "template_not_found"),
    ];
    for (body, code) in cases {
        assert_error(app.post(&acct.admin_token, &path, body).await, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    let res = app.post(&acct.admin_token, &path, json!({"type": "template", "template": {"name": "seguimiento_pedido", "language": "es_MX"},
        "parameters": {"header": {"type": "image", "link": "https://example.com/pedido.png"}, "body": ["Ana", "A-100"], "buttons": [{"index": 0, "text": "A-100"}]}})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["kind"], "template");
    assert_eq!(m["text"], "Hola Ana, tu pedido A-100 va en camino.");
    let sends: Vec<Value> = app.wait_for_sends(1).await.iter().map(|r| r.json()).collect();
    assert_eq!(sends.len(), 1, "the refused ones sent nothing");
    assert_eq!(sends[0]["type"], "template");
    assert_eq!(sends[0]["template"]["name"], "seguimiento_pedido");
    assert_eq!(sends[0]["template"]["language"], json!({"code": "es_MX"}));
    let components = sends[0]["template"]["components"].as_array().unwrap();
    assert_eq!(
        components[0],
        json!({"type": "header", "parameters": [{"type": "image", "image": {"link": "https://example.com/pedido.png"}}]})
    );
    assert_eq!(
        components[1],
        json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "A-100"}]})
    );
    assert_eq!(components[2]["sub_type"], "url");
}

async fn template_starts_a_conversation_with_a_new_phone(app: TestApp) {
    let (acct, channels) = synced(&app).await;
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;
    let res = app
        .post(
            &seller,
            "/api/v1/conversations",
            json!({"channel_id": channels.cloud["id"], "phone": "+52 55 1234 5678",
        "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": ["Ana"]}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let started: Value = res.json().await.unwrap();
    assert_eq!(started["conversation"]["handle"]["wa_id"], "525512345678", "E.164 digits until WhatsApp answers");
    assert_eq!(started["conversation"]["assignee"]["id"], seller_id, "the seller who started it can see it");
    assert_eq!(started["conversation"]["window"]["state"], "closed", "a business message opens no window");
    assert_eq!(started["message"]["status"], "pending");
    let sends: Vec<Value> = app.wait_for_sends(1).await.iter().map(|r| r.json()).collect();
    assert_eq!(sends[0]["to"], "525512345678", "the number as typed, in E.164 digits");
    // The customer answers: same conversation.
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("¡Gracias!").await.unwrap();
    app.settle().await;
    let convs = app.get_json(&seller, "/api/v1/conversations").await;
    assert_eq!(convs["items"].as_array().unwrap().len(), 1, "the reply from 52 1 … lands in the same conversation");
    assert_eq!(convs["items"][0]["handle"]["wa_id"], "5215512345678", "the wa_id WhatsApp answered is kept");
    assert_eq!(convs["items"][0]["window"]["state"], "open");
    // A role limited to another channel cannot start one here.
    let res = app.post(&acct.admin_token, "/api/v1/roles", json!({"name": "Solo app", "permissions": {"visibility": "channels", "channel_ids": [channels.app["id"]], "actions": ["send_messages", "send_templates"]}})).await;
    let role: Value = res.json().await.unwrap();
    let (_, app_only) = app.create_user(&acct.admin_token, role["id"].as_str().unwrap()).await;
    let res = app.post(&app_only, "/api/v1/conversations", json!({"channel_id": channels.cloud["id"], "phone": "+52 55 7777 8888", "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": ["Ana"]}})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_channel").await;
    // Messenger cannot start conversations; a bad phone is refused; nothing is created.
    let res = app.post(&acct.admin_token, "/api/v1/conversations", json!({"channel_id": channels.page["id"], "phone": "+52 55 1234 5678", "template": {"name": "bienvenida", "language": "es_MX"}})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "channel_cannot_initiate").await;
    let res = app.post(&acct.admin_token, "/api/v1/conversations", json!({"channel_id": channels.cloud["id"], "phone": "no soy un número", "template": {"name": "bienvenida", "language": "es_MX"}})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_phone").await;
    let res = app.post(&acct.admin_token, "/api/v1/conversations", json!({"channel_id": channels.cloud["id"], "phone": "+52 55 9999 0000", "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": []}})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "template_parameters").await;
    assert_eq!(
        app.get_json(&acct.admin_token, "/api/v1/conversations?status=all").await["items"].as_array().unwrap().len(),
        1,
        "no empty conversation left behind"
    );
}

async fn authentication_template_to_a_username_customer_is_refused_before_sending(app: TestApp) {
    let (acct, _) = synced(&app).await;
    app.sim.username_customer(demo::CLOUD_PHONE_NUMBER_ID, "ana.compras").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let res = app.post(&acct.admin_token, &format!("/api/v1/conversations/{id}/messages"),
        json!({"type": "template", "template": {"name": "codigo_acceso", "language": "es_MX"}, "parameters": {"body": ["123456"], "buttons": [{"index": 0, "text": "123456"}]}})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "template_requires_phone").await;
    assert_eq!(app.messages(&acct.admin_token, &id).await.len(), 1, "nothing stored, so nothing can be sent");
    // A reply sent afterwards is the only thing that reaches Meta.
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "text", "text": "Hola"}),
        )
        .await;
    let m: Value = res.json().await.unwrap();
    app.verdict(&acct.admin_token, &id, m["id"].as_str().unwrap()).await;
    let sends: Vec<Value> = app.wait_for_sends(1).await.iter().map(|r| r.json()).collect();
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(sends[0]["type"], "text");
}

async fn templates_do_not_exist_on_messenger(app: TestApp) {
    let (acct, channels) = synced(&app).await;
    let res = app
        .get(&acct.admin_token, &format!("/api/v1/channels/{}/templates", channels.page["id"].as_str().unwrap()))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "templates_not_supported").await;
    app.sim.messenger_customer(demo::PAGE_ID).unwrap().text("hola").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"type": "template", "template": {"name": "bienvenida", "language": "es_MX"}}),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "templates_not_supported").await;
}

async fn template_cost_is_estimated_from_the_rate_card_and_never_invented(app: TestApp) {
    let (acct, channels) = synced(&app).await;
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    let csv = "market,category,price,currency\nMX,marketing,0.0436,USD\nMX,utility,0.0100,USD\n";
    let put = |token: &str, body: &str| {
        app.http
            .put(app.url("/api/v1/rate_card"))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(body.to_string())
            .send()
    };
    assert_error(put(&seller, csv).await.unwrap(), StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(
        put(&acct.admin_token, "MX,marketing,gratis,USD").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_rate_card",
    )
    .await;
    assert_eq!(put(&acct.admin_token, csv).await.unwrap().status(), StatusCode::OK);
    assert_eq!(app.get_json(&acct.admin_token, "/api/v1/rate_card").await["items"].as_array().unwrap().len(), 2);

    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let list = app
        .get_json(
            &acct.admin_token,
            &format!("/api/v1/channels/{}/templates?conversation_id={id}", channels.cloud["id"].as_str().unwrap()),
        )
        .await;
    let cost = |name: &str| {
        list["items"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()["estimated_cost"].clone()
    };
    assert_eq!(
        cost("bienvenida"),
        json!({"kind": "priced", "price": "0.0436", "currency": "USD", "market": "MX", "category": "marketing"})
    );
    assert_eq!(cost("seguimiento_pedido")["kind"], "free", "utility inside the open window");
    assert_eq!(cost("codigo_acceso"), json!({"kind": "unknown"}), "no price on the card: unknown, never invented");
    let res = app.post(&acct.admin_token, &format!("/api/v1/conversations/{id}/messages"),
        json!({"type": "template", "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": ["Ana"]}})).await;
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["template"]["estimated_cost"]["price"], "0.0436");
}

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>, filename: &str, mime: &str) -> Value {
    use reqwest::multipart::{Form, Part};
    let form = Form::new().part("file", Part::bytes(bytes).file_name(filename.to_string()).mime_str(mime).unwrap());
    let res = app.http.post(app.url("/api/v1/uploads")).bearer_auth(token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn template_header_image_from_an_upload_goes_to_whatsapp_media_and_is_delivered(app: TestApp) {
    // Delivered is the end of the road here: the customer never reads it.
    app.sim.set_status_policy(simulator::StatusPolicy { read_after: None, ..Default::default() });
    let (acct, _) = synced(&app).await;
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("¿mi pedido?").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/conversations/{id}/messages");
    let send = |header: Value| {
        json!({"type": "template", "template": {"name": "seguimiento_pedido", "language": "es_MX"},
            "parameters": {"header": header, "body": ["Ana", "A-100"], "buttons": [{"index": 0, "text": "A-100"}]}})
    };

    // Refused before anything is queued: a file that is not the header's kind, too big, or unknown.
    let pdf = upload(&app, &acct.admin_token, simulator::samples::pdf(), "pedido.pdf", "application/pdf").await;
    let mut huge = simulator::samples::png();
    huge.resize(5_000_001, 0);
    let huge = upload(&app, &acct.admin_token, huge, "enorme.png", "image/png").await;
    for (header, code) in [
        (json!({"type": "image", "upload_id": pdf["id"]}), "template_parameters"),
        (json!({"type": "image", "upload_id": huge["id"]}), "media_too_large"),
        (json!({"type": "image", "upload_id": uuid::Uuid::now_v7()}), "upload_not_found"),
        (json!({"type": "image", "upload_id": "not-an-id"}), "upload_not_found"),
    ] {
        assert_error(app.post(&acct.admin_token, &path, send(header)).await, StatusCode::UNPROCESSABLE_ENTITY, code)
            .await;
    }

    let png = upload(&app, &acct.admin_token, simulator::samples::png(), "pedido.png", "image/png").await;
    let res = app.post(&acct.admin_token, &path, send(json!({"type": "image", "upload_id": png["id"]}))).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["kind"], "template");
    assert_eq!(m["attachment"]["kind"], "image", "the header file is shown with the message");
    let last = app.verdict(&acct.admin_token, &id, m["id"].as_str().unwrap()).await;
    assert_eq!(last["status"], "delivered", "{last}");

    let uploads = app.sim.requests_to("/media");
    assert_eq!(uploads.len(), 1, "the file went to WhatsApp once");
    assert_eq!(uploads[0].path, format!("/v24.0/{}/media", demo::CLOUD_PHONE_NUMBER_ID));
    let sends = app.wait_for_sends(1).await;
    assert_eq!(sends.len(), 1, "the refused sends sent nothing");
    let header = &sends[0].json()["template"]["components"][0];
    assert_eq!(header["type"], "header");
    let media_id = header["parameters"][0]["image"]["id"].as_str().unwrap().to_string();
    assert!(!media_id.is_empty(), "{header}");
    // The simulator holds exactly the uploaded bytes under that id.
    let info: Value = app
        .http
        .get(format!("{}/{media_id}", app.sim.graph_base()))
        .bearer_auth(demo::CLOUD_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["mime_type"], "image/png");
    let bytes = app.http.get(info["url"].as_str().unwrap()).bearer_auth(demo::CLOUD_TOKEN).send().await.unwrap();
    assert_eq!(bytes.bytes().await.unwrap().as_ref(), simulator::samples::png().as_slice());
}

async fn template_text_meta_would_refuse_is_refused_before_the_202(app: TestApp) {
    let (acct, _) = synced(&app).await;
    let token = acct.admin_token.as_str();
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(token).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/conversations/{id}/messages");
    let bienvenida = |value: &str| json!({"type": "template", "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": [value]}});
    let cita = |params: Value| json!({"type": "template", "template": {"name": "recordatorio_cita", "language": "es_MX"}, "parameters": {"body": params}});
    // Meta: 132018 for new lines, tabs and runs of spaces; 132005 past 1024 characters once filled
    // in; 132000 for a named parameter missing.
    let long = "a".repeat(1024 - 31);
    for body in [
        bienvenida("Ana\nLópez"),
        bienvenida("Ana\tLópez"),
        bienvenida("Ana     López"),
        bienvenida(&long),
        cita(json!({"first_name": "Ana"})),
        cita(json!({"first_name": "Ana", "date": "el\nlunes"})),
    ] {
        assert_error(app.post(token, &path, body).await, StatusCode::UNPROCESSABLE_ENTITY, "template_parameters").await;
    }
    assert_eq!(app.messages(token, &id).await.len(), 1, "nothing stored");
    for body in [
        bienvenida("Ana    López"),
        bienvenida(&"a".repeat(1024 - 32)),
        cita(json!({"first_name": "Ana", "date": "el lunes"})),
    ] {
        let res = app.post(token, &path, body).await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        let m: Value = res.json().await.unwrap();
        let m = app.verdict(token, &id, m["id"].as_str().unwrap()).await;
        assert_eq!(m["status"], "read", "Meta takes what we take: {m}");
    }
}
