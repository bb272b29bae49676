//! Messenger and Instagram sends, windows, attachments and CDN downloads.

use std::time::Duration;

use bytes::Bytes;
use domain::window::MessagingType;
use inbox_meta::graph::{messenger, AttachmentKind, AttachmentSource, Retry, SenderAction};
use simulator::samples;

use crate::support::{demo, meta};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

#[tokio::test]
async fn messenger_text_as_response() {
    let m = meta().await;
    let customer = m.sim.messenger_customer(demo::PAGE_ID).expect("customer");
    customer.text("Hola").await.expect("customer writes");

    let body = messenger::text(customer.id(), "Hola, ¿en qué te ayudo?", MessagingType::Response, None);
    let sent = m.graph.messenger().send(demo::PAGE_ID, demo::PAGE_TOKEN, &body).await.expect("sent");

    assert_eq!(sent.recipient_id, customer.id());
    assert!(sent.message_id.starts_with("m_"), "{}", sent.message_id);
    let request = &m.sim.requests_to("/messages")[0];
    assert_eq!(request.path, "/v24.0/110200345678901/messages");
    assert_eq!(request.bearer(), Some(demo::PAGE_TOKEN));
    assert_eq!(request.json(), body);
    assert_eq!(request.json()["messaging_type"], "RESPONSE");
}

#[tokio::test]
async fn after_24_hours_only_the_human_agent_tag_gets_through() {
    let m = meta().await;
    let customer = m.sim.messenger_customer(demo::PAGE_ID).expect("customer");
    customer.text("Hola").await.expect("customer writes");
    m.sim.advance_clock(2 * DAY);

    let api = m.graph.messenger();
    let response = messenger::text(customer.id(), "Hola", MessagingType::Response, None);
    let error = api.send(demo::PAGE_ID, demo::PAGE_TOKEN, &response).await.expect_err("outside the standard window");
    assert_eq!((error.code(), error.subcode()), (Some(10), Some(2018278)));
    assert_eq!(error.classify(), Retry::Permanent);

    let tagged = messenger::text(customer.id(), "Hola", MessagingType::HumanAgentTag, None);
    let sent = api.send(demo::PAGE_ID, demo::PAGE_TOKEN, &tagged).await.expect("a human agent may answer for 7 days");
    assert!(sent.message_id.starts_with("m_"));
    let last = m.sim.requests_to("/messages").pop().expect("request");
    assert_eq!(last.json()["messaging_type"], "MESSAGE_TAG");
    assert_eq!(last.json()["tag"], "HUMAN_AGENT");

    m.sim.advance_clock(6 * DAY);
    let error = api.send(demo::PAGE_ID, demo::PAGE_TOKEN, &tagged).await.expect_err("after 7 days nothing goes");
    assert_eq!(error.subcode(), Some(2018278));
}

#[tokio::test]
async fn uploaded_attachment_is_sent_by_id() {
    let m = meta().await;
    let customer = m.sim.messenger_customer(demo::PAGE_ID).expect("customer");
    customer.text("¿Tienen catálogo?").await.expect("customer writes");
    let api = m.graph.messenger();

    let attachment_id = api
        .upload_attachment(
            demo::PAGE_ID,
            demo::PAGE_TOKEN,
            AttachmentKind::File,
            Bytes::from(samples::pdf()),
            "application/pdf",
            "catalogo.pdf",
        )
        .await
        .expect("uploaded");
    let upload = &m.sim.requests_to("/message_attachments")[0];
    assert_eq!(upload.bearer(), Some(demo::PAGE_TOKEN));
    let message = upload.part("message").and_then(|p| p.text.clone()).expect("message part");
    let message: serde_json::Value = serde_json::from_str(&message).expect("JSON");
    assert_eq!(message["attachment"]["type"], "file");
    assert_eq!(message["attachment"]["payload"]["is_reusable"], true);
    let file = upload.part("filedata").expect("filedata part");
    assert_eq!(file.file_name.as_deref(), Some("catalogo.pdf"));
    assert_eq!(file.size, samples::pdf().len());

    let body = messenger::attachment(
        customer.id(),
        AttachmentKind::File,
        &AttachmentSource::Id(attachment_id),
        MessagingType::Response,
        None,
    );
    api.send(demo::PAGE_ID, demo::PAGE_TOKEN, &body).await.expect("sent by attachment_id");
    let by_url = messenger::attachment(
        customer.id(),
        AttachmentKind::Image,
        &AttachmentSource::Url { url: "https://example.com/foto.png".into(), is_reusable: true },
        MessagingType::Response,
        None,
    );
    api.send(demo::PAGE_ID, demo::PAGE_TOKEN, &by_url).await.expect("sent by URL");
}

