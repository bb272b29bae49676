//! Telling everyone concerned that a conversation changed hands — by a user (assign, unassign,
//! transfer) or by the round-robin: a `system` notice in the conversation ("Asignada a Ana por Bruno"),
//! the realtime `conversation.assigned` event (which the new assignee receives, since it carries the
//! conversation as it now is), a `conversation.removed` event to a previous assignee who can no longer
//! see it, and an audit entry.

use crate::realtime::{Event, Payload};
use crate::state::AppState;
use crate::views::conversation::{conversation_view, AssignmentChange, UserRef};
use crate::views::message::message_view;
use domain::ids::{AccountId, UserId};
use domain::permissions::ConversationScope;
use serde_json::{json, Value};
use store::{ConversationRecord, StoreError};

/// A change of assignee, as it happened.
pub struct Assignment<'a> {
    /// The conversation after the change.
    pub conversation: &'a ConversationRecord,
    pub previous: Option<(UserId, String)>,
    /// Who changed it; `None` for the automatic assignment.
    pub by: Option<(UserId, String)>,
}

fn person(p: &Option<(UserId, String)>) -> Value {
    p.as_ref().map_or(Value::Null, |(id, name)| json!({"id": id, "name": name}))
}

/// The notice a change of assignee leaves in the conversation ("Asignada a Ana por Bruno").
fn notice(assignee: &Option<(UserId, String)>, a: &Assignment<'_>) -> Value {
    let system = json!({"type": "assignment", "assignee": person(assignee), "previous": person(&a.previous), "by": person(&a.by), "auto": a.by.is_none()});
    json!({"system": system})
}

/// The `conversation.assigned` event's data.
fn change(a: &Assignment<'_>, now: time::OffsetDateTime) -> AssignmentChange {
    let user = |p: &Option<(UserId, String)>| p.as_ref().map(|(id, name)| UserRef { id: *id, name: name.clone() });
    AssignmentChange {
        assignee: user(&a.conversation.assignee),
        previous: user(&a.previous),
        by: user(&a.by),
        auto: a.by.is_none(),
        conversation: conversation_view(a.conversation.clone(), now),
    }
}

/// What the audit log says of a change.
fn audit_entry<'a>(a: &Assignment<'_>) -> store::NewAuditEntry<'a> {
    let new_id = a.conversation.assignee.as_ref().map(|x| x.0);
    let previous_id = a.previous.as_ref().map(|x| x.0);
    store::NewAuditEntry {
        account: a.conversation.account_id,
        user: a.by.as_ref().map(|b| b.0),
        action: if new_id.is_some() { "conversation.assigned" } else { "conversation.unassigned" },
        target_type: Some("conversation"),
        target_id: Some(a.conversation.id.to_string()),
        details: json!({"assignee_id": new_id, "previous_assignee_id": previous_id, "auto": a.by.is_none()}),
    }
}

/// Announces an assignment; nothing when the assignee did not actually change.
pub async fn announce(state: &AppState, a: Assignment<'_>) -> Result<(), StoreError> {
    let record = a.conversation;
    let assignee = record.assignee.clone();
    let new_id = assignee.as_ref().map(|x| x.0);
    let previous_id = a.previous.as_ref().map(|x| x.0);
    if new_id == previous_id {
        return Ok(());
    }
    let account = record.account_id;
    let now = state.clock.now();
    let notice = notice(&assignee, &a);
    let id = state.store.insert_system_notice(account, record.channel_id, record.id, &notice, state.now_ms()).await?;
    let message = state.store.get_message(account, &ConversationScope::All, id).await?;
    let view = message_view(message);
    state.events.publish(Event::to_conversation(record, Payload::MessageCreated(Box::new(view.clone()))));
    crate::hooks::emit(state, account, crate::hooks::HookEvent::MessageCreated, &view).await;

    state.events.publish(Event::to_conversation(record, Payload::ConversationAssigned(Box::new(change(&a, now)))));
    crate::hooks::emit_conversation(state, crate::hooks::HookEvent::ConversationAssigned, record).await;

    if let Some(previous) = previous_id {
        // Their list still shows it: tell them it is gone if their role no longer lets them see it.
        let sees_it = match state.store.get_user(account, previous).await {
            Ok(user) => user.role.permissions().can_see(previous, record.channel_id, new_id),
            Err(StoreError::NotFound) => true,
            Err(e) => return Err(e),
        };
        if !sees_it {
            state.events.publish(Event::to_user(account, previous, Payload::ConversationRemoved { id: record.id }));
        }
    }

    if let Err(e) = state.store.audit(audit_entry(&a), state.now_ms()).await {
        tracing::error!(error = %e, "could not write the audit log");
    }
    Ok(())
}

/// Announces the round-robin's assignments of new conversations of one account (a worker's batch),
/// as [`announce`] would each: the notices stored in one transaction and read back with one query,
/// the events published in order, the webhooks looked up once per kind, the audit entries written
/// together. A new conversation had no assignee before, so nobody loses it.
pub async fn announce_automatic(
    state: &AppState,
    account: AccountId,
    conversations: &[&ConversationRecord],
) -> Result<(), StoreError> {
    let assigned: Vec<Assignment<'_>> = conversations
        .iter()
        .filter(|c| c.account_id == account && c.assignee.is_some())
        .map(|c| Assignment { conversation: c, previous: None, by: None })
        .collect();
    if assigned.is_empty() {
        return Ok(());
    }
    let now = state.clock.now();
    let contents: Vec<Value> = assigned.iter().map(|a| notice(&a.conversation.assignee, a)).collect();
    let notices: Vec<store::SystemNotice<'_>> = assigned
        .iter()
        .zip(&contents)
        .map(|(a, content)| store::SystemNotice {
            account,
            channel: a.conversation.channel_id,
            conversation: a.conversation.id,
            content,
        })
        .collect();
    let stored = state.store.insert_system_notices(&notices, state.now_ms()).await?;
    let mut views = Vec::with_capacity(stored.len());
    for (a, message) in assigned.iter().zip(stored) {
        let view = message_view(message);
        state.events.publish(Event::to_conversation(a.conversation, Payload::MessageCreated(Box::new(view.clone()))));
        state
            .events
            .publish(Event::to_conversation(a.conversation, Payload::ConversationAssigned(Box::new(change(a, now)))));
        views.push(view);
    }
    crate::hooks::emit_all(state, account, crate::hooks::HookEvent::MessageCreated, &views).await;
    let conversation_views: Vec<_> = assigned.iter().map(|a| conversation_view(a.conversation.clone(), now)).collect();
    crate::hooks::emit_all(state, account, crate::hooks::HookEvent::ConversationAssigned, &conversation_views).await;
    let entries: Vec<_> = assigned.iter().map(audit_entry).collect();
    if let Err(e) = state.store.audit_all(&entries, state.now_ms()).await {
        tracing::error!(error = %e, "could not write the audit log");
    }
    Ok(())
}
