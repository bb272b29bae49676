//! Queuing events for the account's webhooks. Each function first asks which enabled webhooks want
//! the event, so an account without webhooks pays one indexed read and builds no payload.
//!
//! The rows are written after the change they describe has been committed (in their own transaction,
//! awaited before the caller answers): a crash in that instant loses the event. So does a failure to
//! write them, which is logged and counted (`inbox_webhook_events_lost_total`) but not returned: the
//! change stands, and answering an error would invite the caller to repeat it (a second send to the
//! customer). See docs/architecture.md, "Outgoing webhooks".

use crate::state::AppState;
use domain::ids::{AccountId, ContactId, EventId, MessageId, WebhookId};
use domain::outgoing_webhook::HookEvent;
use domain::permissions::ConversationScope;
use serde::Serialize;
use serde_json::{json, Value};
use store::{ConversationRecord, NewDelivery, StoreError, WebhookRecord};

/// Queues `event` with `data` (a view the API also answers) for every subscribed webhook.
pub async fn emit<T: Serialize>(state: &AppState, account: AccountId, event: HookEvent, data: &T) {
    logged(event, try_emit(state, account, event, data).await)
}

/// Queues `event` once for each of `items` (a worker's batch, in order): the webhooks are looked up
/// once and every delivery is written in one statement.
pub async fn emit_all<T: Serialize>(state: &AppState, account: AccountId, event: HookEvent, items: &[T]) {
    logged(event, try_emit_all(state, account, event, items).await)
}

/// Queues a message event; the message is read only when some webhook wants it.
pub async fn emit_message(state: &AppState, account: AccountId, event: HookEvent, message: MessageId) {
    logged(event, try_emit_message(state, account, event, message).await)
}

/// Queues a conversation event carrying the conversation as the API shows it now.
pub async fn emit_conversation(state: &AppState, event: HookEvent, record: &ConversationRecord) {
    logged(event, try_emit_conversation(state, event, record).await)
}

/// Queues a contact event; the contact is read only when some webhook wants it.
pub async fn emit_contact(state: &AppState, account: AccountId, event: HookEvent, contact: ContactId) {
    logged(event, try_emit_contact(state, account, event, contact).await)
}

/// Queues `event` for each of `contacts` (a CSV import), in one write: the webhooks are looked up once.
pub async fn emit_contacts(state: &AppState, account: AccountId, event: HookEvent, contacts: &[ContactId]) {
    logged(event, try_emit_contacts(state, account, event, contacts).await)
}

fn logged(event: HookEvent, result: Result<(), StoreError>) {
    if let Err(e) = result {
        lost(event.as_str(), &e);
    }
}

fn lost(event: &str, e: &StoreError) {
    tracing::error!(error = %e, event, "an outgoing webhook event could not be queued; it is lost");
    metrics::counter!("inbox_webhook_events_lost_total").increment(1);
}

async fn try_emit<T: Serialize>(
    state: &AppState,
    account: AccountId,
    event: HookEvent,
    data: &T,
) -> Result<(), StoreError> {
    let hooks = state.store.webhooks_for_event(account, event).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    queue_for(state, account, event, &hooks, data).await
}

async fn try_emit_all<T: Serialize>(
    state: &AppState,
    account: AccountId,
    event: HookEvent,
    items: &[T],
) -> Result<(), StoreError> {
    if items.is_empty() {
        return Ok(());
    }
    let hooks = state.store.webhooks_for_event(account, event).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let now = state.now_ms();
    let mut deliveries = Vec::with_capacity(items.len() * hooks.len());
    for item in items {
        let data = serde_json::to_value(item).unwrap_or_default();
        deliveries.extend(hooks.iter().map(|h| delivery(account, event, &data, h.id, now)));
    }
    state.store.queue_deliveries(account, &deliveries, now).await?;
    state.hooks_wakeup.notify_one();
    Ok(())
}

/// Queues `data` for `hooks` (already looked up).
async fn queue_for<T: Serialize>(
    state: &AppState,
    account: AccountId,
    event: HookEvent,
    hooks: &[WebhookRecord],
    data: &T,
) -> Result<(), StoreError> {
    let data = serde_json::to_value(data).unwrap_or_default();
    queue(state, account, event, &data, hooks.iter().map(|h| h.id)).await?;
    Ok(())
}

async fn try_emit_message(
    state: &AppState,
    account: AccountId,
    event: HookEvent,
    message: MessageId,
) -> Result<(), StoreError> {
    let hooks = state.store.webhooks_for_event(account, event).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let m = state.store.get_message(account, &ConversationScope::All, message).await?;
    queue_for(state, account, event, &hooks, &crate::views::message::message_view(m)).await
}

async fn try_emit_conversation(
    state: &AppState,
    event: HookEvent,
    record: &ConversationRecord,
) -> Result<(), StoreError> {
    let account = record.account_id;
    let hooks = state.store.webhooks_for_event(account, event).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let view = crate::views::conversation::conversation_view(record.clone(), state.clock.now());
    queue_for(state, account, event, &hooks, &view).await
}

async fn try_emit_contact(
    state: &AppState,
    account: AccountId,
    event: HookEvent,
    contact: ContactId,
) -> Result<(), StoreError> {
    let hooks = state.store.webhooks_for_event(account, event).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let c = state.store.get_contact(account, &ConversationScope::All, contact).await?;
    queue_for(state, account, event, &hooks, &crate::views::contact::view(c, vec![])).await
}

async fn try_emit_contacts(
    state: &AppState,
    account: AccountId,
    event: HookEvent,
    contacts: &[ContactId],
) -> Result<(), StoreError> {
    let hooks = state.store.webhooks_for_event(account, event).await?;
    if hooks.is_empty() || contacts.is_empty() {
        return Ok(());
    }
    let now = state.now_ms();
    let mut items = Vec::with_capacity(contacts.len() * hooks.len());
    for id in contacts {
        let c = state.store.get_contact(account, &ConversationScope::All, *id).await?;
        let data = serde_json::to_value(crate::views::contact::view(c, vec![])).unwrap_or_default();
        items.extend(hooks.iter().map(|h| delivery(account, event, &data, h.id, now)));
    }
    state.store.queue_deliveries(account, &items, now).await?;
    state.hooks_wakeup.notify_one();
    Ok(())
}

/// One event for one webhook, with a new event id: the body exactly as it will be signed and sent.
fn delivery(account: AccountId, event: HookEvent, data: &Value, webhook_id: WebhookId, now: i64) -> NewDelivery {
    let created_at =
        domain::time_util::from_millis(now).format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let id = EventId::new();
    let body = json!({"id": id, "type": event.as_str(), "created_at": created_at, "account_id": account, "data": data});
    NewDelivery { id, webhook_id, event, body: body.to_string() }
}

/// Builds one body per webhook (each with its own event id) and queues them together; wakes the
/// delivery worker. Returns the ids, in the order of `webhooks`.
pub(crate) async fn queue(
    state: &AppState,
    account: AccountId,
    event: HookEvent,
    data: &Value,
    webhooks: impl Iterator<Item = WebhookId>,
) -> Result<Vec<EventId>, StoreError> {
    let now = state.now_ms();
    let items: Vec<NewDelivery> = webhooks.map(|w| delivery(account, event, data, w, now)).collect();
    state.store.queue_deliveries(account, &items, now).await?;
    state.hooks_wakeup.notify_one();
    Ok(items.into_iter().map(|d| d.id).collect())
}
