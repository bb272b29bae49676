//! Marketing preferences and calls: the two newer webhook fields an inbox shows as notices.
//!
//! - WhatsApp `user_preferences` (`changes[].value.user_preferences[]`): `wa_id`, `detail`, `category`
//!   (`marketing_messages`), `value` (`stop`/`resume`) and `timestamp` (Unix seconds), beside the usual
//!   `metadata` and `contacts[]`
//!   (<https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences>).
//! - WhatsApp `calls` (`changes[].value.calls[]`): `id` (`wacid.…`), `from`, `to`, `event` (`connect` /
//!   `terminate`), `direction` (`USER_INITIATED` / `BUSINESS_INITIATED`), `timestamp` (seconds, often a
//!   string); a terminate adds `status` (`COMPLETED`, `FAILED`, …), `start_time`, `end_time` and `duration`
//!   in seconds. BSUID fields follow the messages' naming (`from_user_id`, `to_user_id`, …)
//!   (<https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls>).
//! - Messenger `calls` (`entry[].calls[]`, not under `messaging[]`): `id`, `from` (PSID), `to` (Page id),
//!   `event`, `timestamp`, `call_direction` (`user_initiated` / `business_initiated`)
//!   (<https://developers.facebook.com/documentation/business-messaging/messenger-platform/calling/webhooks>).
//!
//! Other call events (`call_status`, `media_update`, WhatsApp call `statuses[]`) are signalling for
//! products that answer calls; this one does not, so they are acknowledged as unhandled. An item about a
//! group, or naming no customer at all, has no conversation to go to: it is [`Delivery::unroutable`].

use super::events::{
    Call, CallDirection, CallEvent, EventKind, IgnoreReason, MarketingChoice, MarketingPreference, RoutingKey,
};
use super::whatsapp_identity::{contacts, digits, Identity};
use super::{array_of, errors_of, id_of, scalar, str_of, Delivery};
use serde_json::Value;
use time::OffsetDateTime;

/// `field: "user_preferences"`.
pub(super) fn user_preferences(value: &Value, key: &RoutingKey, out: &mut Delivery) {
    let contacts = contacts(value);
    let items = array_of(value.get("user_preferences"));
    for raw in items {
        if is_group(raw) {
            out.unroutable("WhatsApp preference about a group", raw);
            continue;
        }
        let who = Identity::new(
            id_of(raw.get("wa_id")).as_deref(),
            id_of(raw.get("user_id")).as_deref(),
            id_of(raw.get("parent_user_id")).as_deref(),
        );
        let Some(customer) = who.resolve(&contacts) else {
            out.unroutable("WhatsApp preference naming no customer", raw);
            continue;
        };
        let category = str_of(raw.get("category")).unwrap_or_default();
        let kind = if category != "marketing_messages" {
            EventKind::ignored(IgnoreReason::UnhandledEvent(format!("user_preferences category {category}")))
        } else {
            match (raw.get("value").and_then(Value::as_str), raw.get("timestamp").and_then(scalar::from_seconds)) {
                (Some(choice @ ("stop" | "resume")), Some(timestamp)) => {
                    EventKind::MarketingPreference(MarketingPreference {
                        customer,
                        choice: if choice == "stop" { MarketingChoice::Stop } else { MarketingChoice::Resume },
                        detail: str_of(raw.get("detail")),
                        timestamp,
                    })
                }
                (Some(other @ ("stop" | "resume")), None) => {
                    EventKind::malformed(format!("marketing preference {other} without timestamp"))
                }
                (other, _) => EventKind::ignored(IgnoreReason::UnhandledEvent(format!(
                    "marketing preference {}",
                    other.unwrap_or_default()
                ))),
            }
        };
        out.push(key, raw, kind);
    }
    if items.is_empty() {
        out.ignore(key, value, IgnoreReason::Empty);
    }
}

