//! `POST /{PHONE_NUMBER_ID}/messages` — the Cloud API send (docs/meta.md §4, §6, §7, §12).
//!
//! Faithful choices:
//! - Synchronous refusals (HTTP 400 with Meta's error) for malformed bodies, unknown/unapproved templates
//!   (132001/132015/132016), parameter mismatches (132000/132012/131008), voice notes that are not
//!   Ogg/Opus (131053) and authentication templates with code buttons to a BSUID (131062).
//! - Free-form messages outside the 24 h customer service window are *accepted* (200 with a `wamid`) and
//!   then fail with a `failed` status webhook carrying 131047, as the real Cloud API does.
//! - A marketing template to a customer who stopped marketing messages from the number (their
//!   `user_preferences` stop) is accepted and then fails with 131050, the same asynchronous way.
//! - A `to` that is not a phone (e.g. a BSUID put in `to`) is accepted and fails with 131026
//!   (undeliverable): Meta reads `to` as digits, and such a message "does not reach the user".
//! - `to` wins over `recipient` when both are present.
//! - Mark-as-read (`status: "read"`) answers `{"success": true}`; it is not a send, so injected faults
//!   do not apply to it. A [`crate::Fault::TimeoutAfterDelivery`] lets a valid send through (recorded,
//!   statuses scheduled) and only then loses the answer.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::wa_validate::{self, Checked};
use crate::config::WhatsAppNumber;
use crate::directory::{within, WHATSAPP_WINDOW};
use crate::graph_error::{GraphError, GraphResult, Product};
use crate::ids;
use crate::journal::{SendOutcome, SentChannel, SentMessage};
use crate::lifecycle::StatusPlan;
use crate::payloads::{Pricing, WaBusiness};
use crate::phones;
use crate::state::{lock, SimState, WaCustomerRecord};
use crate::templates::TemplateCategory;

/// Whom a send is addressed to.
enum Recipient {
    /// A phone in `to`, with the `wa_id` WhatsApp answers for it.
    Phone { input: String, wa_id: String },
    /// A BSUID in `recipient`.
    Bsuid { input: String },
    /// Something in `to` that is no phone: accepted, never delivered.
    Undeliverable { input: String },
}

