//! Issue 14's realtime figure: from a webhook's POST to the `message.created` event at an agent's
//! browser. Connects every agent `seed --agent-tokens` created to `GET /api/v1/events` (a WebSocket
//! each, as the web UI does), turns on round-robin assignment on the first channel (so each new
//! conversation goes to one agent, and a seller sees their own), then sends signed WhatsApp text
//! webhooks at a fixed rate — open loop: each POST starts when it is due, whatever the previous ones
//! are doing — and records when each message's event reaches each socket that may see it.
//!
//! Who should receive what is taken from the server afterwards, not from the events: administrators
//! every message; a seller the messages of the conversations assigned to them (the conversation
//! list, read as an administrator). So a missing event and one delivered to the wrong seller both
//! show. Prints JSON: the send rate achieved, the acknowledgement latency, events expected, received,
//! missing and unexpected, resyncs, and the POST→event latency over every (message, socket) pair.

use anyhow::Context;
use clap::Parser;
use futures::StreamExt;
use inbox_bench::corpus;
use inbox_bench::stats::Latency;
use inbox_bench::webhooks::{message_index, sender_of, signed_texts, SignedWebhook, Target};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
struct Args {
    /// e.g. http://127.0.0.1:8080
    #[arg(long)]
    base_url: String,
    /// The JSON `seed --agent-tokens` printed.
    #[arg(long)]
    seed: std::path::PathBuf,
    #[command(flatten)]
    target: Target,
    /// Webhooks per second.
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// How long the load lasts.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Customers writing (each a conversation), in turn.
    #[arg(long, default_value_t = 1_000)]
    senders: u64,
    /// Most POSTs in flight at once (each on its own connection).
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Prefix of the message ids (distinct per run, so a second run is not a redelivery).
    #[arg(long, default_value = "ws")]
    id_prefix: String,
    /// Longest wait, after the last POST, for the events still on their way.
    #[arg(long, default_value_t = 60)]
    drain_timeout_s: u64,
}

#[derive(Deserialize)]
struct Seeded {
    admin_token: String,
    channel_ids: Vec<String>,
    agents: Vec<Agent>,
}

#[derive(Deserialize, Clone)]
struct Agent {
    user_id: String,
    role: String,
    token: String,
}

impl Agent {
    fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

/// What one socket received: `message.created` events of this run's messages, by index and arrival
/// (nanoseconds since the run's epoch), and the `resync` frames (events it was told it missed).
#[derive(Default)]
struct Inbox {
    arrivals: Mutex<Vec<(usize, u64)>>,
    resyncs: AtomicUsize,
}

impl Inbox {
    fn count(&self) -> usize {
        self.arrivals.lock().map(|a| a.len()).unwrap_or(0)
    }
}

/// The index of this run's message a frame announces as created, if it is one.
fn created_message(frame: &str, prefix: &str) -> Option<usize> {
    if !frame.starts_with(r#"{"type":"message.created""#) {
        return None;
    }
    // The message's own id is the last `external_id` of the frame (a quoted reply's comes before it).
    const KEY: &str = r#""external_id":""#;
    let start = frame.rfind(KEY)? + KEY.len();
    let end = start + frame[start..].find('"')?;
    message_index(prefix, &frame[start..end])
}

fn nanos_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let seeded: Seeded = serde_json::from_slice(&std::fs::read(&args.seed)?)?;
    anyhow::ensure!(!seeded.agents.is_empty(), "the seed made no agents (seed --agent-tokens)");
    anyhow::ensure!(
        seeded.agents.iter().any(Agent::is_admin),
        "no administrator among the agents: nobody sees every message"
    );
    let channel = seeded.channel_ids.first().context("the seed made no channel")?.clone();
    let base = args.base_url.trim_end_matches('/').to_string();
    let http =
        reqwest::Client::builder().pool_max_idle_per_host(args.connections).timeout(Duration::from_secs(30)).build()?;
    let admin = format!("Bearer {}", seeded.admin_token);

    // Round-robin: each new conversation goes to one agent, so sellers receive their share.
    let answer = http
        .patch(format!("{base}/api/v1/channels/{channel}"))
        .header("authorization", &admin)
        .json(&json!({"auto_assign": true}))
        .send()
        .await?;
    anyhow::ensure!(answer.status().is_success(), "turning on auto_assign: {}", answer.status());

