//! Plain SQL on a database of the product, for what the store has no call for: bulk seeding and
//! counting stored messages from outside the server. Statements are built as text (the values are
//! synthetic and quoted with [`quote`]), so the same SQL runs on SQLite and PostgreSQL.

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;

pub enum RawDb {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl RawDb {
    /// `fast_writes`: SQLite without fsync (seeding only: the data can be regenerated).
    pub async fn connect(url: &str, fast_writes: bool) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(PgPoolOptions::new().max_connections(2).connect(url).await?))
        } else {
            let sync = if fast_writes { SqliteSynchronous::Off } else { SqliteSynchronous::Normal };
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(sync)
                .busy_timeout(std::time::Duration::from_secs(30));
            Ok(Self::Sqlite(SqlitePoolOptions::new().max_connections(1).connect_with(options).await?))
        }
    }

    pub async fn execute(&self, sql: &str) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(drop)?,
            Self::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(drop)?,
        }
        Ok(())
    }

    /// Runs `statements` in order in one transaction (one commit, not one per statement: what makes
    /// seeding a million rows take seconds rather than minutes).
    pub async fn execute_together(&self, statements: &[String]) -> anyhow::Result<()> {
        if statements.is_empty() {
            return Ok(());
        }
        // One round trip: both SQLite and PostgreSQL's simple query protocol run a script of several
        // statements; BEGIN/COMMIT make it one transaction on both.
        let mut script = String::from("BEGIN;\n");
        for s in statements {
            script.push_str(s);
            script.push_str(";\n");
        }
        script.push_str("COMMIT;");
        self.execute(&script).await
    }

    /// A query returning one integer (`COUNT(*)`).
    pub async fn count(&self, sql: &str) -> anyhow::Result<i64> {
        Ok(match self {
            Self::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
            Self::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
        })
    }

    pub async fn close(self) {
        match self {
            Self::Sqlite(p) => p.close().await,
            Self::Postgres(p) => p.close().await,
        }
    }
}

/// A SQL string literal (standard quoting: both backends run with standard-conforming strings).
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A nullable SQL string literal.
pub fn quote_opt(s: Option<&str>) -> String {
    s.map(quote).unwrap_or_else(|| "NULL".into())
}

/// `INSERT INTO table (columns) VALUES rows…` in statements of at most `per_statement` rows.
pub struct BulkInsert<'a> {
    db: &'a RawDb,
    head: String,
    rows: Vec<String>,
    per_statement: usize,
    pub written: u64,
}

impl<'a> BulkInsert<'a> {
    pub fn new(db: &'a RawDb, table: &str, columns: &str, per_statement: usize) -> Self {
        Self { db, head: format!("INSERT INTO {table} ({columns}) VALUES "), rows: vec![], per_statement, written: 0 }
    }

    /// Adds one row: its values already quoted, comma-separated.
    pub async fn row(&mut self, values: String) -> anyhow::Result<()> {
        self.rows.push(values);
        if self.rows.len() >= self.per_statement {
            self.flush().await?;
        }
        Ok(())
    }

    /// Rows added and not yet written.
    pub fn pending(&self) -> usize {
        self.rows.len()
    }

    pub async fn flush(&mut self) -> anyhow::Result<()> {
        match self.take_statement() {
            Some(sql) => self.db.execute(&sql).await,
            None => Ok(()),
        }
    }

    /// The `INSERT` of the rows added so far (`None` when there are none), counted as written: the
    /// caller runs it, typically in one transaction with other tables' (see [`RawDb::execute_together`]).
    pub fn take_statement(&mut self) -> Option<String> {
        if self.rows.is_empty() {
            return None;
        }
        let mut sql = self.head.clone();
        for (i, r) in self.rows.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            sql.push_str(r);
            sql.push(')');
        }
        self.written += self.rows.len() as u64;
        self.rows.clear();
        Some(sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes() {
        assert_eq!(quote("O'Brien"), "'O''Brien'");
        assert_eq!(quote_opt(None), "NULL");
    }
}
