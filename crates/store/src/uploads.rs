//! Files agents upload before sending them. Scoped by account: an upload id of another account
//! does not exist.

use crate::db::{on_reader, on_writer};
use crate::error::StoreResult;
use crate::rows::parse_id;
use crate::Store;
use domain::ids::{AccountId, UploadId, UserId};

#[derive(Clone, Debug)]
pub struct UploadRecord {
    pub id: UploadId,
    pub storage_key: String,
    pub mime: String,
    /// `image`, `video`, `audio`, `document`, `sticker`, or `None` for other files.
    pub kind: Option<String>,
    pub size: i64,
    pub sha256: String,
    pub filename: Option<String>,
}

#[derive(sqlx::FromRow)]
struct UploadRow {
    id: String,
    storage_key: String,
    mime: String,
    kind: Option<String>,
    size: i64,
    sha256: String,
    filename: Option<String>,
}

impl Store {
    pub async fn create_upload(
        &self,
        account: AccountId,
        user: UserId,
        u: &UploadRecord,
        now_ms: i64,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "INSERT INTO uploads (id, account_id, user_id, storage_key, mime, kind, size, sha256, filename, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(u.id.to_string()).bind(account.to_string()).bind(user.to_string()).bind(&u.storage_key).bind(&u.mime)
            .bind(u.kind.as_deref()).bind(u.size).bind(&u.sha256).bind(u.filename.as_deref()).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn get_upload(&self, account: AccountId, id: UploadId) -> StoreResult<UploadRecord> {
        let r: UploadRow = on_reader!(self, p => sqlx::query_as(
            "SELECT id, storage_key, mime, kind, size, sha256, filename FROM uploads WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).fetch_one(p).await)?;
        Ok(UploadRecord {
            id: parse_id(&r.id, "upload")?,
            storage_key: r.storage_key,
            mime: r.mime,
            kind: r.kind,
            size: r.size,
            sha256: r.sha256,
            filename: r.filename,
        })
    }
}
