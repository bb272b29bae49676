//! Marketing preferences (`user_preferences`) and calls (`calls`), in the shapes of Meta's reference
//! pages: WhatsApp under `changes[].value`, Messenger as `entry[].calls[]`.

use serde_json::{json, Map, Value};

use super::whatsapp::{insert_opt, WaBusiness, WaUser};
use super::whatsapp_envelope;

/// `field: "user_preferences"`: the user stopped (`stop: true`) or resumed marketing messages.
pub fn whatsapp_user_preference(business: &WaBusiness, user: &WaUser, stop: bool, timestamp: i64) -> Value {
    let (value, detail) = if stop {
        ("stop", "User requested to stop marketing messages")
    } else {
        ("resume", "User requested to resume marketing messages")
    };
    let mut item = Map::new();
    insert_opt(&mut item, "wa_id", &user.wa_id);
    insert_opt(&mut item, "user_id", &user.user_id);
    item.insert("detail".into(), json!(detail));
    item.insert("category".into(), json!("marketing_messages"));
    item.insert("value".into(), json!(value));
    item.insert("timestamp".into(), json!(timestamp));
    whatsapp_envelope(
        &business.waba_id,
        "user_preferences",
        json!({
            "messaging_product": "whatsapp",
            "metadata": business.metadata(),
            "contacts": [user.contact_json()],
            "user_preferences": [Value::Object(item)],
        }),
    )
}

/// One step of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStep {
    pub call_id: String,
    /// `connect` or `terminate`.
    pub event: String,
    /// The customer called (`true`) or the business did.
    pub user_initiated: bool,
    /// Unix seconds.
    pub timestamp: i64,
    /// Terminate: `COMPLETED` or `FAILED`.
    pub status: Option<String>,
    /// Terminate: talk time in seconds (0 or absent for an unanswered call).
    pub duration: Option<i64>,
}

/// `field: "calls"` of a WhatsApp number.
pub fn whatsapp_call(business: &WaBusiness, user: &WaUser, step: &CallStep) -> Value {
    let mut call = Map::new();
    call.insert("id".into(), json!(step.call_id));
    let business_number = json!(business.display_phone_number);
    let user_phone = user.wa_id.as_ref().map(|w| json!(w));
    let (customer_side, business_side) = if step.user_initiated { ("from", "to") } else { ("to", "from") };
    if let Some(phone) = user_phone {
        call.insert(customer_side.into(), phone);
    }
    insert_opt(&mut call, &format!("{customer_side}_user_id"), &user.user_id);
    call.insert(business_side.into(), business_number);
    call.insert("event".into(), json!(step.event));
    call.insert("timestamp".into(), json!(step.timestamp.to_string()));
    call.insert("direction".into(), json!(if step.user_initiated { "USER_INITIATED" } else { "BUSINESS_INITIATED" }));
    if step.event == "connect" {
        call.insert("session".into(), json!({"sdp_type": "offer", "sdp": "v=0\r\n"}));
    } else {
        let duration = step.duration.unwrap_or(0);
        call.insert("status".into(), json!(step.status.clone().unwrap_or_else(|| "COMPLETED".into())));
        call.insert("start_time".into(), json!((step.timestamp - duration).to_string()));
        call.insert("end_time".into(), json!(step.timestamp.to_string()));
        if duration > 0 {
            call.insert("duration".into(), json!(duration));
        }
    }
    whatsapp_envelope(
        &business.waba_id,
        "calls",
        json!({
            "messaging_product": "whatsapp",
            "metadata": business.metadata(),
            "contacts": [user.contact_json()],
            "calls": [Value::Object(call)],
        }),
    )
}

/// Messenger's `calls` field: `entry[].calls[]` beside (not inside) `messaging[]`.
pub fn messenger_call(page_id: &str, psid: &str, step: &CallStep) -> Value {
    let (from, to) = if step.user_initiated { (psid, page_id) } else { (page_id, psid) };
    let mut call = json!({
        "id": step.call_id, "to": to, "from": from, "event": step.event, "timestamp": step.timestamp,
        "call_direction": if step.user_initiated { "user_initiated" } else { "business_initiated" },
    });
    if step.event == "terminate" {
        if let Some(duration) = step.duration.filter(|d| *d > 0) {
            call["duration"] = json!(duration);
        }
    }
    json!({"object": "page", "entry": [{"id": page_id, "time": step.timestamp * 1000, "calls": [call]}]})
}
