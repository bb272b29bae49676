//! Users of an account, with the role that decides what they see and do.

use crate::db::{on_reader, on_writer};
use crate::error::{StoreError, StoreResult};
use crate::rows::{parse_id, parse_json};
use crate::Store;
use domain::email::Email;
use domain::ids::{AccountId, RoleId, UserId};
use domain::permissions::Role;

/// How a new or changed user's role is named: built-in or a custom role of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleRef {
    Admin,
    Seller,
    Custom(RoleId),
}

impl RoleRef {
    pub(crate) fn columns(&self) -> (&'static str, Option<String>) {
        match self {
            RoleRef::Admin => ("admin", None),
            RoleRef::Seller => ("seller", None),
            RoleRef::Custom(id) => ("custom", Some(id.to_string())),
        }
    }
}

pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub password_hash: String,
    pub role: RoleRef,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub available: bool,
    pub created_at: i64,
}

#[derive(Default)]
pub struct UserPatch {
    pub role: Option<RoleRef>,
    pub active: Option<bool>,
    pub available: Option<bool>,
    pub name: Option<String>,
}

/// The columns every user query selects, joined with the custom role when there is one.
pub(crate) const USER_COLUMNS: &str =
    "u.id, u.account_id, u.email, u.name, u.role, u.role_id, u.active, u.available, u.created_at, \
     r.name AS role_name, r.permissions AS role_permissions";
pub(crate) const USER_FROM: &str = "users u LEFT JOIN roles r ON r.id = u.role_id";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub role_id: Option<String>,
    pub active: bool,
    pub available: bool,
    pub created_at: i64,
    pub role_name: Option<String>,
    pub role_permissions: Option<String>,
}

impl UserRow {
    pub(crate) fn into_domain(self) -> StoreResult<User> {
        let role = match (self.role.as_str(), self.role_id, self.role_name, self.role_permissions) {
            ("admin", ..) => Role::Admin,
            ("seller", ..) => Role::Seller,
            ("custom", Some(id), Some(name), Some(perms)) => {
                Role::Custom { id: parse_id(&id, "role")?, name, permissions: parse_json(&perms, "role permissions")? }
            }
            (other, ..) => return Err(StoreError::Corrupt(format!("user role {other:?}"))),
        };
        Ok(User {
            id: parse_id(&self.id, "user")?,
            account_id: parse_id(&self.account_id, "account")?,
            email: self.email,
            name: self.name,
            role,
            active: self.active,
            available: self.available,
            created_at: self.created_at,
        })
    }
}

/// Inserts a user on an open connection or transaction and evaluates to the stored [`User`].
/// A macro rather than a function so that one body serves both backends' connection types.
macro_rules! insert_user {
    ($conn:expr, $account:expr, $new:expr, $now:expr) => {{
        let new: $crate::users::NewUser = $new;
        let id = domain::ids::UserId::new();
        let (role, role_id) = new.role.columns();
        sqlx::query(
            "INSERT INTO users (id, account_id, email, name, password_hash, role, role_id, active, available, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, TRUE, $8)",
        )
        .bind(id.to_string())
        .bind($account.to_string())
        .bind(new.email.as_str())
        .bind(&new.name)
        .bind(&new.password_hash)
        .bind(role)
        .bind(role_id)
        .bind($now)
        .execute($conn)
        .await?;
        id
    }};
}
pub(crate) use insert_user;

impl Store {
    pub async fn create_user(&self, account: AccountId, new: NewUser, now_ms: i64) -> StoreResult<User> {
        if let RoleRef::Custom(role) = &new.role {
            // The role must be one of this account's: never let a user borrow another account's grant.
            self.get_role(account, *role).await?;
        }
        let id = on_writer!(self, p => insert_user!(p, account, new, now_ms));
        self.get_user(account, id).await
    }

    pub async fn get_user(&self, account: AccountId, id: UserId) -> StoreResult<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM {USER_FROM} WHERE u.account_id = $1 AND u.id = $2");
        let row: UserRow = on_reader!(self, p =>
            sqlx::query_as(&sql).bind(account.to_string()).bind(id.to_string()).fetch_one(p).await)?;
        row.into_domain()
    }

    /// The user and password hash for a login attempt (any account: e-mails are unique across accounts).
    pub async fn find_login(&self, email: &Email) -> StoreResult<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLUMNS}, u.password_hash FROM {USER_FROM} WHERE u.email = $1");
        #[derive(sqlx::FromRow)]
        struct LoginRow {
            #[sqlx(flatten)]
            user: UserRow,
            password_hash: String,
        }
        let row: Option<LoginRow> = on_reader!(self, p =>
            sqlx::query_as(&sql).bind(email.as_str()).fetch_optional(p).await)?;
        row.map(|r| Ok((r.user.into_domain()?, r.password_hash))).transpose()
    }

    pub async fn find_user_by_email(&self, email: &Email) -> StoreResult<User> {
        self.find_login(email).await?.map(|(u, _)| u).ok_or(StoreError::NotFound)
    }

    pub async fn list_users(&self, account: AccountId) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM {USER_FROM} WHERE u.account_id = $1 ORDER BY u.created_at, u.id");
        let rows: Vec<UserRow> =
            on_reader!(self, p => sqlx::query_as(&sql).bind(account.to_string()).fetch_all(p).await)?;
        rows.into_iter().map(UserRow::into_domain).collect()
    }

    pub async fn update_user(&self, account: AccountId, id: UserId, patch: UserPatch) -> StoreResult<User> {
        if let Some(RoleRef::Custom(role)) = &patch.role {
            self.get_role(account, *role).await?;
        }
        let (role, role_id) = match &patch.role {
            Some(r) => {
                let (role, role_id) = r.columns();
                (Some(role), role_id)
            }
            None => (None, None),
        };
        let changed = on_writer!(self, p => sqlx::query(
            "UPDATE users SET \
               role = COALESCE($3, role), \
               role_id = CASE WHEN $3 IS NULL THEN role_id ELSE $4 END, \
               active = COALESCE($5, active), \
               available = COALESCE($6, available), \
               name = COALESCE($7, name) \
             WHERE account_id = $1 AND id = $2")
            .bind(account.to_string())
            .bind(id.to_string())
            .bind(role)
            .bind(role_id)
            .bind(patch.active)
            .bind(patch.available)
            .bind(patch.name)
            .execute(p).await.map(|r| r.rows_affected()))?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        if patch.active == Some(false) {
            // Deactivation takes effect at once: no session or token of the user survives it.
            self.revoke_credentials(id).await?;
        }
        self.get_user(account, id).await
    }
}
