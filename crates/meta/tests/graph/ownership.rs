//! Proving a token controls a channel's asset, against the simulator (as strict as Graph) and, for what
//! the simulator does not do (a token that reads a Page without being its Page token), a stub.

use std::time::Duration;

use inbox_meta::graph::{ChannelAsset, GraphClient, GraphConfig, OwnershipError};
use simulator::{Fault, PageAsset, WhatsAppNumber};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{closed_port, demo, meta, meta_with};

const CLOUD: ChannelAsset<'static> =
    ChannelAsset::WhatsAppNumber { waba_id: demo::WABA_ID, phone_number_id: demo::CLOUD_PHONE_NUMBER_ID };
const PAGE: ChannelAsset<'static> = ChannelAsset::Page { page_id: demo::PAGE_ID };
const INSTAGRAM: ChannelAsset<'static> = ChannelAsset::Instagram { account_id: demo::IG_ID };

#[tokio::test]
async fn the_owners_token_is_verified_with_what_meta_knows() {
    let m = meta().await;
    let number = m.graph.verify_ownership(CLOUD, demo::CLOUD_TOKEN).await.expect("the number's token");
    assert_eq!(number.display_phone_number.as_deref(), Some(demo::CLOUD_DISPLAY_NUMBER));
    assert_eq!(number.verified_name.as_deref(), Some("Escala Demo"));
    assert_eq!(number.quality_rating.as_deref(), Some("GREEN"));
    // Any token of the WABA (a system user's) covers its other numbers.
    let app = ChannelAsset::WhatsAppNumber { waba_id: demo::WABA_ID, phone_number_id: demo::APP_PHONE_NUMBER_ID };
    assert!(m.graph.verify_ownership(app, demo::CLOUD_TOKEN).await.is_ok());
    let page = m.graph.verify_ownership(PAGE, demo::PAGE_TOKEN).await.expect("the Page token");
    assert_eq!(page.name.as_deref(), Some("Escala Demo"));
    for token in [demo::IG_TOKEN, demo::PAGE_TOKEN] {
        let ig = m.graph.verify_ownership(INSTAGRAM, token).await.expect("the account's or its Page's token");
        assert_eq!(ig.name.as_deref(), Some("escala.demo"));
    }
    let paths: Vec<String> = m.sim.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.iter().any(|p| p.ends_with(&format!("/{}/phone_numbers", demo::WABA_ID))), "{paths:?}");
    assert!(paths.iter().any(|p| p.ends_with("/me")), "a Page is proven by its token's me: {paths:?}");
}

#[tokio::test]
async fn another_businesss_valid_token_cannot_claim_an_asset() {
    let m = meta().await;
    m.sim.add_page(PageAsset::new("120000000000001", "Otra Tienda", "EAA-other-page"));
    m.sim.add_whatsapp_number(WhatsAppNumber::new(
        "200000000000001",
        "300000000000001",
        "15550001111",
        "EAA-other-waba",
    ));
    for (asset, token) in [(CLOUD, "EAA-other-waba"), (PAGE, "EAA-other-page"), (INSTAGRAM, "EAA-other-page")] {
        let e = m.graph.verify_ownership(asset, token).await.expect_err("not theirs");
        assert_eq!(e.code(), "permission_denied", "{asset:?}: {e}");
        assert!(
            matches!(&e, OwnershipError::PermissionDenied { meta, .. } if meta.code == 100 && meta.subcode == Some(33))
        );
    }
    // Their own WABA with our number in it: the list is theirs, and the number is not on it.
    let mixed =
        ChannelAsset::WhatsAppNumber { waba_id: "300000000000001", phone_number_id: demo::CLOUD_PHONE_NUMBER_ID };
    let e = m.graph.verify_ownership(mixed, "EAA-other-waba").await.expect_err("not in that WABA");
    assert_eq!(e.code(), "not_found");
    assert!(e.reason().contains(demo::CLOUD_PHONE_NUMBER_ID), "{}", e.reason());
}

