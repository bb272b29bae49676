//! The customers of a worker's batch who are already known, read with one query for the batch. A
//! campaign's replies come mostly from customers who have written before: finding each one's handle
//! with a read of its own was one statement per message (on SQLite a hand-off to the database
//! thread, on PostgreSQL a round trip). Only a message whose customer is found here exactly as it
//! says — one handle, with its conversation, that the message changes nothing of — is resolved from
//! it; every other one goes through the usual resolution (`resolve_conversation!`), which may write,
//! and then the batch forgets everything that write could have touched.

use crate::inbound::{CustomerIdentity, HandleHit};
use crate::sql::SqlBuilder;
use crate::Backend;
use domain::ids::ChannelId;
use std::collections::HashSet;

/// The handles [`push_any_of`] selects, with their conversation and what the customer match may
/// write on their contact.
pub(crate) const SELECT: &str = "SELECT h.id, h.contact_id, h.wa_id, h.bsuid, h.parent_bsuid, h.username, h.profile_name, \
       c.id AS conversation_id, h.names_at, h.scoped_id, ct.phone_whatsapp AS contact_phone_whatsapp \
     FROM handles h LEFT JOIN conversations c ON c.handle_id = h.id LEFT JOIN contacts ct ON ct.id = h.contact_id WHERE ";

#[derive(sqlx::FromRow)]
pub(crate) struct KnownHandle {
    #[sqlx(flatten)]
    hit: HandleHit,
    scoped_id: Option<String>,
    contact_phone_whatsapp: Option<String>,
}

/// One of a customer's ids on a channel, as the customer match compares them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Bsuid(String),
    Scoped(String),
    WaId(String),
}

/// The forms of a WhatsApp number a handle may be stored under (`domain::phone::wa_forms`) together
/// with the match keys the webhook gave: the `wa_id` side of the customer match.
pub(crate) fn wa_forms_of(who: &CustomerIdentity) -> Vec<String> {
    let mut forms: Vec<String> = who.phone_keys.clone();
    forms.extend(who.wa_id.iter().flat_map(domain::phone::wa_forms));
    forms.sort();
    forms.dedup();
    forms
}

fn keys_of(who: &CustomerIdentity) -> Vec<Key> {
    let mut keys: Vec<Key> = wa_forms_of(who).into_iter().map(Key::WaId).collect();
    keys.extend(who.bsuid.clone().map(Key::Bsuid));
    keys.extend(who.scoped_id.clone().map(Key::Scoped));
    keys
}

impl KnownHandle {
    fn keys(&self) -> Vec<Key> {
        let mut keys = Vec::new();
        keys.extend(self.hit.wa_id.clone().map(Key::WaId));
        keys.extend(self.hit.bsuid.clone().map(Key::Bsuid));
        keys.extend(self.scoped_id.clone().map(Key::Scoped));
        keys
    }

    /// The customer match of `resolve_conversation!` (`push_customer_match`), in memory.
    fn matches(&self, who: &CustomerIdentity, wa_forms: &[String]) -> bool {
        (who.bsuid.is_some() && self.hit.bsuid == who.bsuid)
            || (who.scoped_id.is_some() && self.scoped_id == who.scoped_id)
            || self.hit.wa_id.as_ref().is_some_and(|wa| wa_forms.contains(wa))
    }
}

/// Appends "a handle of `channel` that any of `whos` may be": the union of their customer matches.
pub(crate) fn push_any_of(q: &mut SqlBuilder, backend: Backend, channel: ChannelId, whos: &[&CustomerIdentity]) {
    let mut bsuids: Vec<String> = whos.iter().filter_map(|w| w.bsuid.clone()).collect();
    let mut scoped: Vec<String> = whos.iter().filter_map(|w| w.scoped_id.clone()).collect();
    let mut wa: Vec<String> = whos.iter().flat_map(|w| wa_forms_of(w)).collect();
    for list in [&mut bsuids, &mut scoped, &mut wa] {
        list.sort();
        list.dedup();
    }
    q.push("h.channel_id = ").bind_text(channel.to_string()).push(" AND (");
    let mut any = false;
    for (column, values) in [("h.bsuid", bsuids), ("h.scoped_id", scoped), ("h.wa_id", wa)] {
        if values.is_empty() {
            continue;
        }
        if any {
            q.push(" OR ");
        }
        // SQLite: each list bound as one JSON array, so the statement is prepared once per
        // combination of lists (one per batch of the worker, of hundreds of values, was prepared
        // anew every time); each list is still searched through its column's index (a multi-index
        // OR). PostgreSQL plans its `IN` lists by the values given (see `SqlBuilder::one_shot`).
        match backend {
            Backend::Sqlite => q.in_json_list(column, backend, &values),
            Backend::Postgres => q.in_list(column, values),
        };
        any = true;
    }
    if !any {
        q.push("FALSE");
    }
    q.push(")");
}

