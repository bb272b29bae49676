//! CRM contacts: three phone numbers (primary, alternate, WhatsApp) in E.164, WhatsApp identity
//! (BSUID, username), custom fields. Each phone's match keys (domain::phone) are indexed so inbound
//! WhatsApp senders and searches find the contact whatever the number's format.
//!
//! A contact is visible to a user whose visibility is `all`, and otherwise when it is linked to a
//! conversation the user can see.

use crate::conversations::push_scope;
use crate::db::{in_transaction, on_reader};
use crate::error::{StoreError, StoreResult};
use crate::rows::{parse_id, parse_json, to_json};
use crate::search_keys::{refresh_contact_keys, COMMON_MATCHES};
use crate::sql::{bind_all, SqlBuilder};
use crate::Store;
use domain::ids::{AccountId, ContactId, ConversationId};
use domain::permissions::ConversationScope;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct ContactFields {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_primary: Option<String>,
    pub phone_alternate: Option<String>,
    pub phone_whatsapp: Option<String>,
    pub whatsapp_user_id: Option<String>,
    pub whatsapp_username: Option<String>,
    pub custom_fields: BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
pub struct ContactRecord {
    pub id: ContactId,
    pub fields: ContactFields,
    /// Since when this customer refuses marketing templates (WhatsApp `user_preferences` or a 131050).
    pub marketing_opt_out_at: Option<i64>,
    /// The folded name the list is ordered by (what a page cursor carries).
    pub sort_name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A change: `Some(None)` clears a field.
#[derive(Clone, Debug, Default)]
pub struct ContactPatch {
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone_primary: Option<Option<String>>,
    pub phone_alternate: Option<Option<String>>,
    pub phone_whatsapp: Option<Option<String>>,
    /// Custom values to set (`Some`) or clear (`None`), already checked against the definitions;
    /// keys not named keep their value.
    pub custom_fields: BTreeMap<String, Option<String>>,
}

/// What the contacts list shows: every contact the caller may see, or those matching a search,
/// in name order (the folded sort name, then id), one page at a time.
#[derive(Clone, Debug, Default)]
pub struct ContactSearch {
    /// Folded words (`domain::search::terms`, without a leading `@`) the contact's search key
    /// (names, e-mail, WhatsApp username and user id: `search_keys`) must all contain.
    pub terms: Vec<String>,
    /// The query read as a phone number, matched against the three phones of every contact.
    pub phone: Option<domain::phone::PhoneQuery>,
    /// Keyset cursor: (sort name, id) of the last contact of the previous page.
    pub after: Option<(String, ContactId)>,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: String,
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
    sort_name: String,
    created_at: i64,
    updated_at: i64,
}

impl ContactRow {
    fn into_record(self) -> StoreResult<ContactRecord> {
        Ok(ContactRecord {
            id: parse_id(&self.id, "contact")?,
            fields: ContactFields {
                first_name: self.first_name,
                last_name: self.last_name,
                email: self.email,
                phone_primary: self.phone_primary,
                phone_alternate: self.phone_alternate,
                phone_whatsapp: self.phone_whatsapp,
                whatsapp_user_id: self.whatsapp_user_id,
                whatsapp_username: self.whatsapp_username,
                custom_fields: parse_json(&self.custom_fields, "custom fields")?,
            },
            marketing_opt_out_at: self.marketing_opt_out_at,
            sort_name: self.sort_name,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const CONTACT_COLUMNS: &str =
    "ct.id, ct.first_name, ct.last_name, ct.email, ct.phone_primary, ct.phone_alternate, ct.phone_whatsapp, \
     ct.whatsapp_user_id, ct.whatsapp_username, ct.custom_fields, ct.marketing_opt_out_at, \
     COALESCE(ct.sort_name, '') AS sort_name, ct.created_at, ct.updated_at";

/// The identity columns of the handle behind a conversation.
#[derive(sqlx::FromRow)]
struct HandleIds {
    id: String,
    contact_id: Option<String>,
    wa_id: Option<String>,
    bsuid: Option<String>,
    username: Option<String>,
}

/// How the visibility of contacts is tested (see [`push_contact_scope`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ScopeTest {
    /// The list of every contact the caller sees, made once: for a walk of many contacts.
    List,
    /// Each contact's own handles and their conversations: for a few contacts known by id.
    EachContact,
}

/// Appends the visibility condition on contact alias `ct` (a contact of `account`).
///
/// The conversations are taken from `account` explicitly, though a contact's conversations are all
/// of its account: the conversation indexes begin with the account (`conversations_assignee_idx`,
/// `conversations_channel_idx`), and without it PostgreSQL read every conversation to find a
/// seller's (98 ms for a seller's first contacts page at 100 000 conversations). For a few contacts
/// ([`ScopeTest::EachContact`]) the test starts from the contact instead: as a list, SQLite read
/// every conversation of a seller (500, at random) to show one contact — 8 ms, against 1.
fn push_contact_scope(q: &mut SqlBuilder, account: &str, scope: &ConversationScope, test: ScopeTest) {
    if *scope == ConversationScope::All {
        return;
    }
    match test {
        ScopeTest::List => {
            q.push(" AND ct.id IN (SELECT h.contact_id FROM handles h JOIN conversations c ON c.handle_id = h.id WHERE c.account_id = ");
            q.bind_text(account).push(" AND h.contact_id IS NOT NULL");
        }
        ScopeTest::EachContact => {
            q.push(" AND EXISTS (SELECT 1 FROM handles h JOIN conversations c ON c.handle_id = h.id WHERE h.contact_id = ct.id AND c.account_id = ");
            q.bind_text(account);
        }
    }
    push_scope(q, scope);
    q.push(")");
}

/// Which contacts a page of the contact list is taken from.
enum Matching<'a> {
    /// No search: all of them the caller may see.
    Everyone,
    /// A search that matches few, these (read first, [`Store::contacts_matching`]): the page's query
    /// finds them by id and sorts them. Left in the page's query as a condition, a rare text was
    /// sometimes planned (on PostgreSQL, after an ANALYZE that sampled it more often) as a walk of
    /// every contact in name order testing each: 130–300 ms instead of 1–2.
    Ids(&'a [String]),
    /// A search that matches many (a common name): tested on each contact of the walk in name order,
    /// which finds a page of them soonest.
    Condition,
}

/// `SELECT` of a page of the contacts the caller may see, by name (see [`ContactSearch`]).
fn list_query(
    backend: crate::Backend,
    account: &str,
    scope: &ConversationScope,
    search: &ContactSearch,
    matching: Matching<'_>,
) -> SqlBuilder {
    let by_ids = matches!(matching, Matching::Ids(_));
    // SQLite must find the few contacts by id: it otherwise preferred the account's name index, walking
    // every contact of the account in name order (the unary `+` keeps it off that index).
    let account_column = if by_ids && backend == crate::Backend::Sqlite { "+ct.account_id" } else { "ct.account_id" };
    let mut q = SqlBuilder::new(format!("SELECT {CONTACT_COLUMNS} FROM contacts ct WHERE {account_column} = "));
    q.bind_text(account);
    let test = if by_ids { ScopeTest::EachContact } else { ScopeTest::List };
    push_contact_scope(&mut q, account, scope, test);
    match matching {
        Matching::Everyone => {}
        Matching::Ids(ids) => {
            q.push(" AND ").in_json_list("ct.id", backend, ids);
        }
        Matching::Condition => {
            q.push(" AND ct.id IN (");
            push_matching_contacts(&mut q, backend, account, search);
            q.push(")");
        }
    }
    if let Some((name, id)) = &search.after {
        q.push(" AND (ct.sort_name > ").bind_text(name.clone());
        q.push(" OR (ct.sort_name = ")
            .bind_text(name.clone())
            .push(" AND ct.id > ")
            .bind_text(id.to_string())
            .push("))");
    }
    q.push(" ORDER BY ct.sort_name, ct.id LIMIT ").bind_int(search.limit);
    q
}

/// `SELECT` of the ids of the account's contacts that `search` matches (its terms, or its phone), each
/// part answered by its index (trigram indexes on the search key, migration 0040; the phone keys'
/// primary key); a contact may come twice (by its name and by its phone).
fn push_matching_contacts(q: &mut SqlBuilder, backend: crate::Backend, account: &str, search: &ContactSearch) {
    q.push("SELECT cs.id FROM contacts cs WHERE cs.account_id = ").bind_text(account).push(" AND ");
    crate::search_keys::push_contact_terms(q, backend, "cs", &search.terms);
    if let Some(phone) = &search.phone {
        if !phone.keys.is_empty() {
            q.push(" UNION ALL SELECT k.contact_id FROM contact_phone_keys k WHERE k.account_id = ");
            q.bind_text(account).push(" AND ").in_list("k.phone_key", phone.keys.iter().cloned());
        }
        if let Some(suffix) = &phone.suffix {
            q.push(" UNION ALL SELECT k.contact_id FROM contact_phone_keys k WHERE k.account_id = ");
            q.bind_text(account).push(" AND k.phone_key LIKE ").bind_text(format!("%{suffix}"));
        }
    }
}

/// Rewrites a contact's phone keys inside a transaction: `$keys` is `Vec<String>`.
macro_rules! replace_keys {
    ($tx:expr, $account:expr, $contact:expr, $keys:expr) => {{
        sqlx::query("DELETE FROM contact_phone_keys WHERE contact_id = $1").bind($contact.to_string()).execute(&mut *$tx).await?;
        let mut keys: Vec<String> = $keys;
        keys.sort();
        keys.dedup();
        for key in keys {
            sqlx::query("INSERT INTO contact_phone_keys (account_id, phone_key, contact_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind($account.to_string())
                .bind(key)
                .bind($contact.to_string())
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use replace_keys;

impl Store {
    /// Creates a contact; with `link` it becomes the contact of that conversation's customer, taking the
    /// handle's WhatsApp identity (phone, BSUID, username) where the caller left them empty.
    pub async fn create_contact(
        &self,
        account: AccountId,
        fields: &ContactFields,
        phone_keys: Vec<String>,
        link: Option<ConversationId>,
        now_ms: i64,
    ) -> StoreResult<ContactRecord> {
        let id = ContactId::new();
        in_transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO contacts (id, account_id, first_name, last_name, email, phone_primary, phone_alternate, phone_whatsapp, \
                   whatsapp_user_id, whatsapp_username, custom_fields, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)")
                .bind(id.to_string()).bind(account.to_string())
                .bind(fields.first_name.as_deref()).bind(fields.last_name.as_deref()).bind(fields.email.as_deref())
                .bind(fields.phone_primary.as_deref()).bind(fields.phone_alternate.as_deref()).bind(fields.phone_whatsapp.as_deref())
                .bind(fields.whatsapp_user_id.as_deref()).bind(fields.whatsapp_username.as_deref())
                .bind(to_json(&fields.custom_fields)).bind(now_ms)
                .execute(&mut *tx).await?;
            replace_keys!(tx, account, id, phone_keys.clone());
            if let Some(conversation) = link {
                let handle: Option<HandleIds> = sqlx::query_as(
                    "SELECT h.id, h.contact_id, h.wa_id, h.bsuid, h.username FROM conversations c JOIN handles h ON h.id = c.handle_id \
                     WHERE c.account_id = $1 AND c.id = $2")
                    .bind(account.to_string()).bind(conversation.to_string()).fetch_optional(&mut *tx).await?;
                let HandleIds { id: handle, wa_id, bsuid, username, .. } = handle.ok_or(StoreError::NotFound)?;
                sqlx::query("UPDATE handles SET contact_id = $2, updated_at = $3 WHERE id = $1")
                    .bind(&handle).bind(id.to_string()).bind(now_ms).execute(&mut *tx).await?;
                sqlx::query(
                    "UPDATE contacts SET phone_whatsapp = COALESCE(phone_whatsapp, $2), whatsapp_user_id = COALESCE(whatsapp_user_id, $3), \
                       whatsapp_username = COALESCE(whatsapp_username, $4) WHERE id = $1")
                    .bind(id.to_string()).bind(wa_id.as_ref().map(|w| format!("+{w}"))).bind(bsuid).bind(username)
                    .execute(&mut *tx).await?;
                if let Some(wa) = wa_id {
                    let mut keys = phone_keys.clone();
                    keys.extend(domain::phone::match_keys(&wa));
                    replace_keys!(tx, account, id, keys);
                }
            }
            refresh_contact_keys!(&mut *tx, "id = $1", id.to_string());
        });
        self.get_contact(account, &ConversationScope::All, id).await
    }

    pub async fn get_contact(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        id: ContactId,
    ) -> StoreResult<ContactRecord> {
        let mut q = SqlBuilder::new(format!("SELECT {CONTACT_COLUMNS} FROM contacts ct WHERE ct.account_id = "));
        q.bind_text(account.to_string()).push(" AND ct.id = ").bind_text(id.to_string());
        push_contact_scope(&mut q, &account.to_string(), scope, ScopeTest::EachContact);
        let row: ContactRow = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_one(p).await)?;
        row.into_record()
    }

    /// A page of the contacts the caller may see, by name (see [`ContactSearch`]).
    pub async fn list_contacts(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        search: &ContactSearch,
    ) -> StoreResult<Vec<ContactRecord>> {
        let account = account.to_string();
        let searching = !search.terms.is_empty() || search.phone.is_some();
        let found = if searching { self.contacts_matching(&account, search, COMMON_MATCHES).await? } else { None };
        let matching = match (searching, &found) {
            (false, _) => Matching::Everyone,
            (true, Some(ids)) if ids.is_empty() => return Ok(vec![]),
            (true, Some(ids)) => Matching::Ids(ids),
            (true, None) => Matching::Condition,
        };
        let q = list_query(self.backend(), &account, scope, search, matching);
        let rows: Vec<ContactRow> = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        rows.into_iter().map(ContactRow::into_record).collect()
    }

    /// The ids of the account's contacts a search matches, when there are fewer than `at_most` (read
    /// through the search indexes alone: cheap, and it stops there); `None` for a common text that
    /// matches more.
    async fn contacts_matching(
        &self,
        account: &str,
        search: &ContactSearch,
        at_most: i64,
    ) -> StoreResult<Option<Vec<String>>> {
        let mut q = SqlBuilder::default();
        push_matching_contacts(&mut q, self.backend(), account, search);
        q.push(" LIMIT ").bind_int(at_most);
        self.fewer_matches_than(&q, at_most).await
    }

    /// Applies `patch` to a visible contact; `phone_keys` are the keys of its phones after the patch.
    /// Custom values are merged into the stored ones under a row lock, so two agents editing
    /// different fields at once both keep their change.
    pub async fn update_contact(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        id: ContactId,
        patch: &ContactPatch,
        phone_keys: Vec<String>,
        now_ms: i64,
    ) -> StoreResult<ContactRecord> {
        self.get_contact(account, scope, id).await?;
        let mut q = SqlBuilder::new("UPDATE contacts SET updated_at = ");
        q.bind_int(now_ms);
        for (col, value) in [
            ("first_name", &patch.first_name),
            ("last_name", &patch.last_name),
            ("email", &patch.email),
            ("phone_primary", &patch.phone_primary),
            ("phone_alternate", &patch.phone_alternate),
            ("phone_whatsapp", &patch.phone_whatsapp),
        ] {
            match value {
                Some(Some(v)) => {
                    q.push(", ").push(col).push(" = ").bind_text(v.clone());
                }
                Some(None) => {
                    q.push(", ").push(col).push(" = NULL");
                }
                None => {}
            }
        }
        q.push(" WHERE account_id = ").bind_text(account.to_string()).push(" AND id = ").bind_text(id.to_string());
        let lock = self.lock_clause();
        in_transaction!(self, tx => {
            bind_all!(sqlx::query(&q.sql), q).execute(&mut *tx).await?;
            if !patch.custom_fields.is_empty() {
                let stored: String = sqlx::query_scalar(&format!("SELECT custom_fields FROM contacts WHERE id = $1{lock}"))
                    .bind(id.to_string()).fetch_one(&mut *tx).await?;
                let mut custom: BTreeMap<String, String> = parse_json(&stored, "custom fields")?;
                for (key, value) in &patch.custom_fields {
                    match value {
                        Some(v) => custom.insert(key.clone(), v.clone()),
                        None => custom.remove(key),
                    };
                }
                sqlx::query("UPDATE contacts SET custom_fields = $2 WHERE id = $1")
                    .bind(id.to_string()).bind(to_json(&custom)).execute(&mut *tx).await?;
            }
            replace_keys!(tx, account, id, phone_keys);
            refresh_contact_keys!(&mut *tx, "id = $1", id.to_string());
        });
        self.get_contact(account, scope, id).await
    }

    /// Other contacts of the account that already have one of these phone keys (an identity conflict
    /// to show the agent; contacts are never merged automatically) — only those the caller may see:
    /// a contact it cannot see does not exist for it, not even as an id.
    pub async fn contacts_with_phone_keys(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        keys: &[String],
        except: Option<ContactId>,
    ) -> StoreResult<Vec<ContactId>> {
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let mut q = SqlBuilder::new(
            "SELECT DISTINCT ct.id FROM contacts ct JOIN contact_phone_keys k ON k.contact_id = ct.id WHERE ct.account_id = ",
        );
        q.bind_text(account.to_string()).push(" AND ").in_list("k.phone_key", keys.iter().cloned());
        if let Some(except) = except {
            q.push(" AND ct.id <> ").bind_text(except.to_string());
        }
        push_contact_scope(&mut q, &account.to_string(), scope, ScopeTest::EachContact);
        q.push(" ORDER BY ct.id");
        let ids: Vec<String> = on_reader!(self, p => bind_all!(sqlx::query_scalar(&q.sql), q).fetch_all(p).await)?;
        ids.iter().map(|i| parse_id(i, "contact")).collect()
    }
}

/// What the customer shared when answering a contact request (their own number).
pub struct SharedPhone {
    pub e164: String,
    pub wa_id: Option<String>,
    pub phone_keys: Vec<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl Store {
    /// Records the customer's own number, shared after a contact request, on the conversation's contact:
    /// fills its WhatsApp phone (creating the contact, linked, when there is none) and puts the phone on
    /// the handle when it has none. Returns the contact and whether it was created.
    pub async fn record_shared_phone(
        &self,
        account: AccountId,
        conversation: ConversationId,
        shared: &SharedPhone,
        now_ms: i64,
    ) -> StoreResult<(ContactId, bool)> {
        let out = in_transaction!(self, tx => {
            let HandleIds { id: handle, contact_id: contact, bsuid, username, wa_id }: HandleIds = sqlx::query_as(
                "SELECT h.id, h.contact_id, h.wa_id, h.bsuid, h.username FROM conversations c JOIN handles h ON h.id = c.handle_id \
                 WHERE c.account_id = $1 AND c.id = $2")
                .bind(account.to_string()).bind(conversation.to_string()).fetch_one(&mut *tx).await?;
            if wa_id.is_none() {
                if let Some(wa) = &shared.wa_id {
                    // Only when no other handle of the channel already has it (that would be a conflict).
                    sqlx::query("UPDATE handles SET wa_id = $2, updated_at = $3 WHERE id = $1 AND NOT EXISTS \
                                 (SELECT 1 FROM handles o WHERE o.channel_id = handles.channel_id AND o.wa_id = $2)")
                        .bind(&handle).bind(wa).bind(now_ms).execute(&mut *tx).await?;
                }
            }
            let (contact_id, created) = match contact {
                Some(id) => {
                    sqlx::query("UPDATE contacts SET phone_whatsapp = $2, updated_at = $3 WHERE id = $1")
                        .bind(&id).bind(&shared.e164).bind(now_ms).execute(&mut *tx).await?;
                    (id, false)
                }
                None => {
                    let id = ContactId::new().to_string();
                    sqlx::query(
                        "INSERT INTO contacts (id, account_id, first_name, last_name, phone_whatsapp, whatsapp_user_id, whatsapp_username, \
                           custom_fields, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8, $8)")
                        .bind(&id).bind(account.to_string()).bind(shared.first_name.as_deref()).bind(shared.last_name.as_deref())
                        .bind(&shared.e164).bind(bsuid.as_deref()).bind(username.as_deref()).bind(now_ms)
                        .execute(&mut *tx).await?;
                    sqlx::query("UPDATE handles SET contact_id = $2, updated_at = $3 WHERE id = $1").bind(&handle).bind(&id).bind(now_ms).execute(&mut *tx).await?;
                    (id, true)
                }
            };
            let existing: Vec<String> = sqlx::query_scalar("SELECT phone_key FROM contact_phone_keys WHERE contact_id = $1")
                .bind(&contact_id).fetch_all(&mut *tx).await?;
            let mut keys = existing;
            keys.extend(shared.phone_keys.iter().cloned());
            replace_keys!(tx, account, contact_id, keys);
            refresh_contact_keys!(&mut *tx, "id = $1", &contact_id);
            (contact_id, created)
        });
        Ok((parse_id(&out.0, "contact")?, out.1))
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;
    use crate::query_plans::{searches, TempSqlite};
    use domain::ids::UserId;
    use domain::permissions::UnassignedAccess;

    #[tokio::test]
    async fn a_rare_searchs_contacts_are_read_by_their_ids_not_by_walking_the_names() {
        let db = TempSqlite::open().await;
        let ids = [ContactId::new().to_string(), ContactId::new().to_string()];
        let search = ContactSearch { terms: vec!["zubizarreta".into()], limit: 31, ..Default::default() };
        for scope in [
            ConversationScope::All,
            ConversationScope::Assigned { user: UserId::new(), unassigned: UnassignedAccess::AllChannels },
        ] {
            let q =
                list_query(crate::Backend::Sqlite, &AccountId::new().to_string(), &scope, &search, Matching::Ids(&ids));
            let plan = db.plan(&q).await;
            assert!(searches(&plan, "ct", "sqlite_autoindex_contacts_1"), "{plan:#?}");
        }
    }

    /// A seller sees the contacts of their conversations. For the few contacts a search matched (or
    /// the one contact opened), that is tested on each: its handles, and each handle's one
    /// conversation. SQLite otherwise made the list of every contact the seller sees first (500
    /// conversations read at random: 8 ms for one contact).
    #[tokio::test]
    async fn a_sellers_few_contacts_are_each_tested_not_their_whole_list_made() {
        let db = TempSqlite::open().await;
        let ids = [ContactId::new().to_string()];
        let search = ContactSearch { terms: vec!["zubizarreta".into()], limit: 31, ..Default::default() };
        let scope = ConversationScope::Assigned { user: UserId::new(), unassigned: UnassignedAccess::None };
        let q = list_query(crate::Backend::Sqlite, &AccountId::new().to_string(), &scope, &search, Matching::Ids(&ids));
        let plan = db.plan(&q).await;
        assert!(searches(&plan, "h", "handles_contact_idx"), "{plan:#?}");
        assert!(searches(&plan, "c", "sqlite_autoindex_conversations_2"), "{plan:#?}");
        assert!(!searches(&plan, "c", "conversations_assignee_idx"), "{plan:#?}");
    }
}
