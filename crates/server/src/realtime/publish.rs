//! Publishing what changed in a conversation or a message, read back as the API shows it: to the
//! sockets of the users who may see it and, for messages, to the account's outgoing webhooks
//! (`message.created` / `message.updated`). Used by whatever changed it — the inbound worker, the
//! outbox worker, the media and profile fetchers.

use super::event::{Event, Payload};
use crate::state::AppState;
use crate::views::message::message_view;
use domain::ids::{AccountId, ConversationId, MessageId};
use domain::outgoing_webhook::HookEvent;
use domain::permissions::ConversationScope;
use store::{ConversationRecord, StoreError};

/// Whether a message or conversation is new or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
}

/// Publishes a stored message to whoever may see its conversation.
pub async fn message(
    state: &AppState,
    account: AccountId,
    message: MessageId,
    conversation: ConversationId,
    change: Change,
) -> Result<(), StoreError> {
    let record = state.store.get_conversation(account, &ConversationScope::All, conversation).await?;
    publish_message(state, &record, message, change).await
}

/// The message event, to the sockets of whoever may see `record` and to the account's webhooks.
async fn publish_message(
    state: &AppState,
    record: &ConversationRecord,
    message: MessageId,
    change: Change,
) -> Result<(), StoreError> {
    let view = message_view(state.store.get_message(record.account_id, &ConversationScope::All, message).await?);
    let (hook, payload) = match change {
        Change::Created => (HookEvent::MessageCreated, Payload::MessageCreated(Box::new(view.clone()))),
        Change::Updated => (HookEvent::MessageUpdated, Payload::MessageUpdated(Box::new(view.clone()))),
    };
    // The sockets first: the agents should not wait for the webhooks' lookup and queueing.
    state.events.publish(Event::to_conversation(record, payload));
    crate::hooks::emit(state, record.account_id, hook, &view).await;
    Ok(())
}

/// Publishes a conversation as it now is.
pub async fn conversation(
    state: &AppState,
    account: AccountId,
    conversation: ConversationId,
    change: Change,
) -> Result<(), StoreError> {
    let record = state.store.get_conversation(account, &ConversationScope::All, conversation).await?;
    let now = state.clock.now();
    state.events.publish(match change {
        Change::Created => Event::conversation_created(&record, now),
        Change::Updated => Event::conversation_updated(&record, now),
    });
    Ok(())
}

/// Publishes a stored message, then its conversation as it now is (`conversation.updated`): the
/// common case of a new or changed message, reading the conversation once for both.
pub async fn message_and_conversation(
    state: &AppState,
    account: AccountId,
    message: MessageId,
    conversation: ConversationId,
    change: Change,
) -> Result<(), StoreError> {
    let record = state.store.get_conversation(account, &ConversationScope::All, conversation).await?;
    publish_message(state, &record, message, change).await?;
    state.events.publish(Event::conversation_updated(&record, state.clock.now()));
    Ok(())
}

/// A message just queued by a send that did not answer an agent's request (a scheduled send), to the
/// sockets only: its webhook event was queued with the send (`outbound::compose::enqueue`).
pub async fn message_to_sockets(
    state: &AppState,
    account: AccountId,
    message: MessageId,
    conversation: ConversationId,
) -> Result<(), StoreError> {
    let record = state.store.get_conversation(account, &ConversationScope::All, conversation).await?;
    let view = message_view(state.store.get_message(account, &ConversationScope::All, message).await?);
    state.events.publish(Event::to_conversation(&record, Payload::MessageCreated(Box::new(view))));
    Ok(())
}

/// The new messages of one account that a worker's batch stored, as the store gave them back, with
/// their conversations read once (one read for the whole batch, not two per message), to publish
/// them and announce their new conversations.
pub struct CreatedMessages {
    /// In the order they were stored.
    messages: Vec<store::MessageRecord>,
    pub conversations: std::collections::HashMap<ConversationId, ConversationRecord>,
}

impl CreatedMessages {
    pub async fn read(
        state: &AppState,
        account: AccountId,
        messages: Vec<store::MessageRecord>,
    ) -> Result<Self, StoreError> {
        let mut conversation_ids: Vec<ConversationId> = messages.iter().map(|m| m.conversation_id).collect();
        conversation_ids.sort_unstable();
        conversation_ids.dedup();
        let conversations = state
            .store
            .conversations_by_ids(account, &ConversationScope::All, &conversation_ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        Ok(CreatedMessages { messages, conversations })
    }

    /// Tells the sockets about each message (`message.created`; they are taken out, so told once),
    /// then about each conversation they changed, once, as it now is (`conversation.updated`). Gives
    /// back the messages' views for the webhooks ([`crate::hooks::emit_all`]), which the caller
    /// emits after whatever else the agents should see first.
    pub fn to_sockets(&mut self, state: &AppState) -> Vec<crate::views::message::MessageView> {
        let views: Vec<_> = std::mem::take(&mut self.messages)
            .into_iter()
            .filter(|m| self.conversations.contains_key(&m.conversation_id))
            .map(message_view)
            .collect();
        let mut touched: Vec<ConversationId> = Vec::new();
        for view in &views {
            let conversation = view.conversation_id;
            if let Some(record) = self.conversations.get(&conversation) {
                state.events.publish(Event::to_conversation(record, Payload::MessageCreated(Box::new(view.clone()))));
            }
            if !touched.contains(&conversation) {
                touched.push(conversation);
            }
        }
        let now = state.clock.now();
        for id in touched {
            if let Some(record) = self.conversations.get(&id) {
                state.events.publish(Event::conversation_updated(record, now));
            }
        }
        views
    }
}
