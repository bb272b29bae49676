//! Reading messages and their attachments, always through a conversation the caller can see.

use crate::conversations::push_scope;
use crate::db::{on_reader, on_writer};
use crate::error::{StoreError, StoreResult};
use crate::rows::{parse_id, parse_json, parse_stored};
use crate::sql::{bind_all, SqlBuilder};
use crate::Store;
use domain::ids::{AccountId, AttachmentId, ChannelId, ConversationId, MessageId, UserId};
use domain::media_rules::MediaKind;
use domain::message::{Direction, MessageStatus, Origin};
use domain::permissions::ConversationScope;

#[derive(Clone, Debug)]
pub struct AttachmentRecord {
    pub id: AttachmentId,
    pub message_id: MessageId,
    pub kind: MediaKind,
    pub mime: Option<String>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub filename: Option<String>,
    pub storage_key: Option<String>,
    pub status: String,
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub struct QuotedMessage {
    pub id: MessageId,
    pub kind: String,
    pub text: Option<String>,
    pub deleted: bool,
}

#[derive(Clone, Debug)]
pub struct MessageRecord {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub channel_id: ChannelId,
    pub external_id: Option<String>,
    pub direction: Direction,
    pub origin: Origin,
    pub kind: String,
    pub text: Option<String>,
    pub content: serde_json::Value,
    pub reply_to_external_id: Option<String>,
    pub reply_to: Option<QuotedMessage>,
    pub status: MessageStatus,
    pub error: Option<(Option<String>, Option<String>, Option<String>)>,
    pub pricing: Option<serde_json::Value>,
    pub sender: Option<(UserId, String)>,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    pub sent_at: i64,
    pub reactions: Vec<(String, String)>,
    pub attachments: Vec<AttachmentRecord>,
}

pub(crate) const MESSAGE_SELECT: &str =
    "SELECT m.id, m.conversation_id, m.channel_id, m.external_id, m.direction, m.origin, m.kind, m.text, m.content, \
       m.reply_to_external_id, q.id AS q_id, q.kind AS q_kind, q.text AS q_text, q.deleted AS q_deleted, \
       m.status, m.error_code, m.error_title, m.error_message, m.pricing, m.sender_user_id, su.name AS sender_name, \
       m.edited_at, m.deleted, m.sent_at \
     FROM messages m \
     JOIN conversations c ON c.id = m.conversation_id \
     LEFT JOIN messages q ON q.channel_id = m.channel_id AND q.external_id = m.reply_to_external_id \
     LEFT JOIN users su ON su.id = m.sender_user_id ";

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: String,
    conversation_id: String,
    channel_id: String,
    external_id: Option<String>,
    direction: String,
    origin: String,
    kind: String,
    text: Option<String>,
    content: String,
    reply_to_external_id: Option<String>,
    q_id: Option<String>,
    q_kind: Option<String>,
    q_text: Option<String>,
    q_deleted: Option<bool>,
    status: String,
    error_code: Option<String>,
    error_title: Option<String>,
    error_message: Option<String>,
    pricing: Option<String>,
    sender_user_id: Option<String>,
    sender_name: Option<String>,
    edited_at: Option<i64>,
    deleted: bool,
    sent_at: i64,
}

/// The message a reply quotes, read on its own (as `MESSAGE_SELECT` joins it).
#[derive(sqlx::FromRow)]
pub(crate) struct QuotedRow {
    id: String,
    kind: String,
    text: Option<String>,
    deleted: bool,
}

impl QuotedRow {
    pub(crate) fn into_quoted(self) -> StoreResult<QuotedMessage> {
        quoted(&self.id, self.kind, self.text, self.deleted)
    }
}

/// A quoted message shows no text once deleted.
fn quoted(id: &str, kind: String, text: Option<String>, deleted: bool) -> StoreResult<QuotedMessage> {
    Ok(QuotedMessage { id: parse_id(id, "message")?, kind, text: if deleted { None } else { text }, deleted })
}

