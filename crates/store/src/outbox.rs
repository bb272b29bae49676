//! The outbox: outbound messages waiting to be sent to Meta.
//!
//! A send is stored as a `pending` message plus an outbox row in one transaction (nothing is half
//! stored). Workers claim due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL), call the Graph API and then
//! either complete the message (`sent`, with Meta's id), reschedule it (transient error), or fail it with
//! Meta's code and reason. A row still `sending` after its lease means the process died mid-call: Meta may
//! or may not have the message, so it is failed as uncertain rather than sent a second time.

use crate::db::{in_transaction, on_writer, Db};
use crate::error::StoreResult;
use crate::messages::{AttachmentRow, MessageRow, ATTACHMENT_COLUMNS, MESSAGE_SELECT};
use crate::rows::{parse_id, parse_stored, to_json};
use crate::sql::{bind_all, SqlBuilder};
use crate::MessageRecord;
use crate::Store;
use domain::channel::ChannelKind;
use domain::ids::{AccountId, ChannelId, ConversationId, MessageId, UserId};
use domain::media_rules::MediaKind;
use domain::message::{MessageStatus, Origin};
use domain::outbound::OutboundRequest;

/// An outbound message to store and queue.
#[derive(Clone, Debug)]
pub struct NewOutbound {
    pub kind: String,
    pub text: Option<String>,
    pub content: serde_json::Value,
    pub reply_to_external_id: Option<String>,
    pub sender: Option<UserId>,
    /// What the worker needs to build the Graph call (kind-specific, already rendered).
    pub request: OutboundRequest,
    /// Attachments of the message: (kind, mime, size, sha256, filename, storage key) of an upload.
    pub attachments: Vec<OutboundAttachment>,
}

#[derive(Clone, Debug)]
pub struct OutboundAttachment {
    pub kind: MediaKind,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub filename: Option<String>,
    pub storage_key: String,
}

#[derive(Clone, Debug)]
pub struct OutboxItem {
    pub message_id: MessageId,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    /// The queued request, or why it cannot be read (a damaged row, or one written by a newer version
    /// this one does not know): the worker fails that message with the reason instead of guessing.
    pub request: Result<OutboundRequest, String>,
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    message_id: String,
    account_id: String,
    channel_id: String,
    request: String,
    attempts: i64,
}

