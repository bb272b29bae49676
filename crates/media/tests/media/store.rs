//! The media stores' contract, through the trait the server holds (`Arc<dyn MediaStore>`): every
//! case runs on the local directory and on S3-compatible storage (a real S3 server that
//! `scripts/ensure-s3` starts; `scripts/test` does it).

use bytes::Bytes;
use inbox_media::store::{
    LocalMediaStore, MediaStore, MediaStoreError, S3Config, S3Credentials, S3MediaStore, S3_PART_SIZE,
};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Generates `mod NAME { local, s3 }` tests running `async fn NAME(t: TestStore)` on each backend.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn local() {
                super::$name(super::TestStore::local()).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn s3() {
                super::$name(super::TestStore::s3().await).await
            }
        }
    )*};
}

on_both_backends!(
    a_stored_file_comes_back_with_its_size_and_sha256,
    a_stream_at_the_limit_is_stored_and_past_it_refused_leaving_nothing,
    the_limit_stops_reading_early,
    a_failed_or_abandoned_upload_leaves_no_file,
    keys_that_would_leave_the_store_are_refused,
    deleting_is_final_and_idempotent,
    each_upload_gets_its_own_key,
    a_file_of_several_parts_streams_through_and_comes_back_whole,
    a_refusal_after_parts_were_sent_leaves_nothing,
    an_upload_dropped_after_a_part_was_sent_leaves_nothing,
);

/// A store under test, and a view of everything it holds: objects, and anything half-written
/// (a local part file, an unfinished S3 multipart upload).
pub struct TestStore {
    store: Arc<dyn MediaStore>,
    backend: Backend,
}

enum Backend {
    Local(tempfile::TempDir),
    S3 { inventory: S3MediaStore, endpoint: String, bucket: String, prefix: String },
}

/// The S3 server the tests use, as `scripts/ensure-s3` announces it.
pub fn test_s3_config(prefix: &str) -> (S3Config, String) {
    let var = |name: &str| {
        std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
            panic!(
                "{name} is not set: the S3 media tests need the S3 server that scripts/ensure-s3 starts \
                 (run `eval \"$(scripts/ensure-s3)\"` first; scripts/test does it)"
            )
        })
    };
    let endpoint = var("INBOX_TEST_S3_ENDPOINT");
    let mut config = S3Config::new(var("INBOX_TEST_S3_BUCKET"), "us-east-1");
    config.endpoint = Some(endpoint.clone());
    config.credentials = Some(S3Credentials {
        access_key_id: "inbox-test".into(),
        secret_access_key: "inbox-test-secret".to_string().into(),
    });
    config.path_style = true;
    config.allow_http = true;
    config.prefix = Some(prefix.to_string());
    (config, endpoint)
}

impl TestStore {
    fn local() -> TestStore {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = LocalMediaStore::new(dir.path().join("media")).expect("store");
        TestStore { store: Arc::new(store), backend: Backend::Local(dir) }
    }

    /// A store under a prefix of its own in the shared test bucket.
    async fn s3() -> TestStore {
        let prefix = format!("t-{}", uuid::Uuid::new_v4().simple());
        let (config, endpoint) = test_s3_config(&prefix);
        let store = S3MediaStore::new(&config).expect("S3 store");
        store.check().await.expect("the test bucket answers");
        let inventory = S3MediaStore::new(&config).expect("S3 store");
        TestStore {
            store: Arc::new(store),
            backend: Backend::S3 { inventory, endpoint, bucket: config.bucket, prefix },
        }
    }

    /// Everything the store holds, sorted: object keys, then `upload:<key>` for each unfinished
    /// multipart upload (S3), or `.tmp/<name>` part files (local).
    async fn contents(&self) -> Vec<String> {
        match &self.backend {
            Backend::Local(dir) => files(&dir.path().join("media")),
            Backend::S3 { inventory, endpoint, bucket, prefix } => {
                let mut all = inventory.keys().await.expect("list objects");
                all.extend(
                    unfinished_uploads(endpoint, bucket, prefix).await.into_iter().map(|k| format!("upload:{k}")),
                );
                all
            }
        }
    }

