//! What the admin screens read: the audit log narrowed by who, what and when (and its CSV export),
//! and the webhook settings to paste into Meta.

use crate::harness::{assert_error, on_both_stores, TestApp, VERIFY_TOKEN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

on_both_stores!(
    audit_log_is_filtered_by_user_action_and_time,
    audit_log_export_is_csv_of_the_same_entries,
    meta_webhook_settings_are_shown_to_channel_managers_only,
);

fn actions(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect()
}

async fn audit_log_is_filtered_by_user_action_and_time(app: TestApp) {
    let start = app.state.now_ms();
    let acct = app.full_account().await;
    let (_, _seller) = app.create_user(&acct.admin_token, "seller").await;
    app.clock.advance(Duration::from_secs(3600));
    let (second_admin_id, second_admin) = app.create_user(&acct.admin_token, "admin").await;
    let res = app
        .http
        .put(app.url("/api/v1/rate_card"))
        .bearer_auth(&second_admin)
        .header("content-type", "text/csv")
        .body("market,category,price,currency\n*,marketing,0.05,USD\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let all = app.get_json(&acct.admin_token, "/api/v1/audit").await;
    assert_eq!(actions(&all), ["rate_card.replaced", "user.created", "user.created"]);

    let by_second = app.get_json(&acct.admin_token, &format!("/api/v1/audit?user_id={second_admin_id}")).await;
    assert_eq!(actions(&by_second), ["rate_card.replaced"]);

    // A family of actions, and one exact action; a prefix that is not a whole family matches nothing.
    let users = app.get_json(&acct.admin_token, "/api/v1/audit?action=user").await;
    assert_eq!(actions(&users), ["user.created", "user.created"]);
    let exact = app.get_json(&acct.admin_token, "/api/v1/audit?action=rate_card.replaced").await;
    assert_eq!(actions(&exact), ["rate_card.replaced"]);
    let partial = app.get_json(&acct.admin_token, "/api/v1/audit?action=use").await;
    assert!(actions(&partial).is_empty());

    // `until` excludes, `from` includes: the hour jump splits the seller's creation from the rest.
    let q = urlencode(&rfc3339(start));
    let early = app.get_json(&acct.admin_token, &format!("/api/v1/audit?until={q}")).await;
    assert!(actions(&early).is_empty(), "nothing before the first entry's instant");
    let later = app.get_json(&acct.admin_token, &format!("/api/v1/audit?from={q}")).await;
    assert_eq!(actions(&later), ["rate_card.replaced", "user.created", "user.created"]);
    let q = urlencode(&rfc3339(start + 1_800_000));
    let late = app.get_json(&acct.admin_token, &format!("/api/v1/audit?from={q}")).await;
    assert_eq!(actions(&late), ["rate_card.replaced", "user.created"]);
    let early = app.get_json(&acct.admin_token, &format!("/api/v1/audit?until={q}")).await;
    assert_eq!(actions(&early), ["user.created"]);

    // Filters and pages combine: one entry per page, every page filtered.
    let first = app.get_json(&acct.admin_token, "/api/v1/audit?action=user&limit=1").await;
    assert_eq!(actions(&first), ["user.created"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app.get_json(&acct.admin_token, &format!("/api/v1/audit?action=user&limit=1&cursor={cursor}")).await;
    assert_eq!(actions(&second), ["user.created"]);
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);

    let res = app.get(&acct.admin_token, "/api/v1/audit?from=yesterday").await;
    assert_error(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid_query").await;
}

fn rfc3339(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn audit_log_export_is_csv_of_the_same_entries(app: TestApp) {
    let acct = app.full_account().await;
    let res = app
        .post(
            &acct.admin_token,
            "/api/v1/users",
            json!({"email": "vendedora.comas@example.com", "name": "Vendedora, \"la de\" Comas",
                   "password": crate::harness::PASSWORD, "role": "seller"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (seller_id, seller) = app.create_user(&acct.admin_token, "seller").await;

    let res = app.get(&acct.admin_token, "/api/v1/audit/export.csv?action=user").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let body = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(
        header,
        ["created_at", "user_id", "user_name", "user_email", "action", "target_type", "target_id", "details"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(&row[1], acct.admin_id, "the admin created both users");
        assert_eq!(&row[3], acct.admin_email);
        assert_eq!(&row[4], "user.created");
        let details: Value = serde_json::from_str(&row[7]).expect("details are JSON");
        assert!(details.is_object());
    }
    assert_eq!(&rows[0][6], seller_id, "newest first");
    assert_eq!(&rows[0][2], "Admin", "the actor's name beside their id");
    // Details are JSON (quotes, commas) and still one cell each: the quoting holds.
    assert!(rows.iter().all(|r| r.len() == 8));

    let res = app.get(&seller, "/api/v1/audit/export.csv").await;
    assert_error(res, StatusCode::FORBIDDEN, "forbidden").await;
}

async fn meta_webhook_settings_are_shown_to_channel_managers_only(app: TestApp) {
    let acct = app.full_account().await;
    let setup = app.get_json(&acct.admin_token, "/api/v1/meta_webhook").await;
    assert_eq!(setup["callback_url"], format!("{}/webhooks/meta", app.state.config.public_url.trim_end_matches('/')));
    assert_eq!(setup["verify_token"], VERIFY_TOKEN);
    assert_eq!(setup["app_secret_configured"], true);
    assert_eq!(setup["https"], false);

    // The verify token the page shows is the one Meta's subscription check must present.
    let challenge = app
        .http
        .get(app.url("/webhooks/meta"))
        .query(&[("hub.mode", "subscribe"), ("hub.verify_token", VERIFY_TOKEN), ("hub.challenge", "4242")])
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.status(), StatusCode::OK);
    assert_eq!(challenge.text().await.unwrap(), "4242");

    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    assert_error(app.get(&seller, "/api/v1/meta_webhook").await, StatusCode::FORBIDDEN, "forbidden").await;
    let basic = app.create_account("basic", &[]).await;
    assert_error(app.get(&basic.admin_token, "/api/v1/meta_webhook").await, StatusCode::FORBIDDEN, "plan_required")
        .await;
}
