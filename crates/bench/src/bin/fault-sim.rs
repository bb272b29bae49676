//! The Meta simulator as a process of its own, for `scripts/faults`: the inbox under test can be killed
//! and restarted while "Meta" (its Graph API, its fault injection and its record of what was sent)
//! lives on. Driven through its control API (`/_sim`, see the simulator's `control` module).
//!
//! Prints `{"base_url", "graph_base"}` once listening, then serves until SIGTERM or Ctrl-C.

use clap::Parser;
use serde_json::json;
use simulator::{SimConfig, Simulator, StatusPolicy};
use std::net::SocketAddr;

#[derive(Parser)]
struct Args {
    /// Where to listen (loopback).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The Meta app secret the webhooks are signed with (the inbox's INBOX_META_APP_SECRET).
    #[arg(long)]
    app_secret: String,
    /// Where webhooks go (the inbox's /webhooks/meta).
    #[arg(long)]
    webhook_url: Option<String>,
    /// No automatic status webhooks after sends: the script emits them itself (`/_sim/statuses/{id}`).
    #[arg(long)]
    no_statuses: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = SimConfig::demo(args.app_secret).listen(args.listen);
    if let Some(url) = args.webhook_url {
        config = config.webhook_url(url);
    }
    if args.no_statuses {
        config = config.statuses(StatusPolicy::disabled());
    }
    let sim = Simulator::start(config).await?;
    println!("{}", json!({"base_url": sim.base_url(), "graph_base": sim.graph_base()}));
    shutdown_signal().await;
    sim.shutdown();
    Ok(())
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match terminate.as_mut() {
                Some(s) => { s.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}