#[tokio::test]
async fn unknown_and_revoked_tokens_are_token_invalid() {
    let m = meta().await;
    let e = m.graph.verify_ownership(PAGE, "EAA-made-up").await.expect_err("unknown token");
    assert_eq!(e.code(), "token_invalid");
    m.sim.revoke_token(demo::CLOUD_TOKEN);
    let e = m.graph.verify_ownership(CLOUD, demo::CLOUD_TOKEN).await.expect_err("revoked");
    assert_eq!(e.code(), "token_invalid");
    assert!(e.reason().contains("revoked"), "{}", e.reason());
}

#[tokio::test]
async fn numbers_are_found_past_the_first_page() {
    let m = meta().await;
    for n in 1..=150u32 {
        m.sim.add_whatsapp_number(WhatsAppNumber::new(
            format!("{}", 210_000_000_000_000u64 + u64::from(n)),
            "301",
            "1555",
            "EAA-big",
        ));
    }
    let last = ChannelAsset::WhatsAppNumber { waba_id: "301", phone_number_id: "210000000000150" };
    assert!(m.graph.verify_ownership(last, "EAA-big").await.is_ok());
    let missing = ChannelAsset::WhatsAppNumber { waba_id: "301", phone_number_id: "210000000000151" };
    assert_eq!(m.graph.verify_ownership(missing, "EAA-big").await.expect_err("absent").code(), "not_found");
    assert_eq!(m.sim.requests_to("301/phone_numbers").len(), 4, "two pages of 100 for each check");
}

#[tokio::test]
async fn meta_failing_slow_or_unreachable_is_no_verdict() {
    let m = meta_with(Duration::from_millis(300)).await;
    m.sim.fail_next_asset_lookups(1, Fault::Http500);
    let e = m.graph.verify_ownership(CLOUD, demo::CLOUD_TOKEN).await.expect_err("Meta failed");
    assert_eq!((e.code(), e.is_transient()), ("meta_unavailable", true), "{e}");
    m.sim.fail_next_asset_lookups(1, Fault::RateLimit);
    let e = m.graph.verify_ownership(PAGE, demo::PAGE_TOKEN).await.expect_err("rate-limited");
    assert_eq!(e.code(), "meta_unavailable");
    m.sim.fail_next_asset_lookups(1, Fault::Timeout(Duration::from_secs(2)));
    let e = m.graph.verify_ownership(INSTAGRAM, demo::IG_TOKEN).await.expect_err("too slow");
    assert_eq!(e.code(), "meta_unavailable");

    let nowhere = GraphClient::new(GraphConfig::with_base_url(closed_port().await)).expect("client");
    let e = nowhere.verify_ownership(PAGE, demo::PAGE_TOKEN).await.expect_err("unreachable");
    assert_eq!(e.code(), "meta_unavailable");
    assert!(e.reason().contains("could not be reached"), "{}", e.reason());
}

/// A Graph stand-in answering `GET /{page}` for any token and `GET /me` as a user: a token that reads
/// the Page's public fields without being its Page token.
async fn user_token_graph(page_id: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buffer);
                let path = head.split_whitespace().nth(1).unwrap_or_default();
                let body = if path.starts_with("/v24.0/me") {
                    r#"{"id":"555000111","name":"Admin Person"}"#.to_string()
                } else {
                    format!(r#"{{"id":"{page_id}","name":"Escala Demo"}}"#)
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/v24.0")
}

#[tokio::test]
async fn a_token_that_reads_the_page_but_is_not_its_page_token_is_refused() {
    let graph = GraphClient::new(GraphConfig::with_base_url(user_token_graph(demo::PAGE_ID).await)).expect("client");
    let e = graph.verify_ownership(PAGE, "EAA-user-token").await.expect_err("a user's token");
    assert_eq!(e.code(), "not_page_token");
    assert!(e.reason().contains(demo::PAGE_ID));
}
