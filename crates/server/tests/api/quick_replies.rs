//! Quick replies: managed by those allowed, used by everyone, personalised, with their file.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;

on_both_stores!(
    quick_replies_are_managed_and_sent_personalised_with_their_file,
    a_quick_reply_is_edited_and_deleted_by_those_allowed_and_sends_as_it_is_now,
);

async fn quick_replies_are_managed_and_sent_personalised_with_their_file(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;
    let body = json!({"shortcut": "/horario", "title": "Horario", "text": "Hola {{contact.first_name | cliente}}, abrimos de 9 a 18 h."});
    assert_error(app.post(&seller, "/api/v1/quick_replies", body.clone()).await, StatusCode::FORBIDDEN, "forbidden")
        .await;
    let res = app.post(&acct.admin_token, "/api/v1/quick_replies", body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let horario: Value = res.json().await.unwrap();
    assert_eq!(horario["shortcut"], "horario");
    assert_error(
        app.post(&acct.admin_token, "/api/v1/quick_replies", body).await,
        StatusCode::CONFLICT,
        "shortcut_taken",
    )
    .await;
    let bad = json!({"shortcut": "x", "title": "X", "text": "Hola {{contact.apodo}}"});
    assert_error(
        app.post(&acct.admin_token, "/api/v1/quick_replies", bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_placeholder",
    )
    .await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(simulator::samples::pdf())
            .file_name("catalogo.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let up: Value = app
        .http
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&acct.admin_token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = app.post(&acct.admin_token, "/api/v1/quick_replies", json!({"shortcut": "catalogo", "title": "Catálogo", "text": "Te comparto el catálogo", "upload_id": up["id"]})).await;
    let catalogo: Value = res.json().await.unwrap();
    assert_eq!(
        app.get_json(&seller, "/api/v1/quick_replies").await["items"].as_array().unwrap().len(),
        2,
        "everyone may use them"
    );

    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("¿horario?").await.unwrap();
    app.settle().await;
    let id = app.only_conversation(&acct.admin_token).await["id"].as_str().unwrap().to_string();
    app.patch(&acct.admin_token, &format!("/api/v1/conversations/{id}"), json!({"assignee_id": seller_id})).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let res = app.post(&seller, &path, json!({"type": "quick_reply", "quick_reply_id": horario["id"]})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let m: Value = res.json().await.unwrap();
    assert_eq!(m["text"], "Hola cliente, abrimos de 9 a 18 h.", "the fallback, as no contact is linked");
    let res = app.post(&seller, &path, json!({"type": "quick_reply", "quick_reply_id": catalogo["id"]})).await;
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["kind"], "document");
    assert_eq!(doc["text"], "Te comparto el catálogo", "on WhatsApp a document carries the text as its caption");
    for sent in [&m, &doc] {
        let sent = app.verdict(&seller, &id, sent["id"].as_str().unwrap()).await;
        assert_eq!(sent["status"], "read", "{sent}");
    }
    let sends: Vec<Value> = app.wait_for_sends(2).await.iter().map(|r| r.json()).collect();
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[0]["text"]["body"], "Hola cliente, abrimos de 9 a 18 h.");
    assert_eq!(sends[1]["document"]["caption"], "Te comparto el catálogo");
    assert_eq!(sends[1]["document"]["filename"], "catalogo.pdf");
}

async fn a_quick_reply_is_edited_and_deleted_by_those_allowed_and_sends_as_it_is_now(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    app.connect_demo_channels(admin).await;
    let (_, seller) = app.create_user(admin, "seller").await;
    let created = |shortcut: &str, text: &str| {
        app.post(admin, "/api/v1/quick_replies", json!({"shortcut": shortcut, "title": "T", "text": text}))
    };
    let envio: Value = created("envio", "El envío tarda 3 días.").await.json().await.unwrap();
    created("horario", "De 9 a 18 h.").await;
    let path = format!("/api/v1/quick_replies/{}", envio["id"].as_str().unwrap());

    let edit = json!({"shortcut": "/Envios", "title": "Envíos", "text": "Hola {{contact.first_name | cliente}}, el envío tarda 2 días."});
    assert_error(app.patch(&seller, &path, edit.clone()).await, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app.patch(admin, &path, edit).await;
    assert_eq!(res.status(), StatusCode::OK);
    let edited: Value = res.json().await.unwrap();
    assert_eq!((edited["shortcut"].as_str(), edited["title"].as_str()), (Some("envios"), Some("Envíos")));
    let taken = json!({"shortcut": "horario", "title": "X", "text": "x"});
    assert_error(app.patch(admin, &path, taken).await, StatusCode::CONFLICT, "shortcut_taken").await;
    let bad = json!({"shortcut": "envios", "title": "X", "text": "Hola {{contact.apodo}}"});
    assert_error(app.patch(admin, &path, bad).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_placeholder").await;
    let listed = app.get_json(&seller, "/api/v1/quick_replies").await;
    let shown = listed["items"].as_array().unwrap().iter().find(|q| q["id"] == envio["id"]).unwrap().clone();
    assert_eq!(
        shown["text"], "Hola {{contact.first_name | cliente}}, el envío tarda 2 días.",
        "the refused edits changed nothing"
    );

    // Sent, it says what it says now.
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("¿envíos?").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(admin).await["id"].as_str().unwrap().to_string();
    let send = format!("/api/v1/conversations/{conv}/messages");
    let res = app.post(admin, &send, json!({"type": "quick_reply", "quick_reply_id": envio["id"]})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let m: Value = res.json().await.unwrap();
    let m = app.verdict(admin, &conv, m["id"].as_str().unwrap()).await;
    assert_eq!(
        (m["text"].as_str(), m["status"].as_str()),
        (Some("Hola cliente, el envío tarda 2 días."), Some("read"))
    );

    // Deleted: gone from the list, unsendable, and a second delete finds nothing.
    assert_error(app.delete(&seller, &path).await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(app.delete(admin, &path).await.status(), StatusCode::NO_CONTENT);
    let listed = app.get_json(admin, "/api/v1/quick_replies").await;
    assert!(listed["items"].as_array().unwrap().iter().all(|q| q["id"] != envio["id"]), "{listed}");
    assert_error(
        app.post(admin, &send, json!({"type": "quick_reply", "quick_reply_id": envio["id"]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "quick_reply_not_found",
    )
    .await;
    assert_error(app.delete(admin, &path).await, StatusCode::NOT_FOUND, "not_found").await;
    let edit_gone = json!({"shortcut": "envios", "title": "X", "text": "x"});
    assert_error(app.patch(admin, &path, edit_gone).await, StatusCode::NOT_FOUND, "not_found").await;
    // Another account's quick reply cannot be touched.
    let other = app.full_account().await;
    let theirs: Value = app
        .post(&other.admin_token, "/api/v1/quick_replies", json!({"shortcut": "suyo", "title": "S", "text": "s"}))
        .await
        .json()
        .await
        .unwrap();
    let theirs_path = format!("/api/v1/quick_replies/{}", theirs["id"].as_str().unwrap());
    assert_error(app.delete(admin, &theirs_path).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(app.get_json(&other.admin_token, "/api/v1/quick_replies").await["items"].as_array().unwrap().len(), 1);
}
