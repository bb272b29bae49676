//! `object: "whatsapp_business_account"`: the changes of one WABA, routed by phone number.
//!
//! Fields handled (docs/meta.md):
//! - `messages` (§2, §3): `messages[]` with the senders in `contacts[]`, `statuses[]`, `errors[]`;
//! - `smb_message_echoes` (§8): what the business typed in the WhatsApp Business App;
//! - `history` (§8): past chats shared at coexistence onboarding;
//! - `smb_app_state_sync` (§8): the phone's address book;
//! - `message_template_status_update`: routed to the WABA, since a template belongs to all its numbers;
//! - `user_preferences` and `calls`: see [`super::calls`].
//!
//! Every other field is acknowledged as [`IgnoreReason::UnhandledField`]. Customers are identified by
//! `wa_id` and/or BSUID (§12): either may be missing, a phone number is never made up from a BSUID.

use super::calls;
use super::events::{
    ContactSync, CustomerRef, DeliveryState, EventKind, HistoryMessage, IgnoreReason, Origin, Pricing, RoutingKey,
    RoutingKind, Status, SyncAction, TemplateStatus,
};
use super::whatsapp_identity::{contacts, digits, Identity};
use super::whatsapp_message::{self, WaMessage};
use super::{array_of, decode, errors_of, id_of, scalar, str_of, Delivery};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

pub(super) fn parse_entry(entry: &Value, out: &mut Delivery) {
    let Some(changes) = entry.get("changes").and_then(Value::as_array) else {
        out.unroutable("WhatsApp entry without changes[]", entry);
        return;
    };
    let waba = id_of(entry.get("id")).map(|id| RoutingKey { kind: RoutingKind::WhatsAppBusinessAccount, id });
    for change in changes {
        let field = change.get("field").and_then(Value::as_str).unwrap_or("");
        let value = change.get("value").unwrap_or(&Value::Null);
        let phone = id_of(value.pointer("/metadata/phone_number_id"))
            .map(|id| RoutingKey { kind: RoutingKind::WhatsAppPhoneNumber, id });
        match (field, phone, &waba) {
            ("message_template_status_update", _, Some(waba)) => {
                out.push(waba, value, template_status(value));
            }
            ("messages", Some(key), _) => messages(value, &key, out),
            ("smb_message_echoes", Some(key), _) => echoes(value, &key, out),
            ("history", Some(key), _) => history(value, &key, out),
            ("smb_app_state_sync", Some(key), _) => state_sync(value, &key, out),
            ("user_preferences", Some(key), _) => calls::user_preferences(value, &key, out),
            ("calls", Some(key), _) => calls::whatsapp_calls(value, &key, out),
            (
                "messages" | "smb_message_echoes" | "history" | "smb_app_state_sync" | "user_preferences" | "calls",
                None,
                _,
            ) => {
                out.unroutable("WhatsApp change without metadata.phone_number_id", change);
            }
            (other, phone, waba) => match phone.as_ref().or(waba.as_ref()) {
                Some(key) => out.ignore(key, change, IgnoreReason::UnhandledField(other.into())),
                None => out.unroutable("WhatsApp change without a phone number or WABA id", change),
            },
        }
    }
}

/// `field: "messages"`: inbound messages (their senders described in `contacts[]`) and statuses.
fn messages(value: &Value, key: &RoutingKey, out: &mut Delivery) {
    let before = out.events.len();
    let contacts = contacts(value);
    for raw in array_of(value.get("messages")) {
        let kind = one_message(raw, |msg| Some((Identity::sender(msg).resolve(&contacts)?, Origin::Customer)));
        out.push(key, raw, kind);
    }
    for raw in array_of(value.get("statuses")) {
        out.push(key, raw, status(raw));
    }
    let errors = errors_of(value.get("errors"));
    if !errors.is_empty() {
        out.ignore(key, value, IgnoreReason::Errors(errors));
    }
    if out.events.len() == before {
        out.ignore(key, value, IgnoreReason::Empty);
    }
}

