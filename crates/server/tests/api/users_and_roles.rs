//! Users of each role, custom roles, and who may manage them.

use crate::harness::{assert_error, on_both_stores, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_stores!(
    admin_creates_users_of_each_role,
    custom_role_grants_exactly_its_permissions,
    seller_cannot_manage_users_or_roles,
    user_input_is_validated,
    only_admins_hand_out_the_admin_role,
    user_may_toggle_their_own_availability,
    a_user_manager_grants_no_role_wider_than_its_own,
    a_channel_scoped_role_knows_nothing_of_other_channels,
);

async fn admin_creates_users_of_each_role(app: TestApp) {
    let acct = app.full_account().await;
    let (_, admin2) = app.create_user(&acct.admin_token, "admin").await;
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    assert_eq!(app.get_json(&admin2, "/api/v1/me").await["role"], "admin");
    assert_eq!(app.get_json(&seller, "/api/v1/me").await["role"], "seller");
    let users = app.get_json(&acct.admin_token, "/api/v1/users").await;
    let roles: Vec<&str> = users["items"].as_array().unwrap().iter().map(|u| u["role"].as_str().unwrap()).collect();
    assert_eq!(roles, vec!["admin", "admin", "seller"]);
    assert!(users["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u.get("password_hash").is_none() && u.get("password").is_none()));

    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/users",
            json!({"email": acct.admin_email.to_uppercase(), "name": "Dup", "password": PASSWORD, "role": "seller"}),
        )
        .await;
    assert_error(res, StatusCode::CONFLICT, "email_taken").await;
}

async fn custom_role_grants_exactly_its_permissions(app: TestApp) {
    let acct = app.full_account().await;
    let channel = app.create_channel(&acct.admin_token, "instagram").await;
    let perms = json!({"visibility": "channels", "channel_ids": [channel["id"]], "unassigned": false, "actions": ["manage_channels"]});
    let res =
        app.post(&acct.admin_token, "/api/v1/roles", json!({"name": "Supervisor IG", "permissions": perms})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let role: Value = res.json().await.unwrap();
    assert_eq!(role["builtin"], false);
    assert_eq!(role["permissions"], perms);
    let role_id = role["id"].as_str().unwrap();

    let roles = app.get_json(&acct.admin_token, "/api/v1/roles").await;
    let names: Vec<&str> = roles["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["admin", "seller", "Supervisor IG"]);

    let (_, token) = app.create_user(&acct.admin_token, role_id).await;
    let me = app.get_json(&token, "/api/v1/me").await;
    assert_eq!(me["role"], role_id);
    assert_eq!(me["permissions"], perms);
    // Granted: manage channels. Not granted: manage users.
    assert_eq!(app.post(&token, "/api/v1/channels", app.channel_body("messenger")).await.status(), StatusCode::CREATED);
    let res = app
        .post(
            &token,
            "/api/v1/users",
            json!({"email": "x@example.com", "name": "X", "password": PASSWORD, "role": "seller"}),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;

    let res =
        app.post(&acct.admin_token, "/api/v1/roles", json!({"name": "Supervisor IG", "permissions": perms})).await;
    assert_error(res, StatusCode::CONFLICT, "role_exists").await;
}

async fn seller_cannot_manage_users_or_roles(app: TestApp) {
    let acct = app.full_account().await;
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    let res = app
        .post(
            &seller,
            "/api/v1/users",
            json!({"email": "y@example.com", "name": "Y", "password": PASSWORD, "role": "seller"}),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .post(&seller, "/api/v1/roles", json!({"name": "R", "permissions": {"visibility": "all", "actions": []}}))
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    assert_error(app.get(&seller, "/api/v1/audit").await, StatusCode::FORBIDDEN, "forbidden").await;
    // Nor read every user's e-mail and role.
    assert_error(app.get(&seller, "/api/v1/users").await, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app.patch(&seller, &format!("/api/v1/users/{}", acct.admin_id), json!({"active": false})).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
}

async fn user_input_is_validated(app: TestApp) {
    let acct = app.full_account().await;
    let cases = [
        (json!({"email": "bad", "name": "N", "password": PASSWORD, "role": "seller"}), "invalid_email"),
        (json!({"email": "n@example.com", "name": " ", "password": PASSWORD, "role": "seller"}), "invalid_name"),
        (json!({"email": "n@example.com", "name": "N", "password": "short", "role": "seller"}), "weak_password"),
        (json!({"email": "n@example.com", "name": "N", "password": PASSWORD, "role": "owner"}), "invalid_role"),
        (
            json!({"email": "n@example.com", "name": "N", "password": PASSWORD, "role": uuid::Uuid::now_v7().to_string()}),
            "invalid_role",
        ),
    ];
    for (body, code) in cases {
        assert_error(app.post(&acct.admin_token, "/api/v1/users", body).await, StatusCode::UNPROCESSABLE_ENTITY, code)
            .await;
    }
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/roles",
            json!({"name": "Sin canales", "permissions": {"visibility": "channels", "channel_ids": []}}),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_permissions").await;
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/roles",
            json!({"name": "Ajeno", "permissions": {"visibility": "channels", "channel_ids": [uuid::Uuid::now_v7()]}}),
        )
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_permissions").await;
    let res = app
        .post(&acct.admin_token, "/api/v1/roles", json!({"name": "Raro", "permissions": {"visibility": "everything"}}))
        .await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
}

async fn only_admins_hand_out_the_admin_role(app: TestApp) {
    let acct = app.full_account().await;
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/roles",
            json!({"name": "RRHH", "permissions": {"visibility": "assigned", "actions": ["manage_users"]}}),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let (hr_id, hr) = app.create_user(&acct.admin_token, role["id"].as_str().unwrap()).await;
    let (seller_id, _) = app.create_user(&acct.admin_token, "seller").await;
    let res = app
        .post(
            &hr,
            "/api/v1/users",
            json!({"email": "boss@example.com", "name": "B", "password": PASSWORD, "role": "admin"}),
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app.patch(&hr, &format!("/api/v1/users/{hr_id}"), json!({"role": "admin"})).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app.patch(&hr, &format!("/api/v1/users/{}", acct.admin_id), json!({"active": false})).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    // What the role does grant still works.
    let res = app.patch(&hr, &format!("/api/v1/users/{seller_id}"), json!({"available": false})).await;
    assert_eq!(res.status(), StatusCode::OK);
    // An administrator cannot lock themselves out.
    let res = app.patch(&acct.admin_token, &format!("/api/v1/users/{}", acct.admin_id), json!({"active": false})).await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "cannot_demote_self").await;
}

async fn user_may_toggle_their_own_availability(app: TestApp) {
    let acct = app.full_account().await;
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;
    let res = app.patch(&seller, &format!("/api/v1/users/{seller_id}"), json!({"available": false})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["available"], false);
    let res = app.patch(&seller, &format!("/api/v1/users/{seller_id}"), json!({"role": "admin"})).await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
}

/// A custom role allowed to manage users may give itself or others only roles within its own grant.
async fn a_user_manager_grants_no_role_wider_than_its_own(app: TestApp) {
    let acct = app.full_account().await;
    let role = |name: &str, permissions: Value| {
        let body = json!({"name": name, "permissions": permissions});
        let app = &app;
        let token = acct.admin_token.clone();
        async move {
            let res = app.post(&token, "/api/v1/roles", body).await;
            assert_eq!(res.status(), StatusCode::CREATED);
            res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
        }
    };
    let hr = role("RRHH", json!({"visibility": "assigned", "actions": ["manage_users", "send_messages"]})).await;
    let everything = role("Supervisor", json!({"visibility": "all", "actions": ["send_messages"]})).await;
    let more_actions = role("Canales", json!({"visibility": "assigned", "actions": ["manage_channels"]})).await;
    let narrower = role("Solo envía", json!({"visibility": "assigned", "actions": ["send_messages"]})).await;
    let (hr_id, hr_token) = app.create_user(&acct.admin_token, &hr).await;
    let (other_id, _) = app.create_user(&acct.admin_token, &narrower).await;
    for wider in [&everything, &more_actions, &"seller".to_string()] {
        // Not to itself…
        let res = app.patch(&hr_token, &format!("/api/v1/users/{hr_id}"), json!({"role": wider})).await;
        assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
        // …nor to someone else…
        let res = app.patch(&hr_token, &format!("/api/v1/users/{other_id}"), json!({"role": wider})).await;
        assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
        // …nor to a new user.
        let email = format!("nuevo-{}@example.com", uuid::Uuid::new_v4().simple());
        let res = app
            .post(&hr_token, "/api/v1/users", json!({"email": email, "name": "N", "password": PASSWORD, "role": wider}))
            .await;
        assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // Nothing changed, and a role within its own grant can be given.
    assert_eq!(app.get_json(&hr_token, "/api/v1/me").await["role"], hr.as_str());
    let email = format!("nuevo-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app
        .post(&hr_token, "/api/v1/users", json!({"email": email, "name": "N", "password": PASSWORD, "role": narrower}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// A role scoped to one channel sees only that channel in the list, and the templates (and upload
/// checks) of any other channel are not there for it.
async fn a_channel_scoped_role_knows_nothing_of_other_channels(app: TestApp) {
    let acct = app.full_account().await;
    let channels = app.connect_demo_channels(&acct.admin_token).await;
    let cloud = channels.cloud["id"].as_str().unwrap();
    let app_number = channels.app["id"].as_str().unwrap();
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/roles",
            json!({"name": "Solo Cloud", "permissions": {"visibility": "channels", "channel_ids": [cloud], "actions": ["send_messages", "send_templates"]}}),
        )
        .await;
    let role: Value = res.json().await.unwrap();
    let (_, scoped) = app.create_user(&acct.admin_token, role["id"].as_str().unwrap()).await;
    let listed = app.get_json(&scoped, "/api/v1/channels").await;
    let ids: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![cloud]);
    assert_eq!(app.get(&scoped, &format!("/api/v1/channels/{cloud}/templates")).await.status(), StatusCode::OK);
    assert_error(
        app.get(&scoped, &format!("/api/v1/channels/{app_number}/templates")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // The administrator still sees every channel.
    assert_eq!(app.get_json(&acct.admin_token, "/api/v1/channels").await["items"].as_array().unwrap().len(), 4);
}
