//! Connecting channels of each kind, token secrecy, and who may do it; proving the token controls the
//! number, Page or Instagram account before anything is stored, and "test connection".

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_stores!(
    admin_connects_a_channel_of_each_kind_and_the_token_never_comes_back,
    seller_is_refused_channel_creation,
    every_channel_needs_pro_and_the_whatsapp_addon,
    a_meta_id_can_be_connected_only_once,
    channel_fields_are_validated_per_kind,
    channel_can_be_renamed_disabled_and_set_to_auto_assign,
    an_account_cannot_claim_another_accounts_page_number_or_instagram,
    a_made_up_or_revoked_token_connects_nothing,
    meta_unreachable_is_a_transient_error_and_nothing_is_written,
    test_connection_reports_what_meta_says_about_the_stored_token,
    test_connection_is_scoped_to_the_account_and_needs_manage_channels,
    a_replacement_token_is_verified_before_it_is_stored,
);

async fn admin_connects_a_channel_of_each_kind_and_the_token_never_comes_back(app: TestApp) {
    let acct = app.full_account().await;
    let mut tokens = std::collections::HashMap::new();
    for kind in ["whatsapp_cloud", "whatsapp_business_app", "messenger", "instagram"] {
        let body = app.channel_body(kind);
        let res = app.post(&acct.admin_token, "/api/v1/channels", body.clone()).await;
        assert_eq!(res.status(), StatusCode::CREATED, "{kind}");
        let text = res.text().await.unwrap();
        assert!(!text.contains("EAAG-secret-token"), "token echoed: {text}");
        let channel: Value = serde_json::from_str(&text).unwrap();
        tokens.insert(channel["id"].as_str().unwrap().to_string(), body["access_token"].as_str().unwrap().to_string());
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
    assert_eq!(
        app.state.secrets.open(&first.access_token_enc).unwrap().expose_secret(),
        tokens[&first.channel.id.to_string()]
    );
}

async fn seller_is_refused_channel_creation(app: TestApp) {
    let acct = app.full_account().await;
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    let res = app.post(&seller, "/api/v1/channels", app.channel_body("messenger")).await;
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
        let res = app.post(&acct.admin_token, "/api/v1/channels", app.channel_body(kind)).await;
        assert_error(res, StatusCode::FORBIDDEN, "plan_required").await;
    }
    let full = app.full_account().await;
    for kind in ["whatsapp_cloud", "messenger", "instagram"] {
        assert_eq!(
            app.post(&full.admin_token, "/api/v1/channels", app.channel_body(kind)).await.status(),
            StatusCode::CREATED
        );
    }
}

async fn a_meta_id_can_be_connected_only_once(app: TestApp) {
    let a = app.full_account().await;
    let b = app.full_account().await;
    let body = app.channel_body("whatsapp_cloud");
    assert_eq!(app.post(&a.admin_token, "/api/v1/channels", body.clone()).await.status(), StatusCode::CREATED);
    assert_error(
        app.post(&a.admin_token, "/api/v1/channels", body.clone()).await,
        StatusCode::CONFLICT,
        "channel_exists",
    )
    .await;
    // Not even by another account: webhooks would not know where to go. B holds the asset's token, so
    // it proved control and may learn that the asset is connected elsewhere.
    assert_error(app.post(&b.admin_token, "/api/v1/channels", body).await, StatusCode::CONFLICT, "channel_exists")
        .await;
}

