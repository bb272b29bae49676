//! Resource limits and robustness: the request timeout, the concurrency limit, body limits applied
//! before buffering (webhooks and API), `/readyz` while the database is unreachable, and media URLs
//! outside Meta's hosts refused.

use crate::harness::{assert_error, on_both_stores, on_both_stores_with, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::config::Config;
use simulator::demo;
use simulator::payloads::{self, SocialAttachment, SocialMessage, SocialPlatform};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

on_both_stores_with!(short_timeout =>
    a_request_held_open_past_the_timeout_is_answered_503_but_an_upload_is_not_cut,
);
on_both_stores_with!(one_slot =>
    requests_beyond_the_concurrency_limit_wait_then_are_shed,
);
on_both_stores_with!(small_bodies =>
    an_oversized_api_body_is_413_declared_or_streamed,
);
on_both_stores!(
    an_oversized_webhook_is_refused_before_it_is_buffered,
    an_upload_declaring_more_than_the_limit_is_413_at_once,
    readyz_is_503_while_the_database_is_unreachable_and_recovers,
    a_media_url_on_a_host_not_allowed_is_refused_and_not_retried,
);

const TIMEOUT: Duration = Duration::from_millis(400);

fn short_timeout(c: &mut Config) {
    c.request_timeout = TIMEOUT;
}

fn one_slot(c: &mut Config) {
    c.max_concurrent_requests = 1;
    c.queue_timeout = Duration::from_millis(300);
}

fn small_bodies(c: &mut Config) {
    c.max_body_bytes = 64 * 1024;
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://")).await.expect("connect")
}

/// Reads one response (head and a `Content-Length` body) within `within`; `None` if none came.
async fn read_response(stream: &mut TcpStream, within: Duration) -> Option<(u16, String)> {
    let read = async {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            buffer.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buffer).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .to_ascii_lowercase()
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                    .unwrap_or(0);
                if buffer.len() >= end + 4 + length {
                    break;
                }
            }
        }
        let text = String::from_utf8_lossy(&buffer).to_string();
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, text))
    };
    tokio::time::timeout(within, read).await.ok().flatten()
}

/// Starts a request whose body is `sent` of a declared `length`, and leaves it open.
async fn start_request(app: &TestApp, head: &str, length: usize, sent: &[u8]) -> TcpStream {
    let mut stream = connect(app).await;
    let request = format!("{head}\r\nhost: localhost\r\ncontent-length: {length}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write head");
    stream.write_all(sent).await.expect("write body");
    stream
}