    /// Waits (bounded) until the store holds exactly `expected`; a drop guard's abort runs as a task.
    async fn wait_for_contents(&self, expected: &[String]) {
        let mut now = vec![];
        for _ in 0..200 {
            now = self.contents().await;
            if now == expected {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the store holds {now:?}, expected {expected:?}");
    }
}

/// The multipart uploads started and neither completed nor aborted under `prefix`, by
/// ListMultipartUploads. Sent unsigned: the test server (moto) does not check signatures, and the
/// client library has no call for this listing.
async fn unfinished_uploads(endpoint: &str, bucket: &str, prefix: &str) -> Vec<String> {
    let url = format!("{endpoint}/{bucket}?uploads&prefix={prefix}/");
    let res = reqwest::get(&url).await.expect("ListMultipartUploads");
    assert!(res.status().is_success(), "ListMultipartUploads: {}", res.status());
    let xml = res.text().await.expect("body");
    xml.split("<Upload>")
        .skip(1)
        .filter_map(|upload| upload.split_once("<Key>").and_then(|(_, rest)| rest.split_once("</Key>")))
        .map(|(key, _)| key.to_string())
        .filter(|key| key.starts_with(prefix))
        .collect()
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

/// Bytes that differ from part to part, so that a part sent twice or out of order shows.
fn patterned(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ (i / 65_536) as u8).collect()
}

async fn a_stored_file_comes_back_with_its_size_and_sha256(t: TestStore) {
    let store = &t.store;
    let body = Bytes::from_static(b"%PDF-1.7 factura A-100");
    let stored = store.put(body.clone()).await.expect("stored");
    assert_eq!(stored.size, body.len() as u64);
    assert_eq!(stored.sha256_hex, hex::encode(Sha256::digest(&body)));
    assert_eq!(store.get(&stored.key).await.expect("read"), body);
    assert!(store.exists(&stored.key).await.expect("exists"));

    // Two levels of folders from the key's first hex digits, and nothing else stored.
    let parts: Vec<&str> = stored.key.split('/').collect();
    assert_eq!(&parts[2][..4], format!("{}{}", parts[0], parts[1]));
    assert_eq!(t.contents().await, vec![stored.key.clone()]);

    let (mut reader, len) = store.open(&stored.key).await.expect("open");
    let mut streamed = Vec::new();
    reader.read_to_end(&mut streamed).await.expect("stream");
    assert_eq!((streamed.as_slice(), len), (&body[..], body.len() as u64));
}

async fn a_stream_at_the_limit_is_stored_and_past_it_refused_leaving_nothing(t: TestStore) {
    let store = &t.store;
    let data = vec![7u8; 200_000];
    let mut exact: &[u8] = &data;
    let kept = store.put_stream(&mut exact, 200_000).await.expect("at the limit");

    let mut over: &[u8] = &data;
    let refused = store.put_stream(&mut over, 199_999).await;
    assert!(matches!(refused, Err(MediaStoreError::TooLarge { max: 199_999 })));
    assert_eq!(refused.err().map(|e| e.code()), Some("media_too_large"));
    assert_eq!(t.contents().await, vec![kept.key], "only the first file");
}

async fn the_limit_stops_reading_early(t: TestStore) {
    // An endless stream: the store must stop at the limit, not read it all first.
    let mut endless = tokio::io::repeat(1);
    let refused = t.store.put_stream(&mut endless, 1_000_000).await;
    assert!(matches!(refused, Err(MediaStoreError::TooLarge { .. })));
    assert_eq!(t.contents().await, Vec::<String>::new());
}

async fn a_failed_or_abandoned_upload_leaves_no_file(t: TestStore) {
    let store = &t.store;
    // The client writes a little, then the upload is abandoned (the future is dropped).
    let (mut client, mut server) = tokio::io::duplex(1024);
    client.write_all(b"half a file").await.expect("write");
    let upload = store.put_stream(&mut server, 1_000_000);
    assert!(tokio::time::timeout(Duration::from_millis(100), upload).await.is_err());

    // The client disconnects with an error half-way.
    let mut failing = tokio_test_reader();
    assert!(matches!(store.put_stream(&mut failing, 1_000_000).await, Err(MediaStoreError::Io(_))));
    assert_eq!(t.contents().await, Vec::<String>::new());
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

async fn keys_that_would_leave_the_store_are_refused(t: TestStore) {
    // Something outside the store that a key must not reach.
    if let Backend::Local(dir) = &t.backend {
        std::fs::write(dir.path().join("secret"), b"do not read").expect("write");
    }
    let store = &t.store;
    for key in ["../secret", "/etc/passwd", "ab/../../secret", ".tmp/x", "a\\..\\secret", "", "ab//cd"] {
        assert!(matches!(store.get(key).await, Err(MediaStoreError::InvalidKey(_))), "{key}");
        assert!(matches!(store.open(key).await.err(), Some(MediaStoreError::InvalidKey(_))), "{key}");
        assert!(matches!(store.delete(key).await, Err(MediaStoreError::InvalidKey(_))), "{key}");
        assert!(matches!(store.exists(key).await, Err(MediaStoreError::InvalidKey(_))), "{key}");
    }
}

async fn deleting_is_final_and_idempotent(t: TestStore) {
    let store = &t.store;
    let stored = store.put(Bytes::from_static(b"hola")).await.expect("stored");
    store.delete(&stored.key).await.expect("deleted");
    assert!(!store.exists(&stored.key).await.expect("checked"));
    assert!(matches!(store.get(&stored.key).await, Err(MediaStoreError::NotFound(_))));
    assert!(matches!(store.open(&stored.key).await.err(), Some(MediaStoreError::NotFound(_))));
    store.delete(&stored.key).await.expect("deleting again is fine");
    assert_eq!(t.contents().await, Vec::<String>::new());
}

async fn each_upload_gets_its_own_key(t: TestStore) {
    let store = &t.store;
    let a = store.put(Bytes::from_static(b"same")).await.expect("a");
    let b = store.put(Bytes::from_static(b"same")).await.expect("b");
    assert_ne!(a.key, b.key);
    assert_eq!(a.sha256_hex, b.sha256_hex);
}

async fn a_file_of_several_parts_streams_through_and_comes_back_whole(t: TestStore) {
    let store = &t.store;
    // Two and a half parts: two full ones and a short last one.
    let data = patterned(S3_PART_SIZE * 5 / 2);
    let mut reader: &[u8] = &data;
    let stored = store.put_stream(&mut reader, data.len() as u64).await.expect("stored");
    assert_eq!(stored.size, data.len() as u64);
    assert_eq!(stored.sha256_hex, hex::encode(Sha256::digest(&data)));
    assert_eq!(t.contents().await, vec![stored.key.clone()], "one object, no upload left open");
    assert!(store.get(&stored.key).await.expect("read") == data.as_slice(), "the same bytes, in order");

    let (mut reader, len) = store.open(&stored.key).await.expect("open");
    assert_eq!(len, data.len() as u64);
    let mut streamed = Vec::with_capacity(data.len());
    reader.read_to_end(&mut streamed).await.expect("stream");
    assert!(streamed == data, "streamed back identical");

    // A file of exactly one part fills it and ends the stream right there.
    let exact = patterned(S3_PART_SIZE);
    let mut reader: &[u8] = &exact;
    let one = store.put_stream(&mut reader, exact.len() as u64).await.expect("stored");
    assert!(store.get(&one.key).await.expect("read") == exact.as_slice());
}

async fn a_refusal_after_parts_were_sent_leaves_nothing(t: TestStore) {
    let data = patterned(S3_PART_SIZE * 2 + 1);
    let mut reader: &[u8] = &data;
    let refused = t.store.put_stream(&mut reader, (S3_PART_SIZE * 2) as u64).await;
    assert!(matches!(refused, Err(MediaStoreError::TooLarge { .. })), "{refused:?}");
    // Aborted before the error was returned: neither an object nor an unfinished upload.
    assert_eq!(t.contents().await, Vec::<String>::new());

    let head = patterned(S3_PART_SIZE + 10);
    let mut failing = (&head[..]).chain(FailingReader);
    let failed = t.store.put_stream(&mut failing, u64::MAX).await;
    assert!(matches!(failed, Err(MediaStoreError::Io(_))), "{failed:?}");
    assert_eq!(t.contents().await, Vec::<String>::new());
}

async fn an_upload_dropped_after_a_part_was_sent_leaves_nothing(t: TestStore) {
    // A client that sends one part's worth, then stalls (a browser that went away).
    let stalled = Arc::new(tokio::sync::Notify::new());
    let mut reader = StallingReader { left: S3_PART_SIZE, stalled: stalled.clone() };
    let mut upload = t.store.put_stream(&mut reader, u64::MAX);
    tokio::select! {
        done = &mut upload => panic!("an upload of a stalled stream finished: {done:?}"),
        // The store asks for more only once the first part was sent (S3) or written (local).
        _ = stalled.notified() => {}
    }
    let during = t.contents().await;
    assert_eq!(during.len(), 1, "one half-written upload: {during:?}");
    assert!(during[0].starts_with("upload:") || during[0].starts_with(".tmp/"), "{during:?}");
    drop(upload);
    t.wait_for_contents(&[]).await;
}

/// Yields `left` bytes, then never more: it signals `stalled` and stays pending.
struct StallingReader {
    left: usize,
    stalled: Arc<tokio::sync::Notify>,
}

impl tokio::io::AsyncRead for StallingReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.left == 0 {
            self.stalled.notify_one();
            return std::task::Poll::Pending;
        }
        let n = self.left.min(buf.remaining());
        buf.put_slice(&vec![3u8; n]);
        self.left -= n;
        std::task::Poll::Ready(Ok(()))
    }
}
