//! A small builder for statements whose shape depends on filters. It numbers `$n` placeholders
//! (understood by both SQLite and PostgreSQL) and keeps the values to bind, so one SQL text serves
//! both backends — or, built for a backend ([`SqlBuilder::for_backend`]), writes SQLite's anonymous
//! `?` there, for statements with many values.

use crate::db::Backend;

#[derive(Clone, Debug)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
    /// A NULL text value (compares equal to nothing).
    Null,
    /// A NULL integer value (PostgreSQL checks the type of a NULL too).
    NullInt,
}

#[derive(Default)]
pub(crate) struct SqlBuilder {
    pub sql: String,
    pub binds: Vec<Bind>,
    /// Prepared for this execution only, not kept in the connection's statement cache: set by
    /// [`SqlBuilder::in_list`], whose text changes with the list's length. PostgreSQL plans such a
    /// statement for the values it is given; a cached one may, after five runs, get a generic plan
    /// made from the statistics of that moment — on a database that started empty, a plan for tiny
    /// tables kept while they grow (reading a batch's 64 new messages by id became a scan of the
    /// account's every message).
    pub one_shot: bool,
    /// Placeholders are SQLite's anonymous `?`, taken in order, instead of `$n`. SQLite finds a
    /// numbered parameter's name by walking the list of every name, and sqlx asks for the name of
    /// each parameter it binds: a statement of n numbered parameters costs n² steps to bind — a
    /// batch's messages insert binds over a thousand. Anonymous ones have no name to look up.
    anonymous: bool,
}

impl SqlBuilder {
    pub fn new(sql: impl Into<String>) -> Self {
        Self { sql: sql.into(), binds: vec![], one_shot: false, anonymous: false }
    }

    /// A builder whose placeholders suit `backend` only: anonymous `?` on SQLite (see `anonymous`).
    /// For statements binding many values (multi-row inserts, long lists); the text given and pushed
    /// must then hold no placeholder of its own.
    pub fn for_backend(backend: Backend, sql: impl Into<String>) -> Self {
        let mut q = Self::new(sql);
        q.anonymous = backend == Backend::Sqlite;
        debug_assert!(!q.anonymous || !has_numbered_placeholder(&q.sql), "{}", q.sql);
        q
    }

    pub fn push(&mut self, sql: &str) -> &mut Self {
        debug_assert!(!self.anonymous || !has_numbered_placeholder(sql), "{sql}");
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        if self.anonymous {
            self.sql.push('?');
        } else {
            self.sql.push_str(&format!("${}", self.binds.len()));
        }
        self
    }

    /// Keeps this statement in the connection's cache even though it has an `IN` list (see
    /// `one_shot`): for a hot statement whose plan does not depend on the statistics.
    pub fn keep_prepared(&mut self) -> &mut Self {
        self.one_shot = false;
        self
    }

    pub fn bind_text(&mut self, value: impl Into<String>) -> &mut Self {
        self.bind(Bind::Text(value.into()))
    }

    pub fn bind_int(&mut self, value: i64) -> &mut Self {
        self.bind(Bind::Int(value))
    }

    /// `expression LIKE $n ESCAPE '\'`: the expression contains `text` exactly as given (no case
    /// folding: for columns and text already folded by `domain::search::fold`).
    pub fn contains(&mut self, expression: &str, text: &str) -> &mut Self {
        self.push(expression).push(" LIKE ").bind_text(like_pattern(text)).push(" ESCAPE '\\'")
    }

    /// `column IN (the contacts of the account having one of these phone match keys)`.
    pub fn in_contacts_with_keys(&mut self, column: &str, account: &str, keys: &[String]) -> &mut Self {
        self.push(column).push(" IN (SELECT k.contact_id FROM contact_phone_keys k WHERE k.account_id = ");
        self.bind_text(account).push(" AND ").in_list("k.phone_key", keys.iter().cloned()).push(")")
    }

