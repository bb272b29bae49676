//! WhatsApp media upload, media object and download, and the download size limit.

use std::time::Duration;

use bytes::Bytes;
use inbox_meta::graph::{whatsapp, GraphError, MediaRef, Retry, WaMedia, WaRecipient};
use sha2::{Digest, Sha256};
use simulator::samples;

use crate::support::{chunked_server, demo, meta, redirect_server};

const MB: u64 = 1024 * 1024;

#[tokio::test]
async fn upload_then_media_info_then_download_round_trips_the_bytes() {
    let m = meta().await;
    let wa = m.graph.whatsapp();
    let png = Bytes::from(samples::png());

    let media_id = wa
        .upload_media(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, png.clone(), "image/png", "foto.png")
        .await
        .expect("uploaded");

    let upload = &m.sim.requests_to("/media")[0];
    assert_eq!(upload.path, "/v24.0/106540352242922/media");
    assert_eq!(upload.bearer(), Some(demo::CLOUD_TOKEN));
    let text = |name: &str| upload.part(name).and_then(|p| p.text.clone());
    assert_eq!(text("messaging_product").as_deref(), Some("whatsapp"));
    assert_eq!(text("type").as_deref(), Some("image/png"));
    let file = upload.part("file").expect("file part");
    assert_eq!(file.file_name.as_deref(), Some("foto.png"));
    assert_eq!(file.content_type.as_deref(), Some("image/png"));
    assert_eq!(file.size, png.len());

    let info = wa.media_info(&media_id, demo::CLOUD_TOKEN).await.expect("media object");
    assert_eq!(info.id, media_id);
    assert_eq!(info.mime_type, "image/png");
    assert_eq!(info.file_size, Some(png.len() as u64));
    assert_eq!(info.sha256.as_deref(), Some(hex::encode(Sha256::digest(&png)).as_str()));

    let downloaded = wa.download(&info.url, demo::CLOUD_TOKEN, 5 * MB).await.expect("downloaded");
    assert_eq!(downloaded, png);
}

#[tokio::test]
async fn a_voice_note_uploaded_as_ogg_opus_is_sent_as_voice() {
    let m = meta().await;
    let wa = m.graph.whatsapp();
    let media_id = wa
        .upload_media(
            demo::CLOUD_PHONE_NUMBER_ID,
            demo::CLOUD_TOKEN,
            Bytes::from(samples::ogg_opus()),
            "audio/ogg; codecs=opus",
            "nota.ogg",
        )
        .await
        .expect("uploaded");
    let body = whatsapp::media(
        &WaRecipient::Phone("5215512345678".into()),
        &WaMedia::Audio { media: MediaRef::Id(media_id), voice: true },
        None,
    );
    wa.send_message(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, &body).await.expect("a voice note");
}

#[tokio::test]
async fn an_unsupported_media_type_is_refused_permanently() {
    let m = meta().await;
    let error = m
        .graph
        .whatsapp()
        .upload_media(
            demo::CLOUD_PHONE_NUMBER_ID,
            demo::CLOUD_TOKEN,
            Bytes::from_static(b"\x1aE\xdf\xa3webm"),
            "audio/webm",
            "nota.webm",
        )
        .await
        .expect_err("refused");
    assert_eq!(error.code(), Some(100));
    assert_eq!(error.classify(), Retry::Permanent);
    assert!(error.reason().contains("audio/webm"), "{}", error.reason());
}

#[tokio::test]
async fn download_refuses_more_than_max_bytes() {
    let m = meta().await;
    let wa = m.graph.whatsapp();
    let pdf = Bytes::from(samples::pdf());
    let media_id = wa
        .upload_media(demo::CLOUD_PHONE_NUMBER_ID, demo::CLOUD_TOKEN, pdf.clone(), "application/pdf", "factura.pdf")
        .await
        .expect("uploaded");
    let info = wa.media_info(&media_id, demo::CLOUD_TOKEN).await.expect("media object");
    let limit = pdf.len() as u64 - 1;
    let error = wa.download(&info.url, demo::CLOUD_TOKEN, limit).await.expect_err("too large");
    assert_eq!(error, GraphError::TooLarge { limit });
    assert_eq!(error.classify(), Retry::Permanent);
    let exact = wa.download(&info.url, demo::CLOUD_TOKEN, pdf.len() as u64).await.expect("exactly the limit is fine");
    assert_eq!(exact, pdf);
}

