//! Scheduled sends: a send request kept until its time, then claimed by one worker.
//!
//! A due row is claimed by moving it from `scheduled` to `sending` with a lease, in one statement
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's single writer gives the same guarantee), so two
//! processes never take the same row. Every later move is conditional on the status it leaves
//! (`WHERE status = …`): an edit or a cancel that lost the race to the worker changes nothing and the
//! caller learns it (`false`), and a worker never overwrites a cancel. A row still `sending` after
//! its lease means the process died mid-send: the message may or may not have been queued, so the
//! row is failed as interrupted rather than sent a second time.

use crate::conversations::push_scope;
use crate::db::{on_reader, on_writer, Db};
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_id;
use crate::sql::{bind_all, SqlBuilder};
use crate::Store;
use domain::ids::{AccountId, ChannelId, ConversationId, MessageId, ScheduledId, UploadId, UserId};
use domain::permissions::ConversationScope;
use domain::scheduled::ScheduledStatus;

#[derive(Clone, Debug)]
pub struct ScheduledRecord {
    pub id: ScheduledId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub channel_id: ChannelId,
    /// Who scheduled it (id, current name); the send goes out as theirs.
    pub author: (UserId, String),
    /// `text`, `attachment` or `template`.
    pub kind: String,
    /// The send as the API took it.
    pub request: serde_json::Value,
    pub send_at: i64,
    pub status: ScheduledStatus,
    /// Why it was not sent (a stable code and a readable reason), when `failed`.
    pub failure: Option<(String, String)>,
    /// The message it became, once `sent`.
    pub message_id: Option<MessageId>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A send to schedule; its conversation is checked against the caller's scope.
#[derive(Clone, Copy, Debug)]
pub struct NewScheduled<'a> {
    pub conversation: ConversationId,
    pub author: UserId,
    pub kind: &'a str,
    pub request: &'a serde_json::Value,
    pub upload: Option<UploadId>,
    pub send_at: i64,
}

/// Which schedules to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScheduledFilter<'a> {
    pub conversation: Option<ConversationId>,
    pub author: Option<UserId>,
    /// Empty: every status.
    pub statuses: &'a [ScheduledStatus],
}

