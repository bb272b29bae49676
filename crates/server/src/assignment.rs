//! Telling everyone concerned that a conversation changed hands — by a user (assign, unassign,
//! transfer) or by the round-robin: a `system` notice in the conversation ("Asignada a Ana por Bruno"),
//! the realtime `conversation.assigned` event (which the new assignee receives, since it carries the
//! conversation as it now is), a `conversation.removed` event to a previous assignee who can no longer
//! see it, and an audit entry.

use crate::realtime::{Event, Payload};
use crate::state::AppState;
use crate::views::conversation::{conversation_view, AssignmentChange, UserRef};
use crate::views::message::message_view;
use domain::ids::UserId;
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
    let system = json!({"type": "assignment", "assignee": person(&assignee), "previous": person(&a.previous), "by": person(&a.by), "auto": a.by.is_none()});
    let notice = json!({"system": system});
    let id = state.store.insert_system_notice(account, record.channel_id, record.id, &notice, state.now_ms()).await?;
    let message = state.store.get_message(account, &ConversationScope::All, id).await?;
    let view = message_view(message);
    state.events.publish(Event::to_conversation(record, Payload::MessageCreated(Box::new(view.clone()))));
    crate::hooks::emit(state, account, crate::hooks::HookEvent::MessageCreated, &view).await;

    let user = |p: &Option<(UserId, String)>| p.as_ref().map(|(id, name)| UserRef { id: *id, name: name.clone() });
    let change = AssignmentChange {
        assignee: user(&assignee),
        previous: user(&a.previous),
        by: user(&a.by),
        auto: a.by.is_none(),
        conversation: conversation_view(record.clone(), now),
    };
    state.events.publish(Event::to_conversation(record, Payload::ConversationAssigned(Box::new(change))));
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

    crate::audit::record(
        state,
        account,
        a.by.as_ref().map(|b| b.0),
        if new_id.is_some() { "conversation.assigned" } else { "conversation.unassigned" },
        Some(("conversation", record.id.to_string())),
        json!({"assignee_id": new_id, "previous_assignee_id": previous_id, "auto": a.by.is_none()}),
    )
    .await;
    Ok(())
}
