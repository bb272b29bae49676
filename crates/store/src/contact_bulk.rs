//! Contacts in bulk: what a CSV import matches rows against, the import's writes (all in one
//! transaction).

use crate::contacts::{replace_keys, ContactFields, ContactRecord, ContactSearch};
use crate::db::{in_transaction, on_reader};
use crate::error::StoreResult;
use crate::rows::{parse_id, to_json};
use crate::search_keys::refresh_contact_keys;
use crate::Store;
use domain::ids::{AccountId, ContactId};
use domain::permissions::ConversationScope;
use std::collections::HashMap;

/// One contact of an import to write: `id: None` creates it.
#[derive(Clone, Debug)]
pub struct ImportWrite {
    pub id: Option<ContactId>,
    /// Every column's new value (an update writes them all).
    pub fields: ContactFields,
    pub phone_keys: Vec<String>,
}

/// Rows read per query when reading every contact.
const BATCH: i64 = 1000;

impl Store {
    /// Every contact the caller may see, in name order (for exports and import matching).
    pub async fn all_contacts(&self, account: AccountId, scope: &ConversationScope) -> StoreResult<Vec<ContactRecord>> {
        let mut out: Vec<ContactRecord> = vec![];
        loop {
            let after = out.last().map(|c| (c.sort_name.clone(), c.id));
            let page = self
                .list_contacts(account, scope, &ContactSearch { after, limit: BATCH, ..Default::default() })
                .await?;
            let done = (page.len() as i64) < BATCH;
            out.extend(page);
            if done {
                return Ok(out);
            }
        }
    }

    /// The phone match keys of the account's contacts, by contact.
    pub async fn contact_phone_keys(&self, account: AccountId) -> StoreResult<HashMap<ContactId, Vec<String>>> {
        let rows: Vec<(String, String)> = on_reader!(self, p => sqlx::query_as(
            "SELECT contact_id, phone_key FROM contact_phone_keys WHERE account_id = $1")
            .bind(account.to_string()).fetch_all(p).await)?;
        let mut out: HashMap<ContactId, Vec<String>> = HashMap::new();
        for (contact, key) in rows {
            out.entry(parse_id(&contact, "contact")?).or_default().push(key);
        }
        Ok(out)
    }

    /// Creates and updates contacts in one transaction: all of them are written, or none. Returns the
    /// ids of the contacts created, in order.
    pub async fn import_contacts(
        &self,
        account: AccountId,
        writes: &[ImportWrite],
        now_ms: i64,
    ) -> StoreResult<Vec<ContactId>> {
        let created = in_transaction!(self, tx => {
            let mut created = vec![];
            for w in writes {
                let f = &w.fields;
                let id = match w.id {
                    Some(id) => {
                        sqlx::query(
                            "UPDATE contacts SET first_name = $3, last_name = $4, email = $5, phone_primary = $6, phone_alternate = $7, \
                               phone_whatsapp = $8, whatsapp_user_id = $9, whatsapp_username = $10, custom_fields = $11, updated_at = $12 \
                             WHERE account_id = $1 AND id = $2")
                            .bind(account.to_string()).bind(id.to_string())
                            .bind(f.first_name.as_deref()).bind(f.last_name.as_deref()).bind(f.email.as_deref())
                            .bind(f.phone_primary.as_deref()).bind(f.phone_alternate.as_deref()).bind(f.phone_whatsapp.as_deref())
                            .bind(f.whatsapp_user_id.as_deref()).bind(f.whatsapp_username.as_deref())
                            .bind(to_json(&f.custom_fields)).bind(now_ms)
                            .execute(&mut *tx).await?;
                        id
                    }
                    None => {
                        let id = ContactId::new();
                        sqlx::query(
                            "INSERT INTO contacts (id, account_id, first_name, last_name, email, phone_primary, phone_alternate, phone_whatsapp, \
                               whatsapp_user_id, whatsapp_username, custom_fields, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)")
                            .bind(id.to_string()).bind(account.to_string())
                            .bind(f.first_name.as_deref()).bind(f.last_name.as_deref()).bind(f.email.as_deref())
                            .bind(f.phone_primary.as_deref()).bind(f.phone_alternate.as_deref()).bind(f.phone_whatsapp.as_deref())
                            .bind(f.whatsapp_user_id.as_deref()).bind(f.whatsapp_username.as_deref())
                            .bind(to_json(&f.custom_fields)).bind(now_ms)
                            .execute(&mut *tx).await?;
                        created.push(id);
                        id
                    }
                };
                replace_keys!(tx, account, id, w.phone_keys.clone());
                refresh_contact_keys!(&mut *tx, "id = $1", id.to_string());
            }
            created
        });
        Ok(created)
    }
}
