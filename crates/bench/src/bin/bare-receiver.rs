//! The reference receiver of issue 14: what the webhook endpoint costs with nothing else around it.
//! axum, the same `X-Hub-Signature-256` HMAC-SHA256 check, a JSON parse of Meta's delivery, and an
//! insert into SQLite (WAL, `synchronous=FULL` like the inbox) with group commit: one writer task
//! takes every request waiting, writes them in one transaction and answers each `200` after the
//! commit, so an acknowledged message is on disk.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use clap::Parser;
use serde::Deserialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:18090")]
    listen: SocketAddr,
    /// The SQLite file (created).
    #[arg(long)]
    db: String,
    #[arg(long, env = "BENCH_APP_SECRET")]
    app_secret: String,
    /// Most requests written in one transaction.
    #[arg(long, default_value_t = 1024)]
    max_batch: usize,
}

/// The part of a WhatsApp delivery this receiver keeps.
#[derive(Deserialize)]
struct Delivery {
    entry: Vec<Entry>,
}
#[derive(Deserialize)]
struct Entry {
    changes: Vec<Change>,
}
#[derive(Deserialize)]
struct Change {
    value: ChangeValue,
}
#[derive(Deserialize)]
struct ChangeValue {
    #[serde(default)]
    messages: Vec<Message>,
}
#[derive(Deserialize)]
struct Message {
    id: String,
    #[serde(default)]
    from: Option<String>,
    timestamp: String,
    #[serde(default)]
    text: Option<Text>,
}
#[derive(Deserialize)]
struct Text {
    body: String,
}

struct Row {
    id: String,
    sender: Option<String>,
    timestamp: String,
    body: Option<String>,
}

type Job = (Vec<Row>, oneshot::Sender<bool>);

#[derive(Clone)]
struct App {
    secret: Arc<str>,
    writer: mpsc::Sender<Job>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", args.db))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, sender TEXT, sent_at TEXT NOT NULL, \
         body TEXT, received_at INTEGER NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let (tx, rx) = mpsc::channel::<Job>(4096);
    tokio::spawn(write_batches(pool, rx, args.max_batch));
    let app = App { secret: args.app_secret.into(), writer: tx };
    let router =
        Router::new().route("/webhooks/meta", post(receive)).route("/healthz", get(|| async { "ok" })).with_state(app);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    eprintln!("bare-receiver listening on {}", args.listen);
    axum::serve(listener, router).await?;
    Ok(())
}

async fn receive(State(app): State<App>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !simulator::verify(&app.secret, &body, signature) {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(delivery) = serde_json::from_slice::<Delivery>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let rows: Vec<Row> = delivery
        .entry
        .into_iter()
        .flat_map(|e| e.changes)
        .flat_map(|c| c.value.messages)
        .map(|m| Row { id: m.id, sender: m.from, timestamp: m.timestamp, body: m.text.map(|t| t.body) })
        .collect();
    let (done, committed) = oneshot::channel();
    if app.writer.send((rows, done)).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match committed.await {
        Ok(true) => StatusCode::OK,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The single writer: waits for one job, takes every other job already queued (up to `max`), and
/// commits them together.
async fn write_batches(pool: SqlitePool, mut rx: mpsc::Receiver<Job>, max: usize) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < max {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let ok = write(&pool, &jobs).await.map_err(|e| eprintln!("write failed: {e}")).is_ok();
        for (_, done) in jobs {
            let _ = done.send(ok);
        }
    }
}

async fn write(pool: &SqlitePool, jobs: &[Job]) -> sqlx::Result<()> {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    let mut tx = pool.begin().await?;
    for row in jobs.iter().flat_map(|(rows, _)| rows) {
        sqlx::query("INSERT OR IGNORE INTO messages (id, sender, sent_at, body, received_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&row.id)
            .bind(&row.sender)
            .bind(&row.timestamp)
            .bind(&row.body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}
