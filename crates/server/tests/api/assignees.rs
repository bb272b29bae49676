//! Who a conversation can be assigned to: any user allowed to `assign` gets the active users' ids and
//! names, and nothing more.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use simulator::demo;

on_both_stores!(assignable_users_are_listed_for_those_who_may_assign, the_ui_routes_are_in_the_openapi_document);

async fn the_ui_routes_are_in_the_openapi_document(app: TestApp) {
    let doc: Value = app.http.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in ["/api/v1/users/assignable", "/api/v1/personalize/fields", "/api/v1/messages/search"] {
        assert!(doc["paths"][path]["get"].is_object(), "GET {path} missing from the OpenAPI document");
    }
}

async fn assignable_users_are_listed_for_those_who_may_assign(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/roles",
            json!({"name": "Supervisor", "permissions": {"visibility": "all", "actions": ["assign"]}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let role: Value = res.json().await.unwrap();
    let (supervisor_id, supervisor) = app.create_user(&acct.admin_token, role["id"].as_str().unwrap()).await;
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;
    let (gone_id, _) = app.create_user(&acct.admin_token, "seller").await;
    let res = app.patch(&acct.admin_token, &format!("/api/v1/users/{gone_id}"), json!({"active": false})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let other = app.full_account().await;

    let list = app.get_json(&supervisor, "/api/v1/users/assignable").await;
    let items = list["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&acct.admin_id.as_str()) && ids.contains(&seller_id.as_str()));
    assert!(ids.contains(&supervisor_id.as_str()));
    assert!(!ids.contains(&gone_id.as_str()), "deactivated users cannot be assigned");
    assert!(!ids.contains(&other.admin_id.as_str()), "only this account's users");
    assert_eq!(items.len(), 3);
    for u in items {
        let keys: Vec<&String> = u.as_object().unwrap().keys().collect();
        assert_eq!(keys, vec!["id", "name"], "nothing more than the menu needs: {u}");
    }
    let names: Vec<&str> = items.iter().map(|u| u["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "by name");
    assert_eq!(app.get_json(&acct.admin_token, "/api/v1/users/assignable").await["items"].as_array().unwrap().len(), 3);

    // The supervisor assigns with what the list gave them.
    app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").unwrap().text("hola").await.unwrap();
    app.settle().await;
    let conv = app.only_conversation(&supervisor).await;
    let res = app
        .patch(
            &supervisor,
            &format!("/api/v1/conversations/{}", conv["id"].as_str().unwrap()),
            json!({"assignee_id": seller_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // A seller may not assign, so gets no list.
    assert_error(app.get(&seller, "/api/v1/users/assignable").await, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app.http.get(app.url("/api/v1/users/assignable")).send().await.unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}