    let epoch = Instant::now();
    let ws_url = format!("{}/api/v1/events", base.replacen("http", "ws", 1));
    let mut inboxes = Vec::with_capacity(seeded.agents.len());
    let mut readers = Vec::with_capacity(seeded.agents.len());
    for agent in &seeded.agents {
        let mut request = ws_url.as_str().into_client_request()?;
        request.headers_mut().insert("authorization", format!("Bearer {}", agent.token).parse()?);
        let (mut socket, _) = tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(request))
            .await
            .context("connecting a socket timed out")??;
        // The server greets every socket first: once it has, the socket is subscribed.
        let hello = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.context("no hello")?;
        anyhow::ensure!(
            matches!(&hello, Some(Ok(Message::Text(t))) if t.as_str().starts_with(r#"{"type":"hello""#)),
            "the socket did not start with hello"
        );
        let inbox = Arc::new(Inbox::default());
        let (into, prefix) = (inbox.clone(), args.id_prefix.clone());
        readers.push(tokio::spawn(async move {
            while let Some(Ok(frame)) = socket.next().await {
                let Message::Text(text) = frame else { continue };
                let at = nanos_since(epoch);
                if let Some(i) = created_message(text.as_str(), &prefix) {
                    if let Ok(mut a) = into.arrivals.lock() {
                        a.push((i, at));
                    }
                } else if text.as_str().starts_with(r#"{"type":"resync""#) {
                    into.resyncs.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
        inboxes.push(inbox);
    }
    eprintln!("ws-latency: {} sockets connected", inboxes.len());

    let count = (args.rate as f64 * args.seconds).round() as usize;
    let now_s = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let webhooks = Arc::new(signed_texts(&args.target, count, args.senders, &args.id_prefix, now_s));
    // Per message: when its POST started (ns since the epoch, + 1 so that 0 means "not sent") and
    // how long its acknowledgement took (0: failed).
    let posted: Arc<Vec<AtomicU64>> = Arc::new((0..count).map(|_| AtomicU64::new(0)).collect());
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..count).map(|_| AtomicU64::new(0)).collect());
    let in_flight = Arc::new(Semaphore::new(args.connections));
    let url = format!("{base}/webhooks/meta");
    let period = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
    let start = tokio::time::Instant::now() + Duration::from_millis(200);
    let mut behind_max = Duration::ZERO;
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..count {
        let due = start + period.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        let permit = in_flight.clone().acquire_owned().await?;
        behind_max = behind_max.max(tokio::time::Instant::now().saturating_duration_since(due));
        let (http, url, webhooks, posted, acked) =
            (http.clone(), url.clone(), webhooks.clone(), posted.clone(), acked.clone());
        sends.spawn(async move {
            let SignedWebhook { body, signature } = &webhooks[i];
            let t = Instant::now();
            posted[i].store(nanos_since(epoch) + 1, Ordering::Relaxed);
            let answer = http
                .post(&url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", signature)
                .body(body.clone())
                .send()
                .await;
            if let Ok(r) = answer {
                if r.status().is_success() && r.bytes().await.is_ok() {
                    acked[i].store(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX).max(1), Ordering::Relaxed);
                }
            }
            drop(permit);
        });
    }
    while sends.join_next().await.is_some() {}
    let send_elapsed = start.elapsed();
    let ok: Vec<usize> = (0..count).filter(|&i| acked[i].load(Ordering::Relaxed) > 0).collect();
    eprintln!("ws-latency: {} of {count} webhooks acknowledged in {:.1} s", ok.len(), send_elapsed.as_secs_f64());

    // Every administrator sees every acknowledged message: wait for them (bounded).
    let drain_deadline = Instant::now() + Duration::from_secs(args.drain_timeout_s);
    let admins: Vec<usize> = (0..inboxes.len()).filter(|&k| seeded.agents[k].is_admin()).collect();
    while Instant::now() < drain_deadline && admins.iter().any(|&k| inboxes[k].count() < ok.len()) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Who each customer's conversation went to, as the server stored it.
    let assignee_of_sender = assignees(&http, &base, &admin, &channel, args.senders).await?;
    let expected: Vec<HashSet<usize>> = seeded
        .agents
        .iter()
        .map(|agent| {
            ok.iter()
                .copied()
                .filter(|&i| {
                    agent.is_admin()
                        || assignee_of_sender.get(&sender_of(i, args.senders)).is_some_and(|a| *a == agent.user_id)
                })
                .collect()
        })
        .collect();
    while Instant::now() < drain_deadline && (0..inboxes.len()).any(|k| inboxes[k].count() < expected[k].len()) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for r in &readers {
        r.abort();
    }

    let mut all = vec![];
    let mut by_role: HashMap<&str, Vec<Duration>> = HashMap::new();
    // By the second of the load the message was due in (open loop: message i is due at i / rate s),
    // to tell the first second's new customers from the steady state.
    let mut by_second: Vec<Vec<Duration>> = vec![];
    let (mut received, mut missing, mut unexpected, mut duplicates, mut resyncs) = (0, 0, 0, 0, 0);
    for (k, inbox) in inboxes.iter().enumerate() {
        let arrivals = inbox.arrivals.lock().map(|a| a.clone()).unwrap_or_default();
        resyncs += inbox.resyncs.load(Ordering::Relaxed);
        let mut seen = HashSet::new();
        for (i, at) in arrivals {
            if !seen.insert(i) {
                duplicates += 1;
            } else if !expected[k].contains(&i) {
                unexpected += 1;
            } else {
                received += 1;
                let sent = posted[i].load(Ordering::Relaxed).saturating_sub(1);
                let delay = Duration::from_nanos(at.saturating_sub(sent));
                all.push(delay);
                by_role.entry(seeded.agents[k].role.as_str()).or_default().push(delay);
                let second = i / args.rate.max(1) as usize;
                if by_second.len() <= second {
                    by_second.resize_with(second + 1, Vec::new);
                }
                by_second[second].push(delay);
            }
        }
        missing += expected[k].iter().filter(|i| !seen.contains(i)).count();
    }
    let expected_total: usize = expected.iter().map(HashSet::len).sum();
    let ack_samples = ok.iter().map(|&i| Duration::from_nanos(acked[i].load(Ordering::Relaxed))).collect();
    let by_second: Vec<Value> = by_second.into_iter().map(|samples| json!(Latency::from_samples(samples))).collect();
    let by_role: serde_json::Map<String, Value> =
        by_role.into_iter().map(|(role, samples)| (role.to_string(), json!(Latency::from_samples(samples)))).collect();
    println!(
        "{}",
        json!({
            "agents": seeded.agents.len(),
            "admins": admins.len(),
            "rate": args.rate,
            "seconds": args.seconds,
            "count": count,
            "ok": ok.len(),
            "errors": count - ok.len(),
            "senders": args.senders,
            "connections": args.connections,
            "send_elapsed_s": (send_elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "achieved_rate": (ok.len() as f64 / send_elapsed.as_secs_f64()).round(),
            "behind_schedule_max_ms": (behind_max.as_secs_f64() * 100_000.0).round() / 100.0,
            "ack_latency": Latency::from_samples(ack_samples),
            "conversations_assigned": assignee_of_sender.len(),
            "events": {
                "expected": expected_total,
                "received": received,
                "missing": missing,
                "unexpected": unexpected,
                "duplicates": duplicates,
                "resyncs": resyncs,
            },
            "post_to_event": Latency::from_samples(all),
            "post_to_event_by_role": by_role,
            "post_to_event_by_second": by_second,
        })
    );
    Ok(())
}

/// The assignee (user id) of each customer's conversation on `channel`, read from the conversation
/// list as an administrator; customers are recognised by their WhatsApp id or business-scoped id.
async fn assignees(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    channel: &str,
    senders: u64,
) -> anyhow::Result<HashMap<u64, String>> {
    let mut customer_by_id = HashMap::new();
    for s in 0..senders.max(1) {
        let c = corpus::customer(s);
        customer_by_id.insert(c.bsuid(), s);
        customer_by_id.insert(c.wa_id(), s);
        customer_by_id.insert(c.e164().trim_start_matches('+').to_string(), s);
    }
    let mut found = HashMap::new();
    let mut cursor: Option<String> = None;
    // Bounded: one page per hundred conversations, and a customer has one conversation per channel.
    for _ in 0..=(senders / 100 + 1) {
        let mut query = vec![("channel_id", channel), ("status", "all"), ("limit", "100")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let url = format!("{base}/api/v1/conversations");
        let answer = http.get(&url).query(&query).header("authorization", admin).send().await?;
        anyhow::ensure!(answer.status().is_success(), "GET {url}: {}", answer.status());
        let page: Value = answer.json().await?;
        for conversation in page["items"].as_array().into_iter().flatten() {
            let handle = &conversation["handle"];
            let customer = ["user_id", "wa_id"]
                .iter()
                .filter_map(|key| handle[key].as_str())
                .find_map(|id| customer_by_id.get(id).copied());
            if let (Some(customer), Some(assignee)) = (customer, conversation["assignee"]["id"].as_str()) {
                found.insert(customer, assignee.to_string());
            }
        }
        cursor = page["next_cursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            break;
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_message_a_frame_announces() {
        let frame = r#"{"type":"message.created","data":{"id":"x","reply_to":{"external_id":"wamid.ws000000001"},"external_id":"wamid.ws000000007","kind":"text"},"seq":3}"#;
        assert_eq!(created_message(frame, "ws"), Some(7));
        let updated = frame.replacen("message.created", "message.updated", 1);
        assert_eq!(created_message(&updated, "ws"), None);
        let notice = r#"{"type":"message.created","data":{"id":"x","external_id":null},"seq":4}"#;
        assert_eq!(created_message(notice, "ws"), None);
        assert_eq!(created_message(frame, "other"), None);
    }
}
