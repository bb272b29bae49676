//! Folded search keys of contacts and customer handles: the one place that says what a contact or
//! conversation search looks at, and in which form.
//!
//! `contacts.search_key` and `handles.search_key` hold the searchable fields folded by
//! `domain::search::fold` (lower case, accents removed), one per line, so "alvaro", "ÁLVARO" and
//! "Álvaro" all find "Álvaro" on SQLite and PostgreSQL alike (SQLite's `lower()` folds ASCII only,
//! and neither database folds accents the way Rust does). The keys are recomputed from the row by
//! the `refresh_*` macros after every write that touches these fields, inside the same transaction,
//! and filled at start-up for rows stored before they existed. Trigram indexes (migration 0040: FTS5
//! on SQLite, `pg_trgm` on PostgreSQL) answer a search for three characters or more without reading
//! every key.

use crate::db::{on_writer, Backend};
use crate::error::StoreResult;
use crate::sql::SqlBuilder;
use crate::Store;

/// A contact's searchable fields: names, full name, e-mail, WhatsApp username and user id.
pub(crate) fn contact_key(
    first_name: Option<&str>,
    last_name: Option<&str>,
    email: Option<&str>,
    whatsapp_username: Option<&str>,
    whatsapp_user_id: Option<&str>,
) -> String {
    let full = match (first_name, last_name) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        _ => None,
    };
    join([first_name, last_name, full.as_deref(), email, whatsapp_username, whatsapp_user_id])
}

/// The folded name the contacts list is ordered (and paged) by: the full name, else the e-mail,
/// WhatsApp username or a phone — what the list shows first.
pub(crate) fn contact_sort_name(
    first_name: Option<&str>,
    last_name: Option<&str>,
    email: Option<&str>,
    whatsapp_username: Option<&str>,
    phones: [Option<&str>; 3],
) -> String {
    let full_name = [first_name, last_name]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let shown: Vec<&str> = [Some(full_name.as_str()), email, whatsapp_username.map(|u| u.trim_start_matches('@'))]
        .into_iter()
        .chain(phones)
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    shown.first().map(|s| domain::search::fold(s)).unwrap_or_default()
}

/// A customer handle's searchable fields: the profile name, the name saved in the WhatsApp
/// Business App, the username.
pub(crate) fn handle_key(profile_name: Option<&str>, saved_name: Option<&str>, username: Option<&str>) -> String {
    join([profile_name, saved_name, username])
}

fn join<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> String {
    fields.into_iter().flatten().map(domain::search::fold).collect::<Vec<_>>().join("\n")
}

/// The shortest text a trigram index can find (FTS5 `trigram` on SQLite, `pg_trgm` on PostgreSQL):
/// shorter texts are searched by reading the keys (`LIKE`), as before the indexes.
const INDEXED_MIN_CHARS: usize = 3;

fn indexable(folded: &str) -> bool {
    folded.chars().count() >= INDEXED_MIN_CHARS
}

/// An FTS5 query for rows whose `column` contains `text` (a phrase: with the trigram tokenizer, any
/// substring of three characters or more; every character inside the quotes is literal).
fn fts_phrase(column: &str, text: &str) -> String {
    format!("{column} : \"{}\"", text.replace('"', "\"\""))
}