impl MessageRow {
    pub(crate) fn into_record(self) -> StoreResult<MessageRecord> {
        let reply_to = match self.q_id {
            Some(id) => {
                Some(quoted(&id, self.q_kind.unwrap_or_default(), self.q_text, self.q_deleted.unwrap_or(false))?)
            }
            None => None,
        };
        let error = (self.error_code.is_some() || self.error_title.is_some()).then_some((
            self.error_code,
            self.error_title,
            self.error_message,
        ));
        Ok(MessageRecord {
            id: parse_id(&self.id, "message")?,
            conversation_id: parse_id(&self.conversation_id, "conversation")?,
            channel_id: parse_id(&self.channel_id, "channel")?,
            external_id: self.external_id,
            direction: parse_stored(&self.direction, "message direction", Direction::parse)?,
            origin: parse_stored(&self.origin, "message origin", Origin::parse)?,
            kind: self.kind,
            // Deleted messages keep their record but show no content (the version history has it).
            text: if self.deleted { None } else { self.text },
            content: if self.deleted { serde_json::json!({}) } else { parse_json(&self.content, "message content")? },
            reply_to_external_id: self.reply_to_external_id,
            reply_to,
            status: parse_stored(&self.status, "message status", MessageStatus::parse)?,
            error,
            pricing: self.pricing.as_deref().map(|p| parse_json(p, "pricing")).transpose()?,
            sender: match self.sender_user_id {
                Some(id) => Some((parse_id(&id, "user")?, self.sender_name.unwrap_or_default())),
                None => None,
            },
            edited_at: self.edited_at,
            deleted: self.deleted,
            sent_at: self.sent_at,
            reactions: vec![],
            attachments: vec![],
        })
    }
}

#[derive(sqlx::FromRow, Clone)]
pub(crate) struct AttachmentRow {
    id: String,
    message_id: String,
    kind: String,
    mime: Option<String>,
    size: Option<i64>,
    sha256: Option<String>,
    filename: Option<String>,
    storage_key: Option<String>,
    status: String,
    error: Option<String>,
}

impl AttachmentRow {
    pub(crate) fn into_record(self) -> StoreResult<AttachmentRecord> {
        Ok(AttachmentRecord {
            id: parse_id(&self.id, "attachment")?,
            message_id: parse_id(&self.message_id, "message")?,
            kind: parse_stored(&self.kind, "attachment kind", MediaKind::parse)?,
            mime: self.mime,
            size: self.size,
            sha256: self.sha256,
            filename: self.filename,
            storage_key: self.storage_key,
            status: self.status,
            error: self.error,
        })
    }
}

pub(crate) const ATTACHMENT_COLUMNS: &str =
    "a.id, a.message_id, a.kind, a.mime, a.size, a.sha256, a.filename, a.storage_key, a.status, a.error";

impl Store {
    /// A page of a visible conversation's messages, oldest to newest, ending just before `before`
    /// (a message id) or at the newest.
    pub async fn list_messages(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: i64,
    ) -> StoreResult<Vec<MessageRecord>> {
        self.get_conversation(account, scope, conversation).await?;
        let mut q = SqlBuilder::new(MESSAGE_SELECT);
        q.push("WHERE m.account_id = ").bind_text(account.to_string());
        q.push(" AND m.conversation_id = ").bind_text(conversation.to_string());
        // A reaction the business sent is shown on its target message, not as a row of its own.
        q.push(" AND m.kind <> 'reaction'");
        if let Some(before) = before {
            q.push(" AND (m.sent_at, m.id) < (SELECT b.sent_at, b.id FROM messages b WHERE b.id = ")
                .bind_text(before.to_string())
                .push(")");
        }
        q.push(" ORDER BY m.sent_at DESC, m.id DESC LIMIT ").bind_int(limit);
        let rows: Vec<MessageRow> = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        let mut records: Vec<MessageRecord> =
            rows.into_iter().rev().map(MessageRow::into_record).collect::<StoreResult<_>>()?;
        self.attach_details(&mut records).await?;
        Ok(records)
    }