/// The handles read for a batch, minus what its own resolutions may have changed.
#[derive(Default)]
pub(crate) struct KnownHandles {
    handles: Vec<(ChannelId, KnownHandle)>,
    /// Ids a resolution of this batch may have written or moved: a customer named by one of them is
    /// resolved afresh.
    forgotten: HashSet<(ChannelId, Key)>,
}

impl KnownHandles {
    pub(crate) fn add(&mut self, channel: ChannelId, rows: Vec<KnownHandle>) {
        self.handles.extend(rows.into_iter().map(|h| (channel, h)));
    }

    /// The handles read for the batch that are `who`'s on `channel`, or `None` when one of their ids
    /// was touched by a resolution since (what was read may be stale for them).
    fn theirs(&self, channel: ChannelId, who: &CustomerIdentity) -> Option<Vec<&KnownHandle>> {
        if keys_of(who).into_iter().any(|k| self.forgotten.contains(&(channel, k))) {
            return None;
        }
        let forms = wa_forms_of(who);
        Some(self.handles.iter().filter(|(c, h)| *c == channel && h.matches(who, &forms)).map(|(_, h)| h).collect())
    }

    /// The conversation `who` has on `channel` when resolving them would only read: exactly one
    /// handle is theirs (two are an identity conflict, none a new customer), it has its conversation,
    /// and the message changes nothing of it or of its contact's WhatsApp number.
    pub(crate) fn conversation_of(&self, channel: ChannelId, who: &CustomerIdentity, at: i64) -> Option<String> {
        let theirs = self.theirs(channel, who)?;
        let [handle] = theirs[..] else { return None };
        if handle.hit.changed_by(who, true, at) {
            return None;
        }
        // `resolve_conversation!` gives a linked contact without a WhatsApp number this one.
        if handle.hit.contact_id.is_some() && who.wa_id.is_some() && handle.contact_phone_whatsapp.is_none() {
            return None;
        }
        handle.hit.conversation_id.clone()
    }

    /// Whether no handle can be `who`'s on `channel`: none read for the batch matches them, and none
    /// of their ids was touched by a resolution since (a handle made or changed since carries only
    /// forgotten ids). Their resolution then needs no lookup.
    pub(crate) fn is_new(&self, channel: ChannelId, who: &CustomerIdentity) -> bool {
        self.theirs(channel, who).is_some_and(|theirs| theirs.is_empty())
    }