pub(super) async fn send(state: &Arc<SimState>, number: &WhatsAppNumber, body: &[u8]) -> GraphResult<Value> {
    let request: Value =
        serde_json::from_slice(body).map_err(|_| GraphError::wa_invalid("Request body is not valid JSON."))?;
    let obj = request.as_object().ok_or_else(|| GraphError::wa_invalid("Request body must be an object."))?;
    match obj.get("messaging_product").and_then(Value::as_str) {
        None => return Err(GraphError::wa_required("messaging_product")),
        Some("whatsapp") => {}
        Some(other) => {
            return Err(GraphError::wa_invalid(format!(
                "Param messaging_product must be one of {{WHATSAPP}} - got \"{other}\"."
            )))
        }
    }
    if obj.contains_key("status") {
        return mark_read(obj);
    }
    let fault = state.next_fault();
    if let Some(fault) = fault.filter(|f| !f.after_delivery()) {
        return Err(fault.strike(Product::WhatsApp).await);
    }
    match obj.get("recipient_type").and_then(Value::as_str) {
        None | Some("individual") => {}
        Some(other) => {
            return Err(GraphError::wa_invalid(format!("Param recipient_type must be individual - got \"{other}\".")))
        }
    }
    let recipient = recipient(state, obj)?;
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("text").to_string();
    let to_bsuid = matches!(recipient, Recipient::Bsuid { .. });
    let checked = wa_validate::validate(state, number, &kind, obj, to_bsuid)?;

    let customer = match &recipient {
        Recipient::Phone { wa_id, .. } => state.wa_customer_by_phone(wa_id),
        Recipient::Bsuid { input } => state.wa_customer_by_user_id(input),
        Recipient::Undeliverable { .. } => None,
    };
    let now = state.clock.now();
    let last = customer.as_ref().and_then(|c| c.last_inbound.get(&number.phone_number_id).copied());
    let window_open = within(last, now, WHATSAPP_WINDOW);
    let marketing_stopped = checked.template.as_ref().is_some_and(|t| t.category == TemplateCategory::Marketing)
        && customer.as_ref().is_some_and(|c| c.marketing_stopped.contains(&number.phone_number_id));
    let outcome = match &recipient {
        Recipient::Undeliverable { .. } => SendOutcome::Failed { code: 131026 },
        // Accepted with an id, then failed by a status webhook, as Meta does for 131047.
        _ if marketing_stopped => SendOutcome::Failed { code: 131050 },
        _ if checked.template.is_none() && !window_open => SendOutcome::Failed { code: 131047 },
        // Found wrong only when WhatsApp processes it (e.g. a sticker's size): accepted, then failed.
        _ => checked.fails_later.map_or(SendOutcome::Delivered, |code| SendOutcome::Failed { code }),
    };
    let pricing = pricing(&checked, window_open);
    let id = ids::wamid();

    let (input, contact, recipient_id, recipient_user_id) = addressing(&recipient, customer.as_ref());
    lock(&state.sent).push(SentMessage {
        id: id.clone(),
        channel: SentChannel::WhatsApp { phone_number_id: number.phone_number_id.clone() },
        recipient: input,
        kind: kind.clone(),
        body: request.clone(),
        outcome,
        at: now,
    });
    state.schedule_statuses(StatusPlan::WhatsApp {
        business: WaBusiness::from(number),
        message_id: id.clone(),
        recipient_id,
        recipient_user_id,
        pricing,
        voice: checked.voice,
        outcome,
    });
    if let Some(fault) = fault {
        // Delivered, but the answer is lost: the uncertain case.
        return Err(fault.strike(Product::WhatsApp).await);
    }
    let mut message = json!({"id": id});
    if checked.template.is_some() {
        message["message_status"] = json!("accepted");
    }
    Ok(json!({"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]}))
}

fn mark_read(obj: &Map<String, Value>) -> GraphResult<Value> {
    if obj.get("status").and_then(Value::as_str) != Some("read") {
        return Err(GraphError::wa_invalid("Param status must be \"read\"."));
    }
    match obj.get("message_id").and_then(Value::as_str) {
        Some(id) if id.starts_with("wamid.") => Ok(json!({"success": true})),
        Some(id) => Err(GraphError::wa_invalid(format!("Invalid message_id: {id}"))),
        None => Err(GraphError::wa_required("message_id")),
    }
}

fn recipient(state: &SimState, obj: &Map<String, Value>) -> GraphResult<Recipient> {
    let to = obj.get("to").map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    if let Some(to) = to.filter(|t| !t.trim().is_empty()) {
        if !phones::is_plausible_phone(&to) {
            return Ok(Recipient::Undeliverable { input: to });
        }
        let digits = phones::digits(&to);
        let wa_id = state
            .wa_customer_by_phone(&digits)
            .and_then(|c| c.wa_id)
            .unwrap_or_else(|| phones::canonical_wa_id(&digits));
        return Ok(Recipient::Phone { input: to, wa_id });
    }
    match obj.get("recipient").and_then(Value::as_str) {
        Some(r) if phones::is_bsuid(r) => Ok(Recipient::Bsuid { input: r.to_string() }),
        Some(r) => Err(GraphError::wa_invalid(format!("Invalid recipient: '{r}' is not a business-scoped user ID."))),
        None => Err(GraphError::wa_required("to")),
    }
}

/// The `contacts[]` answer and the ids status webhooks name.
fn addressing(
    recipient: &Recipient,
    customer: Option<&WaCustomerRecord>,
) -> (String, Value, Option<String>, Option<String>) {
    let user_id = customer.map(|c| c.user_id.clone());
    match recipient {
        Recipient::Phone { input, wa_id } => {
            (input.clone(), json!({"input": input, "wa_id": wa_id}), Some(wa_id.clone()), user_id)
        }
        Recipient::Bsuid { input } => {
            (input.clone(), json!({"input": input, "user_id": input}), None, Some(input.clone()))
        }
        Recipient::Undeliverable { input } => {
            let digits = phones::digits(input);
            (input.clone(), json!({"input": input, "wa_id": digits}), Some(digits), None)
        }
    }
}

/// Per-message pricing (since 2025-07-01): templates are charged, except utility inside an open window;
/// free-form service messages are free.
fn pricing(checked: &Checked, window_open: bool) -> Pricing {
    match &checked.template {
        Some(t) if t.category == TemplateCategory::Utility && window_open => Pricing::free_customer_service("utility"),
        Some(t) => Pricing::regular(t.category.pricing_category()),
        None => Pricing::free_customer_service("service"),
    }
}
