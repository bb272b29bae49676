//! Publishing what changed in a conversation or a message, read back as the API shows it. Used by
//! whatever changed it — the inbound worker, the outbox worker, the media and profile fetchers.

use super::event::{Event, Payload};
use crate::state::AppState;
use crate::views::message::message_view;
use domain::ids::{AccountId, ConversationId, MessageId};
use domain::permissions::ConversationScope;
use store::StoreError;

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
    let view = Box::new(message_view(state.store.get_message(account, &ConversationScope::All, message).await?));
    let payload = match change {
        Change::Created => Payload::MessageCreated(view),
        Change::Updated => Payload::MessageUpdated(view),
    };
    state.events.publish(Event::to_conversation(&record, payload));
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
    let view = Box::new(message_view(state.store.get_message(account, &ConversationScope::All, message).await?));
    let payload = match change {
        Change::Created => Payload::MessageCreated(view),
        Change::Updated => Payload::MessageUpdated(view),
    };
    state.events.publish(Event::to_conversation(&record, payload));
    state.events.publish(Event::conversation_updated(&record, state.clock.now()));
    Ok(())
}
