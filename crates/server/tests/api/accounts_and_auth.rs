//! Logging in, sessions, API tokens, `/me`, plan gating and account isolation.

use crate::harness::{assert_error, on_both_stores, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_stores!(
    login_sets_an_httponly_session_cookie_and_logout_ends_it,
    wrong_password_and_unknown_email_are_both_401,
    api_token_authenticates_and_a_bad_one_is_401,
    me_describes_user_role_permissions_and_plan,
    deactivated_user_is_refused_at_once,
    deactivating_a_user_ends_their_browser_sessions,
    a_downgraded_account_loses_the_inbox_on_its_existing_channels,
    basic_plan_gets_plan_required_on_the_inbox,
    accounts_see_nothing_of_each_other,
    health_readiness_metrics_and_openapi,
    password_guessing_locks_the_email_not_its_owner_elsewhere,
    a_flood_of_logins_from_one_address_is_cut_off_before_hashing,
);

async fn login_sets_an_httponly_session_cookie_and_logout_ends_it(app: TestApp) {
    let acct = app.full_account().await;
    let browser = app.session_client();
    let res = browser
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": acct.admin_email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers().get("set-cookie").expect("set-cookie").to_str().unwrap().to_string();
    assert!(cookie.starts_with("inbox_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["user"]["email"], acct.admin_email);

    let res = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the cookie authenticates");

    let res = browser.post(app.url("/api/v1/auth/logout")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let session = cookie.split(';').next().unwrap().to_string();
    let res = app.http.get(app.url("/api/v1/me")).header("cookie", session).send().await.unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn wrong_password_and_unknown_email_are_both_401(app: TestApp) {
    let acct = app.full_account().await;
    for body in [
        json!({"email": acct.admin_email, "password": "not-the-password"}),
        json!({"email": "nobody@example.com", "password": PASSWORD}),
        json!({"email": "not an email", "password": PASSWORD}),
    ] {
        let res = app.http.post(app.url("/api/v1/auth/login")).json(&body).send().await.unwrap();
        assert!(res.headers().get("set-cookie").is_none());
        assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let res = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::BAD_REQUEST, "invalid_json").await;
    let res =
        app.http.post(app.url("/api/v1/auth/login")).json(&json!({"email": acct.admin_email})).send().await.unwrap();
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
}

async fn api_token_authenticates_and_a_bad_one_is_401(app: TestApp) {
    let acct = app.full_account().await;
    assert_eq!(app.get(&acct.admin_token, "/api/v1/me").await.status(), StatusCode::OK);
    assert_error(app.get("inbox_not-a-real-token", "/api/v1/me").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let res = app.http.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let res = app.http.get(app.url("/api/v1/me")).header("authorization", "Basic Zm9vOmJhcg==").send().await.unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn me_describes_user_role_permissions_and_plan(app: TestApp) {
    let acct = app.create_account("pro", &[]).await;
    let me = app.get_json(&acct.admin_token, "/api/v1/me").await;
    assert_eq!(me["user"]["id"], acct.admin_id);
    assert_eq!(me["role"], "admin");
    assert_eq!(me["account"]["id"], acct.account_id);
    assert_eq!(me["account"]["plan"], "pro");
    assert_eq!(me["account"]["addons"], json!([]));
    // Pro without the WhatsApp add-on: no inbox at all (the seed's rule), so the UI shows the upsell.
    assert_eq!(me["account"]["inbox_enabled"], false);
    assert_eq!(me["account"]["whatsapp_enabled"], false);
    assert_eq!(me["permissions"]["visibility"], "all");

    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    let me = app.get_json(&seller, "/api/v1/me").await;
    assert_eq!(me["role"], "seller");
    assert_eq!(me["permissions"]["visibility"], "assigned");
    assert_eq!(me["permissions"]["actions"], json!(["send_messages", "send_templates", "manage_contacts"]));
}

async fn deactivated_user_is_refused_at_once(app: TestApp) {
    let acct = app.full_account().await;
    let (seller_id, seller_token) = app.create_user(&acct.admin_token, "seller").await;
    assert_eq!(app.get(&seller_token, "/api/v1/me").await.status(), StatusCode::OK);
    let res = app.patch(&acct.admin_token, &format!("/api/v1/users/{seller_id}"), json!({"active": false})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["active"], false);
    assert_error(app.get(&seller_token, "/api/v1/me").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Reactivating does not resurrect the old credentials.
    app.patch(&acct.admin_token, &format!("/api/v1/users/{seller_id}"), json!({"active": true})).await;
    assert_error(app.get(&seller_token, "/api/v1/me").await, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// docs/api.md: deactivating a user ends their sessions. A browser logged in with the cookie is
/// refused at once, cannot log in again, and reactivating does not bring the old session back.
async fn deactivating_a_user_ends_their_browser_sessions(app: TestApp) {
    let acct = app.full_account().await;
    let email = format!("vendedor-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/users",
            json!({"email": email, "name": "V", "password": PASSWORD, "role": "seller"}),
        )
        .await;
    let seller_id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let browser = app.session_client();
    let login = |client: &reqwest::Client| {
        client.post(app.url("/api/v1/auth/login")).json(&json!({"email": email, "password": PASSWORD})).send()
    };
    assert_eq!(login(&browser).await.unwrap().status(), StatusCode::OK);
    assert_eq!(browser.get(app.url("/api/v1/conversations")).send().await.unwrap().status(), StatusCode::OK);

    let user = format!("/api/v1/users/{seller_id}");
    assert_eq!(app.patch(&acct.admin_token, &user, json!({"active": false})).await.status(), StatusCode::OK);
    for path in ["/api/v1/me", "/api/v1/conversations"] {
        assert_error(browser.get(app.url(path)).send().await.unwrap(), StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    assert_error(login(&app.session_client()).await.unwrap(), StatusCode::UNAUTHORIZED, "unauthorized").await;

    assert_eq!(app.patch(&acct.admin_token, &user, json!({"active": true})).await.status(), StatusCode::OK);
    let res = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let again = app.session_client();
    assert_eq!(login(&again).await.unwrap().status(), StatusCode::OK, "a new login works");
}

/// docs/api.md: each send checks the plan again. An account downgraded after its channels and
/// conversations exist answers `403 plan_required` — naming what is missing — on the inbox and on every
/// send, and nothing reaches Meta.
async fn a_downgraded_account_loses_the_inbox_on_its_existing_channels(app: TestApp) {
    let acct = app.full_account().await;
    let admin = acct.admin_token.as_str();
    let channels = app.connect_demo_channels(admin).await;
    let sync = format!("/api/v1/channels/{}/templates/sync", channels.cloud["id"].as_str().unwrap());
    assert_eq!(app.post(admin, &sync, json!({})).await.status(), StatusCode::OK);
    app.sim
        .whatsapp_customer(simulator::demo::CLOUD_PHONE_NUMBER_ID, "5215512345678")
        .unwrap()
        .text("hola")
        .await
        .unwrap();
    app.sim.messenger_customer(simulator::demo::PAGE_ID).unwrap().text("hola").await.unwrap();
    app.settle().await;
    let convs = app.get_json(admin, "/api/v1/conversations").await["items"].as_array().unwrap().clone();
    assert_eq!(convs.len(), 2);
    let sends_before =
        app.sim.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/messages")).count();
    let start = json!({"channel_id": channels.cloud["id"], "phone": "+52 55 7777 8888",
        "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": ["Ana"]}});

    for (plan, addons, missing) in [("pro", &[][..], "WhatsApp add-on"), ("basic", &["whatsapp"][..], "Pro plan")] {
        app.set_plan(&acct.account_id, plan, addons).await;
        let me = app.get_json(admin, "/api/v1/me").await;
        assert_eq!(me["account"]["inbox_enabled"], false, "{plan}");
        let refused = |res: reqwest::Response| async move {
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            assert_eq!(status, StatusCode::FORBIDDEN, "{plan}: {body}");
            assert_eq!(body["error"]["code"], "plan_required", "{body}");
            assert!(body["error"]["message"].as_str().unwrap().contains(missing), "{plan}: {body}");
        };
        refused(app.get(admin, "/api/v1/conversations").await).await;
        refused(app.get(admin, "/api/v1/channels").await).await;
        for conv in &convs {
            let path = format!("/api/v1/conversations/{}/messages", conv["id"].as_str().unwrap());
            refused(app.post(admin, &path, json!({"type": "text", "text": "hola"})).await).await;
        }
        refused(app.post(admin, "/api/v1/conversations", start.clone()).await).await;
    }
    let sends = app.sim.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/messages")).count();
    assert_eq!(sends, sends_before, "nothing reached Meta");
}

async fn basic_plan_gets_plan_required_on_the_inbox(app: TestApp) {
    let basic = app.create_account("basic", &["whatsapp"]).await;
    assert_eq!(app.get(&basic.admin_token, "/api/v1/me").await.status(), StatusCode::OK, "/me works on any plan");
    assert_error(app.get(&basic.admin_token, "/api/v1/conversations").await, StatusCode::FORBIDDEN, "plan_required")
        .await;
    assert_error(app.get(&basic.admin_token, "/api/v1/channels").await, StatusCode::FORBIDDEN, "plan_required").await;
    let res = app.post(&basic.admin_token, "/api/v1/channels", app.channel_body("instagram")).await;
    assert_error(res, StatusCode::FORBIDDEN, "plan_required").await;

    // Pro alone is not enough either: the inbox (Messenger and Instagram too) needs the WhatsApp add-on.
    let pro = app.create_account("pro", &[]).await;
    let res = app.get(&pro.admin_token, "/api/v1/conversations").await;
    assert_error(res, StatusCode::FORBIDDEN, "plan_required").await;
    let res = app.post(&pro.admin_token, "/api/v1/channels", app.channel_body("messenger")).await;
    assert_error(res, StatusCode::FORBIDDEN, "plan_required").await;
    let full = app.full_account().await;
    let res = app.get(&full.admin_token, "/api/v1/conversations").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["items"], json!([]));
}

async fn accounts_see_nothing_of_each_other(app: TestApp) {
    let a = app.full_account().await;
    let b = app.full_account().await;
    let channel = app.create_channel(&a.admin_token, "messenger").await;
    let (a_user, _) = app.create_user(&a.admin_token, "seller").await;

    let b_channels = app.get_json(&b.admin_token, "/api/v1/channels").await;
    assert_eq!(b_channels["items"], json!([]));
    let b_users = app.get_json(&b.admin_token, "/api/v1/users").await;
    let ids: Vec<&str> = b_users["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![b.admin_id.as_str()], "only B's own admin");
    let b_audit = app.get_json(&b.admin_token, "/api/v1/audit").await;
    assert!(b_audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["target_id"] != channel["id"] && e["target_id"] != json!(a_user)));

    // Writing to another account's things is exactly like writing to nothing.
    let res = app
        .patch(
            &b.admin_token,
            &format!("/api/v1/channels/{}", channel["id"].as_str().unwrap()),
            json!({"name": "mine now"}),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app.patch(&b.admin_token, &format!("/api/v1/users/{a_user}"), json!({"active": false})).await;
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
    let a_channels = app.get_json(&a.admin_token, "/api/v1/channels").await;
    assert_eq!(a_channels["items"][0]["name"], channel["name"], "unchanged");
}

async fn health_readiness_metrics_and_openapi(app: TestApp) {
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("x-request-id").is_some(), "every answer carries a request id");
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("inbox_http_requests_total"), "{metrics}");

    let doc: Value = app.http.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/roles", "get"),
        ("/api/v1/roles", "post"),
        ("/api/v1/channels", "get"),
        ("/api/v1/channels", "post"),
        ("/api/v1/channels/{id}", "patch"),
        ("/api/v1/conversations", "get"),
        ("/api/v1/audit", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    let page = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Escala Inbox"));
    let res = app.http.get(app.url("/api/v1/nothing-here")).send().await.unwrap();
    assert_error(res, StatusCode::NOT_FOUND, "not_found").await;
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// Ten wrong passwords lock the e-mail for a while (429 with Retry-After), even with the right one;
/// other users are not affected, and the owner's existing sessions and tokens keep working.
async fn password_guessing_locks_the_email_not_its_owner_elsewhere(app: TestApp) {
    let acct = app.full_account().await;
    let other = app.full_account().await;
    for _ in 0..10 {
        assert_eq!(login(&app, &acct.admin_email, "not-the-password").await.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = login(&app, &acct.admin_email, PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = locked.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    assert_error(locked, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    assert_eq!(login(&app, &other.admin_email, PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(app.get(&acct.admin_token, "/api/v1/me").await.status(), StatusCode::OK);
}

/// Random e-mails from one address: a bounded number are even checked (each costs a password hash),
/// then the address is told to wait, without any hash.
async fn a_flood_of_logins_from_one_address_is_cut_off_before_hashing(app: TestApp) {
    let attempts = futures::future::join_all((0..130).map(|i| {
        let app = &app;
        async move {
            login(app, &format!("random-{i}-{}@example.com", uuid::Uuid::new_v4().simple()), "x-password")
                .await
                .status()
        }
    }))
    .await;
    let count = |status| attempts.iter().filter(|s| **s == status).count();
    // 100 were checked — refused, or told to retry (503) when the line of hashes was too long on this
    // machine — and the other 30 were throttled without a hash.
    let checked = count(StatusCode::UNAUTHORIZED) + count(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!((checked, count(StatusCode::TOO_MANY_REQUESTS)), (100, 30), "{attempts:?}");
    // The API still answers.
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
}
