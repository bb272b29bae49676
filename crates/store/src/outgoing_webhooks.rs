//! Outgoing webhooks and their delivery outbox.
//!
//! An event is queued as one `pending` row per subscribed webhook. The delivery worker claims due rows
//! with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's single writer makes the claim
//! exclusive anyway), POSTs them, and records the outcome: `delivered`, a retry at a later time, or
//! `failed`. A row whose lease ran out (the process died mid-POST) is simply claimed again: delivery
//! is at-least-once and receivers deduplicate by the event id.
//!
//! Order: a webhook's events are claimed one at a time, oldest first — a row is due only when no older
//! pending event of the same webhook exists — so a receiver sees them in the order they happened, and
//! one that is failing holds back only its own queue. `ping`s skip the line.

use crate::db::{in_transaction, on_reader, on_writer, Db};
use crate::error::{StoreError, StoreResult};
use crate::rows::{parse_id, parse_json, parse_stored, to_json};
use crate::Store;
use domain::ids::{AccountId, EventId, WebhookId};
use domain::outgoing_webhook::{DeliveryStatus, HookEvent};
use std::collections::BTreeSet;

/// A webhook as stored; the secret stays sealed (the server opens it to sign).
#[derive(Clone, Debug)]
pub struct WebhookRecord {
    pub id: WebhookId,
    pub account_id: AccountId,
    pub url: String,
    pub events: BTreeSet<HookEvent>,
    pub secret_enc: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What may change on a webhook; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<BTreeSet<HookEvent>>,
    pub enabled: Option<bool>,
}

/// One event for one webhook, ready to queue: `body` is the exact JSON that is signed and sent.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    pub id: EventId,
    pub webhook_id: WebhookId,
    pub event: HookEvent,
    pub body: String,
}

