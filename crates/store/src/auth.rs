//! Sessions and API tokens. Only hashes of the secrets are stored: a database leak reveals no
//! usable credential. A credential authenticates only while its user is active.

use crate::accounts::AccountRow;
use crate::db::{on_reader, on_writer};
use crate::error::StoreResult;
use crate::users::{User, UserRow, USER_COLUMNS};
use crate::Store;
use domain::account::Account;
use domain::ids::UserId;

/// Who is calling: the user, their account and (through the user) their role.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: User,
    pub account: Account,
}

#[derive(sqlx::FromRow)]
struct PrincipalRow {
    #[sqlx(flatten)]
    user: UserRow,
    a_id: String,
    a_name: String,
    a_plan: String,
    a_addons: String,
}

impl PrincipalRow {
    fn into_domain(self) -> StoreResult<Principal> {
        let account =
            AccountRow { id: self.a_id, name: self.a_name, plan: self.a_plan, addons: self.a_addons }.into_domain()?;
        Ok(Principal { user: self.user.into_domain()?, account })
    }
}

fn principal_sql(credential_join: &str) -> String {
    format!(
        "SELECT {USER_COLUMNS}, a.id AS a_id, a.name AS a_name, a.plan AS a_plan, a.addons AS a_addons \
         FROM {credential_join} JOIN users u ON u.id = c.user_id LEFT JOIN roles r ON r.id = u.role_id \
         JOIN accounts a ON a.id = u.account_id \
         WHERE c.token_hash = $1 AND u.active = TRUE"
    )
}

impl Store {
    pub async fn create_session(
        &self,
        user: UserId,
        token_hash: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash).bind(user.to_string()).bind(now_ms).bind(expires_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The principal behind a session cookie, if the session exists, has not expired and its user is active.
    pub async fn principal_by_session(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<Principal>> {
        let sql = format!("{} AND c.expires_at > $2", principal_sql("sessions c"));
        let row: Option<PrincipalRow> =
            on_reader!(self, p => sqlx::query_as(&sql).bind(token_hash).bind(now_ms).fetch_optional(p).await)?;
        row.map(PrincipalRow::into_domain).transpose()
    }

    pub async fn create_api_token(&self, user: UserId, name: &str, token_hash: &str, now_ms: i64) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(uuid::Uuid::now_v7().to_string()).bind(user.to_string()).bind(name).bind(token_hash).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn principal_by_api_token(&self, token_hash: &str) -> StoreResult<Option<Principal>> {
        let sql = principal_sql("api_tokens c");
        let row: Option<PrincipalRow> =
            on_reader!(self, p => sqlx::query_as(&sql).bind(token_hash).fetch_optional(p).await)?;
        row.map(PrincipalRow::into_domain).transpose()
    }

    /// Ends every session and token of a user (deactivation, password change).
    pub async fn revoke_credentials(&self, user: UserId) -> StoreResult<()> {
        on_writer!(self, p => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.to_string()).execute(p).await?;
            sqlx::query("DELETE FROM api_tokens WHERE user_id = $1").bind(user.to_string()).execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Removes expired sessions; run periodically so the table does not grow without bound.
    pub async fn purge_expired_sessions(&self, now_ms: i64) -> StoreResult<u64> {
        let done = on_writer!(self, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(done)
    }
}