/// `c.handle_id IN (…)`: the conversations whose customer matches a search — the folded `text` in the
/// customer's key (profile name, saved name, username) or in the key of the contact linked to it
/// (names, e-mail, username, user id), its digits (four or more) in the WhatsApp id, or one of
/// `phone_keys` among the contact's phones. Written as one set of handles of the account, so each part
/// is answered by its index (`search_key` trigram indexes, migration 0040) instead of by reading every
/// conversation with its joins.
pub(crate) fn push_conversation_matches(
    q: &mut SqlBuilder,
    column: &str,
    backend: Backend,
    account: &str,
    text: &str,
    phone_keys: &[String],
) {
    let folded = domain::search::fold(text);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let digits = (digits.len() >= 4).then_some(digits);
    q.push(column).push(" IN (SELECT hs.id FROM handles hs WHERE hs.account_id = ").bind_text(account).push(" AND ");
    if backend == Backend::Sqlite && indexable(&folded) {
        // The digits are at least as long as the folded text is, so they are indexable too.
        let mut phrase = fts_phrase("search_key", &folded);
        if let Some(d) = &digits {
            phrase = format!("{phrase} OR {}", fts_phrase("wa_id", d));
        }
        q.push("hs.rowid IN (SELECT rowid FROM handles_search WHERE handles_search MATCH ").bind_text(phrase).push(")");
    } else {
        q.push("(").contains("hs.search_key", &folded);
        if let Some(d) = &digits {
            q.push(" OR ").contains("hs.wa_id", d);
        }
        q.push(")");
    }
    q.push(" UNION SELECT hc.id FROM handles hc WHERE hc.account_id = ").bind_text(account);
    q.push(" AND hc.contact_id IN (SELECT cs.id FROM contacts cs WHERE cs.account_id = ")
        .bind_text(account)
        .push(" AND ");
    push_contact_terms(q, backend, "cs", std::slice::from_ref(&folded));
    q.push(")");
    if !phone_keys.is_empty() {
        q.push(" UNION SELECT hp.id FROM handles hp WHERE hp.account_id = ").bind_text(account).push(" AND ");
        q.in_contacts_with_keys("hp.contact_id", account, phone_keys);
    }
    q.push(")");
}

/// A search text matching at least this many customers is *common* (a frequent surname, a short
/// name): its matches are dense, so walking the conversations newest first and testing each finds a
/// page sooner than collecting every match through the indexes and sorting them all.
pub(crate) const COMMON_MATCHES: i64 = 1000;

/// The same condition as [`push_conversation_matches`], tested on each row of the conversation list's
/// own join (`h` the handle, `ct` its contact): for common texts (see [`COMMON_MATCHES`]).
pub(crate) fn push_conversation_filter(q: &mut SqlBuilder, account: &str, text: &str, phone_keys: &[String]) {
    let folded = domain::search::fold(text);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    q.push("(").contains("ct.search_key", &folded).push(" OR ").contains("h.search_key", &folded);
    if digits.len() >= 4 {
        q.push(" OR ").contains("h.wa_id", &digits);
    }
    if !phone_keys.is_empty() {
        q.push(" OR ").in_contacts_with_keys("h.contact_id", account, phone_keys);
    }
    q.push(")");
}

/// The contact `alias`'s search key contains every one of the folded `terms` (at least one): through
/// the trigram index for the terms it can answer, by reading the key for the shorter ones.
pub(crate) fn push_contact_terms(q: &mut SqlBuilder, backend: Backend, alias: &str, terms: &[String]) {
    let (indexed, scanned): (Vec<&String>, Vec<&String>) =
        terms.iter().partition(|t| backend == Backend::Sqlite && indexable(t));
    q.push("(TRUE");
    if !indexed.is_empty() {
        let phrase = indexed.iter().map(|t| fts_phrase("search_key", t)).collect::<Vec<_>>().join(" AND ");
        q.push(&format!(" AND {alias}.rowid IN (SELECT rowid FROM contacts_search WHERE contacts_search MATCH "));
        q.bind_text(phrase).push(")");
    }
    for term in scanned {
        q.push(" AND ").contains(&format!("{alias}.search_key"), term);
    }
    q.push(")");
}

