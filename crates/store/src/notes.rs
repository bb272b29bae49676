//! Private notes of conversations and the mentions of teammates in them. Notes live in their own
//! table: nothing that sends (the outbox) can ever point at one. Every read and write goes through the
//! caller's visibility scope of the note's conversation.

use crate::conversations::{push_scope, ConversationRecord};
use crate::db::{in_transaction, on_reader, on_writer};
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_id;
use crate::sql::{bind_all, SqlBuilder};
use crate::Store;
use domain::ids::{AccountId, ConversationId, MentionId, NoteId, UserId};
use domain::permissions::ConversationScope;

#[derive(Clone, Debug)]
pub struct NoteRecord {
    pub id: NoteId,
    pub conversation_id: ConversationId,
    pub author: (UserId, String),
    pub text: String,
    /// The teammates it mentions (id, current name), by name.
    pub mentions: Vec<(UserId, String)>,
    pub created_at: i64,
    pub updated_at: i64,
    pub edited_at: Option<i64>,
}

/// A mention of the caller, with what the "Menciones" view shows of its note and conversation.
#[derive(Clone, Debug)]
pub struct MentionRecord {
    pub id: MentionId,
    pub note_id: NoteId,
    pub note_text: String,
    pub author: (UserId, String),
    pub conversation: ConversationRecord,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// A note to add: its conversation, author, text and the users it mentions (each checked by the
/// caller: they may see the conversation).
#[derive(Clone, Copy, Debug)]
pub struct NewNote<'a> {
    pub conversation: ConversationId,
    pub author: UserId,
    pub text: &'a str,
    pub mentions: &'a [UserId],
}

/// A mention just made: who is mentioned, and its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewMention {
    pub id: MentionId,
    pub user: UserId,
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: String,
    conversation_id: String,
    author_id: String,
    author_name: String,
    text: String,
    created_at: i64,
    updated_at: i64,
    edited_at: Option<i64>,
}

const NOTE_SELECT: &str = "SELECT n.id, n.conversation_id, n.author_id, u.name AS author_name, n.text, n.created_at, n.updated_at, n.edited_at \
     FROM notes n JOIN users u ON u.id = n.author_id JOIN conversations c ON c.id = n.conversation_id ";

impl Store {
    /// The notes of a conversation the caller may see, oldest first.
    pub async fn list_notes(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        conversation: ConversationId,
    ) -> StoreResult<Vec<NoteRecord>> {
        self.get_conversation(account, scope, conversation).await?;
        let rows: Vec<NoteRow> = on_reader!(self, p => sqlx::query_as(&format!(
            "{NOTE_SELECT} WHERE n.account_id = $1 AND n.conversation_id = $2 ORDER BY n.created_at, n.id"))
            .bind(account.to_string()).bind(conversation.to_string()).fetch_all(p).await)?;
        self.notes_with_mentions(rows).await
    }

