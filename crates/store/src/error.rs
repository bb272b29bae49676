use thiserror::Error;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the text names the constraint or column so callers can tell which.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A row that our own code wrote cannot be read back into a domain value.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database URL asks for something the store cannot be (said at start, not later).
    #[error("database configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the database could not be reached (the server answers 503 so callers such as Meta retry).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed) => true,
            // PostgreSQL ending connections as it shuts down or restarts (class 57P: "operator
            // intervention", e.g. 57P01 "terminating connection due to administrator command"), or
            // a connection failure it reports (class 08).
            StoreError::Database(sqlx::Error::Database(db)) => {
                db.code().is_some_and(|code| code.starts_with("57P") || code.starts_with("08"))
            }
            _ => false,
        }
    }

    /// Whether this is a conflict on the named constraint (PostgreSQL names it; SQLite names the columns,
    /// so callers pass a fragment present in both, e.g. `"email"`).
    pub fn is_conflict_on(&self, fragment: &str) -> bool {
        matches!(self, StoreError::Conflict(c) if c.contains(fragment))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                let name = db.constraint().map(str::to_string).unwrap_or_else(|| db.message().to_string());
                StoreError::Conflict(name)
            }
            other => StoreError::Database(other),
        }
    }
}