impl Store {
    /// Stores an outbound message `pending` and queues it, in one transaction.
    pub async fn enqueue_outbound(
        &self,
        account: AccountId,
        conversation: ConversationId,
        channel: ChannelId,
        msg: &NewOutbound,
        now_ms: i64,
    ) -> StoreResult<MessageRecord> {
        let id = MessageId::new();
        let origin = Origin::Agent;
        let record = in_transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, origin, kind, text, content, \
                   reply_to_external_id, status, status_rank, sender_user_id, sent_at, created_at, updated_at, search_text) \
                 VALUES ($1, $2, $3, $4, NULL, $12, $13, $5, $6, $7, $8, $14, $15, $9, $10, $10, $10, $11)")
                .bind(id.to_string()).bind(account.to_string()).bind(channel.to_string()).bind(conversation.to_string())
                .bind(&msg.kind).bind(msg.text.as_deref()).bind(msg.content.to_string()).bind(msg.reply_to_external_id.as_deref())
                .bind(msg.sender.map(|u| u.to_string())).bind(now_ms).bind(crate::search::searchable(msg.text.as_deref()))
                .bind(origin.direction().as_str()).bind(origin.as_str())
                .bind(origin.initial_status().as_str()).bind(origin.initial_status().rank())
                .execute(&mut *tx).await?;
            for a in &msg.attachments {
                sqlx::query(
                    "INSERT INTO attachments (id, account_id, message_id, kind, mime, size, sha256, filename, storage_key, status, \
                       created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'ready', $10, $10)")
                    .bind(domain::ids::AttachmentId::new().to_string()).bind(account.to_string()).bind(id.to_string())
                    .bind(a.kind.as_str()).bind(&a.mime).bind(a.size).bind(&a.sha256).bind(a.filename.as_deref()).bind(&a.storage_key).bind(now_ms)
                    .execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO outbox (message_id, account_id, channel_id, request, state, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, 'queued', 0, $5, $5)")
                .bind(id.to_string()).bind(account.to_string()).bind(channel.to_string()).bind(to_json(&msg.request)).bind(now_ms)
                .execute(&mut *tx).await?;
            // The business's own message moves the conversation up but opens no window and is not unread.
            sqlx::query(
                "UPDATE conversations SET last_message_id = $2, \
                   last_activity_at = CASE WHEN $3 > last_activity_at THEN $3 ELSE last_activity_at END, updated_at = $3 WHERE id = $1")
                .bind(conversation.to_string()).bind(id.to_string()).bind(now_ms)
                .execute(&mut *tx).await?;
            // Read back inside the transaction: the message exactly as queued (`pending`), whatever an
            // outbox worker of this or another process does with it the moment the transaction commits.
            let mut q = SqlBuilder::new(MESSAGE_SELECT);
            q.push("WHERE m.id = ").bind_text(id.to_string());
            let row: MessageRow = bind_all!(sqlx::query_as(&q.sql), q).fetch_one(&mut *tx).await?;
            let attachments: Vec<AttachmentRow> =
                sqlx::query_as(&format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments a WHERE a.message_id = $1 ORDER BY a.id"))
                    .bind(id.to_string())
                    .fetch_all(&mut *tx)
                    .await?;
            let mut record = row.into_record()?;
            for a in attachments {
                record.attachments.push(a.into_record()?);
            }
            record
        });
        Ok(record)
    }

    /// Claims due outbox rows for sending.
    pub async fn claim_outbox(&self, now_ms: i64, lease_ms: i64, limit: i64) -> StoreResult<Vec<OutboxItem>> {
        self.claim_outbox_rows(now_ms, lease_ms, limit, None).await
    }

    /// The channel of the next due row, without claiming it. The worker waits for that channel's pacing
    /// slot first and claims after (`claim_outbox_of_channel`), so a row is `sending` only while its call
    /// runs: a process killed while waiting its turn leaves the row `queued`, not in doubt.
    /// Its kind comes with it: the kind decides the channel's rate (`ChannelKind::send_rate`).
    pub async fn next_due_outbox_channel(&self, now_ms: i64) -> StoreResult<Option<(ChannelId, ChannelKind)>> {
        let row: Option<(String, String)> = crate::db::on_reader!(self, p => sqlx::query_as(
            "SELECT o.channel_id, ch.kind FROM outbox o JOIN channels ch ON ch.id = o.channel_id \
             WHERE o.state = 'queued' AND o.next_attempt_at <= $1 \
             ORDER BY o.next_attempt_at, o.message_id LIMIT 1")
            .bind(now_ms).fetch_optional(p).await)?;
        row.map(|(channel, kind)| {
            Ok((parse_id(&channel, "channel")?, parse_stored(&kind, "channel kind", ChannelKind::parse)?))
        })
        .transpose()
    }

    /// Claims the next due row of one channel (none when another process took it meanwhile).
    pub async fn claim_outbox_of_channel(
        &self,
        now_ms: i64,
        lease_ms: i64,
        channel: ChannelId,
    ) -> StoreResult<Option<OutboxItem>> {
        Ok(self.claim_outbox_rows(now_ms, lease_ms, 1, Some(channel)).await?.pop())
    }

    async fn claim_outbox_rows(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
        channel: Option<ChannelId>,
    ) -> StoreResult<Vec<OutboxItem>> {
        let lock = match self.db {
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Db::Sqlite { .. } => "",
        };
        let of_channel = if channel.is_some() { " AND channel_id = $4" } else { "" };
        let sql = format!(
            "UPDATE outbox SET state = 'sending', calling = FALSE, claimed_until = $1, attempts = attempts + 1 \
             WHERE message_id IN (SELECT message_id FROM outbox WHERE state = 'queued' AND next_attempt_at <= $2{of_channel} \
                                  ORDER BY next_attempt_at, message_id LIMIT $3{lock}) \
             RETURNING message_id, account_id, channel_id, request, attempts"
        );
        let channel = channel.map(|c| c.to_string());
        let mut rows: Vec<OutboxRow> = on_writer!(self, p => {
            let q = sqlx::query_as(&sql).bind(now_ms + lease_ms).bind(now_ms).bind(limit);
            let q = match &channel {
                Some(c) => q.bind(c.clone()),
                None => q,
            };
            q.fetch_all(p).await
        })?;
        rows.sort_by(|a, b| a.message_id.cmp(&b.message_id));
        rows.into_iter()
            .map(|r| {
                Ok(OutboxItem {
                    message_id: parse_id(&r.message_id, "message")?,
                    account_id: parse_id(&r.account_id, "account")?,
                    channel_id: parse_id(&r.channel_id, "channel")?,
                    request: serde_json::from_str(&r.request).map_err(|e| e.to_string()),
                    attempts: r.attempts,
                })
            })
            .collect()
    }

    /// Meta accepted the message: record its id and `sent` (unless a status already moved it further).
    pub async fn outbox_sent(&self, message: MessageId, external_id: &str, now_ms: i64) -> StoreResult<()> {
        in_transaction!(self, tx => {
            // Meta may echo our own send (Messenger/Instagram `is_echo`) before its answer is stored: that
            // echo is this message, so it is folded into it rather than shown twice.
            let echo: Option<String> = sqlx::query_scalar(
                "SELECT e.id FROM messages e JOIN messages m ON m.channel_id = e.channel_id \
                 WHERE m.id = $1 AND e.external_id = $2 AND e.origin = $3 AND e.id <> $1")
                .bind(message.to_string()).bind(external_id).bind(Origin::BusinessApp.as_str()).fetch_optional(&mut *tx).await?;
            if let Some(echo) = echo {
                for table in ["reactions", "attachments", "message_versions"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE message_id = $1")).bind(&echo).execute(&mut *tx).await?;
                }
                sqlx::query("UPDATE conversations SET last_message_id = $2 WHERE last_message_id = $1")
                    .bind(&echo).bind(message.to_string()).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM messages WHERE id = $1").bind(&echo).execute(&mut *tx).await?;
            }
            // A status that beat Meta's answer (e.g. `delivered`) is kept: `sent` only moves it forwards.
            sqlx::query(
                "UPDATE messages SET external_id = $2, status = CASE WHEN status_rank < $5 THEN $4 ELSE status END, \
                   status_rank = CASE WHEN status_rank < $5 THEN $5 ELSE status_rank END, updated_at = $3 WHERE id = $1")
                .bind(message.to_string()).bind(external_id).bind(now_ms)
                .bind(MessageStatus::Sent.as_str()).bind(MessageStatus::Sent.rank())
                .execute(&mut *tx).await?;
            sqlx::query("DELETE FROM outbox WHERE message_id = $1").bind(message.to_string()).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// A transient failure: try again at `retry_at`.
    pub async fn outbox_retry(&self, message: MessageId, error: &str, retry_at: i64) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query("UPDATE outbox SET state = 'queued', next_attempt_at = $2, last_error = $3, claimed_until = NULL WHERE message_id = $1")
            .bind(message.to_string()).bind(retry_at).bind(error).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A permanent failure: the message ends `failed` with Meta's code and a readable reason.
    pub async fn outbox_failed(
        &self,
        message: MessageId,
        code: Option<String>,
        title: &str,
        reason: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        in_transaction!(self, tx => {
            sqlx::query(
                "UPDATE messages SET status = $6, status_rank = $7, error_code = $2, error_title = $3, error_message = $4, updated_at = $5 \
                 WHERE id = $1")
                .bind(message.to_string()).bind(code).bind(title).bind(reason).bind(now_ms)
                .bind(MessageStatus::Failed.as_str()).bind(MessageStatus::Failed.rank())
                .execute(&mut *tx).await?;
            sqlx::query("DELETE FROM outbox WHERE message_id = $1").bind(message.to_string()).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Extends the claim on a send still in progress (see `claim_outbox`).
    pub async fn renew_outbox_claim(&self, message: MessageId, until_ms: i64) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query("UPDATE outbox SET claimed_until = $2 WHERE message_id = $1 AND state = 'sending'")
            .bind(message.to_string()).bind(until_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The send call of a claimed row is about to go out: from here on a crash leaves it in doubt.
    /// Returns whether the caller still holds the claim (its lease, `claimed_until`, is still the one
    /// it took); a process too slow to renew it has lost the row and must not send it.
    pub async fn outbox_calling(&self, message: MessageId, now_ms: i64) -> StoreResult<bool> {
        let n = on_writer!(self, p => sqlx::query("UPDATE outbox SET calling = TRUE WHERE message_id = $1 AND state = 'sending' AND NOT calling AND claimed_until >= $2")
            .bind(message.to_string()).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Queues again the rows whose sender died before their call started (lease expired while
    /// `sending`, `calling` not set): nothing of them reached Meta. Returns how many.
    pub async fn outbox_requeue_interrupted(&self, now_ms: i64) -> StoreResult<u64> {
        let n = on_writer!(self, p => sqlx::query(
            "UPDATE outbox SET state = 'queued', claimed_until = NULL \
             WHERE state = 'sending' AND claimed_until < $1 AND NOT calling")
            .bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// Rows whose sender died mid-call (lease expired while `sending`, the call started), as
    /// (message, channel).
    pub async fn outbox_abandoned(&self, now_ms: i64) -> StoreResult<Vec<(MessageId, ChannelId)>> {
        let rows: Vec<(String, String)> = crate::db::on_reader!(self, p => sqlx::query_as(
            "SELECT message_id, channel_id FROM outbox WHERE state = 'sending' AND claimed_until < $1 AND calling")
            .bind(now_ms).fetch_all(p).await)?;
        rows.into_iter().map(|(m, c)| Ok((parse_id(&m, "message")?, parse_id(&c, "channel")?))).collect()
    }
}
