//! The audit log: who did what, when. Written by the server beside the change it records.

use crate::db::{in_transaction, on_reader};
use crate::error::StoreResult;
use crate::rows::{parse_id, parse_json, to_json};
use crate::Store;
use domain::ids::{AccountId, UserId};

/// `INSERT INTO audit_log …` with one row per entry.
pub(crate) fn audit_insert(
    backend: crate::Backend,
    entries: &[NewAuditEntry<'_>],
    now_ms: i64,
) -> crate::sql::SqlBuilder {
    use crate::sql::Bind;
    let text = |v: Option<&str>| v.map(|s| Bind::Text(s.to_string())).unwrap_or(Bind::Null);
    let mut q = crate::sql::SqlBuilder::for_backend(
        backend,
        "INSERT INTO audit_log (id, account_id, user_id, action, target_type, target_id, details, created_at) VALUES ",
    );
    for (i, entry) in entries.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" }).bind_text(uuid::Uuid::now_v7().to_string());
        q.push(", ")
            .bind_text(entry.account.to_string())
            .push(", ")
            .bind(text(entry.user.map(|u| u.to_string()).as_deref()));
        q.push(", ").bind_text(entry.action).push(", ").bind(text(entry.target_type));
        q.push(", ").bind(text(entry.target_id.as_deref())).push(", ").bind_text(to_json(&entry.details));
        q.push(", ").bind_int(now_ms).push(")");
    }
    q
}

pub struct NewAuditEntry<'a> {
    pub account: AccountId,
    pub user: Option<UserId>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
}

/// What an audit listing is narrowed to; `None` fields match everything.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub user: Option<UserId>,
    /// An action (`channel.created`) or a family of them (`channel`).
    pub action: Option<String>,
    /// From this instant, included (Unix milliseconds).
    pub from_ms: Option<i64>,
    /// Until this instant, excluded (Unix milliseconds).
    pub until_ms: Option<i64>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub user_id: Option<UserId>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    user_id: Option<String>,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    details: String,
    created_at: i64,
}

impl Store {
    pub async fn audit(&self, entry: NewAuditEntry<'_>, now_ms: i64) -> StoreResult<()> {
        self.audit_all(std::slice::from_ref(&entry), now_ms).await
    }

    /// Writes several entries in one transaction (what a worker's batch did), a few hundred per
    /// statement.
    pub async fn audit_all(&self, entries: &[NewAuditEntry<'_>], now_ms: i64) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        in_transaction!(self, tx => {
            for chunk in entries.chunks(crate::sql::ROWS_PER_INSERT) {
                let q = audit_insert(self.backend(), chunk, now_ms);
                crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Newest first; `before` is the id of the last entry of the previous page. Entries are kept to
    /// those matching every set field of `filter`.
    pub async fn list_audit(
        &self,
        account: AccountId,
        filter: &AuditFilter,
        before: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>> {
        // `action` matches itself and its sub-actions: `channel` finds `channel.created` and
        // `channel.updated`, `channel.created` only that one.
        let rows: Vec<AuditRow> = on_reader!(self, p => sqlx::query_as(
            "SELECT id, user_id, action, target_type, target_id, details, created_at FROM audit_log \
             WHERE account_id = $1 AND ($2 IS NULL OR id < $2) \
               AND ($4 IS NULL OR user_id = $4) \
               AND ($5 IS NULL OR action = $5 OR substr(action, 1, length($5) + 1) = $5 || '.') \
               AND ($6 IS NULL OR created_at >= $6) AND ($7 IS NULL OR created_at < $7) \
             ORDER BY id DESC LIMIT $3")
            .bind(account.to_string()).bind(before).bind(limit)
            .bind(filter.user.map(|u| u.to_string()))
            .bind(filter.action.as_deref())
            .bind(filter.from_ms)
            .bind(filter.until_ms)
            .fetch_all(p).await)?;
        rows.into_iter()
            .map(|r| {
                Ok(AuditEntry {
                    user_id: r.user_id.as_deref().map(|u| parse_id(u, "user")).transpose()?,
                    details: parse_json(&r.details, "audit details")?,
                    id: r.id,
                    action: r.action,
                    target_type: r.target_type,
                    target_id: r.target_id,
                    created_at: r.created_at,
                })
            })
            .collect()
    }
}
