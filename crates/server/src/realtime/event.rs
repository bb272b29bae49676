//! The events the socket carries: one enum, each variant its wire name (`type`) and its data, so a
//! kind cannot be misspelt at one of the places that publish it and its data has one shape.
//!
//! On the wire an event is `{"type": "message.created", "data": {...}, "seq": 17}`; the data of each
//! kind is the view the API shows for the same thing (see `crate::views`).

use crate::scheduled::ScheduledView;
use crate::views::contact::ContactView;
use crate::views::conversation::{conversation_view, AssignmentChange, ConversationView};
use crate::views::label::LabelView;
use crate::views::mention::MentionView;
use crate::views::message::MessageView;
use crate::views::note::NoteView;
use domain::ids::{AccountId, ChannelId, ContactId, ConversationId, LabelId, MentionId, NoteId, UserId};
use domain::permissions::Permissions;
use serde::Serialize;
use store::ConversationRecord;
use time::OffsetDateTime;

/// What happened, with the data the clients need to show it.
#[derive(Serialize)]
#[serde(tag = "type", content = "data")]
pub enum Payload {
    #[serde(rename = "message.created")]
    MessageCreated(Box<MessageView>),
    /// A status, an edit, a deletion, a reaction, fetched media.
    #[serde(rename = "message.updated")]
    MessageUpdated(Box<MessageView>),
    #[serde(rename = "conversation.created")]
    ConversationCreated(Box<ConversationView>),
    #[serde(rename = "conversation.updated")]
    ConversationUpdated(Box<ConversationView>),
    #[serde(rename = "conversation.assigned")]
    ConversationAssigned(Box<AssignmentChange>),
    /// To one user: a conversation left what they may see (it was given to someone else).
    #[serde(rename = "conversation.removed")]
    ConversationRemoved { id: ConversationId },
    /// The contact of a conversation changed (merged into this one: `merged_id` no longer exists).
    #[serde(rename = "contact.updated")]
    ContactUpdated { contact: Box<ContactView>, merged_id: Option<ContactId>, conversation_id: ConversationId },
    #[serde(rename = "label.created")]
    LabelCreated(LabelView),
    #[serde(rename = "label.updated")]
    LabelUpdated(LabelView),
    #[serde(rename = "label.deleted")]
    LabelDeleted { id: LabelId },
    #[serde(rename = "note.created")]
    NoteCreated(Box<NoteView>),
    #[serde(rename = "note.updated")]
    NoteUpdated(Box<NoteView>),
    #[serde(rename = "note.deleted")]
    NoteDeleted { id: NoteId, conversation_id: ConversationId },
    /// To the user mentioned only.
    #[serde(rename = "mention.created")]
    MentionCreated(Box<MentionView>),
    /// To the user whose mention (or, with `id: null`, all of whose mentions) was read.
    #[serde(rename = "mention.read")]
    MentionRead { id: Option<MentionId> },
    /// A message scheduled for later ("Enviar más tarde").
    #[serde(rename = "scheduled.created")]
    ScheduledCreated(Box<ScheduledView>),
    /// Edited, cancelled, sent or failed: its `status` says which.
    #[serde(rename = "scheduled.updated")]
    ScheduledUpdated(Box<ScheduledView>),
    /// To its author only: a schedule was not sent, and why.
    #[serde(rename = "scheduled.failed")]
    ScheduledFailed(Box<ScheduledView>),
}

/// An event and who receives it, within its account.
pub struct Event {
    pub account_id: AccountId,
    pub audience: Audience,
    pub payload: Payload,
}

/// Who, within the event's account, receives an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Audience {
    /// Whoever may see a conversation of this channel with this assignee (as it is after the event).
    Conversation { channel_id: ChannelId, assignee: Option<UserId> },
    /// Every user: account-wide things everyone may read (the labels).
    Account,
    /// One user only, whatever they may see: what is about them alone (their mentions, a
    /// conversation that left their view). Such an event carries nothing that user may not read.
    User(UserId),
}

impl Audience {
    /// Whether `user`, with these rights, receives an event for this audience.
    pub(crate) fn includes(&self, user: UserId, permissions: &Permissions) -> bool {
        match *self {
            Audience::Conversation { channel_id, assignee } => permissions.can_see(user, channel_id, assignee),
            Audience::Account => true,
            Audience::User(only) => only == user,
        }
    }
}

impl Event {
    /// For whoever may see `record` (as it is now).
    pub fn to_conversation(record: &ConversationRecord, payload: Payload) -> Self {
        Event {
            account_id: record.account_id,
            audience: Audience::Conversation {
                channel_id: record.channel_id,
                assignee: record.assignee.as_ref().map(|a| a.0),
            },
            payload,
        }
    }

    /// For every user of the account.
    pub fn to_account(account_id: AccountId, payload: Payload) -> Self {
        Event { account_id, audience: Audience::Account, payload }
    }

    /// For one user only.
    pub fn to_user(account_id: AccountId, user: UserId, payload: Payload) -> Self {
        Event { account_id, audience: Audience::User(user), payload }
    }

    /// The conversation as the API shows it (its window computed at `now`) changed.
    pub fn conversation_updated(record: &ConversationRecord, now: OffsetDateTime) -> Self {
        let view = conversation_view(record.clone(), now);
        Self::to_conversation(record, Payload::ConversationUpdated(Box::new(view)))
    }

    /// A customer started a conversation.
    pub fn conversation_created(record: &ConversationRecord, now: OffsetDateTime) -> Self {
        let view = conversation_view(record.clone(), now);
        Self::to_conversation(record, Payload::ConversationCreated(Box::new(view)))
    }
}

/// Frames of the socket itself, not of the account's events.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum Control {
    /// First frame of every socket.
    Hello { user_id: UserId },
    /// The socket missed events (it fell behind, or the user's rights changed): reload what is shown.
    Resync,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::mailboxes::Received;
    use crate::realtime::EventHub;

    #[tokio::test]
    async fn events_keep_their_wire_shape() {
        let hub = EventHub::new();
        let mut rx = hub.tap();
        let (account, id) = (AccountId::new(), LabelId::new());
        hub.publish(Event::to_account(account, Payload::LabelDeleted { id }));
        hub.publish(Event::to_account(account, Payload::MentionRead { id: None }));
        let text = |r: Received| match r {
            Received::Event(e) => e.text.to_string(),
            Received::Missed => panic!("nothing was missed"),
        };
        let first: serde_json::Value = serde_json::from_str(&text(rx.recv().await)).unwrap();
        assert_eq!(first, serde_json::json!({"type": "label.deleted", "data": {"id": id}, "seq": 1}));
        let second: serde_json::Value = serde_json::from_str(&text(rx.recv().await)).unwrap();
        assert_eq!(second, serde_json::json!({"type": "mention.read", "data": {"id": null}, "seq": 2}));
        assert_eq!(serde_json::to_value(Control::Resync).unwrap(), serde_json::json!({"type": "resync"}));
    }
}
