//! Quick replies: managed by those allowed, used by everyone, personalised, with their file.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;
use std::time::Duration;

on_both_stores!(quick_replies_are_managed_and_sent_personalised_with_their_file);

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
    for _ in 0..400 {
        let sends: Vec<Value> = app
            .sim
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
            .map(|r| r.json())
            .collect();
        if sends.len() == 2 {
            assert_eq!(sends[0]["text"]["body"], "Hola cliente, abrimos de 9 a 18 h.");
            assert_eq!(sends[1]["document"]["caption"], "Te comparto el catálogo");
            assert_eq!(sends[1]["document"]["filename"], "catalogo.pdf");
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the two quick replies did not reach the simulator");
}
