//! Folded search keys of contacts and customer handles: the one place that says what a contact or
//! conversation search looks at, and in which form.
//!
//! `contacts.search_key` and `handles.search_key` hold the searchable fields folded by
//! `domain::search::fold` (lower case, accents removed), one per line, so "alvaro", "ÁLVARO" and
//! "Álvaro" all find "Álvaro" on SQLite and PostgreSQL alike (SQLite's `lower()` folds ASCII only,
//! and neither database folds accents the way Rust does). The keys are recomputed from the row by
//! the `refresh_*` macros after every write that touches these fields, inside the same transaction,
//! and filled at start-up for rows stored before they existed. Indexed search (FTS, trigrams) would
//! index these columns.

use crate::db::on_writer;
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

/// `(ct.search_key LIKE … OR h.search_key LIKE …)`: any of the keys contains the folded `text`.
pub(crate) fn push_matches(q: &mut SqlBuilder, key_columns: &[&str], text: &str) {
    let folded = domain::search::fold(text);
    q.push("(");
    for (i, column) in key_columns.iter().enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        q.contains(column, &folded);
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