async fn channel_fields_are_validated_per_kind(app: TestApp) {
    let acct = app.full_account().await;
    let mut missing_phone = app.channel_body("whatsapp_cloud");
    missing_phone.as_object_mut().unwrap().remove("phone_number_id");
    let mut bad_page = app.channel_body("messenger");
    bad_page["page_id"] = json!("my-page");
    let mut no_token = app.channel_body("instagram");
    no_token["access_token"] = json!("  ");
    let mut wrong_ids = app.channel_body("instagram");
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
    let mut bad_kind = app.channel_body("messenger");
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

/// The ids of `body` with `token` instead of its own.
fn with_token(body: &Value, token: &Value) -> Value {
    let mut body = body.clone();
    body["access_token"] = token.clone();
    body
}

async fn channel_count(app: &TestApp, account_id: &str) -> usize {
    app.state.store.list_channels(account_id.parse().unwrap()).await.unwrap().len()
}

async fn an_account_cannot_claim_another_accounts_page_number_or_instagram(app: TestApp) {
    let a = app.full_account().await;
    let b = app.full_account().await;
    for kind in ["whatsapp_cloud", "messenger", "instagram"] {
        let theirs = app.channel_body(kind);
        assert_eq!(app.post(&a.admin_token, "/api/v1/channels", theirs.clone()).await.status(), StatusCode::CREATED);
        // B's own, valid token (of B's own asset of the same kind) does not reach A's asset.
        let mine = app.channel_body(kind);
        let res = app.post(&b.admin_token, "/api/v1/channels", with_token(&theirs, &mine["access_token"])).await;
        let claimed: Value = {
            let status = res.status();
            let body = res.json().await.unwrap();
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}: {body}");
            body
        };
        assert_eq!(claimed["error"]["code"], "channel_not_verified", "{kind}: not 409: {claimed}");
        assert!(claimed["error"]["message"].as_str().unwrap().contains("cannot reach"), "{claimed}");
        // An id nobody connected gets the very same answer: the refusal tells nothing about A.
        let mut unconnected = app.channel_body(kind);
        unconnected["access_token"] = mine["access_token"].clone();
        for field in ["phone_number_id", "waba_id", "page_id", "instagram_account_id"] {
            if unconnected.get(field).is_some() {
                unconnected[field] = json!(crate::harness::meta_id());
            }
        }
        let res = app.post(&b.admin_token, "/api/v1/channels", unconnected).await;
        let fresh: Value = res.json().await.unwrap();
        assert_eq!(fresh["error"]["code"], claimed["error"]["code"]);
        let generic = |v: &Value| {
            let message = v["error"]["message"].as_str().unwrap().to_string();
            message.split(|c: char| c.is_ascii_digit()).collect::<String>()
        };
        assert_eq!(generic(&fresh), generic(&claimed), "only the ids differ");
    }
    // A's number inside B's own WABA (B controls that WABA, the number is not in it).
    let theirs = app.channel_body("whatsapp_business_app");
    assert_eq!(app.post(&a.admin_token, "/api/v1/channels", theirs.clone()).await.status(), StatusCode::CREATED);
    let mine = app.channel_body("whatsapp_cloud");
    let mut claim = with_token(&theirs, &mine["access_token"]);
    claim["waba_id"] = mine["waba_id"].clone();
    assert_error(
        app.post(&b.admin_token, "/api/v1/channels", claim).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "channel_not_verified",
    )
    .await;
    assert_eq!(channel_count(&app, &b.account_id).await, 0, "nothing written for B");
    assert_eq!(channel_count(&app, &a.account_id).await, 4, "A keeps its channels");
}