    /// Forgets what resolving `who` on `channel` may write: their ids, and the handles that are
    /// theirs with all those handles' ids (a join may move an id from one to another).
    pub(crate) fn forget(&mut self, channel: ChannelId, who: &CustomerIdentity) {
        let forms = wa_forms_of(who);
        let mut keys = keys_of(who);
        self.handles.retain(|(c, h)| {
            let theirs = *c == channel && h.matches(who, &forms);
            if theirs {
                keys.extend(h.keys());
            }
            !theirs
        });
        self.forgotten.extend(keys.into_iter().map(|k| (channel, k)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(wa: Option<&str>, bsuid: Option<&str>, conversation: Option<&str>) -> KnownHandle {
        KnownHandle {
            hit: HandleHit {
                id: format!("h-{}", wa.or(bsuid).unwrap_or("x")),
                contact_id: None,
                wa_id: wa.map(Into::into),
                bsuid: bsuid.map(Into::into),
                parent_bsuid: None,
                username: None,
                profile_name: Some("Ana".into()),
                conversation_id: conversation.map(Into::into),
                names_at: None,
            },
            scoped_id: None,
            contact_phone_whatsapp: None,
        }
    }

    fn who(wa: Option<&str>, bsuid: Option<&str>) -> CustomerIdentity {
        CustomerIdentity {
            wa_id: wa.map(Into::into),
            bsuid: bsuid.map(Into::into),
            profile_name: Some("Ana".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_customer_known_as_they_write_is_found_without_a_read() {
        let channel = ChannelId::new();
        let mut known = KnownHandles::default();
        known.add(channel, vec![handle(Some("5215512345678"), None, Some("c1"))]);
        assert_eq!(known.conversation_of(channel, &who(Some("5215512345678"), None), 0).as_deref(), Some("c1"));
        // Mexico's other form of the same number is the same customer, but its handle then keeps
        // the form WhatsApp gave: a write, so the usual way.
        assert_eq!(known.conversation_of(channel, &who(Some("525512345678"), None), 0), None);
        let by_key = CustomerIdentity { phone_keys: vec!["5215512345678".into()], ..who(None, None) };
        assert_eq!(known.conversation_of(channel, &by_key, 0).as_deref(), Some("c1"));
        // Another channel's customer is not.
        assert_eq!(known.conversation_of(ChannelId::new(), &who(Some("5215512345678"), None), 0), None);
    }

    #[test]
    fn whatever_would_write_goes_the_usual_way() {
        let channel = ChannelId::new();
        let mut known = KnownHandles::default();
        known.add(
            channel,
            vec![
                handle(Some("5215512345678"), None, Some("c1")),
                handle(Some("5491122334455"), None, None),
                handle(None, Some("US.1"), Some("c3")),
            ],
        );
        // A new name, a BSUID to join, no conversation yet, two handles (a conflict), nobody known.
        let renamed = CustomerIdentity { profile_name: Some("Ana María".into()), ..who(Some("5215512345678"), None) };
        assert_eq!(known.conversation_of(channel, &renamed, 0), None);
        assert_eq!(known.conversation_of(channel, &who(Some("5215512345678"), Some("US.9")), 0), None);
        assert_eq!(known.conversation_of(channel, &who(Some("5491122334455"), None), 0), None);
        assert_eq!(known.conversation_of(channel, &who(Some("5215512345678"), Some("US.1")), 0), None);
        assert_eq!(known.conversation_of(channel, &who(Some("5215599999999"), None), 0), None);
        // A linked contact without its WhatsApp number gets it written.
        let mut linked = handle(Some("573001112233"), None, Some("c4"));
        linked.hit.contact_id = Some("ct".into());
        known.add(channel, vec![linked]);
        assert_eq!(known.conversation_of(channel, &who(Some("573001112233"), None), 0), None);
    }

    #[test]
    fn after_a_resolution_that_may_write_its_customer_is_read_afresh() {
        let channel = ChannelId::new();
        let mut known = KnownHandles::default();
        known.add(
            channel,
            vec![
                handle(Some("5215512345678"), Some("US.1"), Some("c1")),
                handle(Some("573001112233"), None, Some("c2")),
            ],
        );
        // Resolving someone named by the BSUID may move or join the handle's phone number: a later
        // message naming that number alone is not answered from what was read before.
        assert!(!known.is_new(channel, &who(None, Some("US.1"))));
        assert!(known.is_new(channel, &who(Some("5491122334455"), None)));
        known.forget(channel, &who(None, Some("US.1")));
        // Once resolved, a customer is no longer new to the batch (their handle may exist now).
        assert!(!known.is_new(channel, &who(Some("5215512345678"), None)));
        known.forget(channel, &who(Some("5491122334455"), None));
        assert!(!known.is_new(channel, &who(Some("5491122334455"), None)));
        assert_eq!(known.conversation_of(channel, &who(Some("5215512345678"), None), 0), None);
        assert_eq!(known.conversation_of(channel, &who(None, Some("US.1")), 0), None);
        // Other customers are untouched.
        assert_eq!(known.conversation_of(channel, &who(Some("573001112233"), None), 0).as_deref(), Some("c2"));
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;
    use crate::query_plans::{searches, TempSqlite};

    #[tokio::test]
    async fn each_kind_of_id_is_looked_up_through_its_index() {
        let db = TempSqlite::open().await;
        let who = CustomerIdentity {
            wa_id: Some("5215512345678".into()),
            bsuid: Some("MX.123".into()),
            scoped_id: Some("psid".into()),
            ..Default::default()
        };
        let mut q = SqlBuilder::for_backend(Backend::Sqlite, SELECT);
        push_any_of(&mut q, Backend::Sqlite, ChannelId::new(), &[&who]);
        let plan = db.plan(&q).await;
        for index in ["handles_wa_id_key", "handles_bsuid_key", "handles_scoped_key"] {
            assert!(searches(&plan, "h", index), "{index}: {plan:#?}");
        }
    }
}
