//! Creating the handles and conversations of customers writing for the first time, several at once.
//! A campaign's first second brings a thousand of them: made one by one, each took its own
//! statements (its CRM contact looked up by phone, its handle, its conversation, its round-robin
//! assignee), hundreds per worker batch. Here a batch's new customers take one read of the contacts
//! with their numbers, one insert of the handles and one of the conversations, each already carrying
//! its assignee.
//!
//! What each customer gets is what `resolve_conversation!` gives one alone: the contact linked when
//! exactly one contact of the account has the number, and that contact given the WhatsApp number
//! (and BSUID) it lacked, in the customers' order.

use crate::inbound::CustomerIdentity;
use crate::sql::{Bind, SqlBuilder};
use crate::Backend;
use domain::ids::{AccountId, ChannelId, ConversationId, HandleId, UserId};
use std::collections::{BTreeSet, HashMap};

/// Phone keys per read of the contacts having them.
pub(crate) const KEYS_PER_READ: usize = 5_000;

/// A customer seen for the first time, with the ids of what will be made for them.
pub(crate) struct NewCustomer<'a> {
    pub handle_id: String,
    pub conversation_id: String,
    pub account: AccountId,
    pub channel: ChannelId,
    pub who: &'a CustomerIdentity,
    /// When their first message was sent: the conversation's first activity.
    pub first_activity_at: i64,
    /// Given by the round-robin before creation, so the conversation is inserted assigned.
    pub assignee: Option<UserId>,
}

impl<'a> NewCustomer<'a> {
    pub(crate) fn new(
        account: AccountId,
        channel: ChannelId,
        who: &'a CustomerIdentity,
        first_activity_at: i64,
    ) -> Self {
        NewCustomer {
            handle_id: HandleId::new().to_string(),
            conversation_id: ConversationId::new().to_string(),
            account,
            channel,
            who,
            first_activity_at,
            assignee: None,
        }
    }
}

/// The one contact of the account having one of `phone_keys`, given the `(phone_key, contact_id)`
/// pairs read for them: none when no contact or several do (a person then links them by hand).
pub(crate) fn contact_of<'r>(phone_keys: &[String], found: &'r [(String, String)]) -> Option<&'r str> {
    let contacts: BTreeSet<&str> =
        found.iter().filter(|(key, _)| phone_keys.contains(key)).map(|(_, contact)| contact.as_str()).collect();
    match contacts.len() {
        1 => contacts.into_iter().next(),
        _ => None,
    }
}

