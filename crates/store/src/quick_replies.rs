//! Quick replies: saved texts (optionally with a file) shared by the account.

use crate::db::{on_reader, on_writer};
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_id;
use crate::Store;
use domain::ids::{AccountId, QuickReplyId, UploadId};

#[derive(Clone, Debug)]
pub struct QuickReply {
    pub id: QuickReplyId,
    pub shortcut: String,
    pub title: String,
    pub text: Option<String>,
    pub upload_id: Option<UploadId>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    shortcut: String,
    title: String,
    text: Option<String>,
    upload_id: Option<String>,
}

impl Row {
    fn into_domain(self) -> StoreResult<QuickReply> {
        Ok(QuickReply {
            id: parse_id(&self.id, "quick reply")?,
            shortcut: self.shortcut,
            title: self.title,
            text: self.text,
            upload_id: self.upload_id.as_deref().map(|u| parse_id(u, "upload")).transpose()?,
        })
    }
}

impl Store {
    pub async fn create_quick_reply(&self, account: AccountId, q: &QuickReply, now_ms: i64) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "INSERT INTO quick_replies (id, account_id, shortcut, title, text, upload_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
            .bind(q.id.to_string()).bind(account.to_string()).bind(&q.shortcut).bind(&q.title).bind(q.text.as_deref())
            .bind(q.upload_id.map(|u| u.to_string())).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn update_quick_reply(&self, account: AccountId, q: &QuickReply, now_ms: i64) -> StoreResult<()> {
        let n = on_writer!(self, p => sqlx::query(
            "UPDATE quick_replies SET shortcut = $3, title = $4, text = $5, upload_id = $6, updated_at = $7 WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(q.id.to_string()).bind(&q.shortcut).bind(&q.title).bind(q.text.as_deref())
            .bind(q.upload_id.map(|u| u.to_string())).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_quick_reply(&self, account: AccountId, id: QuickReplyId) -> StoreResult<()> {
        let n = on_writer!(self, p => sqlx::query("DELETE FROM quick_replies WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).execute(p).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn get_quick_reply(&self, account: AccountId, id: QuickReplyId) -> StoreResult<QuickReply> {
        let row: Row = on_reader!(self, p => sqlx::query_as("SELECT id, shortcut, title, text, upload_id FROM quick_replies WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).fetch_one(p).await)?;
        row.into_domain()
    }

    pub async fn list_quick_replies(&self, account: AccountId) -> StoreResult<Vec<QuickReply>> {
        let rows: Vec<Row> = on_reader!(self, p => sqlx::query_as("SELECT id, shortcut, title, text, upload_id FROM quick_replies WHERE account_id = $1 ORDER BY shortcut")
            .bind(account.to_string()).fetch_all(p).await)?;
        rows.into_iter().map(Row::into_domain).collect()
    }
}
