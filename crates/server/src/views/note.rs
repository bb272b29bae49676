//! A private note as the API and the events socket show it.

use super::conversation::UserRef;
use domain::ids::{ConversationId, NoteId};
use domain::time_util::from_millis;
use serde::Serialize;
use store::NoteRecord;
use time::OffsetDateTime;

#[derive(Serialize, utoipa::ToSchema)]
pub struct NoteView {
    pub id: NoteId,
    pub conversation_id: ConversationId,
    pub author: UserRef,
    /// As written: mentions are `@[Name](user-id)` tokens.
    pub text: String,
    /// The teammates it mentions, by name.
    pub mentions: Vec<UserRef>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<OffsetDateTime>,
}

pub fn note_view(n: NoteRecord) -> NoteView {
    NoteView {
        id: n.id,
        conversation_id: n.conversation_id,
        author: UserRef { id: n.author.0, name: n.author.1 },
        text: n.text,
        mentions: n.mentions.into_iter().map(|(id, name)| UserRef { id, name }).collect(),
        created_at: from_millis(n.created_at),
        updated_at: from_millis(n.updated_at),
        edited_at: n.edited_at.map(from_millis),
    }
}