/// The phone match keys of `customers`, by account: what [`create`] reads the contacts of.
pub(crate) fn phone_keys_by_account(customers: &[NewCustomer<'_>]) -> HashMap<AccountId, Vec<String>> {
    let mut keys: HashMap<AccountId, Vec<String>> = HashMap::new();
    for c in customers {
        keys.entry(c.account).or_default().extend(c.who.phone_keys.iter().cloned());
    }
    for list in keys.values_mut() {
        list.sort();
        list.dedup();
    }
    keys
}

/// `INSERT INTO handles …` with one row per customer, each linked to its contact (if any).
pub(crate) fn handles_insert(
    backend: Backend,
    customers: &[NewCustomer<'_>],
    contacts: &[Option<String>],
    now_ms: i64,
) -> SqlBuilder {
    let mut q = SqlBuilder::for_backend(
        backend,
        "INSERT INTO handles (id, account_id, channel_id, wa_id, bsuid, parent_bsuid, scoped_id, username, profile_name, \
           contact_id, created_at, updated_at, profile_fetch_after, search_key, names_at) VALUES ",
    );
    let text = |v: Option<&str>| v.map(|s| Bind::Text(s.to_string())).unwrap_or(Bind::Null);
    for (i, (c, contact)) in customers.iter().zip(contacts).enumerate() {
        let who = c.who;
        // Its search key goes in with it (a new handle has no saved name yet): indexed once.
        let search_key = crate::search_keys::handle_key(who.profile_name.as_deref(), None, who.username.as_deref());
        q.push(if i == 0 { "(" } else { ", (" }).bind_text(c.handle_id.as_str());
        q.push(", ").bind_text(c.account.to_string()).push(", ").bind_text(c.channel.to_string());
        q.push(", ").bind(text(who.wa_id.as_deref())).push(", ").bind(text(who.bsuid.as_deref()));
        q.push(", ").bind(text(who.parent_bsuid.as_deref())).push(", ").bind(text(who.scoped_id.as_deref()));
        q.push(", ").bind(text(who.username.as_deref())).push(", ").bind(text(who.profile_name.as_deref()));
        q.push(", ").bind(text(contact.as_deref())).push(", ").bind_int(now_ms).push(", ").bind_int(now_ms);
        q.push(", ").bind(who.fetch_profile.then_some(now_ms).map(Bind::Int).unwrap_or(Bind::NullInt));
        q.push(", ").bind_text(search_key).push(", ");
        // When the names it starts with were given: its first message.
        let named = who.profile_name.is_some() || who.username.is_some();
        q.bind(named.then_some(c.first_activity_at).map(Bind::Int).unwrap_or(Bind::NullInt)).push(")");
    }
    q
}

/// `INSERT INTO conversations …` with one open conversation per customer, assigned as chosen.
pub(crate) fn conversations_insert(backend: Backend, customers: &[NewCustomer<'_>], now_ms: i64) -> SqlBuilder {
    let mut q = SqlBuilder::for_backend(
        backend,
        "INSERT INTO conversations (id, account_id, channel_id, handle_id, status, unread_count, last_activity_at, \
           created_at, updated_at, assignee_id) VALUES ",
    );
    for (i, c) in customers.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" }).bind_text(c.conversation_id.as_str());
        q.push(", ").bind_text(c.account.to_string()).push(", ").bind_text(c.channel.to_string());
        q.push(", ").bind_text(c.handle_id.as_str()).push(", 'open', 0, ").bind_int(c.first_activity_at);
        q.push(", ").bind_int(now_ms).push(", ").bind_int(now_ms).push(", ");
        q.bind(c.assignee.map(|u| Bind::Text(u.to_string())).unwrap_or(Bind::Null)).push(")");
    }
    q
}

/// Creates the handles and conversations of `$customers` (a slice of [`NewCustomer`]s) inside the
/// transaction, in a few statements whatever their number. One body for both backends.
macro_rules! create {
    ($tx:expr, $customers:expr, $now:expr) => {{
        let (customers, now_ms): (&[crate::new_customers::NewCustomer<'_>], i64) = ($customers, $now);
        if !customers.is_empty() {
            // Their contacts: one read of the accounts' contacts having their numbers.
            let mut found: std::collections::HashMap<domain::ids::AccountId, Vec<(String, String)>> =
                std::collections::HashMap::new();
            for (account, keys) in crate::new_customers::phone_keys_by_account(customers) {
                let rows = found.entry(account).or_default();
                for keys in keys.chunks(crate::new_customers::KEYS_PER_READ) {
                    let mut q = crate::sql::SqlBuilder::new(
                        "SELECT phone_key, contact_id FROM contact_phone_keys WHERE account_id = ",
                    );
                    q.bind_text(account.to_string()).push(" AND ").in_list("phone_key", keys.iter().cloned());
                    let read: Vec<(String, String)> =
                        crate::sql::bind_all!(sqlx::query_as(&q.sql), q).fetch_all(&mut *$tx).await?;
                    rows.extend(read);
                }
            }
            let contacts: Vec<Option<String>> = customers
                .iter()
                .map(|c| {
                    let rows = found.get(&c.account).map(Vec::as_slice).unwrap_or_default();
                    crate::new_customers::contact_of(&c.who.phone_keys, rows).map(str::to_string)
                })
                .collect();
            for (customers, contacts) in
                customers.chunks(crate::sql::ROWS_PER_INSERT).zip(contacts.chunks(crate::sql::ROWS_PER_INSERT))
            {
                let q =
                    crate::new_customers::handles_insert(crate::sql::backend_of(&*$tx), customers, contacts, now_ms);
                crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(&mut *$tx).await?;
            }
            // A linked contact without a WhatsApp number (or BSUID) takes this customer's, in order.
            for (c, contact) in customers.iter().zip(&contacts) {
                if let (Some(contact), Some(wa)) = (contact.as_deref(), c.who.wa_id.as_deref()) {
                    sqlx::query(
                        "UPDATE contacts SET phone_whatsapp = COALESCE(phone_whatsapp, $2), \
                           whatsapp_user_id = COALESCE(whatsapp_user_id, $3), updated_at = $4 WHERE id = $1",
                    )
                    .bind(contact)
                    .bind(format!("+{wa}"))
                    .bind(c.who.bsuid.as_deref())
                    .bind(now_ms)
                    .execute(&mut *$tx)
                    .await?;
                }
            }
            for customers in customers.chunks(crate::sql::ROWS_PER_INSERT) {
                let q = crate::new_customers::conversations_insert(crate::sql::backend_of(&*$tx), customers, now_ms);
                crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(&mut *$tx).await?;
            }
        }
    }};
}
pub(crate) use create;

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, c)| (k.to_string(), c.to_string())).collect()
    }

    #[test]
    fn a_number_is_linked_to_the_one_contact_having_it() {
        let found = pairs(&[("5215512345678", "c1"), ("5512345678", "c1"), ("34600111222", "c2")]);
        let keys = vec!["5215512345678".to_string(), "5512345678".to_string()];
        assert_eq!(contact_of(&keys, &found), Some("c1"));
        assert_eq!(contact_of(&["34600111222".to_string()], &found), Some("c2"));
    }

    #[test]
    fn a_number_two_contacts_have_or_none_has_is_left_unlinked() {
        let found = pairs(&[("5512345678", "c1"), ("5512345678", "c2")]);
        assert_eq!(contact_of(&["5512345678".to_string()], &found), None);
        assert_eq!(contact_of(&["34600999999".to_string()], &found), None);
        assert_eq!(contact_of(&[], &found), None);
    }

    #[test]
    fn the_keys_of_several_customers_are_read_once_per_account() {
        let account = AccountId::new();
        let other = AccountId::new();
        let channel = ChannelId::new();
        let who = |keys: &[&str]| CustomerIdentity {
            phone_keys: keys.iter().map(|k| k.to_string()).collect(),
            ..Default::default()
        };
        let (a, b, c) = (who(&["2", "1"]), who(&["1", "3"]), who(&["9"]));
        let customers = vec![
            NewCustomer::new(account, channel, &a, 1),
            NewCustomer::new(account, channel, &b, 2),
            NewCustomer::new(other, channel, &c, 3),
        ];
        let keys = phone_keys_by_account(&customers);
        assert_eq!(keys[&account], vec!["1", "2", "3"]);
        assert_eq!(keys[&other], vec!["9"]);
    }

    #[test]
    fn the_inserts_bind_one_row_per_customer() {
        let (account, channel) = (AccountId::new(), ChannelId::new());
        let (a, b) = (CustomerIdentity::default(), CustomerIdentity { fetch_profile: true, ..Default::default() });
        let mut customers = vec![NewCustomer::new(account, channel, &a, 1), NewCustomer::new(account, channel, &b, 2)];
        customers[1].assignee = Some(UserId::new());
        let handles = handles_insert(Backend::Postgres, &customers, &[None, Some("c1".into())], 5);
        assert_eq!(handles.binds.len(), 2 * 15);
        assert_eq!(handles.sql.matches("), (").count(), 1);
        let conversations = conversations_insert(Backend::Postgres, &customers, 5);
        assert_eq!(conversations.binds.len(), 2 * 8);
        assert!(matches!(conversations.binds[7], Bind::Null));
        assert!(
            matches!(&conversations.binds[15], Bind::Text(u) if u.as_str() == customers[1].assignee.unwrap().to_string())
        );
    }
}
