use super::*;
use serde_json::{json, Value};

/// Requests exactly as the composer wrote them into `outbox.request` before this type existed, with
/// what each must read as.
fn queued_before() -> Vec<(Value, OutboundRequest)> {
    vec![
        (
            json!({"type": "text", "text": "Hola María", "reply_to": null}),
            OutboundRequest::Text { text: "Hola María".into(), reply_to: None },
        ),
        (
            json!({"type": "text", "text": "Sí", "reply_to": "wamid.Q"}),
            OutboundRequest::Text { text: "Sí".into(), reply_to: Some("wamid.Q".into()) },
        ),
        (
            json!({"type": "reaction", "message_id": "wamid.T", "emoji": "👍"}),
            OutboundRequest::Reaction { message_id: "wamid.T".into(), emoji: "👍".into() },
        ),
        (
            json!({"type": "contact_request", "text": "¿Me compartes tu número?"}),
            OutboundRequest::ContactRequest { text: "¿Me compartes tu número?".into() },
        ),
        (
            json!({"type": "template", "name": "pedido", "language": "es_MX",
                   "components": [{"type": "body", "parameters": [{"type": "text", "text": "María"}]}]}),
            OutboundRequest::Template {
                name: "pedido".into(),
                language: "es_MX".into(),
                components: json!([{"type": "body", "parameters": [{"type": "text", "text": "María"}]}]),
                header_media: None,
            },
        ),
        (
            json!({"type": "template", "name": "catalogo", "language": "es",
                   "components": [{"type": "header", "parameters": [{"type": "image", "image": {"id": "U1"}}]}],
                   "header_media": {"storage_key": "ab/cd", "mime": "image/jpeg", "filename": null}}),
            OutboundRequest::Template {
                name: "catalogo".into(),
                language: "es".into(),
                components: json!([{"type": "header", "parameters": [{"type": "image", "image": {"id": "U1"}}]}]),
                header_media: Some(StoredFile {
                    storage_key: "ab/cd".into(),
                    mime: "image/jpeg".into(),
                    filename: None,
                }),
            },
        ),
        (
            json!({"type": "media", "media_kind": "document", "storage_key": "12/34", "mime": "application/pdf",
                   "filename": "precios.pdf", "caption": "Lista", "voice": false, "reply_to": null}),
            OutboundRequest::Media {
                media_kind: MediaKind::Document,
                file: StoredFile {
                    storage_key: "12/34".into(),
                    mime: "application/pdf".into(),
                    filename: Some("precios.pdf".into()),
                },
                caption: Some("Lista".into()),
                voice: false,
                reply_to: None,
            },
        ),
        (
            json!({"type": "media", "media_kind": "audio", "storage_key": "56/78", "mime": "audio/ogg; codecs=opus",
                   "filename": "nota-de-voz.ogg", "caption": null, "voice": true, "reply_to": "wamid.R"}),
            OutboundRequest::Media {
                media_kind: MediaKind::Audio,
                file: StoredFile {
                    storage_key: "56/78".into(),
                    mime: "audio/ogg; codecs=opus".into(),
                    filename: Some("nota-de-voz.ogg".into()),
                },
                caption: None,
                voice: true,
                reply_to: Some("wamid.R".into()),
            },
        ),
    ]
}

#[test]
fn requests_queued_before_the_type_existed_read_as_what_they_meant() {
    for (stored, expected) in queued_before() {
        let read: OutboundRequest = serde_json::from_value(stored.clone()).unwrap_or_else(|e| panic!("{stored}: {e}"));
        assert_eq!(read, expected, "{stored}");
    }
}

#[test]
fn requests_are_stored_in_the_shape_rows_already_have() {
    // So a row queued now is also what an older version, rolled back to, would send.
    for (stored, request) in queued_before() {
        assert_eq!(serde_json::to_value(&request).expect("json"), stored);
    }
}

#[test]
fn what_is_not_a_request_is_refused_rather_than_read_as_empty() {
    for bad in [
        json!({"type": "fax", "text": "hola"}),
        json!({"text": "no type"}),
        json!({"type": "text"}),
        json!({"type": "text", "text": 7}),
        json!({"type": "reaction", "message_id": "wamid.T"}),
        json!({"type": "template", "name": "x", "language": "es"}),
        json!({"type": "media", "media_kind": "hologram", "storage_key": "k", "mime": "x/y"}),
        json!({"type": "media", "media_kind": "image", "mime": "image/png"}),
        json!("text"),
        Value::Null,
    ] {
        assert!(serde_json::from_value::<OutboundRequest>(bad.clone()).is_err(), "{bad} must not read");
    }
}