async fn a_made_up_or_revoked_token_connects_nothing(app: TestApp) {
    let acct = app.full_account().await;
    let body = app.channel_body("messenger");
    let res = app.post(&acct.admin_token, "/api/v1/channels", with_token(&body, &json!("EAAG-made-up"))).await;
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "channel_not_verified", "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("does not accept this access token"), "{answer}");
    app.sim.revoke_token(body["access_token"].as_str().unwrap());
    assert_error(
        app.post(&acct.admin_token, "/api/v1/channels", body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "channel_not_verified",
    )
    .await;
    assert_eq!(channel_count(&app, &acct.account_id).await, 0);
}

async fn meta_unreachable_is_a_transient_error_and_nothing_is_written(app: TestApp) {
    let acct = app.full_account().await;
    let body = app.channel_body("whatsapp_cloud");
    app.sim.fail_next_asset_lookups(1, simulator::Fault::Http500);
    let res = app.post(&acct.admin_token, "/api/v1/channels", body.clone()).await;
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "meta_unavailable", "not a verdict on ownership: {answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("try again"), "{answer}");
    assert_eq!(channel_count(&app, &acct.account_id).await, 0, "nothing written");
    // The retry succeeds.
    assert_eq!(app.post(&acct.admin_token, "/api/v1/channels", body).await.status(), StatusCode::CREATED);
}

async fn test_connection_reports_what_meta_says_about_the_stored_token(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    let test = |channel: &Value| format!("/api/v1/channels/{}/test", channel["id"].as_str().unwrap());
    let res = app.post(&acct.admin_token, &test(&channels.cloud), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let result: Value = res.json().await.unwrap();
    assert_eq!((result["ok"].as_bool(), result["detail"]["code"].as_str()), (Some(true), Some("ok")), "{result}");
    assert_eq!(result["display_phone_number"], simulator::demo::CLOUD_DISPLAY_NUMBER);
    assert_eq!(result["verified_name"], "Escala Demo");
    assert_eq!(result["quality_rating"], "GREEN");
    assert!(result["checked_at"].as_str().is_some_and(|t| t.contains('T')), "{result}");
    let page: Value = app.post(&acct.admin_token, &test(&channels.page), json!({})).await.json().await.unwrap();
    assert_eq!((page["ok"].as_bool(), page["name"].as_str()), (Some(true), Some("Escala Demo")), "{page}");
    let ig: Value = app.post(&acct.admin_token, &test(&channels.instagram), json!({})).await.json().await.unwrap();
    assert_eq!((ig["ok"].as_bool(), ig["name"].as_str()), (Some(true), Some("escala.demo")), "{ig}");

    // Meta revokes the token: the test still answers 200, and says why.
    app.sim.revoke_token(simulator::demo::PAGE_TOKEN);
    let res = app.post(&acct.admin_token, &test(&channels.page), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = res.json().await.unwrap();
    assert_eq!((page["ok"].as_bool(), page["detail"]["code"].as_str()), (Some(false), Some("token_invalid")), "{page}");
    assert_eq!(page["retryable"], false);
    assert!(page.get("name").is_none());
    // Meta down: not the token's fault, and worth retrying.
    app.sim.fail_next_asset_lookups(1, simulator::Fault::Http500);
    let cloud: Value = app.post(&acct.admin_token, &test(&channels.cloud), json!({})).await.json().await.unwrap();
    assert_eq!((cloud["ok"].as_bool(), cloud["detail"]["code"].as_str()), (Some(false), Some("meta_unavailable")));
    assert_eq!(cloud["retryable"], true);

    let audit = app.get_json(&acct.admin_token, "/api/v1/audit").await;
    let tested: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "channel.tested").collect();
    assert_eq!(tested.len(), 5, "{audit}");
    assert!(tested.iter().any(|e| e["details"] == json!({"ok": false, "code": "token_invalid"})), "{audit}");
}

async fn test_connection_is_scoped_to_the_account_and_needs_manage_channels(app: TestApp) {
    let a = app.full_account().await;
    let b = app.full_account().await;
    let theirs = app.create_channel(&a.admin_token, "messenger").await;
    let path = format!("/api/v1/channels/{}/test", theirs["id"].as_str().unwrap());
    assert_error(app.post(&b.admin_token, &path, json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
    let (_, seller) = app.create_user(&a.admin_token, "seller").await;
    assert_error(app.post(&seller, &path, json!({})).await, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(
        app.post(&a.admin_token, "/api/v1/channels/0190f5c4-0000-7000-8000-000000000000/test", json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.post(&a.admin_token, &path, json!({})).await.status(), StatusCode::OK);
}

async fn a_replacement_token_is_verified_before_it_is_stored(app: TestApp) {
    let acct = app.full_account().await;
    let body = app.channel_body("messenger");
    let res = app.post(&acct.admin_token, "/api/v1/channels", body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let channel: Value = res.json().await.unwrap();
    let path = format!("/api/v1/channels/{}", channel["id"].as_str().unwrap());
    let test = format!("{path}/test");
    // Another Page's valid token is refused and the stored token is kept.
    let other = app.channel_body("messenger");
    assert_error(
        app.patch(&acct.admin_token, &path, json!({"access_token": other["access_token"], "name": "Nuevo"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "channel_not_verified",
    )
    .await;
    let ok: Value = app.post(&acct.admin_token, &test, json!({})).await.json().await.unwrap();
    assert_eq!(ok["ok"], true, "the old token is still the one stored: {ok}");
    assert_eq!(
        app.get_json(&acct.admin_token, "/api/v1/channels").await["items"][0]["name"],
        "Página",
        "nothing half-written"
    );

    // Meta gives the Page a new token (the old one stops working); the admin pastes it.
    let page_id = body["page_id"].as_str().unwrap();
    app.sim.add_page(simulator::PageAsset::new(page_id, "Página", "EAAG-rotated-token"));
    let stale: Value = app.post(&acct.admin_token, &test, json!({})).await.json().await.unwrap();
    assert_eq!(stale["detail"]["code"], "token_invalid", "{stale}");
    let res = app.patch(&acct.admin_token, &path, json!({"access_token": "EAAG-rotated-token"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.text().await.unwrap().contains("EAAG"), "the token is never answered");
    let fixed: Value = app.post(&acct.admin_token, &test, json!({})).await.json().await.unwrap();
    assert_eq!(fixed["ok"], true, "{fixed}");
    let audit = app.get_json(&acct.admin_token, "/api/v1/audit").await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "channel.updated" && e["details"]["token_replaced"] == true),
        "{audit}"
    );
}
