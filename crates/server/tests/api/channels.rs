//! Connecting channels of each kind, token secrecy, and who may do it.

use crate::harness::{assert_error, channel_body, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_stores!(
    admin_connects_a_channel_of_each_kind_and_the_token_never_comes_back,
    seller_is_refused_channel_creation,
    every_channel_needs_pro_and_the_whatsapp_addon,
    a_meta_id_can_be_connected_only_once,
    channel_fields_are_validated_per_kind,
    channel_can_be_renamed_disabled_and_set_to_auto_assign,
);

async fn admin_connects_a_channel_of_each_kind_and_the_token_never_comes_back(app: TestApp) {
    let acct = app.full_account().await;
    for kind in ["whatsapp_cloud", "whatsapp_business_app", "messenger", "instagram"] {
        let body = channel_body(kind);
        let res = app.post(&acct.admin_token, "/api/v1/channels", body.clone()).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{kind}");
        let text = res.text().await.unwrap();
        assert!(!text.contains("EAAG-secret-token"), "token echoed: {text}");
        let channel: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(channel["kind"], kind);
        assert_eq!(channel["enabled"], true);
        for id_field in ["phone_number_id", "waba_id", "display_phone_number", "page_id", "instagram_account_id"] {
            assert_eq!(channel.get(id_field), body.get(id_field), "{kind}.{id_field}");
        }
    }
    let list = app.get(&acct.admin_token, "/api/v1/channels").await.text().await.unwrap();
    assert!(!list.contains("EAAG-secret-token") && !list.contains("access_token"));
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 4);
    // Stored encrypted: the database does not hold the token in clear.
    let stored = app.state.store.list_channels(acct.account_id.parse().unwrap()).await.unwrap();
    let first = app.state.store.get_channel(acct.account_id.parse().unwrap(), stored[0].id).await.unwrap();
    assert!(!first.access_token_enc.contains("EAAG"));
    use secrecy::ExposeSecret;
    assert_eq!(app.state.secrets.open(&first.access_token_enc).unwrap().expose_secret(), "EAAG-secret-token");
}

async fn seller_is_refused_channel_creation(app: TestApp) {
    let acct = app.full_account().await;
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    let res = app.post(&seller, "/api/v1/channels", channel_body("messenger")).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let channel = app.create_channel(&acct.admin_token, "messenger").await;
    let res = app
        .patch(&seller, &format!("/api/v1/channels/{}", channel["id"].as_str().unwrap()), json!({"enabled": false}))
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let list = app.get_json(&seller, "/api/v1/channels").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "sellers may still list channels to filter by them");
}

async fn every_channel_needs_pro_and_the_whatsapp_addon(app: TestApp) {
    let acct = app.create_account("pro", &[]).await;
    for kind in ["whatsapp_cloud", "whatsapp_business_app", "messenger", "instagram"] {
        let res = app.post(&acct.admin_token, "/api/v1/channels", channel_body(kind)).await;
        assert_error(res, StatusCode::FORBIDDEN, "plan_required").await;
    }
    let full = app.full_account().await;
    for kind in ["whatsapp_cloud", "messenger", "instagram"] {
        assert_eq!(
            app.post(&full.admin_token, "/api/v1/channels", channel_body(kind)).await.status(),
            StatusCode::CREATED
        );
    }
}

async fn a_meta_id_can_be_connected_only_once(app: TestApp) {
    let a = app.full_account().await;
    let b = app.full_account().await;
    let body = channel_body("whatsapp_cloud");
    assert_eq!(app.post(&a.admin_token, "/api/v1/channels", body.clone()).await.status(), StatusCode::CREATED);
    assert_error(
        app.post(&a.admin_token, "/api/v1/channels", body.clone()).await,
        StatusCode::CONFLICT,
        "channel_exists",
    )
    .await;
    // Not even by another account: webhooks would not know where to go.
    assert_error(app.post(&b.admin_token, "/api/v1/channels", body).await, StatusCode::CONFLICT, "channel_exists")
        .await;
}

async fn channel_fields_are_validated_per_kind(app: TestApp) {
    let acct = app.full_account().await;
    let mut missing_phone = channel_body("whatsapp_cloud");
    missing_phone.as_object_mut().unwrap().remove("phone_number_id");
    let mut bad_page = channel_body("messenger");
    bad_page["page_id"] = json!("my-page");
    let mut no_token = channel_body("instagram");
    no_token["access_token"] = json!("  ");
    let mut wrong_ids = channel_body("instagram");
    wrong_ids.as_object_mut().unwrap().remove("instagram_account_id");
    wrong_ids["page_id"] = json!("123");
    for body in [missing_phone, bad_page, no_token, wrong_ids] {
        assert_error(
            app.post(&acct.admin_token, "/api/v1/channels", body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_channel",
        )
        .await;
    }
    let mut bad_kind = channel_body("messenger");
    bad_kind["kind"] = json!("telegram");
    assert_error(
        app.post(&acct.admin_token, "/api/v1/channels", bad_kind).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_eq!(app.get_json(&acct.admin_token, "/api/v1/channels").await["items"], json!([]), "nothing half-written");
}

async fn channel_can_be_renamed_disabled_and_set_to_auto_assign(app: TestApp) {
    let acct = app.full_account().await;
    let channel = app.create_channel(&acct.admin_token, "whatsapp_cloud").await;
    let path = format!("/api/v1/channels/{}", channel["id"].as_str().unwrap());
    let res =
        app.patch(&acct.admin_token, &path, json!({"name": "Ventas MX", "enabled": false, "auto_assign": true})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(
        (updated["name"].as_str(), updated["enabled"].as_bool(), updated["auto_assign"].as_bool()),
        (Some("Ventas MX"), Some(false), Some(true))
    );
    assert_eq!(updated["phone_number_id"], channel["phone_number_id"]);
    assert_error(
        app.patch(&acct.admin_token, "/api/v1/channels/not-an-id", json!({"name": "x"})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let audit = app.get_json(&acct.admin_token, "/api/v1/audit").await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"channel.updated") && actions.contains(&"channel.created"), "{actions:?}");
}