/// Sends `head` with a chunked body of spaces that never ends (up to `max` bytes) while reading the
/// answer; returns the answer's text and how many body bytes were written before the server stopped
/// reading. Reading and writing run side by side so the answer is read before the connection closes.
async fn send_chunked_until_answered(app: &TestApp, head: &str, max: usize) -> (String, usize) {
    let mut stream = connect(app).await;
    let chunked = format!("{head}\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\n");
    stream.write_all(chunked.as_bytes()).await.expect("head");
    let (mut reader, mut writer) = stream.into_split();
    let sender = tokio::spawn(async move {
        let chunk = [format!("{:x}\r\n", 64 * 1024).into_bytes(), vec![b' '; 64 * 1024], b"\r\n".to_vec()].concat();
        let mut sent = 0usize;
        // Stops when the server closes the connection; bounded so a server that buffers forever fails.
        while sent < max {
            if writer.write_all(&chunk).await.is_err() {
                return sent;
            }
            sent += 64 * 1024;
        }
        sent
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
        // The body of the answer (a short JSON error) usually follows in the same or the next read.
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(200), reader.read(&mut buf)).await {
            answer.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    assert!(read.is_ok(), "no answer while the body kept coming");
    let sent = sender.await.expect("the sender");
    (String::from_utf8_lossy(&answer).to_string(), sent)
}

fn multipart(boundary: &str, bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let head = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"nota.txt\"\r\ncontent-type: text/plain\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    ([head.as_bytes(), bytes].concat(), tail.into_bytes())
}

async fn a_request_held_open_past_the_timeout_is_answered_503_but_an_upload_is_not_cut(app: TestApp) {
    let acct = app.full_account().await;
    // A JSON request whose body never completes (a slow or stuck client).
    let head = format!(
        "POST /api/v1/contacts HTTP/1.1\r\nauthorization: Bearer {}\r\ncontent-type: application/json",
        acct.admin_token
    );
    let mut stuck = start_request(&app, &head, 100, b"{\"first_name\":").await;
    let (status, text) = read_response(&mut stuck, TIMEOUT * 10).await.expect("answered after the timeout");
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("\"timeout\""), "{text}");
    assert!(text.to_ascii_lowercase().contains("retry-after: 1"), "{text}");

    // An upload slower than the timeout is not cut: it is answered only once complete.
    let (first, rest) = multipart("b0undary", b"hola, esta es una nota");
    let head = format!(
        "POST /api/v1/uploads HTTP/1.1\r\nauthorization: Bearer {}\r\ncontent-type: multipart/form-data; boundary=b0undary",
        acct.admin_token
    );
    let mut upload = start_request(&app, &head, first.len() + rest.len(), &first).await;
    assert!(read_response(&mut upload, TIMEOUT * 3).await.is_none(), "the upload was answered before it ended");
    upload.write_all(&rest).await.expect("finish the upload");
    let (status, text) = read_response(&mut upload, Duration::from_secs(10)).await.expect("answered");
    assert_eq!(status, 201, "{text}");
}

async fn requests_beyond_the_concurrency_limit_wait_then_are_shed(app: TestApp) {
    let acct = app.full_account().await;
    // An upload in progress holds the only slot (uploads have no timeout).
    let (first, rest) = multipart("b0undary", b"una nota");
    let head = format!(
        "POST /api/v1/uploads HTTP/1.1\r\nauthorization: Bearer {}\r\ncontent-type: multipart/form-data; boundary=b0undary",
        acct.admin_token
    );
    let mut holder = start_request(&app, &head, first.len() + rest.len(), &first).await;
    // Once the upload holds it, another request waits its queue time and is shed.
    let mut shed = None;
    for _ in 0..20 {
        let res = app.get(&acct.admin_token, "/api/v1/me").await;
        if res.status() == StatusCode::SERVICE_UNAVAILABLE {
            shed = Some(res);
            break;
        }
    }
    let shed = shed.expect("a request beyond the limit was shed");
    assert_eq!(shed.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    assert_error(shed, StatusCode::SERVICE_UNAVAILABLE, "overloaded").await;
    // Health endpoints stay outside the limit.
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    // A request arriving while the slot is held waits for it rather than failing at once…
    let waiting = {
        let (http, url, token) = (app.http.clone(), app.url("/api/v1/me"), acct.admin_token.clone());
        tokio::spawn(async move { http.get(url).bearer_auth(token).send().await.unwrap().status() })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "the request did not wait for a slot");
    // …and is served as soon as the slot is free.
    holder.write_all(&rest).await.expect("finish the upload");
    let (status, _) = read_response(&mut holder, Duration::from_secs(10)).await.expect("upload answered");
    assert_eq!(status, 201);
    assert_eq!(waiting.await.unwrap(), StatusCode::OK);
    assert_eq!(app.get(&acct.admin_token, "/api/v1/me").await.status(), StatusCode::OK);
}

async fn an_oversized_api_body_is_413_declared_or_streamed(app: TestApp) {
    let acct = app.full_account().await;
    let big = json!({"first_name": "x".repeat(70 * 1024)});
    let res = app.post(&acct.admin_token, "/api/v1/contacts", big.clone()).await;
    assert_error(res, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;
    // Without a Content-Length the body is cut at the limit while it streams. Raw TCP, because the
    // server answers and closes while the client is still sending: an HTTP client may report that as a
    // broken connection instead of reading the 413 that was sent.
    let head = format!(
        "POST /api/v1/contacts HTTP/1.1\r\nauthorization: Bearer {}\r\ncontent-type: application/json",
        acct.admin_token
    );
    let (text, sent) = send_chunked_until_answered(&app, &head, 64 * 1024 * 1024).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text:?}");
    assert!(text.contains("\"body_too_large\""), "{text}");
    assert!(sent < 64 * 1024 * 1024, "the server kept reading past the limit");
    // Under the limit all is well.
    let res = app.post(&acct.admin_token, "/api/v1/contacts", json!({"first_name": "Ana"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

async fn an_oversized_webhook_is_refused_before_it_is_buffered(app: TestApp) {
    const LIMIT: usize = 16 * 1024 * 1024;
    let head = "POST /webhooks/meta HTTP/1.1\r\ncontent-type: application/json\r\nx-hub-signature-256: sha256=00";
    // A declared length over the limit: 413 before a byte of the body is sent.
    let mut declared = start_request(&app, head, LIMIT + 1, b"").await;
    let (status, text) = read_response(&mut declared, Duration::from_secs(10)).await.expect("answered at once");
    assert_eq!(status, 413, "{text}");
    // No length (chunked): the server stops reading at the limit. The client would send forever.
    let (text, sent) = send_chunked_until_answered(&app, head, 8 * LIMIT).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text:?}");
    assert!(sent < 8 * LIMIT, "the server kept reading past the limit");
    assert_eq!(app.state.store.count_webhook_journal().await.unwrap(), 0, "nothing journaled");
    // A delivery within the limit is still accepted.
    let ok = payloads::social_message(
        SocialPlatform::Messenger,
        demo::PAGE_ID,
        "1234",
        0,
        &SocialMessage::text("m_1", "hola"),
    );
    assert_eq!(app.post_webhook(&ok).await, StatusCode::OK);
}

async fn an_upload_declaring_more_than_the_limit_is_413_at_once(app: TestApp) {
    let acct = app.full_account().await;
    let head = format!(
        "POST /api/v1/uploads HTTP/1.1\r\nauthorization: Bearer {}\r\ncontent-type: multipart/form-data; boundary=b0undary",
        acct.admin_token
    );
    let mut stream = start_request(&app, &head, 200 * 1000 * 1000, b"--b0undary\r\n").await;
    let (status, text) = read_response(&mut stream, Duration::from_secs(10)).await.expect("answered at once");
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("\"media_too_large\""), "{text}");
}

async fn readyz_is_503_while_the_database_is_unreachable_and_recovers(app: TestApp) {
    let ready = || async { app.http.get(app.url("/readyz")).send().await.unwrap().status() };
    assert_eq!(ready().await, StatusCode::OK);
    match app.pg_database() {
        Some(db) => {
            use sqlx::Connection;
            let mut admin = sqlx::PgConnection::connect(&crate::harness::pg_admin_url()).await.unwrap();
            sqlx::query(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false")).execute(&mut admin).await.unwrap();
            sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
                .bind(db)
                .execute(&mut admin)
                .await
                .unwrap();
            assert_eq!(ready().await, StatusCode::SERVICE_UNAVAILABLE);
            sqlx::query(&format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true")).execute(&mut admin).await.unwrap();
        }
        None => {
            // The file goes away (a volume unmounted, a file deleted): open connections do not notice.
            let file = app.data_dir().join("inbox.db");
            let moved = app.data_dir().join("inbox.db.away");
            std::fs::rename(&file, &moved).unwrap();
            let down = ready().await;
            std::fs::rename(&moved, &file).unwrap();
            assert_eq!(down, StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    assert_eq!(ready().await, StatusCode::OK, "ready again once the database is back");
}

async fn a_media_url_on_a_host_not_allowed_is_refused_and_not_retried(app: TestApp) {
    let acct = app.full_account().await;
    app.connect_demo_channels(&acct.admin_token).await;
    // The simulator, reached as `localhost` rather than the allowed 127.0.0.1: a loopback host not allowed.
    let url = format!("{}/cdn/refused.png", app.sim.base_url().replace("127.0.0.1", "localhost"));
    let message = SocialMessage {
        mid: "m_refused".into(),
        attachments: vec![SocialAttachment { kind: "image".into(), url, sticker_id: None }],
        ..SocialMessage::default()
    };
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let body = payloads::social_message(SocialPlatform::Messenger, demo::PAGE_ID, "99887766", now_ms, &message);
    assert_eq!(app.post_webhook(&body).await, StatusCode::OK);
    app.settle().await;
    let conversation = app.only_conversation(&acct.admin_token).await;
    let id = conversation["id"].as_str().unwrap();
    let mut attachment = Value::Null;
    for _ in 0..200 {
        let messages = app.messages(&acct.admin_token, id).await;
        attachment =
            messages.iter().find(|m| m["external_id"] == "m_refused").map(|m| m["attachment"].clone()).unwrap();
        if attachment["status"] != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(attachment["status"], "failed", "failed at once, not left to retry: {attachment}");
    let error = attachment["error"].as_str().unwrap_or_default();
    assert!(error.contains("refused") && error.contains("localhost"), "{error}");
    assert!(app.sim.requests().iter().all(|r| !r.path.contains("refused.png")), "nothing was fetched");
}
