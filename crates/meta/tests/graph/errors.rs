//! Failures as Meta produces them (through the simulator's fault injection) and their classification.

use std::time::{Duration, Instant};

use inbox_meta::graph::{whatsapp, GraphClient, GraphConfig, GraphError, Retry, WaRecipient, SPAM_BACKOFF};
use serde_json::Value;
use simulator::Fault;

use crate::support::{closed_port, demo, meta, meta_with};

fn hola() -> Value {
    whatsapp::text(&WaRecipient::Phone("5215512345678".into()), "Hola", false, None)
}

#[tokio::test]
async fn a_wrong_token_is_190_and_permanent() {
    let m = meta().await;
    let error = m
        .graph
        .whatsapp()
        .send_message(demo::CLOUD_PHONE_NUMBER_ID, "EAA-not-a-token", &hola())
        .await
        .expect_err("refused");
    assert_eq!(error.code(), Some(190), "{error}");
    assert_eq!(error.http_status(), Some(401));
    assert_eq!(error.classify(), Retry::Permanent);
    assert!(error.reason().contains("access token"));
    let api = error.api().expect("Meta's error body");
    assert!(api.fbtrace_id.is_some());
    assert!(!error.to_string().contains("EAA-not-a-token"));
}

#[tokio::test]
async fn another_channels_token_cannot_reach_the_number() {
    let m = meta().await;
    let error = m
        .graph
        .whatsapp()
        .send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::PAGE_TOKEN, &hola())
        .await
        .expect_err("refused");
    assert_eq!((error.code(), error.subcode()), (Some(100), Some(33)));
    assert_eq!(error.classify(), Retry::Permanent);
}

#[tokio::test]
async fn http_500_is_transient_and_the_retry_succeeds() {
    let m = meta().await;
    m.sim.fail_next(1, Fault::Http500);
    let wa = m.graph.whatsapp();
    let error = wa.send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &hola()).await.expect_err("fails once");
    assert_eq!(error.http_status(), Some(500));
    assert_eq!(error.code(), Some(131000));
    assert!(error.classify().is_transient());
    wa.send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &hola()).await.expect("the retry is accepted");
}

#[tokio::test]
async fn a_timeout_beyond_the_client_limit_is_transient() {
    let m = meta_with(Duration::from_millis(300)).await;
    m.sim.fail_next(1, Fault::Timeout(Duration::from_secs(5)));
    let started = Instant::now();
    let error = m
        .graph
        .whatsapp()
        .send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &hola())
        .await
        .expect_err("times out");
    assert_eq!(error, GraphError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(error.classify().is_transient());
}

#[tokio::test]
async fn throughput_limit_is_transient() {
    let m = meta().await;
    m.sim.fail_next(1, Fault::RateLimit);
    let error = m
        .graph
        .whatsapp()
        .send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &hola())
        .await
        .expect_err("rate limited");
    assert_eq!(error.code(), Some(130429));
    assert!(error.classify().is_transient());
}

#[tokio::test]
async fn spam_limit_backs_off_for_hours_and_media_errors_retry_once() {
    let m = meta().await;
    m.sim.fail_next(1, Fault::GraphError { code: 131048, http_status: 400 });
    m.sim.fail_next(1, Fault::GraphError { code: 131053, http_status: 400 });
    let wa = m.graph.whatsapp();
    let spam = wa.send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &hola()).await.expect_err("spam");
    assert_eq!(spam.classify(), Retry::Transient { after: Some(SPAM_BACKOFF), max_retries: None });
    let media = wa.send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &hola()).await.expect_err("media");
    assert_eq!(media.classify(), Retry::Transient { after: None, max_retries: Some(1) });
}

#[tokio::test]
async fn an_unreachable_graph_is_a_transient_connect_error() {
    let graph = GraphClient::new(GraphConfig::with_base_url(closed_port().await)).expect("client");
    let error = graph
        .whatsapp()
        .send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &hola())
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, GraphError::Connect(_)), "{error:?}");
    assert!(error.classify().is_transient());
}
