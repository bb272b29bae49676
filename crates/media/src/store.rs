//! Where media bytes live: one interface, a backend per kind of storage.
//!
//! The server holds an `Arc<dyn MediaStore>` and never sees paths: the local directory (the
//! default, [`LocalMediaStore`]) and S3-compatible object storage (for several servers,
//! [`S3MediaStore`]) both fit the same five operations on opaque keys. Methods return boxed
//! futures so the trait stays object-safe without a macro crate.
//!
//! Guarantees every backend keeps: an object appears under its key whole or not at all (no half
//! file after a crash, a refusal or a cancelled upload); a stream past its size limit is refused
//! while it is read, not after it was stored; keys are checked, so none can reach outside the store.

mod local;
mod s3;

pub use local::LocalMediaStore;
pub use s3::{S3Config, S3Credentials, S3MediaStore, PART_SIZE as S3_PART_SIZE};

use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use tokio::io::AsyncRead;

/// The future every [`MediaStore`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, MediaStoreError>> + Send + 'a>>;

/// A stored object read as a stream.
pub type MediaReader = Pin<Box<dyn AsyncRead + Send>>;

/// What was stored: the key to fetch it by, its length and its SHA-256 (hex, lower case), which
/// Meta's media download also reports, so a transfer can be checked end to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub size: u64,
    pub sha256_hex: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaStoreError {
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("no media stored under {0}")]
    NotFound(String),
    #[error("invalid media key {0:?}")]
    InvalidKey(String),
    #[error("media storage failed: {0}")]
    Io(#[from] std::io::Error),
}

impl MediaStoreError {
    /// The API error code, for the errors a client can cause.
    pub fn code(&self) -> &'static str {
        match self {
            MediaStoreError::TooLarge { .. } => "media_too_large",
            MediaStoreError::NotFound(_) => "not_found",
            MediaStoreError::InvalidKey(_) | MediaStoreError::Io(_) => "internal",
        }
    }
}

pub trait MediaStore: Send + Sync {
    /// Stores what `reader` yields under a new key, refusing it with [`MediaStoreError::TooLarge`]
    /// as soon as it passes `max_size` bytes; nothing is left behind on any error.
    fn put_stream<'a>(
        &'a self,
        reader: &'a mut (dyn AsyncRead + Send + Unpin),
        max_size: u64,
    ) -> StoreFuture<'a, StoredObject>;

    /// Stores bytes already in memory.
    fn put(&self, bytes: Bytes) -> StoreFuture<'_, StoredObject> {
        Box::pin(async move {
            let max = bytes.len() as u64;
            let mut reader: &[u8] = &bytes;
            self.put_stream(&mut reader, max).await
        })
    }

    /// The whole object.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Bytes>;

    /// The object as a stream, with its length: for files too large to hold in memory.
    fn open<'a>(&'a self, key: &'a str) -> StoreFuture<'a, (MediaReader, u64)>;

    /// Removes the object; removing one that is not there is not an error (as in S3).
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;

    fn exists<'a>(&'a self, key: &'a str) -> StoreFuture<'a, bool>;
}

/// A new key: `ab/cd/<32 hex digits>` from a random UUID, whose first four digits name two
/// levels of folders (65,536 in all) so that no folder or key prefix grows huge.
pub fn new_key() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{}/{}/{id}", &id[..2], &id[2..4])
}

/// Whether `key` is safe for every backend: `/`-separated segments of ASCII letters, digits,
/// `-`, `_` and `.`, each starting with a letter or digit (so no `..`, no hidden names, no
/// absolute or Windows paths), at most 512 bytes.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && key.split('/').all(|segment| {
            segment.starts_with(|c: char| c.is_ascii_alphanumeric())
                && segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_are_valid_and_fan_out_by_their_first_digits() {
        let key = new_key();
        assert!(valid_key(&key), "{key}");
        let parts: Vec<&str> = key.split('/').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2].len(), 32);
        assert!(parts[2].starts_with(&format!("{}{}", parts[0], parts[1])));
        assert_ne!(new_key(), key);
    }

    #[test]
    fn keys_cannot_escape_the_store() {
        for bad in [
            "",
            "..",
            "../etc/passwd",
            "ab/../../x",
            "/etc/passwd",
            "ab//cd",
            "ab/cd/",
            ".tmp/x",
            "a\\b",
            "ab/.hidden",
            "c:/x",
            "a\0b",
            "ünïcode",
        ] {
            assert!(!valid_key(bad), "{bad:?}");
        }
        assert!(valid_key("ab/cd/0123456789abcdef"));
        assert!(valid_key("legacy-file_1.ogg"));
        assert!(!valid_key(&"a".repeat(513)));
    }
}
