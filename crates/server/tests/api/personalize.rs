//! The Personalize menu: every placeholder the renderer accepts, with the account's custom fields.

use crate::harness::{assert_error, on_both_stores, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_stores!(menu_lists_fixed_fields_and_the_accounts_custom_fields);

async fn menu_lists_fixed_fields_and_the_accounts_custom_fields(app: TestApp) {
    let acct = app.full_account().await;
    let other = app.full_account().await;
    for (token, key, label) in [
        (&acct.admin_token, "rfc", "RFC"),
        (&acct.admin_token, "empresa", "Empresa"),
        (&acct.admin_token, "giro", "Giro"),
        (&other.admin_token, "secreto_de_otra_cuenta", "Secreto"),
    ] {
        let res = app.post(token, "/api/v1/contact-fields", json!({"key": key, "label": label, "type": "text"})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    for (token, custom) in [
        (&acct.admin_token, json!({"rfc": "LOAM800101", "empresa": "Acme"})),
        (&acct.admin_token, json!({"rfc": "PERJ900202", "giro": "textil"})),
        (&other.admin_token, json!({"secreto_de_otra_cuenta": "1"})),
    ] {
        let res = app.post(token, "/api/v1/contacts", json!({"first_name": "Ana", "custom_fields": custom})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let (_, seller) = app.create_user(&acct.admin_token, "seller").await;
    let menu = app.get_json(&seller, "/api/v1/personalize/fields").await;
    let items = menu["items"].as_array().unwrap();
    let pairs: Vec<(&str, &str)> =
        items.iter().map(|i| (i["key"].as_str().unwrap(), i["group"].as_str().unwrap())).collect();
    assert_eq!(pairs.first(), Some(&("contact.first_name", "contact")), "{menu}");
    assert_eq!(pairs.last().map(|p| p.1), Some("agent"));
    assert!(pairs.contains(&("agent.name", "agent")));
    let custom: Vec<&str> = pairs.iter().filter(|p| p.1 == "custom").map(|p| p.0).collect();
    assert_eq!(
        custom,
        vec!["contact.custom.rfc", "contact.custom.empresa", "contact.custom.giro"],
        "each defined field once, in the fields' order; other accounts' fields are not offered"
    );
    let groups: Vec<&str> = pairs.iter().map(|p| p.1).collect();
    let mut sorted = groups.clone();
    sorted.sort_by_key(|g| ["contact", "custom", "agent"].iter().position(|x| x == g));
    assert_eq!(groups, sorted, "contact fields, then custom, then agent");
    // Every token offered is one a text may use.
    let text: String = items.iter().map(|i| i["token"].as_str().unwrap()).collect::<Vec<_>>().join(" ");
    let fb = app.sim.messenger_customer(simulator::demo::PAGE_ID).unwrap();
    app.connect_demo_channels(&acct.admin_token).await;
    fb.text("hola").await.unwrap();
    app.settle().await;
    let conv: Value = app.only_conversation(&acct.admin_token).await;
    let res = app
        .post(
            &acct.admin_token,
            &format!("/api/v1/conversations/{}/messages", conv["id"].as_str().unwrap()),
            json!({"type": "text", "text": text}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let fresh = app.full_account().await;
    let menu = app.get_json(&fresh.admin_token, "/api/v1/personalize/fields").await;
    assert!(menu["items"].as_array().unwrap().iter().all(|i| i["group"] != "custom"));
    let res = app.http.get(app.url("/api/v1/personalize/fields")).send().await.unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED, "unauthorized").await;
}
