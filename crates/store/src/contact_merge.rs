//! Merging two contacts into one, in one transaction: the kept contact absorbs the other's
//! customer handles (and so its conversations), phones, e-mail, names, WhatsApp identity, custom
//! values and marketing preference; the other is deleted.

use crate::db::in_transaction;
use crate::error::{StoreError, StoreResult};
use crate::rows::{parse_id, parse_json, to_json};
use crate::search_keys::refresh_contact_keys;
use crate::Store;
use domain::contact_merge::{merge_phones, PhoneMerge, Phones};
use domain::ids::{AccountId, ContactId, ConversationId};
use domain::permissions::ConversationScope;
use std::collections::BTreeMap;

#[derive(sqlx::FromRow)]
struct MergeRow {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    phone_primary: Option<String>,
    phone_alternate: Option<String>,
    phone_whatsapp: Option<String>,
    whatsapp_user_id: Option<String>,
    whatsapp_username: Option<String>,
    custom_fields: String,
    marketing_opt_out_at: Option<i64>,
    marketing_pref_at: Option<i64>,
}

impl MergeRow {
    fn phones(&self) -> Phones {
        [self.phone_primary.clone(), self.phone_alternate.clone(), self.phone_whatsapp.clone()]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeOutcome {
    /// Done: the conversations now linked to the kept contact (the moved ones included).
    Merged { conversations: Vec<ConversationId>, moved_handles: u64 },
    /// More than three distinct numbers and no choice made: nothing changed.
    TooManyPhones(Vec<String>),
    /// A chosen number is neither contact's: nothing changed.
    UnknownPhone(String),
}

/// The kept value unless it is empty, then the other's.
fn fill(kept: Option<String>, other: Option<String>) -> Option<String> {
    kept.filter(|v| !v.trim().is_empty()).or(other)
}

impl Store {
    /// Merges `other` into `kept` (both must be visible to `scope`, else [`StoreError::NotFound`]).
    /// `chosen` names the three phones to keep when the caller chose them (each must be one of the
    /// two contacts' numbers or an equivalent form); otherwise they are merged by
    /// [`merge_phones`], which may refuse.
    pub async fn merge_contacts(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        kept: ContactId,
        other: ContactId,
        chosen: Option<&Phones>,
        now_ms: i64,
    ) -> StoreResult<MergeOutcome> {
        if kept == other {
            return Err(StoreError::Conflict("merge of a contact with itself".into()));
        }
        self.get_contact(account, scope, kept).await?;
        self.get_contact(account, scope, other).await?;
        let lock = self.lock_clause();
        let select = format!(
            "SELECT first_name, last_name, email, phone_primary, phone_alternate, phone_whatsapp, whatsapp_user_id, \
             whatsapp_username, custom_fields, marketing_opt_out_at, marketing_pref_at FROM contacts \
             WHERE account_id = $1 AND id = $2{lock}"
        );
        let outcome = in_transaction!(self, tx => {
            let k: MergeRow = sqlx::query_as(&select).bind(account.to_string()).bind(kept.to_string()).fetch_one(&mut *tx).await?;
            let o: MergeRow = sqlx::query_as(&select).bind(account.to_string()).bind(other.to_string()).fetch_one(&mut *tx).await?;
            let phones = match chosen {
                Some(chosen) => {
                    let candidates: Vec<String> = k.phones().into_iter().chain(o.phones()).flatten().collect();
                    if let Some(stray) = chosen.iter().flatten().find(|c| !candidates.iter().any(|p| domain::phone::equivalent(p, c))) {
                        return Ok(MergeOutcome::UnknownPhone(stray.clone()));
                    }
                    chosen.clone()
                }
                None => match merge_phones(&k.phones(), &o.phones()) {
                    PhoneMerge::Merged(p) => p,
                    PhoneMerge::TooMany(all) => return Ok(MergeOutcome::TooManyPhones(all)),
                },
            };
            let custom = domain::contact_fields::merge_values(
                &parse_json::<BTreeMap<String, String>>(&k.custom_fields, "custom fields")?,
                &parse_json::<BTreeMap<String, String>>(&o.custom_fields, "custom fields")?,
            );
            // The most recent marketing preference of the two is the customer's current one.
            let (opt_out, pref_at) = if o.marketing_pref_at.unwrap_or(i64::MIN) > k.marketing_pref_at.unwrap_or(i64::MIN) {
                (o.marketing_opt_out_at, o.marketing_pref_at)
            } else {
                (k.marketing_opt_out_at, k.marketing_pref_at)
            };
            let [primary, alternate, whatsapp] = phones;
            sqlx::query(
                "UPDATE contacts SET first_name = $2, last_name = $3, email = $4, phone_primary = $5, phone_alternate = $6, \
                   phone_whatsapp = $7, whatsapp_user_id = $8, whatsapp_username = $9, custom_fields = $10, \
                   marketing_opt_out_at = $11, marketing_pref_at = $12, updated_at = $13 WHERE id = $1")
                .bind(kept.to_string())
                .bind(fill(k.first_name, o.first_name)).bind(fill(k.last_name, o.last_name)).bind(fill(k.email, o.email))
                .bind(&primary).bind(&alternate).bind(&whatsapp)
                .bind(fill(k.whatsapp_user_id, o.whatsapp_user_id)).bind(fill(k.whatsapp_username, o.whatsapp_username))
                .bind(to_json(&custom)).bind(opt_out).bind(pref_at).bind(now_ms)
                .execute(&mut *tx).await?;
            let moved_handles = sqlx::query("UPDATE handles SET contact_id = $2, updated_at = $3 WHERE contact_id = $1")
                .bind(other.to_string()).bind(kept.to_string()).bind(now_ms).execute(&mut *tx).await?.rows_affected();
            sqlx::query("DELETE FROM contacts WHERE id = $1").bind(other.to_string()).execute(&mut *tx).await?;
            // The other's keys went with it (ON DELETE CASCADE); the kept one's are rebuilt from its
            // phones and the WhatsApp ids of every handle it now has (how inbound messages found them).
            let wa_ids: Vec<String> = sqlx::query_scalar("SELECT wa_id FROM handles WHERE contact_id = $1 AND wa_id IS NOT NULL")
                .bind(kept.to_string()).fetch_all(&mut *tx).await?;
            let keys: Vec<String> = [&primary, &alternate, &whatsapp].into_iter().flatten().map(String::as_str)
                .chain(wa_ids.iter().map(String::as_str)).flat_map(domain::phone::match_keys).collect();
            crate::contacts::replace_keys!(tx, account, kept, keys);
            refresh_contact_keys!(&mut *tx, "id = $1", kept.to_string());
            let conversations: Vec<String> = sqlx::query_scalar(
                "SELECT c.id FROM conversations c JOIN handles h ON h.id = c.handle_id WHERE h.contact_id = $1 ORDER BY c.id")
                .bind(kept.to_string()).fetch_all(&mut *tx).await?;
            let conversations = conversations.iter().map(|c| parse_id(c, "conversation")).collect::<StoreResult<Vec<_>>>()?;
            MergeOutcome::Merged { conversations, moved_handles }
        });
        Ok(outcome)
    }
}
