//! Custom roles of an account.

use crate::db::{on_reader, on_writer};
use crate::error::StoreResult;
use crate::rows::{parse_id, parse_json, to_json};
use crate::Store;
use domain::ids::{AccountId, RoleId};
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