#[tokio::test]
async fn a_body_without_length_is_cut_at_the_limit_while_streaming() {
    let m = meta().await;
    let url = chunked_server(64 * MB as usize).await;
    let error = m.graph.messenger().download(&url, 100_000).await.expect_err("too large");
    assert_eq!(error, GraphError::TooLarge { limit: 100_000 });
    let small = chunked_server(8192 * 3).await;
    let bytes = m.graph.messenger().download(&small, MB).await.expect("under the limit");
    assert_eq!(bytes.len(), 8192 * 3);
}

#[tokio::test]
async fn an_expired_media_url_is_a_permanent_404() {
    let m = meta().await;
    let wa = m.graph.whatsapp();
    let media_id = wa
        .upload_media(
            demo::CLOUD_PHONE_NUMBER_ID,
            demo::CLOUD_TOKEN,
            Bytes::from(samples::png()),
            "image/png",
            "foto.png",
        )
        .await
        .expect("uploaded");
    let info = wa.media_info(&media_id, demo::CLOUD_TOKEN).await.expect("media object");
    m.sim.advance_clock(Duration::from_secs(6 * 60));
    let error = wa.download(&info.url, demo::CLOUD_TOKEN, MB).await.expect_err("expired");
    assert_eq!(error.http_status(), Some(404));
    assert_eq!(error.classify(), Retry::Permanent);
}

#[tokio::test]
async fn inbound_customer_media_downloads_with_the_token() {
    let m = meta().await;
    let ana = m.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678").expect("customer");
    let delivery = ana.image(samples::png(), "image/png", Some("mira")).await.expect("customer sends a photo");
    let message = &delivery.payload["entry"][0]["changes"][0]["value"]["messages"][0];
    let media_id = message["image"]["id"].as_str().expect("media id");
    let wa = m.graph.whatsapp();
    let info = wa.media_info(media_id, demo::CLOUD_TOKEN).await.expect("media object");
    let bytes = wa.download(&info.url, demo::CLOUD_TOKEN, MB).await.expect("downloaded");
    assert_eq!(bytes.as_ref(), samples::png().as_slice());
    let error = wa.download(&info.url, "EAA-wrong", MB).await.expect_err("wrong token");
    assert_eq!(error.code(), Some(190));
}

#[tokio::test]
async fn redirects_are_capped_and_every_hop_is_checked() {
    let m = meta().await;
    // An endless chain of redirects to the same (allowed) host stops after three.
    let (url, seen) = redirect_server(|n, own| format!("{own}/hop/{n}")).await;
    let error = m.graph.messenger().download(&url, MB).await.expect_err("endless redirects");
    assert!(matches!(&error, GraphError::Refused(r) if r.contains("redirects")), "{error:?}");
    assert_eq!(error.classify(), Retry::Permanent);
    assert_eq!(seen.lock().expect("log").len(), 4, "the first request and three redirects");

    // A redirect to a host outside the policy is refused without being requested.
    let (url, seen) = redirect_server(|_, _| "http://localhost:9/elsewhere".to_string()).await;
    let error = m.graph.whatsapp().download(&url, demo::CLOUD_TOKEN, MB).await.expect_err("foreign host");
    assert!(matches!(&error, GraphError::Refused(r) if r.contains("localhost")), "{error:?}");
    assert!(error.reason().contains("refused"), "{}", error.reason());
    assert_eq!(seen.lock().expect("log").len(), 1);
    assert!(seen.lock().expect("log")[0].contains("authorization: bearer"), "the token goes to the first host");
}

#[tokio::test]
async fn the_production_policy_refuses_the_simulator() {
    let m = meta().await;
    let strict = inbox_meta::graph::GraphClient::new(inbox_meta::graph::GraphConfig::with_base_url(m.sim.graph_base()))
        .expect("client");
    let (url, seen) = redirect_server(|_, own| format!("{own}/again")).await;
    let error = strict.messenger().download(&url, MB).await.expect_err("plain HTTP to loopback");
    assert!(matches!(&error, GraphError::Refused(_)), "{error:?}");
    assert!(seen.lock().expect("log").is_empty(), "nothing was requested");
    // A listed host that resolves to loopback is refused by the resolver, before connecting.
    let mut policy = inbox_meta::graph::MediaPolicy::with_hosts("localhost").expect("policy");
    policy.max_redirects = 0;
    let graph = inbox_meta::graph::GraphClient::new(
        inbox_meta::graph::GraphConfig::with_base_url(m.sim.graph_base()).media_policy(policy),
    )
    .expect("client");
    let port = url.trim_start_matches("http://127.0.0.1:").split('/').next().expect("port").to_string();
    let error = graph.messenger().download(&format!("https://localhost:{port}/x"), MB).await.expect_err("loopback");
    assert!(matches!(&error, GraphError::Refused(r) if r.contains("not a public address")), "{error:?}");
    assert!(seen.lock().expect("log").is_empty(), "nothing was requested");
}