    /// The messages with these ids in `account` (in no particular order), as [`Store::get_message`]
    /// reads one: for publishing what a batch just wrote with one read instead of one per message.
    pub async fn messages_by_ids(&self, account: AccountId, ids: &[MessageId]) -> StoreResult<Vec<MessageRecord>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut q = SqlBuilder::new(MESSAGE_SELECT);
        q.push("WHERE m.account_id = ").bind_text(account.to_string()).push(" AND ");
        q.in_list("m.id", ids.iter().map(|i| i.to_string()));
        let rows: Vec<MessageRow> = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        let mut records: Vec<MessageRecord> =
            rows.into_iter().map(MessageRow::into_record).collect::<StoreResult<_>>()?;
        self.attach_details(&mut records).await?;
        Ok(records)
    }

    /// One message of a visible conversation.
    pub async fn get_message(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        id: MessageId,
    ) -> StoreResult<MessageRecord> {
        let mut q = SqlBuilder::new(MESSAGE_SELECT);
        q.push("WHERE m.account_id = ").bind_text(account.to_string()).push(" AND m.id = ").bind_text(id.to_string());
        push_scope(&mut q, scope);
        let row: MessageRow = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_one(p).await)?;
        let mut records = vec![row.into_record()?];
        self.attach_details(&mut records).await?;
        records.pop().ok_or(StoreError::NotFound)
    }

    pub(crate) async fn attach_details(&self, records: &mut [MessageRecord]) -> StoreResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();
        let mut q = SqlBuilder::new("SELECT message_id, actor, emoji FROM reactions WHERE ");
        q.in_list("message_id", ids.iter().cloned()).push(" ORDER BY updated_at");
        let reactions: Vec<(String, String, String)> =
            on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        let mut q = SqlBuilder::new(format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE "));
        q.in_list("a.message_id", ids).push(" ORDER BY a.id");
        let attachments: Vec<AttachmentRow> =
            on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        for r in records.iter_mut() {
            let id = r.id.to_string();
            r.reactions =
                reactions.iter().filter(|(m, _, _)| *m == id).map(|(_, a, e)| (a.clone(), e.clone())).collect();
            if !r.deleted {
                for a in attachments.iter().filter(|a| a.message_id == id) {
                    r.attachments.push(a.clone().into_record()?);
                }
            }
        }
        Ok(())
    }

    /// An attachment of a visible, not deleted message.
    pub async fn get_attachment(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        id: AttachmentId,
    ) -> StoreResult<AttachmentRecord> {
        let mut q = SqlBuilder::new(format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments a JOIN messages m ON m.id = a.message_id JOIN conversations c ON c.id = m.conversation_id \
             WHERE a.account_id = "
        ));
        q.bind_text(account.to_string()).push(" AND a.id = ").bind_text(id.to_string()).push(" AND m.deleted = FALSE");
        push_scope(&mut q, scope);
        let row: AttachmentRow = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_one(p).await)?;
        row.into_record()
    }

    /// Attachments whose bytes are still to be fetched from Meta, due now.
    pub async fn due_attachments(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<(AttachmentRecord, ChannelId, serde_json::Value, i64)>> {
        #[derive(sqlx::FromRow)]
        struct Due {
            #[sqlx(flatten)]
            a: AttachmentRow,
            channel_id: String,
            source: String,
            attempts: i64,
        }
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS}, m.channel_id, a.source, a.attempts FROM attachments a JOIN messages m ON m.id = a.message_id \
             WHERE a.status = 'pending' AND a.next_attempt_at <= $1 ORDER BY a.next_attempt_at, a.id LIMIT $2"
        );
        let rows: Vec<Due> = on_reader!(self, p => sqlx::query_as(&sql).bind(now_ms).bind(limit).fetch_all(p).await)?;
        rows.into_iter()
            .map(|d| {
                Ok((
                    d.a.into_record()?,
                    parse_id(&d.channel_id, "channel")?,
                    parse_json(&d.source, "attachment source")?,
                    d.attempts,
                ))
            })
            .collect()
    }

    pub async fn attachment_ready(
        &self,
        id: AttachmentId,
        mime: &str,
        size: i64,
        sha256: &str,
        storage_key: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE attachments SET status = 'ready', mime = $2, size = $3, sha256 = $4, storage_key = $5, error = NULL, \
               attempts = attempts + 1, updated_at = $6 WHERE id = $1")
            .bind(id.to_string()).bind(mime).bind(size).bind(sha256).bind(storage_key).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records a failed fetch: retried at `retry_at`, or given up (`retry_at: None`).
    pub async fn attachment_failed(
        &self,
        id: AttachmentId,
        error: &str,
        retry_at: Option<i64>,
        now_ms: i64,
    ) -> StoreResult<()> {
        let status = if retry_at.is_some() { "pending" } else { "failed" };
        on_writer!(self, p => sqlx::query(
            "UPDATE attachments SET status = $2, error = $3, attempts = attempts + 1, next_attempt_at = COALESCE($4, next_attempt_at), updated_at = $5 WHERE id = $1")
            .bind(id.to_string()).bind(status).bind(error).bind(retry_at).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Message count of a conversation (tests and metrics; not visibility-checked).
    pub async fn count_messages(&self, conversation: ConversationId) -> StoreResult<i64> {
        let n: i64 = on_reader!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE conversation_id = $1").bind(conversation.to_string()).fetch_one(p).await)?;
        Ok(n)
    }
}

impl Store {
    /// The message, conversation and channel an attachment belongs to (for notifications).
    pub async fn attachment_message(
        &self,
        id: AttachmentId,
    ) -> StoreResult<Option<(MessageId, ConversationId, ChannelId)>> {
        let row: Option<(String, String, String)> = on_reader!(self, p => sqlx::query_as(
            "SELECT m.id, m.conversation_id, m.channel_id FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = $1")
            .bind(id.to_string()).fetch_optional(p).await)?;
        row.map(|(m, c, ch)| Ok((parse_id(&m, "message")?, parse_id(&c, "conversation")?, parse_id(&ch, "channel")?)))
            .transpose()
    }
}
