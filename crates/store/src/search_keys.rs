//! Folded search keys of contacts and customer handles: the one place that says what a contact or
//! conversation search looks at, and in which form.
//!
//! `contacts.search_key` and `handles.search_key` hold the searchable fields folded by
//! `domain::search::fold` (lower case, accents removed), one per line, so "alvaro", "ÁLVARO" and
//! "Álvaro" all find "Álvaro" on SQLite and PostgreSQL alike (SQLite's `lower()` folds ASCII only,
//! and neither database folds accents the way Rust does). The keys are recomputed from the row by
//! the `refresh_*` macros after every write that touches these fields, inside the same transaction,
//! and filled at start-up for rows stored before they existed. Trigram indexes (migration 0040: FTS5
//! on SQLite, `pg_trgm` on PostgreSQL, with GIN's pending list kept at 64 kB since 0054) answer a
//! search for three characters or more without reading every key.

use crate::db::{on_reader, on_writer, Backend};
use crate::error::StoreResult;
use crate::sql::{bind_all, SqlBuilder};
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

/// The customers (handles) of the account a conversation search matches: the folded `text` in the
/// customer's key (profile name, saved name, username) or in the key of the contact linked to it
/// (names, e-mail, username, user id), its digits (four or more) in the WhatsApp id, or one of
/// `phone_keys` among the contact's phones — at most `limit` rows, as one `SELECT id … UNION ALL …`.
///
/// `UNION ALL` under a `LIMIT`, not a set (`UNION`, `IN (…)`): each part is answered by its index
/// (`search_key` trigram indexes, migration 0040) and the rows stream out, so a common text stops
/// after `limit` rows instead of collecting and de-duplicating every match first (that was 25 ms of a
/// 46 ms search for a frequent surname on PostgreSQL at 100 000 customers). A handle may therefore
/// come more than once (found by its own key and by its contact's): the caller de-duplicates.
pub(crate) fn conversation_matches_query(
    backend: Backend,
    account: &str,
    text: &str,
    phone_keys: &[String],
    limit: i64,
) -> SqlBuilder {
    let folded = domain::search::fold(text);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let digits = (digits.len() >= 4).then_some(digits);
    let mut q = SqlBuilder::default();
    if backend == Backend::Sqlite && indexable(&folded) {
        // The digits are at least as long as the folded text is, so they are indexable too. The FTS
        // tables drive the joins, so their matches stream out without being collected first.
        let mut phrase = fts_phrase("search_key", &folded);
        if let Some(d) = &digits {
            phrase = format!("{phrase} OR {}", fts_phrase("wa_id", d));
        }
        q.push("SELECT hs.id FROM handles_search JOIN handles hs ON hs.rowid = handles_search.rowid WHERE handles_search MATCH ")
            .bind_text(phrase)
            .push(" AND hs.account_id = ")
            .bind_text(account);
        q.push(
            " UNION ALL SELECT hc.id FROM contacts_search JOIN contacts cs ON cs.rowid = contacts_search.rowid \
             JOIN handles hc ON hc.contact_id = cs.id WHERE contacts_search MATCH ",
        )
        .bind_text(fts_phrase("search_key", &folded));
    } else {
        q.push("SELECT hs.id FROM handles hs WHERE hs.account_id = ").bind_text(account).push(" AND (");
        q.contains("hs.search_key", &folded);
        if let Some(d) = &digits {
            q.push(" OR ");
            push_wa_id_contains(&mut q, backend, "hs.wa_id", d);
        }
        q.push(")");
        q.push(" UNION ALL SELECT hc.id FROM contacts cs JOIN handles hc ON hc.contact_id = cs.id WHERE ");
        q.contains("cs.search_key", &folded);
    }
    q.push(" AND cs.account_id = ").bind_text(account).push(" AND hc.account_id = ").bind_text(account);
    if !phone_keys.is_empty() {
        q.push(" UNION ALL SELECT hp.id FROM contact_phone_keys k JOIN handles hp ON hp.contact_id = k.contact_id WHERE k.account_id = ")
            .bind_text(account)
            .push(" AND ")
            .in_list("k.phone_key", phone_keys.iter().cloned())
            .push(" AND hp.account_id = ")
            .bind_text(account);
    }
    q.push(" LIMIT ").bind_int(limit);
    q
}

/// Digits longer than this are looked up in PostgreSQL's WhatsApp id trigram index by their last
/// `WA_ID_TAIL` digits, then checked whole (see [`push_wa_id_contains`]).
const WA_ID_TAIL: usize = 8;

/// `column` (a WhatsApp id) contains `digits`: the same rows as `LIKE '%digits%'`. On PostgreSQL a
/// long number is looked up by its last digits and then checked whole with `strpos`, which no index
/// answers, so the planner leaves it as a recheck. Every WhatsApp id of one country and area code
/// starts with the same digits, so their trigrams ("521", "215", "155" in Mexico City) are in nearly
/// every row, and for a whole number `pg_trgm`'s GIN index read those long posting lists (15 ms of a
/// phone search at 100 000 customers); the last digits' trigrams are spread evenly. SQLite's FTS5
/// trigram table answers the whole number quickly, so it keeps the plain condition.
fn push_wa_id_contains(q: &mut SqlBuilder, backend: Backend, column: &str, digits: &str) {
    let tail_start = digits.len().saturating_sub(WA_ID_TAIL);
    match digits.get(tail_start..) {
        Some(tail) if backend == Backend::Postgres && tail_start > 0 => {
            q.push("(").contains(column, tail).push(" AND strpos(").push(column).push(", ");
            q.bind_text(digits).push(") > 0)");
        }
        _ => {
            q.contains(column, digits);
        }
    }
}

/// A conversation search text matching at least this many customers is *common* (a frequent
/// surname, a short name): its matches are dense, so walking the conversations newest first and
/// testing each finds a page sooner than collecting every match through the indexes and sorting them
/// all. The contact search draws the same line (its walk is in name order). Counted in rows of
/// [`conversation_matches_query`], which may hold a customer twice: a text may then be taken for
/// common a little early, which changes how the page is found, never what it holds.
pub(crate) const COMMON_MATCHES: i64 = 1000;

/// The same condition as [`conversation_matches_query`], tested on each row of the conversation list's
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
    /// The ids `q` finds — a query of a search's matches ending in `LIMIT at_most` — sorted and each
    /// once, when there are fewer than `at_most`; `None` for a common text that finds that many (see
    /// [`COMMON_MATCHES`]).
    pub(crate) async fn fewer_matches_than(&self, q: &SqlBuilder, at_most: i64) -> StoreResult<Option<Vec<String>>> {
        let mut ids: Vec<String> = on_reader!(self, p => bind_all!(sqlx::query_scalar(&q.sql), q).fetch_all(p).await)?;
        if ids.len() as i64 >= at_most {
            return Ok(None);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(Some(ids))
    }

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
