//! A mention of a user in a note, as `GET /api/v1/mentions` and the user's events show it.

use super::conversation::{conversation_view, ConversationView, UserRef};
use domain::ids::{MentionId, NoteId};
use domain::time_util::from_millis;
use serde::Serialize;
use store::{ConversationRecord, MentionRecord, NoteRecord};
use time::OffsetDateTime;

#[derive(Serialize, utoipa::ToSchema)]
pub struct MentionNote {
    pub id: NoteId,
    /// The note's beginning in plain text (mentions as `@Name`), on one line.
    pub excerpt: String,
    pub author: UserRef,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MentionView {
    pub id: MentionId,
    pub note: MentionNote,
    pub conversation: ConversationView,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// `null` while unread.
    #[serde(with = "time::serde::rfc3339::option")]
    pub read_at: Option<OffsetDateTime>,
}

impl MentionView {
    pub fn new(
        id: MentionId,
        note: &NoteRecord,
        conversation: ConversationRecord,
        created_at_ms: i64,
        read_at_ms: Option<i64>,
        now: OffsetDateTime,
    ) -> Self {
        MentionView {
            id,
            note: MentionNote {
                id: note.id,
                excerpt: domain::note::excerpt(&note.text),
                author: UserRef { id: note.author.0, name: note.author.1.clone() },
            },
            conversation: conversation_view(conversation, now),
            created_at: from_millis(created_at_ms),
            read_at: read_at_ms.map(from_millis),
        }
    }

    pub fn from_record(m: MentionRecord, now: OffsetDateTime) -> Self {
        MentionView {
            id: m.id,
            note: MentionNote {
                id: m.note_id,
                excerpt: domain::note::excerpt(&m.note_text),
                author: UserRef { id: m.author.0, name: m.author.1 },
            },
            conversation: conversation_view(m.conversation, now),
            created_at: from_millis(m.created_at),
            read_at: m.read_at.map(from_millis),
        }
    }
}