#[derive(sqlx::FromRow)]
struct ScheduledRow {
    id: String,
    account_id: String,
    conversation_id: String,
    channel_id: String,
    author_id: String,
    author_name: String,
    kind: String,
    request: String,
    send_at: i64,
    status: String,
    failure_code: Option<String>,
    failure_reason: Option<String>,
    message_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl ScheduledRow {
    fn into_record(self) -> StoreResult<ScheduledRecord> {
        let status = ScheduledStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown schedule status {}", self.status)))?;
        Ok(ScheduledRecord {
            id: parse_id(&self.id, "scheduled message")?,
            account_id: parse_id(&self.account_id, "account")?,
            conversation_id: parse_id(&self.conversation_id, "conversation")?,
            channel_id: parse_id(&self.channel_id, "channel")?,
            author: (parse_id(&self.author_id, "user")?, self.author_name),
            kind: self.kind,
            request: serde_json::from_str(&self.request)
                .map_err(|e| StoreError::Corrupt(format!("scheduled request: {e}")))?,
            send_at: self.send_at,
            status,
            failure: self.failure_code.map(|code| (code, self.failure_reason.unwrap_or_default())),
            message_id: self.message_id.as_deref().map(|m| parse_id(m, "message")).transpose()?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const SCHEDULED_SELECT: &str = "SELECT s.id, s.account_id, s.conversation_id, c.channel_id, s.author_id, u.name AS author_name, \
       s.kind, s.request, s.send_at, s.status, s.failure_code, s.failure_reason, s.message_id, s.created_at, s.updated_at \
     FROM scheduled_messages s JOIN conversations c ON c.id = s.conversation_id JOIN users u ON u.id = s.author_id ";

impl Store {
    /// Schedules a send in a conversation the caller may see.
    pub async fn create_scheduled(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        new: NewScheduled<'_>,
        now_ms: i64,
    ) -> StoreResult<ScheduledRecord> {
        self.get_conversation(account, scope, new.conversation).await?;
        let id = ScheduledId::new();
        on_writer!(self, p => sqlx::query(
            "INSERT INTO scheduled_messages (id, account_id, conversation_id, author_id, kind, request, upload_id, send_at, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")
            .bind(id.to_string()).bind(account.to_string()).bind(new.conversation.to_string()).bind(new.author.to_string())
            .bind(new.kind).bind(new.request.to_string()).bind(new.upload.map(|u| u.to_string())).bind(new.send_at)
            .bind(ScheduledStatus::Scheduled.as_str()).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        self.get_scheduled(account, &ConversationScope::All, id).await
    }

    /// One schedule, if the caller may see its conversation.
    pub async fn get_scheduled(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        id: ScheduledId,
    ) -> StoreResult<ScheduledRecord> {
        let mut q = SqlBuilder::new(SCHEDULED_SELECT);
        q.push("WHERE s.account_id = ").bind_text(account.to_string()).push(" AND s.id = ").bind_text(id.to_string());
        push_scope(&mut q, scope);
        let row: ScheduledRow = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_one(p).await)?;
        row.into_record()
    }

    /// The schedules of conversations the caller may see, soonest first.
    pub async fn list_scheduled(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        filter: ScheduledFilter<'_>,
    ) -> StoreResult<Vec<ScheduledRecord>> {
        let mut q = SqlBuilder::new(SCHEDULED_SELECT);
        q.push("WHERE s.account_id = ").bind_text(account.to_string());
        if let Some(c) = filter.conversation {
            q.push(" AND s.conversation_id = ").bind_text(c.to_string());
        }
        if let Some(a) = filter.author {
            q.push(" AND s.author_id = ").bind_text(a.to_string());
        }
        if !filter.statuses.is_empty() {
            q.push(" AND ").in_list("s.status", filter.statuses.iter().map(|s| s.as_str().to_string()));
        }
        push_scope(&mut q, scope);
        q.push(" ORDER BY s.send_at, s.id LIMIT 500");
        let rows: Vec<ScheduledRow> = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        rows.into_iter().map(ScheduledRow::into_record).collect()
    }

    /// Replaces a waiting schedule's send and time; `false` if it is no longer waiting (a worker
    /// claimed it, or it was cancelled).
    pub async fn edit_scheduled(
        &self,
        account: AccountId,
        id: ScheduledId,
        request: &serde_json::Value,
        upload: Option<UploadId>,
        send_at: i64,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let n = on_writer!(self, p => sqlx::query(
            "UPDATE scheduled_messages SET request = $3, upload_id = $4, send_at = $5, updated_at = $6 \
             WHERE account_id = $1 AND id = $2 AND status = $7")
            .bind(account.to_string()).bind(id.to_string()).bind(request.to_string()).bind(upload.map(|u| u.to_string()))
            .bind(send_at).bind(now_ms).bind(ScheduledStatus::Scheduled.as_str())
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Cancels a schedule not yet claimed (or dismisses a failed one); `false` if it is under way,
    /// sent or already cancelled.
    pub async fn cancel_scheduled(&self, account: AccountId, id: ScheduledId, now_ms: i64) -> StoreResult<bool> {
        let n = on_writer!(self, p => sqlx::query(
            "UPDATE scheduled_messages SET status = $3, updated_at = $4 WHERE account_id = $1 AND id = $2 AND status IN ($5, $6)")
            .bind(account.to_string()).bind(id.to_string()).bind(ScheduledStatus::Cancelled.as_str()).bind(now_ms)
            .bind(ScheduledStatus::Scheduled.as_str()).bind(ScheduledStatus::Failed.as_str())
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Claims due schedules for sending: each moves to `sending` with a lease until `now + lease`.
    pub async fn claim_scheduled(&self, now_ms: i64, lease_ms: i64, limit: i64) -> StoreResult<Vec<ScheduledRecord>> {
        let lock = match self.db {
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Db::Sqlite { .. } => "",
        };
        let sql = format!(
            "UPDATE scheduled_messages SET status = $4, claimed_until = $1, updated_at = $2 \
             WHERE id IN (SELECT id FROM scheduled_messages WHERE status = $5 AND send_at <= $2 \
                          ORDER BY send_at, id LIMIT $3{lock}) AND status = $5 \
             RETURNING id, account_id"
        );
        let claimed: Vec<(String, String)> = on_writer!(self, p => sqlx::query_as(&sql)
            .bind(now_ms + lease_ms).bind(now_ms).bind(limit)
            .bind(ScheduledStatus::Sending.as_str()).bind(ScheduledStatus::Scheduled.as_str())
            .fetch_all(p).await)?;
        let mut records = Vec::with_capacity(claimed.len());
        for (id, account) in claimed {
            let (id, account) = (parse_id(&id, "scheduled message")?, parse_id(&account, "account")?);
            records.push(self.get_scheduled(account, &ConversationScope::All, id).await?);
        }
        records.sort_by_key(|r| (r.send_at, r.id));
        Ok(records)
    }

    /// A claimed schedule became this queued message.
    pub async fn scheduled_sent(&self, id: ScheduledId, message: MessageId, now_ms: i64) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE scheduled_messages SET status = $3, message_id = $2, claimed_until = NULL, updated_at = $4 WHERE id = $1 AND status = $5")
            .bind(id.to_string()).bind(message.to_string()).bind(ScheduledStatus::Sent.as_str()).bind(now_ms)
            .bind(ScheduledStatus::Sending.as_str())
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Gives a claimed schedule back, unsent, to be claimed again (a passing failure before anything
    /// was queued).
    pub async fn release_scheduled(&self, id: ScheduledId, now_ms: i64) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE scheduled_messages SET status = $2, claimed_until = NULL, updated_at = $3 WHERE id = $1 AND status = $4")
            .bind(id.to_string()).bind(ScheduledStatus::Scheduled.as_str()).bind(now_ms).bind(ScheduledStatus::Sending.as_str())
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A claimed schedule was refused at its time: it ends `failed` with the reason.
    pub async fn scheduled_failed(&self, id: ScheduledId, code: &str, reason: &str, now_ms: i64) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE scheduled_messages SET status = $2, failure_code = $3, failure_reason = $4, claimed_until = NULL, updated_at = $5 \
             WHERE id = $1 AND status = $6")
            .bind(id.to_string()).bind(ScheduledStatus::Failed.as_str()).bind(code).bind(reason).bind(now_ms)
            .bind(ScheduledStatus::Sending.as_str())
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Fails the schedules whose worker died mid-send (lease expired while `sending`) with `code`;
    /// returns them as (account, id).
    pub async fn fail_abandoned_scheduled(
        &self,
        now_ms: i64,
        code: &str,
        reason: &str,
    ) -> StoreResult<Vec<(AccountId, ScheduledId)>> {
        let rows: Vec<(String, String)> = on_writer!(self, p => sqlx::query_as(
            "UPDATE scheduled_messages SET status = $2, failure_code = $3, failure_reason = $4, claimed_until = NULL, updated_at = $1 \
             WHERE status = $5 AND claimed_until < $1 RETURNING account_id, id")
            .bind(now_ms).bind(ScheduledStatus::Failed.as_str()).bind(code).bind(reason).bind(ScheduledStatus::Sending.as_str())
            .fetch_all(p).await)?;
        rows.into_iter().map(|(a, i)| Ok((parse_id(&a, "account")?, parse_id(&i, "scheduled message")?))).collect()
    }
}