    /// `column IN (the values)`, the values bound as one JSON array (`json_each` on SQLite,
    /// `jsonb_array_elements_text` on PostgreSQL): one statement text whatever their number, so the
    /// prepared statement is reused, where `IN ($a, $b, …)` would prepare one per length.
    pub fn in_json_list(&mut self, column: &str, backend: Backend, values: &[String]) -> &mut Self {
        let array = serde_json::Value::from(values.to_vec()).to_string();
        self.push(column).push(" IN (SELECT ");
        match backend {
            Backend::Sqlite => self.push("value FROM json_each(").bind_text(array).push("))"),
            Backend::Postgres => self.push("jsonb_array_elements_text(").bind_text(array).push("::jsonb))"),
        }
    }

    /// `column IN ($a, $b, …)`; an empty list matches nothing.
    pub fn in_list(&mut self, column: &str, values: impl IntoIterator<Item = String>) -> &mut Self {
        let values: Vec<String> = values.into_iter().collect();
        if values.is_empty() {
            return self.push("FALSE");
        }
        self.one_shot = true;
        self.push(column).push(" IN (");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind_text(v);
        }
        self.push(")")
    }
}

/// Rows per multi-row `INSERT` (handles, conversations, messages, notices, audit entries): a batch
/// or a delivery of imported history may bring thousands, and SQLite takes at most 32 766 bound
/// values in one statement (the widest of these rows binds 17).
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// Whether `sql` holds a `$n` placeholder (which would not mix with anonymous ones).
fn has_numbered_placeholder(sql: &str) -> bool {
    sql.as_bytes().windows(2).any(|w| w[0] == b'$' && w[1].is_ascii_digit())
}

/// The backend a connection (or a transaction, dereferenced) talks to: for statements built inside
/// the macros whose one body serves both backends' connections.
pub(crate) trait OnBackend {
    const BACKEND: Backend;
}

impl OnBackend for sqlx::SqliteConnection {
    const BACKEND: Backend = Backend::Sqlite;
}

impl OnBackend for sqlx::PgConnection {
    const BACKEND: Backend = Backend::Postgres;
}

pub(crate) fn backend_of<C: OnBackend>(_: &C) -> Backend {
    C::BACKEND
}

/// `%text%` with `%`, `_` and `\` in `text` taken literally (escape character `\`).
fn like_pattern(text: &str) -> String {
    format!("%{}%", like_escape(text))
}

/// `text` with `%`, `_` and `\` escaped for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Binds the builder's values onto a `sqlx::query_as` / `sqlx::query` in order.
macro_rules! bind_all {
    ($query:expr, $builder:expr) => {{
        let builder: &$crate::sql::SqlBuilder = &$builder;
        let mut q = $query.persistent(!builder.one_shot);
        for b in builder.binds.iter() {
            q = match b {
                $crate::sql::Bind::Text(s) => q.bind(s.clone()),
                $crate::sql::Bind::Int(i) => q.bind(*i),
                $crate::sql::Bind::Null => q.bind(Option::<String>::None),
                $crate::sql::Bind::NullInt => q.bind(Option::<i64>::None),
            };
        }
        q
    }};
}
pub(crate) use bind_all;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_builder_for_sqlite_writes_anonymous_placeholders_and_for_postgresql_numbered_ones() {
        let build = |backend| {
            let mut q = SqlBuilder::for_backend(backend, "INSERT INTO t (a, b) VALUES ");
            q.push("(")
                .bind_text("x")
                .push(", ")
                .bind_int(1)
                .push("), (")
                .bind_text("y")
                .push(", ")
                .bind_int(2)
                .push(")");
            q
        };
        let sqlite = build(Backend::Sqlite);
        assert_eq!(sqlite.sql, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
        let postgres = build(Backend::Postgres);
        assert_eq!(postgres.sql, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
        assert_eq!(sqlite.binds.len(), 4);
        assert_eq!(SqlBuilder::new("x = ").bind_int(1).sql, "x = $1", "a builder for both numbers its placeholders");
    }

    #[test]
    fn numbered_placeholders_are_told_apart_from_dollar_signs_in_text() {
        assert!(has_numbered_placeholder("a = $1"));
        assert!(!has_numbered_placeholder("a = '$' || b"));
    }
}
