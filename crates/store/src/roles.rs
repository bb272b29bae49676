//! Custom roles of an account.

use crate::db::{in_transaction, on_reader, on_writer};
use crate::error::{StoreError, StoreResult};
use crate::rows::{parse_id, parse_json, to_json};
use crate::users::RoleRef;
use crate::Store;
use domain::ids::{AccountId, RoleId, UserId};
use domain::permissions::{Permissions, Role};

#[derive(sqlx::FromRow)]
struct RoleRow {
    id: String,
    name: String,
    permissions: String,
}

impl RoleRow {
    fn into_domain(self) -> StoreResult<Role> {
        Ok(Role::Custom {
            id: parse_id(&self.id, "role")?,
            name: self.name,
            permissions: parse_json(&self.permissions, "role permissions")?,
        })
    }
}

impl Store {
    pub async fn create_role(
        &self,
        account: AccountId,
        name: &str,
        permissions: &Permissions,
        now_ms: i64,
    ) -> StoreResult<Role> {
        let id = RoleId::new();
        on_writer!(self, p => sqlx::query("INSERT INTO roles (id, account_id, name, permissions, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.to_string()).bind(account.to_string()).bind(name).bind(to_json(permissions)).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(Role::Custom { id, name: name.to_string(), permissions: permissions.clone() })
    }

    pub async fn get_role(&self, account: AccountId, id: RoleId) -> StoreResult<Role> {
        let row: RoleRow = on_reader!(self, p => sqlx::query_as("SELECT id, name, permissions FROM roles WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).fetch_one(p).await)?;
        row.into_domain()
    }

    pub async fn list_roles(&self, account: AccountId) -> StoreResult<Vec<Role>> {
        let rows: Vec<RoleRow> = on_reader!(self, p => sqlx::query_as("SELECT id, name, permissions FROM roles WHERE account_id = $1 ORDER BY created_at, id")
            .bind(account.to_string()).fetch_all(p).await)?;
        rows.into_iter().map(RoleRow::into_domain).collect()
    }
}

/// Why a role could not be deleted.
#[derive(Debug)]
pub enum RoleDeletion {
    Deleted {
        /// The users moved to the other role.
        moved: Vec<UserId>,
    },
    /// Users still have the role (none were moved): how many.
    InUse { users: i64 },
}

impl Store {
    /// Renames a custom role and/or replaces its grant; [`StoreError::NotFound`] if the account has no
    /// such role, a conflict on `name` if another role has the name.
    pub async fn update_role(
        &self,
        account: AccountId,
        id: RoleId,
        name: Option<&str>,
        permissions: Option<&Permissions>,
    ) -> StoreResult<Role> {
        let changed = on_writer!(self, p => sqlx::query(
            "UPDATE roles SET name = COALESCE($3, name), permissions = COALESCE($4, permissions) WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).bind(name).bind(permissions.map(to_json))
            .execute(p).await.map(|r| r.rows_affected()))?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_role(account, id).await
    }

    /// The users (active or not) who have this role.
    pub async fn users_with_role(&self, account: AccountId, id: RoleId) -> StoreResult<Vec<UserId>> {
        let ids: Vec<String> = on_reader!(self, p => sqlx::query_scalar("SELECT id FROM users WHERE account_id = $1 AND role_id = $2 ORDER BY id")
            .bind(account.to_string()).bind(id.to_string()).fetch_all(p).await)?;
        ids.iter().map(|i| parse_id(i, "user")).collect()
    }

    /// Deletes a custom role. Users who have it are first moved to `move_to`, in the same transaction;
    /// without `move_to`, a role that anyone has is kept ([`RoleDeletion::InUse`]).
    pub async fn delete_role(
        &self,
        account: AccountId,
        id: RoleId,
        move_to: Option<&RoleRef>,
    ) -> StoreResult<RoleDeletion> {
        self.get_role(account, id).await?;
        if let Some(RoleRef::Custom(target)) = move_to {
            self.get_role(account, *target).await?;
        }
        match self.delete_role_once(account, id, move_to).await {
            // Someone was given the role between our count and the delete: it is in use after all.
            Err(StoreError::Database(sqlx::Error::Database(db))) if db.is_foreign_key_violation() => {
                Ok(RoleDeletion::InUse { users: self.users_with_role(account, id).await?.len() as i64 })
            }
            other => other,
        }
    }

    async fn delete_role_once(
        &self,
        account: AccountId,
        id: RoleId,
        move_to: Option<&RoleRef>,
    ) -> StoreResult<RoleDeletion> {
        let result = in_transaction!(self, tx => {
            let holders: Vec<String> = sqlx::query_scalar("SELECT id FROM users WHERE account_id = $1 AND role_id = $2 ORDER BY id")
                .bind(account.to_string()).bind(id.to_string()).fetch_all(&mut *tx).await?;
            match move_to {
                None if !holders.is_empty() => RoleDeletion::InUse { users: holders.len() as i64 },
                _ => {
                    if let Some(target) = move_to {
                        let (role, role_id) = target.columns();
                        sqlx::query("UPDATE users SET role = $3, role_id = $4 WHERE account_id = $1 AND role_id = $2")
                            .bind(account.to_string()).bind(id.to_string()).bind(role).bind(role_id)
                            .execute(&mut *tx).await?;
                    }
                    sqlx::query("DELETE FROM roles WHERE account_id = $1 AND id = $2")
                        .bind(account.to_string()).bind(id.to_string()).execute(&mut *tx).await?;
                    let moved = holders.iter().map(|h| parse_id(h, "user")).collect::<StoreResult<Vec<UserId>>>()?;
                    RoleDeletion::Deleted { moved }
                }
            }
        });
        Ok(result)
    }
}
