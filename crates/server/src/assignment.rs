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
use serde_json::Value;
use store::{ConversationRecord, MessageRecord, StoreError};

/// A change of assignee, as it happened.
pub struct Assignment<'a> {
    /// The conversation after the change.
    pub conversation: &'a ConversationRecord,
    pub previous: Option<(UserId, String)>,
    /// Who changed it; `None` for the automatic assignment.
    pub by: Option<(UserId, String)>,
}

/// A person of an assignment as [`domain::assignment::notice`] names them.
fn named(p: &Option<(UserId, String)>) -> domain::assignment::Person<'_> {
    p.as_ref().map(|(id, name)| (*id, name.as_str()))
}

/// The notice a change of assignee leaves in the conversation ("Asignada a Ana por Bruno").
fn notice(assignee: &Option<(UserId, String)>, a: &Assignment<'_>) -> Value {
    domain::assignment::notice(named(assignee), named(&a.previous), named(&a.by))
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
        action: domain::assignment::audit_action(new_id),
        target_type: Some("conversation"),
        target_id: Some(a.conversation.id.to_string()),
        details: domain::assignment::audit_details(new_id, previous_id, a.by.is_none()),
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

/// A new conversation the round-robin gave someone, with the notice stored with it (`None` only for
/// a message stored before notices were, announced after an upgrade).
pub struct Automatic<'a> {
    pub conversation: &'a ConversationRecord,
    pub notice: Option<&'a MessageRecord>,
}

/// Announces the round-robin's assignments of new conversations of one account (a worker's batch),
/// as [`announce`] would each — except that the store wrote their notices and audit entries in the
/// transaction that assigned them, so nothing is written here: the notices and the
/// `conversation.assigned` events are published in order, and the webhooks looked up once per kind.
/// A new conversation had no assignee before, so nobody loses it.
pub async fn announce_automatic(state: &AppState, account: AccountId, assigned: &[Automatic<'_>]) {
    let assigned: Vec<&Automatic<'_>> =
        assigned.iter().filter(|a| a.conversation.account_id == account && a.conversation.assignee.is_some()).collect();
    if assigned.is_empty() {
        return;
    }
    let now = state.clock.now();
    let mut views = Vec::with_capacity(assigned.len());
    for a in &assigned {
        let record = a.conversation;
        if let Some(notice) = a.notice {
            let view = message_view(notice.clone());
            state.events.publish(Event::to_conversation(record, Payload::MessageCreated(Box::new(view.clone()))));
            views.push(view);
        }
        let change = change(&Assignment { conversation: record, previous: None, by: None }, now);
        state.events.publish(Event::to_conversation(record, Payload::ConversationAssigned(Box::new(change))));
    }
    crate::hooks::emit_all(state, account, crate::hooks::HookEvent::MessageCreated, &views).await;
    let conversation_views: Vec<_> = assigned.iter().map(|a| conversation_view(a.conversation.clone(), now)).collect();
    crate::hooks::emit_all(state, account, crate::hooks::HookEvent::ConversationAssigned, &conversation_views).await;
}