#[tokio::test]
async fn sender_actions_and_instagram_reactions() {
    let m = meta().await;
    let customer = m.sim.instagram_customer(demo::IG_ID).expect("customer");
    let delivery = customer.text("Hola").await.expect("customer writes");
    let mid = delivery.message_id.expect("mid");
    let api = m.graph.messenger();

    for action in [SenderAction::MarkSeen, SenderAction::TypingOn] {
        api.send_action(demo::IG_ID, demo::IG_TOKEN, &messenger::sender_action(customer.id(), action))
            .await
            .expect("sender action");
    }
    api.send_action(demo::IG_ID, demo::IG_TOKEN, &messenger::react(customer.id(), &mid, "love"))
        .await
        .expect("reaction");
    api.send_action(demo::IG_ID, demo::IG_TOKEN, &messenger::unreact(customer.id(), &mid))
        .await
        .expect("reaction removed");
    let reply = messenger::text(customer.id(), "¡Hola!", MessagingType::Response, Some(&mid));
    let sent = api.send(demo::IG_ID, demo::IG_TOKEN, &reply).await.expect("reply");
    assert_eq!(sent.recipient_id, customer.id());
    let bodies: Vec<_> = m.sim.requests_to("/messages").iter().map(|r| r.json()).collect();
    assert_eq!(bodies[0]["sender_action"], "mark_seen");
    assert_eq!(bodies[2]["payload"]["reaction"], "love");
    assert_eq!(bodies[4]["message"]["reply_to"]["mid"], mid.as_str());
}

#[tokio::test]
async fn cdn_attachments_download_without_a_token_within_the_limit() {
    let m = meta().await;
    let customer = m.sim.messenger_customer(demo::PAGE_ID).expect("customer");
    let png = samples::png();
    let delivery = customer.attachment("image", png.clone(), "image/png").await.expect("customer sends a photo");
    let url = delivery.payload["entry"][0]["messaging"][0]["message"]["attachments"][0]["payload"]["url"]
        .as_str()
        .expect("CDN URL")
        .to_string();
    let api = m.graph.messenger();
    let bytes = api.download(&url, 1024 * 1024).await.expect("downloaded");
    assert_eq!(bytes.as_ref(), png.as_slice());
    let cdn = m.sim.requests().into_iter().find(|r| r.path.starts_with("/cdn/")).expect("CDN request");
    assert_eq!(cdn.authorization(), None, "no token goes to a CDN");
    let error = api.download(&url, png.len() as u64 - 1).await.expect_err("too large");
    assert_eq!(error.classify(), Retry::Permanent);
}

#[tokio::test]
async fn customer_profiles_by_psid_and_igsid_and_unknown_ids_refused() {
    let m = meta().await;
    let api = m.graph.messenger();
    let fb = m.sim.messenger_customer(demo::PAGE_ID).expect("customer").named("Sofía Martínez López");
    fb.text("Hola").await.expect("customer writes");
    let profile = api.messenger_profile(fb.id(), demo::PAGE_TOKEN).await.expect("profile");
    assert_eq!(profile.first_name.as_deref(), Some("Sofía"));
    assert_eq!(profile.last_name.as_deref(), Some("Martínez López"));
    assert_eq!(profile.full_name().as_deref(), Some("Sofía Martínez López"));
    assert!(profile.profile_pic.is_some());
    let request = m.sim.requests().pop().expect("request");
    assert_eq!(request.path, format!("/v24.0/{}", fb.id()));
    assert_eq!(request.query.as_deref(), Some("fields=first_name%2Clast_name%2Cprofile_pic"));

    let ig =
        m.sim.instagram_customer(demo::IG_ID).expect("customer").named("Diego Hernández").with_username("diego.mx");
    ig.text("Hola").await.expect("customer writes");
    let profile = api.instagram_profile(ig.id(), demo::IG_TOKEN).await.expect("profile");
    assert_eq!((profile.name.as_deref(), profile.username.as_deref()), (Some("Diego Hernández"), Some("diego.mx")));
    let unnamed = m.sim.instagram_customer(demo::IG_ID).expect("customer");
    let profile = api.instagram_profile(unnamed.id(), demo::IG_TOKEN).await.expect("Meta always has a name");
    assert!(profile.name.is_some() && profile.username.is_some());

    // An id that is nobody's, or a customer of another Page's token, does not exist for the caller.
    let error = api.messenger_profile("1234567890123456", demo::PAGE_TOKEN).await.expect_err("unknown id");
    assert_eq!((error.code(), error.subcode()), (Some(100), Some(33)));
    assert_eq!(error.classify(), Retry::Permanent);
    let error = api.instagram_profile(fb.id(), demo::IG_TOKEN).await.expect_err("a Messenger customer");
    assert_eq!(error.code(), Some(100));
}

#[tokio::test]
async fn instagram_refuses_ogg_and_webm_audio_but_takes_wav() {
    let m = meta().await;
    let api = m.graph.messenger();
    let wav = Bytes::from_static(
        b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data\0\0\0\0",
    );
    let ogg = Bytes::from(samples::ogg_opus());
    let webm = Bytes::from_static(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01]);
    for (bytes, mime) in [(ogg.clone(), "audio/ogg"), (webm, "audio/webm")] {
        let error = api
            .upload_attachment(demo::IG_ID, demo::IG_TOKEN, AttachmentKind::Audio, bytes, mime, "nota")
            .await
            .expect_err("Instagram plays no Ogg or WebM");
        assert_eq!((error.code(), error.subcode()), (Some(100), Some(2018047)), "{error}");
        assert_eq!(error.classify(), Retry::Permanent);
    }
    api.upload_attachment(demo::IG_ID, demo::IG_TOKEN, AttachmentKind::Audio, wav, "audio/wav", "nota.wav")
        .await
        .expect("WAV is one of Instagram's audio formats");
    api.upload_attachment(demo::PAGE_ID, demo::PAGE_TOKEN, AttachmentKind::Audio, ogg, "audio/ogg", "nota.ogg")
        .await
        .expect("Messenger takes any audio file");
}
