//! Customer profiles fetched from Meta (Messenger and Instagram names): a durable queue on the handles
//! themselves. A new handle is due at once (`profile_fetch_after`); a worker claims due handles by
//! moving their due time forwards by a lease (a crash only delays the fetch), then records the name,
//! or a failure with its next try, or gives up (`profile_fetch_after` NULL).

use crate::db::{on_writer, Db};
use crate::error::StoreResult;
use crate::rows::parse_id;
use crate::Store;
use domain::ids::{AccountId, ChannelId, ConversationId, HandleId};

/// A customer whose profile is due to be fetched.
#[derive(Clone, Debug)]
pub struct ProfileFetch {
    pub handle_id: HandleId,
    pub channel_id: ChannelId,
    /// The PSID or IGSID.
    pub scoped_id: String,
    /// Fetches tried so far.
    pub attempts: i64,
}

impl Store {
    /// Claims up to `limit` due profile fetches for `lease_ms` (`SKIP LOCKED` on PostgreSQL; SQLite's
    /// single writer gives the same guarantee).
    pub async fn claim_profile_fetches(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<ProfileFetch>> {
        let lock = match self.db {
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Db::Sqlite { .. } => "",
        };
        let sql = format!(
            "UPDATE handles SET profile_fetch_after = $1 \
             WHERE id IN (SELECT id FROM handles WHERE profile_fetch_after <= $2 AND scoped_id IS NOT NULL \
                          ORDER BY profile_fetch_after, id LIMIT $3{lock}) \
             RETURNING id, channel_id, scoped_id, profile_fetch_attempts"
        );
        let rows: Vec<(String, String, Option<String>, i64)> = on_writer!(self, p => sqlx::query_as(&sql)
            .bind(now_ms + lease_ms).bind(now_ms).bind(limit).fetch_all(p).await)?;
        rows.into_iter()
            .filter_map(|(id, channel, scoped, attempts)| scoped.map(|s| (id, channel, s, attempts)))
            .map(|(id, channel, scoped_id, attempts)| {
                Ok(ProfileFetch {
                    handle_id: parse_id(&id, "handle")?,
                    channel_id: parse_id(&channel, "channel")?,
                    scoped_id,
                    attempts,
                })
            })
            .collect()
    }

    /// Records a fetched profile (a name or username Meta did not give keeps the one stored) and ends
    /// the fetch; returns the customer's conversation and its account, to tell whoever shows it.
    pub async fn profile_fetched(
        &self,
        handle: HandleId,
        name: Option<&str>,
        username: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<Option<(AccountId, ConversationId)>> {
        on_writer!(self, p => sqlx::query(
            "UPDATE handles SET profile_name = COALESCE($2, profile_name), username = COALESCE($3, username), \
               profile_fetch_after = NULL, profile_fetch_attempts = profile_fetch_attempts + 1, profile_fetch_error = NULL, \
               updated_at = $4 WHERE id = $1")
            .bind(handle.to_string()).bind(name).bind(username).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        on_writer!(self, p => crate::search_keys::refresh_handle_keys!(p, "id = $1", handle.to_string()));
        let row: Option<(String, String)> = on_writer!(self, p => sqlx::query_as(
            "SELECT account_id, id FROM conversations WHERE handle_id = $1")
            .bind(handle.to_string()).fetch_optional(p).await)?;
        row.map(|(a, c)| Ok((parse_id(&a, "account")?, parse_id(&c, "conversation")?))).transpose()
    }

    /// Records a failed fetch: tried again at `retry_at`, or given up (`None`).
    pub async fn profile_fetch_failed(
        &self,
        handle: HandleId,
        error: &str,
        retry_at: Option<i64>,
        now_ms: i64,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE handles SET profile_fetch_after = $3, profile_fetch_attempts = profile_fetch_attempts + 1, \
               profile_fetch_error = $2, updated_at = $4 WHERE id = $1")
            .bind(handle.to_string()).bind(error).bind(retry_at).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
