//! The local media store, through the trait the server holds (`Arc<dyn MediaStore>`).

use bytes::Bytes;
use inbox_media::store::{LocalMediaStore, MediaStore, MediaStoreError};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn store() -> (tempfile::TempDir, Arc<dyn MediaStore>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalMediaStore::new(dir.path().join("media")).expect("store");
    (dir, Arc::new(store))
}

/// Every file under `root`, relative paths, sorted.
fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push(path.strip_prefix(root).expect("inside").display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_stored_file_comes_back_with_its_size_and_sha256() {
    let (dir, store) = store();
    let body = Bytes::from_static(b"%PDF-1.7 factura A-100");
    let stored = store.put(body.clone()).await.expect("stored");
    assert_eq!(stored.size, body.len() as u64);
    assert_eq!(stored.sha256_hex, hex::encode(Sha256::digest(&body)));
    assert_eq!(store.get(&stored.key).await.expect("read"), body);
    assert!(store.exists(&stored.key).await.expect("exists"));

    // Two levels of folders from the key's first hex digits, and nothing else on disk.
    let parts: Vec<&str> = stored.key.split('/').collect();
    assert_eq!(&parts[2][..4], format!("{}{}", parts[0], parts[1]));
    assert_eq!(files(&dir.path().join("media")), vec![stored.key.clone()]);

    let (mut reader, len) = store.open(&stored.key).await.expect("open");
    let mut streamed = Vec::new();
    reader.read_to_end(&mut streamed).await.expect("stream");
    assert_eq!((streamed.as_slice(), len), (&body[..], body.len() as u64));
}

#[tokio::test]
async fn a_stream_at_the_limit_is_stored_and_past_it_refused_leaving_nothing() {
    let (dir, store) = store();
    let data = vec![7u8; 200_000];
    let mut exact: &[u8] = &data;
    assert!(store.put_stream(&mut exact, 200_000).await.is_ok());

    let mut over: &[u8] = &data;
    let refused = store.put_stream(&mut over, 199_999).await;
    assert!(matches!(refused, Err(MediaStoreError::TooLarge { max: 199_999 })));
    assert_eq!(refused.err().map(|e| e.code()), Some("media_too_large"));
    assert_eq!(files(&dir.path().join("media")).len(), 1, "only the first file");
}

#[tokio::test]
async fn the_limit_stops_reading_early() {
    let (_dir, store) = store();
    // An endless stream: the store must stop at the limit, not read it all first.
    let mut endless = tokio::io::repeat(1);
    let refused = store.put_stream(&mut endless, 1_000_000).await;
    assert!(matches!(refused, Err(MediaStoreError::TooLarge { .. })));
}

#[tokio::test]
async fn a_failed_or_abandoned_upload_leaves_no_file() {
    let (dir, store) = store();
    // The client writes a little, then the upload is abandoned (the future is dropped).
    let (mut client, mut server) = tokio::io::duplex(1024);
    client.write_all(b"half a file").await.expect("write");
    let upload = store.put_stream(&mut server, 1_000_000);
    assert!(tokio::time::timeout(Duration::from_millis(100), upload).await.is_err());

    // The client disconnects with an error half-way.
    let mut failing = tokio_test_reader();
    assert!(matches!(store.put_stream(&mut failing, 1_000_000).await, Err(MediaStoreError::Io(_))));
    assert_eq!(files(&dir.path().join("media")), Vec::<String>::new());
}

/// A reader that yields some bytes, then an I/O error.
fn tokio_test_reader() -> impl tokio::io::AsyncRead + Send + Unpin {
    let good: &'static [u8] = b"some bytes";
    good.chain(FailingReader)
}

struct FailingReader;

impl tokio::io::AsyncRead for FailingReader {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset")))
    }
}

#[tokio::test]
async fn keys_that_would_leave_the_store_are_refused() {
    let (dir, store) = store();
    std::fs::write(dir.path().join("secret"), b"do not read").expect("write");
    for key in ["../secret", "/etc/passwd", "ab/../../secret", ".tmp/x", "a\\..\\secret", ""] {
        assert!(matches!(store.get(key).await, Err(MediaStoreError::InvalidKey(_))), "{key}");
        assert!(store.delete(key).await.is_err(), "{key}");
        assert!(store.exists(key).await.is_err(), "{key}");
    }
}

#[tokio::test]
async fn deleting_is_final_and_idempotent() {
    let (_dir, store) = store();
    let stored = store.put(Bytes::from_static(b"hola")).await.expect("stored");
    store.delete(&stored.key).await.expect("deleted");
    assert!(!store.exists(&stored.key).await.expect("checked"));
    assert!(matches!(store.get(&stored.key).await, Err(MediaStoreError::NotFound(_))));
    assert!(matches!(store.open(&stored.key).await.err(), Some(MediaStoreError::NotFound(_))));
    store.delete(&stored.key).await.expect("deleting again is fine");
}

#[tokio::test]
async fn each_upload_gets_its_own_key() {
    let (_dir, store) = store();
    let a = store.put(Bytes::from_static(b"same")).await.expect("a");
    let b = store.put(Bytes::from_static(b"same")).await.expect("b");
    assert_ne!(a.key, b.key);
    assert_eq!(a.sha256_hex, b.sha256_hex);
}