/// A delivery as the log shows it.
#[derive(Clone, Debug)]
pub struct DeliveryRecord {
    pub id: EventId,
    pub webhook_id: WebhookId,
    pub event: HookEvent,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    /// The HTTP status of the last answer, if the receiver answered at all.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A claimed delivery: what the worker sends, and where.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    pub id: EventId,
    pub webhook_id: WebhookId,
    pub event_type: String,
    pub body: String,
    /// The attempts made, this one included.
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: String,
    account_id: String,
    url: String,
    events: String,
    secret_enc: String,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

const WEBHOOK_COLUMNS: &str = "id, account_id, url, events, secret_enc, enabled, created_at, updated_at";

impl WebhookRow {
    fn into_record(self) -> StoreResult<WebhookRecord> {
        Ok(WebhookRecord {
            id: parse_id(&self.id, "webhook")?,
            account_id: parse_id(&self.account_id, "account")?,
            url: self.url,
            events: parse_json(&self.events, "webhook events")?,
            secret_enc: self.secret_enc,
            enabled: self.enabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: String,
    webhook_id: String,
    event_type: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const DELIVERY_COLUMNS: &str =
    "id, webhook_id, event_type, status, attempts, next_attempt_at, last_status, last_error, created_at, updated_at";

impl DeliveryRow {
    fn into_record(self) -> StoreResult<DeliveryRecord> {
        Ok(DeliveryRecord {
            id: parse_id(&self.id, "delivery")?,
            webhook_id: parse_id(&self.webhook_id, "webhook")?,
            event: parse_stored(&self.event_type, "webhook event", HookEvent::parse)?,
            status: parse_stored(&self.status, "delivery status", DeliveryStatus::parse)?,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            last_status: self.last_status,
            last_error: self.last_error,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl Store {
    pub async fn create_webhook(&self, w: &WebhookRecord) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "INSERT INTO webhooks (id, account_id, url, events, secret_enc, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(w.id.to_string()).bind(w.account_id.to_string()).bind(&w.url).bind(to_json(&w.events))
            .bind(&w.secret_enc).bind(w.enabled).bind(w.created_at).bind(w.updated_at)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The account's webhooks, oldest first.
    pub async fn list_webhooks(&self, account: AccountId) -> StoreResult<Vec<WebhookRecord>> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 ORDER BY id");
        let rows: Vec<WebhookRow> =
            on_reader!(self, p => sqlx::query_as(&sql).bind(account.to_string()).fetch_all(p).await)?;
        rows.into_iter().map(WebhookRow::into_record).collect()
    }

    pub async fn get_webhook(&self, account: AccountId, id: WebhookId) -> StoreResult<WebhookRecord> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 AND id = $2");
        let row: WebhookRow = on_reader!(self, p => sqlx::query_as(&sql)
            .bind(account.to_string()).bind(id.to_string()).fetch_one(p).await)?;
        row.into_record()
    }

    /// A webhook by id alone, for the delivery worker (which acts for every account).
    pub async fn webhook_by_id(&self, id: WebhookId) -> StoreResult<Option<WebhookRecord>> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1");
        let row: Option<WebhookRow> =
            on_reader!(self, p => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(p).await)?;
        row.map(WebhookRow::into_record).transpose()
    }

    pub async fn update_webhook(
        &self,
        account: AccountId,
        id: WebhookId,
        patch: &WebhookPatch,
        now_ms: i64,
    ) -> StoreResult<WebhookRecord> {
        let n = on_writer!(self, p => sqlx::query(
            "UPDATE webhooks SET url = COALESCE($3, url), events = COALESCE($4, events), \
               enabled = COALESCE($5, enabled), updated_at = $6 WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).bind(patch.url.as_deref())
            .bind(patch.events.as_ref().map(to_json)).bind(patch.enabled).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_webhook(account, id).await
    }

    pub async fn set_webhook_secret(
        &self,
        account: AccountId,
        id: WebhookId,
        secret_enc: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        let n = on_writer!(self, p => sqlx::query(
            "UPDATE webhooks SET secret_enc = $3, updated_at = $4 WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).bind(secret_enc).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Deletes a webhook and its delivery log.
    pub async fn delete_webhook(&self, account: AccountId, id: WebhookId) -> StoreResult<()> {
        let n = in_transaction!(self, tx => {
            sqlx::query("DELETE FROM webhook_deliveries WHERE account_id = $1 AND webhook_id = $2")
                .bind(account.to_string()).bind(id.to_string()).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM webhooks WHERE account_id = $1 AND id = $2")
                .bind(account.to_string()).bind(id.to_string()).execute(&mut *tx).await?.rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The account's enabled webhooks subscribed to `event`.
    pub async fn webhooks_for_event(&self, account: AccountId, event: HookEvent) -> StoreResult<Vec<WebhookRecord>> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 AND enabled ORDER BY id");
        let rows: Vec<WebhookRow> =
            on_reader!(self, p => sqlx::query_as(&sql).bind(account.to_string()).fetch_all(p).await)?;
        let all = rows.into_iter().map(WebhookRow::into_record).collect::<StoreResult<Vec<_>>>()?;
        Ok(all.into_iter().filter(|w| w.events.contains(&event)).collect())
    }

    /// Queues deliveries, all or none, due at once.
    pub async fn queue_deliveries(&self, account: AccountId, items: &[NewDelivery], now_ms: i64) -> StoreResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        in_transaction!(self, tx => {
            for d in items {
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, account_id, webhook_id, event_type, body, status, attempts, \
                       next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7, $7)")
                    .bind(d.id.to_string()).bind(account.to_string()).bind(d.webhook_id.to_string())
                    .bind(d.event.as_str()).bind(&d.body).bind(DeliveryStatus::Pending.as_str()).bind(now_ms)
                    .execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Claims due deliveries for `lease_ms` (at most one per webhook, its oldest pending event, plus
    /// pings), counting the attempt.
    pub async fn claim_deliveries(&self, now_ms: i64, lease_ms: i64, limit: i64) -> StoreResult<Vec<ClaimedDelivery>> {
        let lock = match self.db {
            Db::Postgres(_) => " FOR UPDATE OF d SKIP LOCKED",
            Db::Sqlite { .. } => "",
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET claimed_until = $1, attempts = attempts + 1, updated_at = $2 \
             WHERE id IN (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
               WHERE d.status = 'pending' AND d.next_attempt_at <= $2 AND (d.claimed_until IS NULL OR d.claimed_until < $2) \
                 AND w.enabled \
                 AND (d.event_type = 'ping' OR NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
                   WHERE e.webhook_id = d.webhook_id AND e.status = 'pending' AND e.event_type <> 'ping' AND e.id < d.id)) \
               ORDER BY d.next_attempt_at, d.id LIMIT $3{lock}) \
             RETURNING id, webhook_id, event_type, body, attempts"
        );
        let rows: Vec<(String, String, String, String, i64)> = on_writer!(self, p => sqlx::query_as(&sql)
            .bind(now_ms + lease_ms).bind(now_ms).bind(limit).fetch_all(p).await)?;
        rows.into_iter()
            .map(|(id, webhook, event_type, body, attempts)| {
                Ok(ClaimedDelivery {
                    id: parse_id(&id, "delivery")?,
                    webhook_id: parse_id(&webhook, "webhook")?,
                    event_type,
                    body,
                    attempts,
                })
            })
            .collect()
    }

    /// Records an attempt's outcome: `Delivered`, `Failed` (no more attempts), or `Pending` again,
    /// due at `retry_at`.
    pub async fn record_delivery_attempt(
        &self,
        id: EventId,
        status: DeliveryStatus,
        http_status: Option<i64>,
        error: Option<&str>,
        retry_at: i64,
        now_ms: i64,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE webhook_deliveries SET status = $2, last_status = $3, last_error = $4, next_attempt_at = $5, \
               claimed_until = NULL, updated_at = $6 WHERE id = $1")
            .bind(id.to_string()).bind(status.as_str()).bind(http_status).bind(error).bind(retry_at).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A webhook's deliveries, newest first; `before` is the last id of the previous page.
    pub async fn list_deliveries(
        &self,
        account: AccountId,
        webhook: WebhookId,
        before: Option<EventId>,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE account_id = $1 AND webhook_id = $2 \
             AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
        );
        let rows: Vec<DeliveryRow> = on_reader!(self, p => sqlx::query_as(&sql)
            .bind(account.to_string()).bind(webhook.to_string()).bind(before.map(|b| b.to_string())).bind(limit)
            .fetch_all(p).await)?;
        rows.into_iter().map(DeliveryRow::into_record).collect()
    }

    pub async fn get_delivery(
        &self,
        account: AccountId,
        webhook: WebhookId,
        id: EventId,
    ) -> StoreResult<DeliveryRecord> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE account_id = $1 AND webhook_id = $2 AND id = $3"
        );
        let row: DeliveryRow = on_reader!(self, p => sqlx::query_as(&sql)
            .bind(account.to_string()).bind(webhook.to_string()).bind(id.to_string()).fetch_one(p).await)?;
        row.into_record()
    }

    /// Queues a finished delivery again, with a fresh set of attempts and the same event id. A pending
    /// one is left alone: `Conflict("pending")`.
    pub async fn requeue_delivery(
        &self,
        account: AccountId,
        webhook: WebhookId,
        id: EventId,
        now_ms: i64,
    ) -> StoreResult<DeliveryRecord> {
        let n = on_writer!(self, p => sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $4, claimed_until = NULL, \
               updated_at = $4 WHERE account_id = $1 AND webhook_id = $2 AND id = $3 AND status <> 'pending'")
            .bind(account.to_string()).bind(webhook.to_string()).bind(id.to_string()).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        let record = self.get_delivery(account, webhook, id).await?;
        if n == 0 {
            return Err(StoreError::Conflict("pending".into()));
        }
        Ok(record)
    }

    /// Drops delivered or failed deliveries last touched before `before_ms` (pending ones are kept).
    pub async fn prune_webhook_deliveries(&self, before_ms: i64, limit: i64) -> StoreResult<u64> {
        let n = on_writer!(self, p => sqlx::query(
            "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries \
               WHERE status <> 'pending' AND updated_at < $1 ORDER BY updated_at LIMIT $2)")
            .bind(before_ms).bind(limit).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n)
    }

    /// How many deliveries are stored, whatever their status (for tests).
    pub async fn count_webhook_deliveries(&self) -> StoreResult<i64> {
        let n: i64 =
            on_reader!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries").fetch_one(p).await)?;
        Ok(n)
    }
}
