//! Turning stored text back into domain values. A failure here means our own data is damaged,
//! so it is reported as [`StoreError::Corrupt`] rather than a panic.

use crate::error::StoreError;
use std::str::FromStr;

pub(crate) fn parse_id<T: FromStr>(raw: &str, what: &str) -> Result<T, StoreError> {
    raw.parse().map_err(|_| StoreError::Corrupt(format!("{what} id {raw:?}")))
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(raw: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serialising our own plain data types cannot fail (no maps with non-string keys, no I/O).
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// A stored name of a domain enum (a status, a direction…) back into the enum, by its own `parse`.
pub(crate) fn parse_stored<T>(raw: &str, what: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(raw).ok_or_else(|| StoreError::Corrupt(format!("{what} {raw:?}")))
}
