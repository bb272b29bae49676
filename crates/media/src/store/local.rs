//! Media in a local directory: the zero-configuration default (`INBOX_DATA_DIR/media`).
//!
//! An object is written to `<root>/.tmp/<random>.part`, synced, then renamed to `<root>/<key>`:
//! the rename is atomic on one file system, so a crash, a refusal or a dropped future never leaves
//! a partial file under a real key. Keys cannot name `.tmp` (segments start with a letter or
//! digit), and parts left by a crash are swept when the store is opened.

use super::{new_key, valid_key, MediaReader, MediaStore, MediaStoreError, StoreFuture, StoredObject};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

const TMP_DIR: &str = ".tmp";
/// A part older than this belongs to no running upload: it was left by a crash.
const STALE_PART: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Clone)]
pub struct LocalMediaStore {
    root: PathBuf,
}

impl LocalMediaStore {
    /// Opens (creating if needed) the store in `root`.
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        let tmp = root.join(TMP_DIR);
        std::fs::create_dir_all(&tmp)?;
        sweep_stale_parts(&tmp);
        Ok(LocalMediaStore { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf, MediaStoreError> {
        if !valid_key(key) {
            return Err(MediaStoreError::InvalidKey(key.to_string()));
        }
        Ok(self.root.join(key))
    }

    async fn write(
        &self,
        reader: &mut (dyn AsyncRead + Send + Unpin),
        max_size: u64,
    ) -> Result<StoredObject, MediaStoreError> {
        let name = format!("{}.part", uuid::Uuid::new_v4().simple());
        let part = Part::new(self.root.join(TMP_DIR).join(name));
        let mut file = tokio::fs::File::create(&part.path).await?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > max_size {
                return Err(MediaStoreError::TooLarge { max: max_size });
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n]).await?;
        }
        file.flush().await?;
        file.sync_all().await?;
        drop(file);

        let key = new_key();
        let dest = self.path(&key)?;
        if let Some(dir) = dest.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::rename(&part.path, &dest).await?;
        part.keep();
        sync_dir(dest.parent()).await;
        Ok(StoredObject { key, size, sha256_hex: hex::encode(hasher.finalize()) })
    }
}

/// Maps "no such file" to [`MediaStoreError::NotFound`] for `key`.
fn not_found(key: &str) -> impl Fn(std::io::Error) -> MediaStoreError + '_ {
    move |e| match e.kind() {
        ErrorKind::NotFound => MediaStoreError::NotFound(key.to_string()),
        _ => MediaStoreError::Io(e),
    }
}

impl MediaStore for LocalMediaStore {
    fn put_stream<'a>(
        &'a self,
        reader: &'a mut (dyn AsyncRead + Send + Unpin),
        max_size: u64,
    ) -> StoreFuture<'a, StoredObject> {
        Box::pin(self.write(reader, max_size))
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Bytes> {
        Box::pin(async move {
            let path = self.path(key)?;
            let bytes = tokio::fs::read(path).await.map_err(not_found(key))?;
            Ok(Bytes::from(bytes))
        })
    }

    fn open<'a>(&'a self, key: &'a str) -> StoreFuture<'a, (MediaReader, u64)> {
        Box::pin(async move {
            let path = self.path(key)?;
            let file = tokio::fs::File::open(path).await.map_err(not_found(key))?;
            let len = file.metadata().await?.len();
            Ok((Box::pin(file) as MediaReader, len))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(key)?).await {
                Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            }
        })
    }

    fn exists<'a>(&'a self, key: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            match tokio::fs::metadata(self.path(key)?).await {
                Ok(meta) => Ok(meta.is_file()),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
    }
}

/// A temporary file removed when dropped — on error, on refusal, or when the upload's future
/// is dropped half-way — unless [`Part::keep`] says it became an object.
struct Part {
    path: PathBuf,
    keep: bool,
}

impl Part {
    fn new(path: PathBuf) -> Self {
        Part { path, keep: false }
    }

    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        if !self.keep {
            // Blocking, but one unlink: cheaper than spawning, and it works outside a runtime.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Makes a rename durable: the directory entry is synced too (POSIX; a no-op elsewhere).
async fn sync_dir(dir: Option<&Path>) {
    #[cfg(unix)]
    if let Some(dir) = dir {
        if let Ok(d) = tokio::fs::File::open(dir).await {
            let _ = d.sync_all().await;
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Removes parts older than [`STALE_PART`]: younger ones may be uploads of another process.
fn sweep_stale_parts(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > STALE_PART);
        if stale {
            tracing::info!(part = %entry.path().display(), "removing a media part left by a crash");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
