//! The WhatsApp bodies are exactly docs/meta.md §4 and §12.

use serde_json::json;

use super::whatsapp::{self, MediaRef, WaMedia, WaRecipient};

fn ana() -> WaRecipient {
    WaRecipient::Phone("5215512345678".into())
}

fn bsuid() -> WaRecipient {
    WaRecipient::Bsuid("US.13491208655302741918".into())
}

#[test]
fn text_with_quoted_reply() {
    assert_eq!(
        whatsapp::text(&ana(), "Hola Ana", false, Some("wamid.QUOTED")),
        json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678",
               "type":"text","text":{"body":"Hola Ana","preview_url":false},
               "context":{"message_id":"wamid.QUOTED"}})
    );
}

#[test]
fn text_without_reply_has_no_context() {
    let body = whatsapp::text(&ana(), "https://escala.mx", true, None);
    assert_eq!(body["text"], json!({"body":"https://escala.mx","preview_url":true}));
    assert!(body.get("context").is_none());
}

#[test]
fn bsuid_goes_in_recipient_never_in_to() {
    let body = whatsapp::text(&bsuid(), "Hola", false, None);
    assert_eq!(
        body,
        json!({"messaging_product":"whatsapp","recipient_type":"individual",
               "recipient":"US.13491208655302741918","type":"text",
               "text":{"body":"Hola","preview_url":false}})
    );
    let parent = WaRecipient::Bsuid("US.ENT.11815799212886844830".into());
    assert_eq!(whatsapp::reaction(&parent, "wamid.X", "👍")["recipient"], "US.ENT.11815799212886844830");
}

#[test]
fn a_bsuid_stored_as_phone_still_goes_to_recipient() {
    let misfiled = WaRecipient::Phone("US.13491208655302741918".into());
    let body = whatsapp::text(&misfiled, "Hola", false, None);
    assert!(body.get("to").is_none());
    assert_eq!(body["recipient"], "US.13491208655302741918");
    assert!(misfiled.is_bsuid());
    assert!(!ana().is_bsuid());
}

#[test]
fn preferred_recipient_is_the_phone_when_known() {
    assert_eq!(WaRecipient::preferred(Some("5215512345678"), Some("MX.1")), Some(ana()));
    assert_eq!(WaRecipient::preferred(None, Some("US.13491208655302741918")), Some(bsuid()));
    assert_eq!(WaRecipient::preferred(Some(" "), Some("US.13491208655302741918")), Some(bsuid()));
    assert_eq!(WaRecipient::preferred(None, None), None);
}

#[test]
fn image_by_id_with_caption() {
    let content = WaMedia::Image { media: MediaRef::Id("1013859600285441".into()), caption: Some("Tu pedido".into()) };
    assert_eq!(
        whatsapp::media(&ana(), &content, None),
        json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678",
               "type":"image","image":{"id":"1013859600285441","caption":"Tu pedido"}})
    );
}

#[test]
fn video_by_link() {
    let content = WaMedia::Video { media: MediaRef::Link("https://example.com/v.mp4".into()), caption: None };
    let body = whatsapp::media(&ana(), &content, Some("wamid.Q"));
    assert_eq!(body["type"], "video");
    assert_eq!(body["video"], json!({"link":"https://example.com/v.mp4"}));
    assert_eq!(body["context"], json!({"message_id":"wamid.Q"}));
}

#[test]
fn voice_note_and_plain_audio() {
    let voice = WaMedia::Audio { media: MediaRef::Id("55".into()), voice: true };
    assert_eq!(whatsapp::media(&ana(), &voice, None)["audio"], json!({"id":"55","voice":true}));
    let audio = WaMedia::Audio { media: MediaRef::Id("56".into()), voice: false };
    assert_eq!(whatsapp::media(&ana(), &audio, None)["audio"], json!({"id":"56"}));
}

#[test]
fn document_with_filename_and_caption() {
    let content = WaMedia::Document {
        media: MediaRef::Id("77".into()),
        filename: Some("factura.pdf".into()),
        caption: Some("Factura A-100".into()),
    };
    assert_eq!(
        whatsapp::media(&ana(), &content, None),
        json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678",
               "type":"document",
               "document":{"id":"77","filename":"factura.pdf","caption":"Factura A-100"}})
    );
}

#[test]
fn sticker() {
    let content = WaMedia::Sticker { media: MediaRef::Id("88".into()) };
    let body = whatsapp::media(&ana(), &content, None);
    assert_eq!(body["type"], "sticker");
    assert_eq!(body["sticker"], json!({"id":"88"}));
}

#[test]
fn template_with_components() {
    let components = json!([
        {"type":"header","parameters":[{"type":"image","image":{"id":"<MEDIA_ID>"}}]},
        {"type":"body","parameters":[{"type":"text","text":"Ana"},{"type":"text","text":"A-100"}]},
        {"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"A-100"}]}
    ]);
    assert_eq!(
        whatsapp::template(&ana(), "seguimiento_pedido", "es_MX", &components),
        json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678",
               "type":"template","template":{
                 "name":"seguimiento_pedido","language":{"code":"es_MX"},
                 "components": components}})
    );
}

#[test]
fn template_without_parameters_has_no_components() {
    for empty in [json!(null), json!([])] {
        let body = whatsapp::template(&bsuid(), "bienvenida", "es_MX", &empty);
        assert_eq!(body["template"], json!({"name":"bienvenida","language":{"code":"es_MX"}}));
        assert_eq!(body["recipient"], "US.13491208655302741918");
    }
}

#[test]
fn reaction_and_its_removal() {
    assert_eq!(
        whatsapp::reaction(&ana(), "wamid.X", "👍"),
        json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"5215512345678",
               "type":"reaction","reaction":{"message_id":"wamid.X","emoji":"👍"}})
    );
    assert_eq!(whatsapp::reaction(&ana(), "wamid.X", "")["reaction"]["emoji"], "");
}

#[test]
fn request_contact_info() {
    assert_eq!(
        whatsapp::request_contact_info(&bsuid(), "¿Nos compartes tu número?"),
        json!({"messaging_product":"whatsapp","recipient_type":"individual",
               "recipient":"US.13491208655302741918","type":"interactive",
               "interactive":{"type":"request_contact_info",
                              "body":{"text":"¿Nos compartes tu número?"},
                              "action":{"name":"request_contact_info"}}})
    );
}

#[test]
fn mark_as_read_with_and_without_typing() {
    assert_eq!(
        whatsapp::mark_read("wamid.X", false),
        json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.X"})
    );
    assert_eq!(
        whatsapp::mark_read("wamid.X", true),
        json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.X",
               "typing_indicator":{"type":"text"}})
    );
}

#[test]
fn quoting_adds_context_to_any_body() {
    let body = whatsapp::quoting(whatsapp::template(&ana(), "t", "es", &json!(null)), "wamid.Q");
    assert_eq!(body["context"]["message_id"], "wamid.Q");
}
