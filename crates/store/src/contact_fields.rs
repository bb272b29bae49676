//! Custom contact field definitions of an account (`domain::contact_fields`). The values live in
//! `contacts.custom_fields` under the definition's key; deleting a definition deletes them.

use crate::db::{in_transaction, on_reader};
use crate::error::{StoreError, StoreResult};
use crate::rows::{parse_json, to_json};
use crate::Store;
use domain::contact_fields::{FieldDefinition, FieldType};
use domain::ids::AccountId;
use std::collections::BTreeMap;

#[derive(sqlx::FromRow)]
struct Row {
    key: String,
    label: String,
    field_type: String,
    choices: String,
    position: i64,
}

impl Row {
    fn into_domain(self) -> StoreResult<FieldDefinition> {
        Ok(FieldDefinition {
            field_type: FieldType::parse(&self.field_type)
                .ok_or_else(|| StoreError::Corrupt(format!("field type {:?}", self.field_type)))?,
            choices: parse_json(&self.choices, "field choices")?,
            key: self.key,
            label: self.label,
            position: self.position,
        })
    }
}

/// A change of a definition: its key and type never change.
#[derive(Clone, Debug, Default)]
pub struct FieldDefinitionPatch {
    pub label: Option<String>,
    pub choices: Option<Vec<String>>,
    pub position: Option<i64>,
}

const COLUMNS: &str = "key, label, field_type, choices, position";

impl Store {
    /// The account's definitions in display order (position, then key).
    pub async fn list_field_definitions(&self, account: AccountId) -> StoreResult<Vec<FieldDefinition>> {
        let rows: Vec<Row> = on_reader!(self, p => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM contact_field_definitions WHERE account_id = $1 ORDER BY position, key"))
            .bind(account.to_string()).fetch_all(p).await)?;
        rows.into_iter().map(Row::into_domain).collect()
    }

    pub async fn get_field_definition(&self, account: AccountId, key: &str) -> StoreResult<FieldDefinition> {
        let row: Row = on_reader!(self, p => sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM contact_field_definitions WHERE account_id = $1 AND key = $2"))
            .bind(account.to_string()).bind(key).fetch_one(p).await)?;
        row.into_domain()
    }

    /// Adds a definition; `position: None` puts it last. [`StoreError::Conflict`] when the key exists.
    pub async fn create_field_definition(
        &self,
        account: AccountId,
        def: &FieldDefinition,
        position: Option<i64>,
        now_ms: i64,
    ) -> StoreResult<FieldDefinition> {
        in_transaction!(self, tx => {
            let position = match position {
                Some(p) => p,
                None => {
                    let last: Option<i64> = sqlx::query_scalar(
                        "SELECT MAX(position) FROM contact_field_definitions WHERE account_id = $1")
                        .bind(account.to_string()).fetch_one(&mut *tx).await?;
                    last.map_or(1, |l| l + 1)
                }
            };
            sqlx::query(
                "INSERT INTO contact_field_definitions (account_id, key, label, field_type, choices, position, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
                .bind(account.to_string()).bind(&def.key).bind(&def.label).bind(def.field_type.as_str())
                .bind(to_json(&def.choices)).bind(position).bind(now_ms)
                .execute(&mut *tx).await?;
        });
        self.get_field_definition(account, &def.key).await
    }

    pub async fn count_field_definitions(&self, account: AccountId) -> StoreResult<i64> {
        let n: i64 = on_reader!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM contact_field_definitions WHERE account_id = $1")
            .bind(account.to_string()).fetch_one(p).await)?;
        Ok(n)
    }

    pub async fn update_field_definition(
        &self,
        account: AccountId,
        key: &str,
        patch: &FieldDefinitionPatch,
        now_ms: i64,
    ) -> StoreResult<FieldDefinition> {
        let current = self.get_field_definition(account, key).await?;
        let label = patch.label.clone().unwrap_or(current.label);
        let choices = patch.choices.clone().unwrap_or(current.choices);
        let position = patch.position.unwrap_or(current.position);
        crate::db::on_writer!(self, p => sqlx::query(
            "UPDATE contact_field_definitions SET label = $3, choices = $4, position = $5, updated_at = $6 \
             WHERE account_id = $1 AND key = $2")
            .bind(account.to_string()).bind(key).bind(&label).bind(to_json(&choices)).bind(position).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        self.get_field_definition(account, key).await
    }

    /// Deletes a definition and, in the same transaction, its value on every contact of the
    /// account; returns how many contacts lost a value.
    pub async fn delete_field_definition(&self, account: AccountId, key: &str, now_ms: i64) -> StoreResult<u64> {
        let lock = self.lock_clause();
        let changed = in_transaction!(self, tx => {
            let n = sqlx::query("DELETE FROM contact_field_definitions WHERE account_id = $1 AND key = $2")
                .bind(account.to_string()).bind(key).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            // The JSON key as serialised narrows the rows read; the parse decides.
            let needle = format!("%{}%", crate::sql::like_escape(&to_json(&key)));
            let rows: Vec<(String, String)> = sqlx::query_as(&format!(
                "SELECT id, custom_fields FROM contacts WHERE account_id = $1 AND custom_fields LIKE $2 ESCAPE '\\'{lock}"))
                .bind(account.to_string()).bind(needle).fetch_all(&mut *tx).await?;
            let mut changed = 0;
            for (id, stored) in rows {
                let mut values: BTreeMap<String, String> = parse_json(&stored, "custom fields")?;
                if values.remove(key).is_some() {
                    sqlx::query("UPDATE contacts SET custom_fields = $2, updated_at = $3 WHERE id = $1")
                        .bind(&id).bind(to_json(&values)).bind(now_ms).execute(&mut *tx).await?;
                    changed += 1;
                }
            }
            changed
        });
        Ok(changed)
    }
}