/// `field: "calls"` of a WhatsApp Business Account.
pub(super) fn whatsapp_calls(value: &Value, key: &RoutingKey, out: &mut Delivery) {
    let before = out.events.len() + out.unroutable.len();
    let contacts = contacts(value);
    let business =
        value.pointer("/metadata/display_phone_number").and_then(Value::as_str).map(digits).filter(|d| !d.is_empty());
    for raw in array_of(value.get("calls")) {
        if is_group(raw) {
            out.unroutable("WhatsApp call in a group", raw);
            continue;
        }
        let from = id_of(raw.get("from"));
        let direction = match direction_of(raw.get("direction")) {
            Some(d) => d,
            // Without a direction, a call from the business's own number is one the business placed.
            None if from.as_deref().map(digits).is_some_and(|f| business.as_deref() == Some(f.as_str())) => {
                CallDirection::BusinessInitiated
            }
            None => CallDirection::UserInitiated,
        };
        let side = |prefix: &str| {
            Identity::new(
                id_of(raw.get(prefix)).as_deref(),
                id_of(raw.get(format!("{prefix}_user_id").as_str())).as_deref(),
                id_of(raw.get(format!("{prefix}_parent_user_id").as_str())).as_deref(),
            )
        };
        let who = match direction {
            CallDirection::UserInitiated => side("from"),
            CallDirection::BusinessInitiated => side("to"),
        };
        let Some(customer) = who.resolve(&contacts) else {
            out.unroutable("WhatsApp call naming no customer", raw);
            continue;
        };
        out.push(key, raw, call(raw, customer, direction, scalar::from_seconds, None));
    }
    // Business-initiated calls also report RINGING/ACCEPTED/REJECTED in `statuses[]`: signalling only.
    for raw in array_of(value.get("statuses")) {
        out.ignore(key, raw, IgnoreReason::UnhandledEvent("call status".into()));
    }
    let errors = errors_of(value.get("errors"));
    if !errors.is_empty() {
        out.ignore(key, value, IgnoreReason::Errors(errors));
    }
    if out.events.len() + out.unroutable.len() == before {
        out.ignore(key, value, IgnoreReason::Empty);
    }
}

/// Messenger `entry[].calls[]`; `page_id` is the entry's id (the business side of the call).
pub(super) fn messenger_calls(
    items: &[Value],
    key: &RoutingKey,
    entry_time: Option<OffsetDateTime>,
    out: &mut Delivery,
) {
    for raw in items {
        let (from, to) = (id_of(raw.get("from")), id_of(raw.get("to")));
        let direction = match direction_of(raw.get("call_direction")) {
            Some(d) => d,
            None if from.as_deref() == Some(key.id.as_str()) => CallDirection::BusinessInitiated,
            None => CallDirection::UserInitiated,
        };
        let customer = match direction {
            CallDirection::UserInitiated => from.or(to),
            CallDirection::BusinessInitiated => to.or(from),
        }
        .filter(|id| *id != key.id)
        .or_else(|| id_of(raw.get("recipient_id")));
        let Some(customer) = customer else {
            // `call_status` and `media_update` name the call only; they are signalling, not a notice.
            match raw.get("event").and_then(Value::as_str) {
                Some("connect" | "terminate") => out.unroutable("Messenger call naming no customer", raw),
                other => {
                    out.ignore(key, raw, IgnoreReason::UnhandledEvent(format!("call {}", other.unwrap_or_default())))
                }
            }
            continue;
        };
        let customer = super::events::CustomerRef::scoped(customer);
        out.push(key, raw, call(raw, customer, direction, scalar::from_millis, entry_time));
    }
}

/// The common part of a call item once its customer is known. `clock` reads the product's timestamps
/// (WhatsApp seconds, Messenger milliseconds or seconds).
fn call(
    raw: &Value,
    customer: super::events::CustomerRef,
    direction: CallDirection,
    clock: fn(&Value) -> Option<OffsetDateTime>,
    fallback_time: Option<OffsetDateTime>,
) -> EventKind {
    let event = match raw.get("event").and_then(Value::as_str) {
        Some("connect") => CallEvent::Connect,
        Some("terminate") => CallEvent::Terminate,
        other => {
            return EventKind::ignored(IgnoreReason::UnhandledEvent(format!("call {}", other.unwrap_or_default())))
        }
    };
    let Some(call_id) = id_of(raw.get("id")) else {
        return EventKind::malformed("call without id");
    };
    let started_at = raw.get("start_time").and_then(clock);
    let ended_at = raw.get("end_time").and_then(clock);
    let Some(timestamp) = raw.get("timestamp").and_then(clock).or(started_at).or(ended_at).or(fallback_time) else {
        return EventKind::malformed("call without timestamp");
    };
    // Seen as a string and as a one-element list; either way one word such as `COMPLETED`.
    let status = match raw.get("status") {
        Some(Value::Array(list)) => list.iter().find_map(|s| s.as_str().map(str::to_owned)),
        other => str_of(other),
    };
    EventKind::Call(Call {
        call_id,
        customer,
        event,
        direction,
        timestamp,
        status,
        started_at,
        ended_at,
        duration_seconds: raw.get("duration").and_then(scalar::integer).filter(|d| *d >= 0),
    })
}

fn direction_of(value: Option<&Value>) -> Option<CallDirection> {
    match value?.as_str()?.to_ascii_lowercase().as_str() {
        "user_initiated" => Some(CallDirection::UserInitiated),
        "business_initiated" => Some(CallDirection::BusinessInitiated),
        _ => None,
    }
}

/// Group chats are out of scope; Meta marks group items with a `group_id` or `recipient_type: group`.
fn is_group(raw: &Value) -> bool {
    raw.get("group_id").is_some() || raw.get("recipient_type").and_then(Value::as_str) == Some("group")
}
