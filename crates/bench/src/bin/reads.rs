//! Latency of the read endpoints on a seeded inbox (`seed --conversations …`), over HTTP with the
//! administrator's and a seller's API tokens: the first page of the conversation list (all, one
//! channel), a message page, and conversation and contact search by part of a name (case and accents
//! differing), by phone in another format, and by WhatsApp username. Each request runs `iterations`
//! times after a warm-up (or for `budget_s` seconds when it is slow); prints p50/p99 per request as
//! JSON, with how many samples were taken and how many items the last answer had.

use clap::Parser;
use inbox_bench::corpus;
use inbox_bench::stats::Latency;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// e.g. http://127.0.0.1:8080
    #[arg(long)]
    base_url: String,
    /// The JSON `seed` printed.
    #[arg(long)]
    seed: std::path::PathBuf,
    #[arg(long, default_value_t = 100)]
    iterations: usize,
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Most seconds spent on one request: a slow one (a search reading every row) stops after this,
    /// with at least `min_iterations` samples.
    #[arg(long, default_value_t = 10)]
    budget_s: u64,
    #[arg(long, default_value_t = 10)]
    min_iterations: usize,
}

#[derive(Deserialize)]
struct Seeded {
    admin_token: String,
    seller_token: Option<String>,
    channel_ids: Vec<String>,
    conversations: u64,
    sellers: u64,
}

/// A customer of the seeded inbox with every property `pick` asks for.
fn pick(conversations: u64, want: impl Fn(u64) -> bool) -> Option<u64> {
    (conversations / 2..conversations).chain(0..conversations / 2).find(|i| want(*i))
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Part of a name as someone would type it: the middle of the folded word, upper-cased, so neither
/// case nor accents match the stored name.
fn fragment(word: &str) -> String {
    let folded: Vec<char> = domain::search::fold(word).chars().collect();
    let end = folded.len().min(5);
    folded[1.min(end)..end].iter().collect::<String>().to_uppercase()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let seeded: Seeded = serde_json::from_slice(&std::fs::read(&args.seed)?)?;
    let n = seeded.conversations;
    let sellers = seeded.sellers;
    // Seller 0 is assigned the conversations i ≡ 0 (mod sellers + 1); odd customers are contacts; one in
    // ten (i ≡ 3 mod 10) has a username.
    let of_seller = |i: u64| sellers > 0 && i.is_multiple_of(sellers + 1);
    let target = pick(n, |i| of_seller(i) && i % 2 == 1).or_else(|| pick(n, |i| i % 2 == 1)).unwrap_or(0);
    let with_username = pick(n, |i| of_seller(i) && i % 10 == 3).or_else(|| pick(n, |i| i % 10 == 3)).unwrap_or(3);
    let c = corpus::customer(target);
    let u = corpus::customer(with_username);
    let name_q = fragment(&c.rare);
    let common_q = domain::search::fold(c.last).to_uppercase();
    let phone_q = c.typed_phone();
    // The contacts list takes `@username`; the conversation list the bare username.
    let user_q = u.username.clone().unwrap_or_default();
    let at_user_q = format!("@{user_q}");
    let channel = seeded.channel_ids.get(1).cloned().unwrap_or_default();

    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
    let mut users = vec![("admin", seeded.admin_token.clone())];
    if let Some(t) = &seeded.seller_token {
        users.push(("seller", t.clone()));
    }
    let mut results = vec![];
    for (role, token) in &users {
        let get = |path: String| {
            let client = client.clone();
            let url = format!("{}{path}", args.base_url);
            let token = token.clone();
            async move {
                let answer = client.get(&url).bearer_auth(&token).send().await?;
                let status = answer.status();
                let body: Value = answer.json().await.unwrap_or(Value::Null);
                anyhow::ensure!(status.is_success(), "GET {url}: {status} {body}");
                Ok::<Value, anyhow::Error>(body)
            }
        };
        let list = get("/api/v1/conversations".into()).await?;
        let conversation = list["items"][0]["id"].as_str().unwrap_or_default().to_string();
        let requests: Vec<(&str, String)> = vec![
            ("conversation list, first page", "/api/v1/conversations".into()),
            ("conversation list, one channel", format!("/api/v1/conversations?channel_id={channel}")),
            ("message page", format!("/api/v1/conversations/{conversation}/messages")),
            ("conversation search: common surname", format!("/api/v1/conversations?q={}", enc(&common_q))),
            ("conversation search: part of a rare name", format!("/api/v1/conversations?q={}", enc(&name_q))),
            ("conversation search: phone, other format", format!("/api/v1/conversations?q={}", enc(&phone_q))),
            ("conversation search: username", format!("/api/v1/conversations?q={}", enc(&user_q))),
            ("contact list, first page", "/api/v1/contacts".into()),
            ("contact search: part of a rare name", format!("/api/v1/contacts?q={}", enc(&name_q))),
            ("contact search: phone, other format", format!("/api/v1/contacts?q={}", enc(&phone_q))),
            ("contact search: @username", format!("/api/v1/contacts?q={}", enc(&at_user_q))),
        ];
        for (name, path) in requests {
            for _ in 0..args.warmup {
                get(path.clone()).await?;
            }
            let mut samples = Vec::with_capacity(args.iterations);
            let mut items = 0;
            let started = Instant::now();
            let budget = Duration::from_secs(args.budget_s);
            for n in 0..args.iterations {
                if n >= args.min_iterations && started.elapsed() > budget {
                    break;
                }
                let t = Instant::now();
                let body = get(path.clone()).await?;
                samples.push(t.elapsed());
                items = body["items"].as_array().map(Vec::len).unwrap_or(0);
            }
            let latency = Latency::from_samples(samples);
            eprintln!("reads: {role} {name}: p50 {} ms, p99 {} ms ({items} items)", latency.p50_ms, latency.p99_ms);
            results.push(json!({"role": role, "name": name, "path": path, "items": items, "latency": latency}));
        }
    }
    println!("{}", json!({"conversations": n, "iterations": args.iterations, "results": results}));
    Ok(())
}