/// `field: "smb_message_echoes"`: sent from the Business App, so the customer is the recipient (`to`).
fn echoes(value: &Value, key: &RoutingKey, out: &mut Delivery) {
    let contacts = contacts(value);
    let items = array_of(value.get("message_echoes"));
    for raw in items {
        let kind = one_message(raw, |msg| Some((Identity::recipient(msg).resolve(&contacts)?, Origin::BusinessApp)));
        out.push(key, raw, kind);
    }
    if items.is_empty() {
        out.ignore(key, value, IgnoreReason::Empty);
    }
}

/// Deserialises the shared part of a message, finds its customer, and parses the rest.
fn one_message(raw: &Value, who: impl FnOnce(&WaMessage) -> Option<(CustomerRef, Origin)>) -> EventKind {
    let msg = match WaMessage::deserialize(raw) {
        Ok(msg) => msg,
        Err(e) => return EventKind::malformed(format!("message: {e}")),
    };
    if msg.is_group() {
        return EventKind::ignored(IgnoreReason::Group);
    }
    match who(&msg) {
        Some((customer, origin)) => whatsapp_message::parse(raw, &msg, customer, origin),
        None => EventKind::malformed("message names no customer (no wa_id nor user_id)"),
    }
}

/// A `statuses[]` item (§3).
#[derive(Deserialize)]
struct WaStatus {
    #[serde(deserialize_with = "scalar::opt_string", default)]
    id: Option<String>,
    status: Option<String>,
    #[serde(deserialize_with = "scalar::opt_seconds", default)]
    timestamp: Option<OffsetDateTime>,
    #[serde(deserialize_with = "scalar::opt_string", default)]
    recipient_id: Option<String>,
    #[serde(deserialize_with = "scalar::opt_string", default)]
    recipient_user_id: Option<String>,
    #[serde(deserialize_with = "scalar::opt_string", default)]
    recipient_parent_user_id: Option<String>,
    #[serde(deserialize_with = "scalar::opt_string", default)]
    recipient_type: Option<String>,
    #[serde(deserialize_with = "scalar::opt_string", default)]
    recipient_participant_id: Option<String>,
}

fn status(raw: &Value) -> EventKind {
    let Some(s) = decode::<WaStatus>(Some(raw)) else {
        return EventKind::malformed("status is not an object");
    };
    if s.recipient_type.as_deref() == Some("group") || s.recipient_participant_id.is_some() {
        return EventKind::ignored(IgnoreReason::Group);
    }
    let (Some(id), Some(name), Some(timestamp)) = (s.id, s.status, s.timestamp) else {
        return EventKind::malformed("status without id, status or timestamp");
    };
    let state = match name.as_str() {
        "sent" => DeliveryState::Sent,
        "delivered" => DeliveryState::Delivered,
        "read" => DeliveryState::Read,
        "played" => DeliveryState::Played,
        "failed" => DeliveryState::Failed,
        _ => return EventKind::ignored(IgnoreReason::UnknownStatus(name)),
    };
    let recipient =
        Identity::new(s.recipient_id.as_deref(), s.recipient_user_id.as_deref(), s.recipient_parent_user_id.as_deref())
            .resolve(&[]);
    EventKind::Status(Status {
        message_external_id: id,
        status: state,
        timestamp,
        recipient,
        errors: errors_of(raw.get("errors")),
        pricing: raw.get("pricing").filter(|p| p.is_object()).map(|p| Pricing {
            billable: p.get("billable").and_then(Value::as_bool),
            pricing_model: str_of(p.get("pricing_model")),
            category: str_of(p.get("category")),
            kind: str_of(p.get("type")),
        }),
    })
}

