//! Small builders for webhook payloads, in the documented shapes of docs/meta.md, so each test states
//! only what it is about.

use super::{parse_delivery, Delivery, Event, EventKind, InboundMessage, MessageContent};
use serde_json::{json, Value};

pub const WABA_ID: &str = "102290129340398";
pub const PHONE_NUMBER_ID: &str = "106540352242922";
pub const BUSINESS_NUMBER: &str = "15550783881";
pub const CUSTOMER: &str = "5215512345678";
pub const BSUID: &str = "US.13491208655302741918";
pub const PARENT_BSUID: &str = "US.ENT.11815799212886844830";
/// 2025-02-12 00:43:44 UTC.
pub const TS: i64 = 1_739_321_024;

pub const PAGE_ID: &str = "1234567890";
pub const PSID: &str = "6543210987";

/// Serialises and parses, as the server would after checking the signature.
pub fn parse(body: &Value) -> Delivery {
    parse_delivery(body.to_string().as_bytes()).unwrap()
}

pub fn events(body: &Value) -> Vec<Event> {
    parse(body).events
}

pub fn only_event(body: &Value) -> Event {
    let mut events = events(body);
    assert_eq!(events.len(), 1, "{events:#?}");
    events.remove(0)
}

pub fn only_kind(body: &Value) -> EventKind {
    only_event(body).kind
}

pub fn as_message(kind: EventKind) -> InboundMessage {
    match kind {
        EventKind::Message(m) => m,
        other => panic!("expected a message, got {other:#?}"),
    }
}

pub fn only_message(body: &Value) -> InboundMessage {
    as_message(only_kind(body))
}

pub fn only_content(body: &Value) -> MessageContent {
    only_message(body).content
}

// --- WhatsApp ---------------------------------------------------------------------------------------

/// `{"object":"whatsapp_business_account","entry":[…]}`.
pub fn wa_body(entries: Vec<Value>) -> Value {
    json!({"object": "whatsapp_business_account", "entry": entries})
}

pub fn wa_entry(changes: Vec<Value>) -> Value {
    json!({"id": WABA_ID, "changes": changes})
}

pub fn wa_change(field: &str, value: Value) -> Value {
    json!({"field": field, "value": value})
}

/// A `value` for fields routed by phone number: `metadata` plus `extra` merged in.
pub fn wa_value(extra: Value) -> Value {
    let mut value = json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": BUSINESS_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
    });
    if let (Some(target), Value::Object(extra)) = (value.as_object_mut(), extra) {
        target.extend(extra);
    }
    value
}

/// One `messages` change with these contacts and messages, in one entry.
pub fn wa_messages(contacts: Vec<Value>, messages: Vec<Value>) -> Value {
    wa_body(vec![wa_entry(vec![wa_change("messages", wa_value(json!({"contacts": contacts, "messages": messages})))])])
}

/// A customer's message from [`CUSTOMER`], with its profile in `contacts[]`.
pub fn wa_inbound(message: Value) -> Value {
    wa_messages(vec![wa_contact(CUSTOMER, "María López")], vec![message])
}

pub fn wa_statuses(statuses: Vec<Value>) -> Value {
    wa_body(vec![wa_entry(vec![wa_change("messages", wa_value(json!({"statuses": statuses})))])])
}

pub fn wa_contact(wa_id: &str, name: &str) -> Value {
    json!({"profile": {"name": name}, "wa_id": wa_id})
}

/// `{"from", "id", "timestamp", "type": kind, kind: object}`.
pub fn wa_msg(id: &str, kind: &str, object: Value) -> Value {
    let mut message = json!({"from": CUSTOMER, "id": id, "timestamp": TS.to_string(), "type": kind});
    message[kind] = object;
    message
}

pub fn wa_text(id: &str, body: &str) -> Value {
    wa_msg(id, "text", json!({"body": body}))
}

/// Sets `message[key] = value` and returns the message, for optional fields.
pub fn with(mut message: Value, key: &str, value: Value) -> Value {
    message[key] = value;
    message
}

/// Removes `message[key]`.
pub fn without(mut message: Value, key: &str) -> Value {
    if let Some(object) = message.as_object_mut() {
        object.remove(key);
    }
    message
}

// --- Messenger and Instagram ------------------------------------------------------------------------

/// `{"object": object, "entry":[{"id": entry_id, "time", "messaging": items}]}`.
pub fn fb_body(object: &str, entry_id: &str, items: Vec<Value>) -> Value {
    json!({"object": object, "entry": [
        {"id": entry_id, "time": TS * 1000, "messaging": items}
    ]})
}

pub fn page_body(items: Vec<Value>) -> Value {
    fb_body("page", PAGE_ID, items)
}

/// A `messaging[]` item from the customer to the Page carrying `{key: value}`.
pub fn fb_item(key: &str, value: Value) -> Value {
    let mut item = json!({
        "sender": {"id": PSID},
        "recipient": {"id": PAGE_ID},
        "timestamp": TS * 1000 + 123,
    });
    item[key] = value;
    item
}

pub fn fb_message(message: Value) -> Value {
    fb_item("message", message)
}

pub fn fb_attachment(kind: &str, url: &str) -> Value {
    json!({"type": kind, "payload": {"url": url}})
}