    /// One note, if the caller may see its conversation.
    pub async fn get_note(&self, account: AccountId, scope: &ConversationScope, id: NoteId) -> StoreResult<NoteRecord> {
        let mut q = SqlBuilder::new(NOTE_SELECT);
        q.push("WHERE n.account_id = ").bind_text(account.to_string()).push(" AND n.id = ").bind_text(id.to_string());
        push_scope(&mut q, scope);
        let row: NoteRow = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_one(p).await)?;
        self.notes_with_mentions(vec![row]).await?.pop().ok_or(StoreError::NotFound)
    }

    /// Adds a note, with its mentions, to a conversation the caller may see.
    pub async fn create_note(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        new: NewNote<'_>,
        now_ms: i64,
    ) -> StoreResult<(NoteRecord, Vec<NewMention>)> {
        let NewNote { conversation, author, text, mentions } = new;
        self.get_conversation(account, scope, conversation).await?;
        let id = NoteId::new();
        let made = in_transaction!(self, tx => {
            sqlx::query("INSERT INTO notes (id, account_id, conversation_id, author_id, text, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)")
                .bind(id.to_string()).bind(account.to_string()).bind(conversation.to_string()).bind(author.to_string()).bind(text).bind(now_ms)
                .execute(&mut *tx).await?;
            let mut made = vec![];
            for user in mentions {
                let mention = MentionId::new();
                sqlx::query("INSERT INTO mentions (id, account_id, note_id, conversation_id, user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
                    .bind(mention.to_string()).bind(account.to_string()).bind(id.to_string()).bind(conversation.to_string()).bind(user.to_string()).bind(now_ms)
                    .execute(&mut *tx).await?;
                made.push(NewMention { id: mention, user: *user });
            }
            made
        });
        Ok((self.get_note(account, &ConversationScope::All, id).await?, made))
    }

    /// Replaces a note's text and its mentions: users no longer mentioned lose the mention, newly
    /// mentioned ones get one (returned); those mentioned before keep theirs (read or not).
    pub async fn update_note(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        id: NoteId,
        text: &str,
        mentions: &[UserId],
        now_ms: i64,
    ) -> StoreResult<(NoteRecord, Vec<NewMention>)> {
        let note = self.get_note(account, scope, id).await?;
        let made = in_transaction!(self, tx => {
            sqlx::query("UPDATE notes SET text = $2, updated_at = $3, edited_at = $3 WHERE id = $1")
                .bind(id.to_string()).bind(text).bind(now_ms).execute(&mut *tx).await?;
            let mut q = SqlBuilder::new("DELETE FROM mentions WHERE note_id = ");
            q.bind_text(id.to_string());
            if !mentions.is_empty() {
                q.push(" AND NOT ").in_list("user_id", mentions.iter().map(|u| u.to_string()));
            }
            bind_all!(sqlx::query(&q.sql), q).execute(&mut *tx).await?;
            let mut made = vec![];
            for user in mentions {
                let mention = MentionId::new();
                let inserted = sqlx::query("INSERT INTO mentions (id, account_id, note_id, conversation_id, user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
                    .bind(mention.to_string()).bind(account.to_string()).bind(id.to_string()).bind(note.conversation_id.to_string()).bind(user.to_string()).bind(now_ms)
                    .execute(&mut *tx).await?.rows_affected();
                if inserted > 0 {
                    made.push(NewMention { id: mention, user: *user });
                }
            }
            made
        });
        Ok((self.get_note(account, &ConversationScope::All, id).await?, made))
    }

    /// Deletes a note (and its mentions) of a conversation the caller may see.
    pub async fn delete_note(&self, account: AccountId, scope: &ConversationScope, id: NoteId) -> StoreResult<()> {
        self.get_note(account, scope, id).await?;
        on_writer!(self, p => sqlx::query("DELETE FROM notes WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    async fn notes_with_mentions(&self, rows: Vec<NoteRow>) -> StoreResult<Vec<NoteRecord>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let mut q = SqlBuilder::new(
            "SELECT m.note_id, m.user_id, u.name FROM mentions m JOIN users u ON u.id = m.user_id WHERE ",
        );
        q.in_list("m.note_id", rows.iter().map(|r| r.id.clone())).push(" ORDER BY u.name, u.id");
        let mentioned: Vec<(String, String, String)> =
            on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        rows.into_iter()
            .map(|r| {
                let mentions = mentioned
                    .iter()
                    .filter(|(note, _, _)| *note == r.id)
                    .map(|(_, user, name)| Ok((parse_id(user, "user")?, name.clone())))
                    .collect::<StoreResult<Vec<_>>>()?;
                Ok(NoteRecord {
                    id: parse_id(&r.id, "note")?,
                    conversation_id: parse_id(&r.conversation_id, "conversation")?,
                    author: (parse_id(&r.author_id, "user")?, r.author_name),
                    text: r.text,
                    mentions,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                    edited_at: r.edited_at,
                })
            })
            .collect()
    }
}

#[derive(sqlx::FromRow)]
struct MentionRow {
    id: String,
    note_id: String,
    note_text: String,
    author_id: String,
    author_name: String,
    conversation_id: String,
    created_at: i64,
    read_at: Option<i64>,
}

impl Store {
    /// The caller's mentions in conversations they may (still) see, newest first; `before` is the
    /// keyset cursor (created_at, id) of the last one of the previous page.
    pub async fn list_mentions(
        &self,
        account: AccountId,
        user: UserId,
        scope: &ConversationScope,
        unread_only: bool,
        before: Option<(i64, MentionId)>,
        limit: i64,
    ) -> StoreResult<Vec<MentionRecord>> {
        let mut q = SqlBuilder::new(
            "SELECT m.id, m.note_id, n.text AS note_text, n.author_id, u.name AS author_name, m.conversation_id, m.created_at, m.read_at \
             FROM mentions m JOIN notes n ON n.id = m.note_id JOIN users u ON u.id = n.author_id JOIN conversations c ON c.id = m.conversation_id \
             WHERE m.account_id = ",
        );
        q.bind_text(account.to_string()).push(" AND m.user_id = ").bind_text(user.to_string());
        push_scope(&mut q, scope);
        if unread_only {
            q.push(" AND m.read_at IS NULL");
        }
        if let Some((at, id)) = before {
            q.push(" AND (m.created_at < ").bind_int(at).push(" OR (m.created_at = ").bind_int(at);
            q.push(" AND m.id < ").bind_text(id.to_string()).push("))");
        }
        q.push(" ORDER BY m.created_at DESC, m.id DESC LIMIT ").bind_int(limit);
        let rows: Vec<MentionRow> = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        let ids: Vec<ConversationId> =
            rows.iter().map(|r| parse_id(&r.conversation_id, "conversation")).collect::<StoreResult<_>>()?;
        let conversations = self.conversations_by_ids(account, scope, &ids).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            // Scoped like the mentions: a conversation missing here is one the caller no longer sees.
            let Some(conversation) = conversations.iter().find(|c| c.id.to_string() == r.conversation_id) else {
                continue;
            };
            out.push(MentionRecord {
                id: parse_id(&r.id, "mention")?,
                note_id: parse_id(&r.note_id, "note")?,
                note_text: r.note_text,
                author: (parse_id(&r.author_id, "user")?, r.author_name),
                conversation: conversation.clone(),
                created_at: r.created_at,
                read_at: r.read_at,
            });
        }
        Ok(out)
    }

    /// How many of the caller's mentions, in conversations they may see, are unread.
    pub async fn unread_mentions(
        &self,
        account: AccountId,
        user: UserId,
        scope: &ConversationScope,
    ) -> StoreResult<i64> {
        let mut q = SqlBuilder::new(
            "SELECT COUNT(*) FROM mentions m JOIN conversations c ON c.id = m.conversation_id WHERE m.account_id = ",
        );
        q.bind_text(account.to_string())
            .push(" AND m.user_id = ")
            .bind_text(user.to_string())
            .push(" AND m.read_at IS NULL");
        push_scope(&mut q, scope);
        let n: i64 = on_reader!(self, p => bind_all!(sqlx::query_scalar(&q.sql), q).fetch_one(p).await)?;
        Ok(n)
    }

    /// Marks one of the caller's mentions read (`Some(id)`) or all of them (`None`). A mention of
    /// someone else is [`StoreError::NotFound`]; one already read keeps its first reading time.
    pub async fn mark_mentions_read(
        &self,
        account: AccountId,
        user: UserId,
        id: Option<MentionId>,
        now_ms: i64,
    ) -> StoreResult<()> {
        if let Some(id) = id {
            let mine: Option<String> = on_reader!(self, p => sqlx::query_scalar("SELECT id FROM mentions WHERE account_id = $1 AND user_id = $2 AND id = $3")
                .bind(account.to_string()).bind(user.to_string()).bind(id.to_string()).fetch_optional(p).await)?;
            if mine.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        let mut q = SqlBuilder::new("UPDATE mentions SET read_at = ");
        q.bind_int(now_ms).push(" WHERE account_id = ").bind_text(account.to_string());
        q.push(" AND user_id = ").bind_text(user.to_string()).push(" AND read_at IS NULL");
        if let Some(id) = id {
            q.push(" AND id = ").bind_text(id.to_string());
        }
        on_writer!(self, p => bind_all!(sqlx::query(&q.sql), q).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
