//! The `/_sim` control API.

use serde_json::{json, Value};

use crate::support::{env, NUMBER};

#[tokio::test]
async fn a_customer_message_can_be_driven_over_http() {
    let env = env().await;
    let url = format!("{}/_sim/whatsapp/{NUMBER}/customers/5215511112222/messages", env.sim.base_url());
    let res = env.http.post(&url).json(&json!({"text": "Hola", "name": "Luis"})).send().await.expect("up");
    assert_eq!(res.status().as_u16(), 200);
    let answer: Value = res.json().await.expect("json");
    assert_eq!(answer["status"], 200);
    assert!(answer["message_id"].as_str().is_some_and(|m| m.starts_with("wamid.")));
    let got = env.hooks.wait_for(1).await;
    let value = &got[0].json["entry"][0]["changes"][0]["value"];
    assert_eq!(value["messages"][0]["text"]["body"], "Hola");
    assert_eq!(value["contacts"][0]["profile"]["name"], "Luis");

    let bsuid = format!("{}/_sim/whatsapp/{NUMBER}/customers/US.12345678901234567890/messages", env.sim.base_url());
    let res = env.http.post(&bsuid).json(&json!({"type": "image", "username": "luis"})).send().await.expect("up");
    assert_eq!(res.status().as_u16(), 200);
    let got = env.hooks.wait_for(2).await;
    let value = &got[1].json["entry"][0]["changes"][0]["value"];
    assert_eq!(value["contacts"][0]["profile"]["username"], "luis");
    assert_eq!(value["messages"][0]["type"], "image");

    let bad = env.http.post(&url).json(&json!({"type": "hologram"})).send().await.expect("up");
    assert_eq!(bad.status().as_u16(), 400);
    let unknown = format!("{}/_sim/whatsapp/000/customers/5215511112222/messages", env.sim.base_url());
    let res = env.http.post(&unknown).json(&json!({"text": "x"})).send().await.expect("up");
    assert_eq!(res.status().as_u16(), 404);
}

#[tokio::test]
async fn journals_clock_and_faults_are_reachable_over_http() {
    let env = env().await;
    let base = env.sim.base_url();
    let index: Value = env.http.get(format!("{base}/_sim")).send().await.expect("up").json().await.expect("json");
    assert_eq!(index["graph_base"], env.sim.graph_base());
    assert_eq!(index["whatsapp_numbers"][0]["phone_number_id"], NUMBER);

    env.get(NUMBER, Some(inbox_simulator::demo::CLOUD_TOKEN)).await;
    let requests: Value =
        env.http.get(format!("{base}/_sim/requests")).send().await.expect("up").json().await.expect("json");
    assert_eq!(requests.as_array().map(Vec::len), Some(1), "control calls are not recorded");
    assert_eq!(requests[0]["method"], "GET");

    let before = env.sim.now();
    let res =
        env.http.post(format!("{base}/_sim/clock/advance")).json(&json!({"seconds": 3600})).send().await.expect("up");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(env.sim.now() - before, time::Duration::hours(1));

    let res = env
        .http
        .post(format!("{base}/_sim/faults"))
        .json(&json!({"count": 1, "kind": "http500"}))
        .send()
        .await
        .expect("up");
    assert_eq!(res.status().as_u16(), 204);
    let (status, _) = env.wa_send(crate::support::text_to("5215511112222", "x")).await;
    assert_eq!(status, 500);

    let res = env.http.delete(format!("{base}/_sim/requests")).send().await.expect("up");
    assert_eq!(res.status().as_u16(), 204);
    assert!(env.sim.requests().is_empty());
}