/// `field: "history"` (§8). Field names are UNCONFIRMED in our reference; we read `history[]` chunks of
/// `threads[].{id, messages[]}` and treat a chunk carrying `errors[]` as declined/failed.
fn history(value: &Value, key: &RoutingKey, out: &mut Delivery) {
    let business =
        value.pointer("/metadata/display_phone_number").and_then(Value::as_str).map(digits).filter(|d| !d.is_empty());
    let chunks = array_of(value.get("history"));
    for chunk in chunks {
        let errors = errors_of(chunk.get("errors"));
        if !errors.is_empty() {
            out.ignore(key, chunk, IgnoreReason::HistoryError(errors));
            continue;
        }
        let Some(threads) = chunk.get("threads").and_then(Value::as_array) else {
            out.ignore(key, chunk, IgnoreReason::Malformed("history chunk without threads".into()));
            continue;
        };
        let meta = chunk.get("metadata");
        let number = |name: &str| meta.and_then(|m| m.get(name)).and_then(scalar::integer);
        for thread in threads {
            let Some(thread_id) = id_of(thread.get("id")) else {
                out.ignore(key, thread, IgnoreReason::Malformed("thread without id".into()));
                continue;
            };
            for raw in array_of(thread.get("messages")) {
                let kind = history_message(raw, &thread_id, business.as_deref());
                let kind = match kind {
                    EventKind::Message(message) => EventKind::History(HistoryMessage {
                        message,
                        thread_id: thread_id.clone(),
                        status: str_of(raw.pointer("/history_context/status")),
                        phase: number("phase"),
                        chunk_order: number("chunk_order"),
                        progress: number("progress"),
                    }),
                    // Reactions, edits and revokes in the history apply like live ones (idempotent).
                    other => other,
                };
                out.push(key, raw, kind);
            }
        }
    }
    let errors = errors_of(value.get("errors"));
    if !errors.is_empty() {
        out.ignore(key, value, IgnoreReason::HistoryError(errors));
    } else if chunks.is_empty() {
        out.ignore(key, value, IgnoreReason::Empty);
    }
}

/// A history message's direction is inferred from `from`: the business's display number means the
/// business sent it (and the customer is `to`). Without a display number, a `from` other than the
/// thread's id is the business. Either way the thread's id completes the customer.
fn history_message(raw: &Value, thread_id: &str, business: Option<&str>) -> EventKind {
    one_message(raw, |msg| {
        let from_business = match (msg.from.as_deref(), business) {
            (Some(from), Some(business)) => digits(from) == business,
            (Some(from), None) => from != thread_id,
            (None, _) => false,
        };
        let (origin, named) = if from_business {
            (Origin::BusinessApp, Identity::recipient(msg))
        } else {
            (Origin::Customer, Identity::sender(msg))
        };
        let customer = named.or(Identity::new(Some(thread_id), None, None)).resolve(&[])?;
        Some((customer, origin))
    })
}

/// `field: "smb_app_state_sync"` (§8): contacts added to or removed from the phone's address book.
fn state_sync(value: &Value, key: &RoutingKey, out: &mut Delivery) {
    let items = array_of(value.get("state_sync"));
    for raw in items {
        let kind = match raw.get("type").and_then(Value::as_str) {
            Some("contact") => {
                let contact = raw.get("contact");
                let field = |name: &str| str_of(contact.and_then(|c| c.get(name)));
                EventKind::ContactSync(ContactSync {
                    phone_number: id_of(contact.and_then(|c| c.get("phone_number"))),
                    full_name: field("full_name"),
                    first_name: field("first_name"),
                    action: match raw.get("action").and_then(Value::as_str) {
                        Some("add") => SyncAction::Add,
                        Some("remove") => SyncAction::Remove,
                        other => SyncAction::Other(other.unwrap_or_default().to_owned()),
                    },
                    timestamp: raw.pointer("/metadata/timestamp").and_then(scalar::from_seconds),
                })
            }
            other => EventKind::ignored(IgnoreReason::UnhandledEvent(other.unwrap_or_default().to_owned())),
        };
        out.push(key, raw, kind);
    }
    if items.is_empty() {
        out.ignore(key, value, IgnoreReason::Empty);
    }
}

fn template_status(value: &Value) -> EventKind {
    let Some(status) = str_of(value.get("event")) else {
        return EventKind::malformed("template status without event");
    };
    EventKind::TemplateStatus(TemplateStatus {
        template_id: id_of(value.get("message_template_id")),
        name: str_of(value.get("message_template_name")),
        language: str_of(value.get("message_template_language")),
        status,
        reason: str_of(value.get("reason")).filter(|r| r != "NONE"),
    })
}
