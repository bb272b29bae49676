//! Watches the inbox's database while `load` runs, until all `count` messages of a channel are
//! stored as messages (what the conversation view shows), and prints the apply rate and the delay
//! from acknowledgement to visibility as JSON.
//!
//! The delay is estimated in arrival order: at each poll, with `v` messages visible, the `v`-th
//! acknowledged message (from `load --ack-log`) has just become visible, so `now − its POST` is its
//! delay (over-estimated by at most one poll interval). The worker applies the journal in order, so
//! this is the delay a customer's message sees.

use clap::Parser;
use inbox_bench::rawdb::{quote, RawDb};
use inbox_bench::stats::Latency;
use serde::Deserialize;
use serde_json::json;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    database_url: String,
    #[arg(long)]
    channel_id: String,
    #[arg(long)]
    count: i64,
    /// The file `load --ack-log` writes when it finishes.
    #[arg(long)]
    ack_log: std::path::PathBuf,
    #[arg(long, default_value_t = 50)]
    poll_ms: u64,
    #[arg(long, default_value_t = 600)]
    timeout_s: u64,
}

#[derive(Deserialize)]
struct AckLog {
    started_ms: i64,
    /// `[acknowledged, posted]`, by acknowledgement.
    acks_ms: Vec<(i64, i64)>,
}

fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = RawDb::connect(&args.database_url, false).await?;
    let sql = format!("SELECT COUNT(*) FROM messages WHERE channel_id = {}", quote(&args.channel_id));
    let deadline = Instant::now() + Duration::from_secs(args.timeout_s);
    let mut polls: Vec<(i64, i64)> = vec![];
    let mut visible = 0;
    while visible < args.count && Instant::now() < deadline {
        visible = db.count(&sql).await?;
        polls.push((unix_ms(), visible));
        tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
    }
    db.close().await;
    let log: AckLog = loop {
        if let Ok(bytes) = std::fs::read(&args.ack_log) {
            if let Ok(log) = serde_json::from_slice(&bytes) {
                break log;
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "no acknowledgement log at {}", args.ack_log.display());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut delays = vec![];
    let mut last = 0;
    for &(at, v) in &polls {
        if v > last {
            if let Some((_, posted)) = usize::try_from(v - 1).ok().and_then(|i| log.acks_ms.get(i)) {
                delays.push(Duration::from_millis(u64::try_from(at - posted).unwrap_or(0)));
            }
            last = v;
        }
    }
    let all_visible_ms = polls.iter().find(|(_, v)| *v >= args.count).map(|(at, _)| *at);
    let last_ack_ms = log.acks_ms.last().map(|(ack, _)| *ack).unwrap_or(log.started_ms);
    let backlog_at_last_ack =
        args.count - polls.iter().take_while(|(at, _)| *at <= last_ack_ms).last().map(|(_, v)| *v).unwrap_or(0);
    let elapsed_s = all_visible_ms.map(|t| (t - log.started_ms) as f64 / 1000.0);
    println!(
        "{}",
        json!({
            "count": args.count,
            "visible": visible,
            "complete": visible >= args.count,
            "elapsed_s": elapsed_s,
            "apply_msgs_per_s": elapsed_s.map(|s| (args.count as f64 / s).round()),
            "drain_after_last_ack_s": all_visible_ms.map(|t| (t - last_ack_ms) as f64 / 1000.0),
            "backlog_at_last_ack": backlog_at_last_ack,
            "post_to_visible": Latency::from_samples(delays),
        })
    );
    Ok(())
}