/// Recomputes `contacts.search_key` and `contacts.sort_name` for the contacts matching `$where`
/// (with its binds), on any executor (`&mut *tx` or a pool).
macro_rules! refresh_contact_keys {
    ($exec:expr, $where:literal $(, $bind:expr)* $(,)?) => {{
        type Row = (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>,
            Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT id, first_name, last_name, email, whatsapp_username, whatsapp_user_id, \
               phone_primary, phone_whatsapp, phone_alternate FROM contacts WHERE ", $where))
            $(.bind($bind))*
            .fetch_all($exec).await?;
        for (id, first, last, email, username, user_id, primary, whatsapp, alternate) in rows {
            let key = crate::search_keys::contact_key(first.as_deref(), last.as_deref(), email.as_deref(),
                username.as_deref(), user_id.as_deref());
            let sort = crate::search_keys::contact_sort_name(first.as_deref(), last.as_deref(), email.as_deref(),
                username.as_deref(), [primary.as_deref(), whatsapp.as_deref(), alternate.as_deref()]);
            sqlx::query("UPDATE contacts SET search_key = $2, sort_name = $3 WHERE id = $1")
                .bind(&id).bind(key).bind(sort).execute($exec).await?;
        }
    }};
}

/// Recomputes `handles.search_key` for the handles matching `$where` (with its binds).
macro_rules! refresh_handle_keys {
    ($exec:expr, $where:literal $(, $bind:expr)* $(,)?) => {{
        type Row = (String, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT id, profile_name, saved_name, username FROM handles WHERE ", $where))
            $(.bind($bind))*
            .fetch_all($exec).await?;
        for (id, profile, saved, username) in rows {
            let key = crate::search_keys::handle_key(profile.as_deref(), saved.as_deref(), username.as_deref());
            sqlx::query("UPDATE handles SET search_key = $2 WHERE id = $1").bind(&id).bind(key).execute($exec).await?;
        }
    }};
}

pub(crate) use {refresh_contact_keys, refresh_handle_keys};

impl Store {
    /// Fills the search keys of contacts and handles stored before they existed, in batches;
    /// returns how many rows.
    pub(crate) async fn backfill_search_keys(&self) -> StoreResult<u64> {
        let mut done = 0;
        loop {
            let before = done;
            on_writer!(self, p => {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT id FROM contacts WHERE search_key IS NULL LIMIT 500) AS t")
                    .fetch_one(p).await?;
                refresh_contact_keys!(p, "id IN (SELECT id FROM contacts WHERE search_key IS NULL LIMIT 500)");
                done += n as u64;
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT id FROM handles WHERE search_key IS NULL LIMIT 500) AS t")
                    .fetch_one(p).await?;
                refresh_handle_keys!(p, "id IN (SELECT id FROM handles WHERE search_key IS NULL LIMIT 500)");
                done += n as u64;
            });
            if done == before {
                return Ok(done);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_phrases_take_every_character_literally() {
        assert_eq!(fts_phrase("search_key", "ana"), "search_key : \"ana\"");
        assert_eq!(fts_phrase("search_key", "a\"b OR c*"), "search_key : \"a\"\"b OR c*\"");
        assert!(indexable("ñuñ") && !indexable("ñu"));
    }

    #[test]
    fn keys_fold_every_field_one_per_line() {
        assert_eq!(
            contact_key(Some("Álvaro"), Some("Núñez"), Some("ALVARO@Example.com"), None, Some("US.123")),
            "alvaro\nnunez\nalvaro nunez\nalvaro@example.com\nus.123"
        );
        assert_eq!(contact_key(None, None, None, None, None), "");
        assert_eq!(contact_sort_name(Some(" Ángela "), Some("Ruíz"), Some("a@b.c"), None, [None; 3]), "angela ruiz");
        assert_eq!(contact_sort_name(None, None, None, Some("@Eva"), [Some("+52"), None, None]), "eva");
        assert_eq!(contact_sort_name(None, None, None, None, [None, Some("+5215512345678"), None]), "+5215512345678");
        assert_eq!(contact_sort_name(None, None, None, None, [None; 3]), "");
        assert_eq!(handle_key(Some("Úrsula"), None, Some("ursula.k")), "ursula\nursula.k");
    }
}
