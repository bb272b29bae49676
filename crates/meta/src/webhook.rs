//! Meta webhook deliveries: bytes in, typed events out. No database, no I/O.
//!
//! [`parse_delivery`] reads one `POST` body (after [`crate::signature::verify_signature`] accepted it) and
//! flattens every `entry[]`, `changes[]`/`messaging[]`, message and status into [`Event`]s, in document
//! order (docs/meta.md §1). The rules it implements:
//! - A body that is not JSON, or JSON without the envelope `{"object": …, "entry": [...]}`, is a
//!   [`ParseError`]: the server answers `400`.
//! - An unknown `object` is accepted with no events ([`ObjectKind::Unknown`]): acknowledged and logged.
//! - One malformed or unknown item never fails the delivery: unknown message types become
//!   [`MessageContent::Unsupported`], items we cannot use become [`EventKind::Ignored`] with the reason,
//!   and both keep their raw JSON. Unknown fields are ignored.
//! - Items that name no channel we could route them to are kept apart in [`Delivery::unroutable`].
//!
//! The products are parsed by [`whatsapp`] (`whatsapp_business_account`, §2, §3, §8, §12, §13) and
//! [`messenger`] (`page` and `instagram`, which share the `entry[].messaging[]` shape, §9, §10).

mod calls;
mod content;
mod events;
mod messenger;
mod scalar;
mod whatsapp;
mod whatsapp_identity;
mod whatsapp_message;

#[cfg(test)]
mod calls_tests;
#[cfg(test)]
mod messenger_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod test_builders;
#[cfg(test)]
mod whatsapp_fields_tests;
#[cfg(test)]
mod whatsapp_tests;

pub use content::*;
pub use events::*;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a body is not a webhook delivery at all.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the body is not a Meta webhook delivery: {0}")]
    Shape(&'static str),
}

/// One parsed `POST`.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub object: ObjectKind,
    pub events: Vec<Event>,
    /// Entries or changes without the id we route by (`entry[].id`, `metadata.phone_number_id`): the
    /// server logs them as an unknown destination.
    pub unroutable: Vec<Unroutable>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Unroutable {
    pub reason: &'static str,
    pub raw: Value,
}

/// Parses one webhook delivery body. See the module documentation for what is an error and what is not.
pub fn parse_delivery(body: &[u8]) -> Result<Delivery, ParseError> {
    let document: Value = serde_json::from_slice(body)?;
    let object =
        document.get("object").and_then(Value::as_str).ok_or(ParseError::Shape("no top-level `object` string"))?;
    let mut delivery = Delivery { object: ObjectKind::from_object(object), events: Vec::new(), unroutable: Vec::new() };
    if let ObjectKind::Unknown(_) = delivery.object {
        return Ok(delivery);
    }
    let entries =
        document.get("entry").and_then(Value::as_array).ok_or(ParseError::Shape("no top-level `entry` array"))?;
    for entry in entries {
        match delivery.object {
            ObjectKind::WhatsApp => whatsapp::parse_entry(entry, &mut delivery),
            ObjectKind::Page => messenger::parse_entry(entry, RoutingKind::Page, &mut delivery),
            ObjectKind::Instagram => messenger::parse_entry(entry, RoutingKind::Instagram, &mut delivery),
            ObjectKind::Unknown(_) => {}
        }
    }
    Ok(delivery)
}

impl Delivery {
    fn push(&mut self, routing: &RoutingKey, raw: &Value, kind: EventKind) {
        self.events.push(Event { routing: routing.clone(), raw: raw.clone(), kind });
    }

    fn ignore(&mut self, routing: &RoutingKey, raw: &Value, reason: IgnoreReason) {
        self.push(routing, raw, EventKind::ignored(reason));
    }

    fn unroutable(&mut self, reason: &'static str, raw: &Value) {
        self.unroutable.push(Unroutable { reason, raw: raw.clone() });
    }
}

/// Reads an optional part of an item; a part with an unexpected shape counts as absent, so one odd field
/// costs that field, not the message.
fn decode<T: DeserializeOwned>(value: Option<&Value>) -> Option<T> {
    value.and_then(|v| T::deserialize(v).ok())
}

/// An id Meta may send as a string or a number; empty strings count as absent.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn str_of(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

fn array_of(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Meta's `errors[]` items (`{code, title, message, error_data.details}`), skipping any that are not objects.
fn errors_of(value: Option<&Value>) -> Vec<MetaError> {
    array_of(value)
        .iter()
        .filter(|e| e.is_object())
        .map(|e| MetaError {
            code: e.get("code").and_then(scalar::integer),
            title: str_of(e.get("title")),
            message: str_of(e.get("message")),
            details: str_of(e.pointer("/error_data/details")),
        })
        .collect()
}

/// The keys of an object, for naming what we did not recognise.
fn keys_of(value: &Value) -> String {
    value.as_object().map(|m| m.keys().map(String::as_str).collect::<Vec<_>>().join(",")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_is_an_error() {
        assert!(matches!(parse_delivery(b"{\"object\":"), Err(ParseError::Json(_))));
        assert!(matches!(parse_delivery(b""), Err(ParseError::Json(_))));
        assert!(matches!(parse_delivery(&[0xff, 0xfe]), Err(ParseError::Json(_))));
    }

    #[test]
    fn json_without_the_envelope_is_an_error() {
        for body in [
            &br#"[]"#[..],
            br#""page""#,
            br#"{"entry":[]}"#,
            br#"{"object":7,"entry":[]}"#,
            br#"{"object":"page"}"#,
            br#"{"object":"page","entry":{}}"#,
        ] {
            assert!(matches!(parse_delivery(body), Err(ParseError::Shape(_))), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn unknown_object_is_accepted_with_no_events() {
        let delivery = parse_delivery(br#"{"object":"user","entry":[{"id":"1"}]}"#).unwrap();
        assert_eq!(delivery.object, ObjectKind::Unknown("user".into()));
        assert!(delivery.events.is_empty());
    }

    #[test]
    fn an_empty_entry_list_is_a_valid_delivery() {
        let delivery = parse_delivery(br#"{"object":"instagram","entry":[]}"#).unwrap();
        assert_eq!(delivery.object, ObjectKind::Instagram);
        assert!(delivery.events.is_empty());
    }

    #[test]
    fn entries_that_are_not_objects_are_unroutable_not_errors() {
        let delivery = parse_delivery(br#"{"object":"page","entry":[1,null,"x"]}"#).unwrap();
        assert_eq!(delivery.unroutable.len(), 3);
        let delivery = parse_delivery(br#"{"object":"whatsapp_business_account","entry":[[]]}"#).unwrap();
        assert_eq!(delivery.unroutable.len(), 1);
    }
}
