//! What an inbox calls to prove a token owns a channel's asset: as strict as Graph (only the owner's
//! token reads an asset; anything else is 100/33), revoked tokens, assets added after start, and faults.

use inbox_simulator::{demo, Fault, InstagramAccount, PageAsset, WhatsAppNumber};
use serde_json::{json, Value};

use crate::support::{code, env, text_to, MARIA};

fn subcode(body: &Value) -> i64 {
    body["error"]["error_subcode"].as_i64().unwrap_or_default()
}

#[tokio::test]
async fn a_waba_lists_its_numbers_only_to_a_token_of_that_waba() {
    let env = env().await;
    let path = format!("{}/phone_numbers?fields=id,display_phone_number,verified_name,quality_rating", demo::WABA_ID);
    let (status, body) = env.get(&path, Some(demo::CLOUD_TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [demo::CLOUD_PHONE_NUMBER_ID, demo::APP_PHONE_NUMBER_ID]);
    let first = &body["data"][0];
    assert_eq!(first["display_phone_number"], demo::CLOUD_DISPLAY_NUMBER);
    assert_eq!(first["verified_name"], "Escala Demo");
    assert_eq!(first["quality_rating"], "GREEN");
    assert!(first.get("platform_type").is_none(), "only the requested fields: {first}");

    // A valid token of another asset, and an unknown WABA: Graph's "does not exist" for both.
    for (waba, token) in [(demo::WABA_ID, demo::PAGE_TOKEN), ("999000111222333", demo::CLOUD_TOKEN)] {
        let (status, body) = env.get(&format!("{waba}/phone_numbers"), Some(token)).await;
        assert_eq!((status, code(&body), subcode(&body)), (400, 100, 33), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("does not exist"));
    }
    let (status, body) = env.get(&path, None).await;
    assert_eq!((status, code(&body)), (401, 190));
}

#[tokio::test]
async fn phone_numbers_are_paged_with_cursors() {
    let env = env().await;
    for n in 1..=3 {
        env.sim.add_whatsapp_number(WhatsAppNumber::new(format!("20000000000000{n}"), "300", "15550000000", "EAA-w"));
    }
    let (status, first) = env.get("300/phone_numbers?limit=2", Some("EAA-w")).await;
    assert_eq!(status, 200);
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    assert!(first["paging"]["next"].is_string());
    let after = first["paging"]["cursors"]["after"].as_str().unwrap();
    let (_, second) = env.get(&format!("300/phone_numbers?limit=2&after={after}"), Some("EAA-w")).await;
    assert_eq!(second["data"][0]["id"], "200000000000003");
    assert!(second["paging"].get("next").is_none(), "the last page has no next");
}

#[tokio::test]
async fn a_page_is_read_only_with_its_page_token_whose_me_is_the_page() {
    let env = env().await;
    let (status, page) = env.get(&format!("{}?fields=id,name", demo::PAGE_ID), Some(demo::PAGE_TOKEN)).await;
    assert_eq!((status, page), (200, json!({"id": demo::PAGE_ID, "name": "Escala Demo"})));
    let (status, me) = env.get("me?fields=id,name", Some(demo::PAGE_TOKEN)).await;
    assert_eq!((status, &me["id"]), (200, &json!(demo::PAGE_ID)));

    env.sim.add_page(PageAsset::new("120000000000001", "Otra Tienda", "EAA-other-page"));
    let (_, me) = env.get("me", Some("EAA-other-page")).await;
    assert_eq!(me["id"], "120000000000001", "another Page's token is that Page");
    for token in ["EAA-other-page", demo::CLOUD_TOKEN, demo::IG_TOKEN] {
        let (status, body) = env.get(demo::PAGE_ID, Some(token)).await;
        assert_eq!((status, code(&body), subcode(&body)), (400, 100, 33), "{token}: {body}");
    }
}

#[tokio::test]
async fn an_instagram_account_is_read_with_its_token_or_its_linked_pages() {
    let env = env().await;
    for token in [demo::IG_TOKEN, demo::PAGE_TOKEN] {
        let (status, body) = env.get(&format!("{}?fields=id,username", demo::IG_ID), Some(token)).await;
        assert_eq!((status, body), (200, json!({"id": demo::IG_ID, "username": "escala.demo"})), "{token}");
    }
    env.sim.add_instagram(InstagramAccount::new("17841400000000002", "otra.tienda", "IGAA-other"));
    for (id, token) in
        [(demo::IG_ID, "IGAA-other"), (demo::IG_ID, demo::CLOUD_TOKEN), ("17841499999999999", demo::IG_TOKEN)]
    {
        let (status, body) = env.get(id, Some(token)).await;
        assert_eq!((status, code(&body), subcode(&body)), (400, 100, 33), "{id} with {token}: {body}");
    }
}

#[tokio::test]
async fn a_revoked_token_is_190_on_every_call_and_others_keep_working() {
    let env = env().await;
    env.maria_writes().await;
    env.sim.revoke_token(demo::CLOUD_TOKEN);
    let (status, body) = env.get(&format!("{}/phone_numbers", demo::WABA_ID), Some(demo::CLOUD_TOKEN)).await;
    assert_eq!((status, code(&body), subcode(&body)), (401, 190, 460), "{body}");
    let (status, body) = env.wa_send(text_to(MARIA, "Hola")).await;
    assert_eq!((status, code(&body)), (401, 190));
    let (status, _) = env.get(&format!("{}/phone_numbers", demo::WABA_ID), Some(demo::APP_TOKEN)).await;
    assert_eq!(status, 200, "the WABA's other token still works");
}

#[tokio::test]
async fn asset_lookup_faults_hit_only_asset_lookups() {
    let env = env().await;
    env.maria_writes().await;
    env.sim.fail_next_asset_lookups(2, Fault::Http500);
    let (status, _) = env.wa_send(text_to(MARIA, "Hola")).await;
    assert_eq!(status, 200, "sends do not consume asset faults");
    let (status, body) = env.get(&format!("{}/phone_numbers", demo::WABA_ID), Some(demo::CLOUD_TOKEN)).await;
    assert_eq!((status, code(&body)), (500, 2), "{body}");
    let (status, _) = env.get("me", Some(demo::PAGE_TOKEN)).await;
    assert_eq!(status, 500);
    let (status, _) = env.get("me", Some(demo::PAGE_TOKEN)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn assets_faults_and_revocations_are_driven_over_http() {
    let env = env().await;
    let base = env.sim.base_url();
    let post = |path: &str, body: Value| env.http.post(format!("{base}/_sim/{path}")).json(&body).send();
    let res = post(
        "assets/whatsapp_numbers",
        json!({"phone_number_id": "200000000000009", "waba_id": "301", "display_phone_number": "15550001111",
               "access_token": "EAA-http", "verified_name": "Tienda HTTP"}),
    )
    .await
    .expect("up");
    assert_eq!(res.status().as_u16(), 204);
    let res =
        post("assets/pages", json!({"page_id": "120000000000009", "name": "Página HTTP", "access_token": "EAA-p"}))
            .await
            .expect("up");
    assert_eq!(res.status().as_u16(), 204);
    let res = post(
        "assets/instagram_accounts",
        json!({"ig_id": "17841400000000009", "username": "http", "access_token": "IGAA-h", "page_id": "120000000000009"}),
    )
    .await
    .expect("up");
    assert_eq!(res.status().as_u16(), 204);
    let (_, numbers) = env.get("301/phone_numbers", Some("EAA-http")).await;
    assert_eq!(numbers["data"][0]["verified_name"], "Tienda HTTP");
    let (status, _) = env.get("17841400000000009", Some("EAA-p")).await;
    assert_eq!(status, 200, "the linked Page's token reaches the account");
    let index: Value = env.http.get(format!("{base}/_sim")).send().await.expect("up").json().await.expect("json");
    assert!(index["pages"].as_array().unwrap().iter().any(|p| p["page_id"] == "120000000000009"), "{index}");

    let res = post("faults", json!({"kind": "http500", "target": "asset_lookups"})).await.expect("up");
    assert_eq!(res.status().as_u16(), 204);
    let (status, _) = env.get("me", Some("EAA-p")).await;
    assert_eq!(status, 500);
    let res = post("faults", json!({"kind": "http500", "target": "nowhere"})).await.expect("up");
    assert_eq!(res.status().as_u16(), 400);

    let res = post("tokens/revoke", json!({"token": "EAA-p"})).await.expect("up");
    assert_eq!(res.status().as_u16(), 204);
    let (status, body) = env.get("me", Some("EAA-p")).await;
    assert_eq!((status, code(&body)), (401, 190));
}
