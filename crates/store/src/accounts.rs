//! Accounts: created together with their first administrator.

use crate::db::{in_transaction, on_reader};
use crate::error::StoreResult;
use crate::rows::{parse_id, parse_json, to_json};
use crate::users::{insert_user, NewUser};

use crate::Store;
use domain::account::{Account, Addon, Plan};
use domain::ids::AccountId;
use std::collections::BTreeSet;

pub struct NewAccount {
    pub name: String,
    pub plan: Plan,
    pub addons: BTreeSet<Addon>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub id: String,
    pub name: String,
    pub plan: String,
    pub addons: String,
}

impl AccountRow {
    pub(crate) fn into_domain(self) -> StoreResult<Account> {
        let plan =
            Plan::parse(&self.plan).ok_or_else(|| crate::StoreError::Corrupt(format!("plan {:?}", self.plan)))?;
        let names: Vec<String> = parse_json(&self.addons, "account addons")?;
        Ok(Account {
            id: parse_id(&self.id, "account")?,
            name: self.name,
            plan,
            addons: names.iter().filter_map(|n| Addon::parse(n)).collect(),
        })
    }
}

impl Store {
    /// Creates an account and its first administrator in one transaction.
    pub async fn create_account(
        &self,
        account: NewAccount,
        admin: NewUser,
        now_ms: i64,
    ) -> StoreResult<(Account, crate::User)> {
        let id = AccountId::new();
        let addons: Vec<&str> = account.addons.iter().map(|a| a.as_str()).collect();
        let user_id = in_transaction!(self, tx => {
            sqlx::query("INSERT INTO accounts (id, name, plan, addons, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id.to_string())
                .bind(&account.name)
                .bind(account.plan.as_str())
                .bind(to_json(&addons))
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            insert_user!(&mut *tx, id, admin, now_ms)
        });
        let user = self.get_user(id, user_id).await?;
        Ok((Account { id, name: account.name, plan: account.plan, addons: account.addons }, user))
    }

    pub async fn get_account(&self, id: AccountId) -> StoreResult<Account> {
        let row: AccountRow = on_reader!(self, p =>
            sqlx::query_as("SELECT id, name, plan, addons FROM accounts WHERE id = $1")
                .bind(id.to_string())
                .fetch_one(p)
                .await)?;
        row.into_domain()
    }
}
