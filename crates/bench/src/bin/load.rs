//! Sends `count` signed WhatsApp text webhooks (Meta's payload shape, from the simulator's builders)
//! with distinct message ids from `senders` customers over `connections` concurrent connections, and
//! prints the acknowledgement rate and latency as JSON. The bodies and signatures are made before the
//! clock starts, so the generator's own work is not measured.

use clap::Parser;
use inbox_bench::stats::Latency;
use inbox_bench::webhooks::{signed_texts, SignedWebhook, Target};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Parser)]
struct Args {
    /// The webhook endpoint, e.g. http://127.0.0.1:8080/webhooks/meta
    #[arg(long)]
    url: String,
    #[command(flatten)]
    target: Target,
    #[arg(long, default_value_t = 20_000)]
    count: usize,
    #[arg(long, default_value_t = 1_000)]
    senders: u64,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Prefix of the message ids (distinct per run, so a second run is not a redelivery).
    #[arg(long, default_value = "bench")]
    id_prefix: String,
    /// Where to write `[acknowledged, posted]` instants (Unix ms, by acknowledgement) for `apply-wait`.
    #[arg(long)]
    ack_log: Option<std::path::PathBuf>,
    /// Where to write the ids of the messages whose delivery was answered 2xx (a JSON array), for the
    /// fault scripts' exactly-once check.
    #[arg(long)]
    acked_ids: Option<std::path::PathBuf>,
}

fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let requests = Arc::new(signed_texts(&args.target, args.count, args.senders, &args.id_prefix, unix_ms() / 1000));
    let client =
        reqwest::Client::builder().pool_max_idle_per_host(args.connections).timeout(Duration::from_secs(60)).build()?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let started_ms = unix_ms();
    let mut workers = vec![];
    for _ in 0..args.connections {
        let (client, next, requests, url) = (client.clone(), next.clone(), requests.clone(), args.url.clone());
        workers.push(tokio::spawn(async move {
            let mut samples = vec![];
            let mut acks = vec![];
            let mut errors = 0usize;
            let mut acked = vec![];
            // How each delivery was answered: its HTTP status, or "connection" when none came.
            let mut answers: BTreeMap<String, usize> = BTreeMap::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(SignedWebhook { body, signature }) = requests.get(i) else { break };
                let t = Instant::now();
                let posted_ms = unix_ms();
                let answer = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", signature)
                    .body(body.clone())
                    .send()
                    .await;
                let answer = match answer {
                    Ok(r) => {
                        let status = r.status();
                        // The body read too: a 200 whose body never arrives is not an acknowledgement.
                        r.bytes().await.map(|_| status)
                    }
                    Err(e) => Err(e),
                };
                let key = answer.as_ref().map(|s| s.as_u16().to_string()).unwrap_or_else(|_| "connection".into());
                *answers.entry(key).or_default() += 1;
                match answer {
                    Ok(status) if status.is_success() => {
                        samples.push(t.elapsed());
                        acks.push((unix_ms(), posted_ms));
                        acked.push(i);
                    }
                    _ => errors += 1,
                }
            }
            (samples, acks, errors, acked, answers)
        }));
    }
    let mut samples = vec![];
    let mut acks = vec![];
    let mut errors = 0;
    let mut acked = vec![];
    let mut answers: BTreeMap<String, usize> = BTreeMap::new();
    for w in workers {
        let (s, a, e, ids, by_status) = w.await?;
        samples.extend(s);
        acks.extend(a);
        errors += e;
        acked.extend(ids);
        for (status, n) in by_status {
            *answers.entry(status).or_default() += n;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    acks.sort_unstable();
    if let Some(path) = &args.ack_log {
        std::fs::write(path, serde_json::to_vec(&json!({"started_ms": started_ms, "acks_ms": acks}))?)?;
    }
    if let Some(path) = &args.acked_ids {
        acked.sort_unstable();
        let ids: Vec<String> =
            acked.into_iter().map(|i| inbox_bench::webhooks::message_id(&args.id_prefix, i)).collect();
        std::fs::write(path, serde_json::to_vec(&ids)?)?;
    }
    let ok = samples.len();
    println!(
        "{}",
        json!({
            "count": args.count,
            "ok": ok,
            "errors": errors,
            "answers": answers,
            "connections": args.connections,
            "senders": args.senders,
            "elapsed_s": (elapsed * 1000.0).round() / 1000.0,
            "msgs_per_s": (ok as f64 / elapsed).round(),
            "latency": Latency::from_samples(samples),
            "started_ms": started_ms,
        })
    );
    Ok(())
}
