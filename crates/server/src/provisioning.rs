//! Provisioning outside the HTTP API: what `inbox account create`, `inbox token create` and the demo
//! seed do. Kept here so the CLI stays a thin wrapper and the tests use the very same code.

use crate::auth::credentials::{hash_secret, new_api_token};
use crate::auth::password::{self, MIN_PASSWORD_LEN};
use anyhow::{bail, Context};
use domain::account::{Addon, Plan};
use domain::email::Email;
use domain::ids::{AccountId, UserId};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeSet;
use store::{NewAccount, NewUser, RoleRef, Store};

pub struct AccountSpec {
    pub name: String,
    pub plan: Plan,
    pub addons: BTreeSet<Addon>,
    pub admin_email: String,
    pub admin_name: Option<String>,
    pub admin_password: SecretString,
}

pub async fn create_account(store: &Store, spec: AccountSpec, now_ms: i64) -> anyhow::Result<(AccountId, UserId)> {
    let name = spec.name.trim().to_string();
    if name.is_empty() {
        bail!("the account needs a name");
    }
    let email = Email::parse(&spec.admin_email)?;
    if spec.admin_password.expose_secret().chars().count() < MIN_PASSWORD_LEN {
        bail!("the administrator's password needs at least {MIN_PASSWORD_LEN} characters");
    }
    let password_hash = password::hash(spec.admin_password).await?;
    let admin_name = spec.admin_name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("admin").to_string());
    let admin = NewUser { email, name: admin_name, password_hash, role: RoleRef::Admin };
    let (account, user) = store
        .create_account(NewAccount { name, plan: spec.plan, addons: spec.addons }, admin, now_ms)
        .await
        .map_err(|e| {
            if e.is_conflict_on("email") {
                anyhow::anyhow!("a user with this e-mail already exists")
            } else {
                e.into()
            }
        })?;
    Ok((account.id, user.id))
}

/// Issues an API token for the user with `email`; returns the token (shown once, stored hashed).
pub async fn create_token(store: &Store, email: &str, name: &str, now_ms: i64) -> anyhow::Result<String> {
    let email = Email::parse(email)?;
    let user = store.find_user_by_email(&email).await.with_context(|| format!("no user with e-mail {email}"))?;
    if !user.active {
        bail!("user {email} is deactivated");
    }
    let token = new_api_token();
    store.create_api_token(user.id, name, &hash_secret(&token), now_ms).await?;
    Ok(token)
}
