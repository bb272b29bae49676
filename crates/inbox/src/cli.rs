//! The command line (README.md, "Using it").

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use domain::account::{Addon, Plan};
use secrecy::SecretString;
use server::config::Config;
use server::provisioning::{self, AccountSpec};
use server::startup::{Application, Overrides};
use store::{Store, StoreOptions};

/// Escala Inbox — the omnichannel inbox for sales teams (WhatsApp, Messenger, Instagram).
///
/// Configuration comes from INBOX_* environment variables (see the README): INBOX_DATA_DIR,
/// INBOX_DATABASE_URL, INBOX_LISTEN, INBOX_PUBLIC_URL, INBOX_META_APP_SECRET, INBOX_META_VERIFY_TOKEN,
/// INBOX_GRAPH_API_BASE, INBOX_RETRY_BASE_MS, INBOX_SECRET_KEY, INBOX_MESSAGES_PER_SECOND.
#[derive(Parser)]
#[command(name = "inbox", version)]
pub struct Cli {
    /// Log as JSON lines (for log collectors) instead of human-readable text.
    #[arg(long, global = true, env = "INBOX_LOG_JSON")]
    pub log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API, Meta webhooks, realtime events, workers, web UI).
    Serve,
    /// Run the server with a seeded demo account and the Meta simulator: no Meta credentials needed.
    Demo {
        /// Address for the demo server (defaults to INBOX_LISTEN or 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Apply pending database migrations and exit (the server also does this at start).
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account and its first administrator; prints {"account_id", "user_id"}.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        plan: PlanArg,
        /// Add-ons to enable (repeatable): whatsapp.
        #[arg(long = "addon", value_enum)]
        addons: Vec<AddonArg>,
        #[arg(long)]
        admin_email: String,
        /// At least 8 characters.
        #[arg(long, env = "INBOX_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
        #[arg(long)]
        admin_name: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; prints {"token"}. Use it as `Authorization: Bearer TOKEN`.
    Create {
        #[arg(long)]
        email: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PlanArg {
    Basic,
    Pro,
}

#[derive(Clone, Copy, ValueEnum)]
enum AddonArg {
    Whatsapp,
}

fn now_ms() -> i64 {
    domain::time_util::to_millis(time::OffsetDateTime::now_utc())
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    Store::open(&StoreOptions::new(&config.database_url)).await.context("opening the database")
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let config = Config::from_env()?;
        match self.command {
            Command::Serve => {
                let app = Application::build(config, Overrides::default()).await?;
                app.run_until(shutdown_signal()).await
            }
            Command::Demo { listen } => crate::demo::run(config, listen).await,
            Command::Migrate => {
                let store = open_store(&config).await?;
                store.close().await;
                eprintln!("migrations applied");
                Ok(())
            }
            Command::Account(AccountCommand::Create {
                name,
                plan,
                addons,
                admin_email,
                admin_password,
                admin_name,
            }) => {
                let store = open_store(&config).await?;
                let spec = AccountSpec {
                    name,
                    plan: match plan {
                        PlanArg::Basic => Plan::Basic,
                        PlanArg::Pro => Plan::Pro,
                    },
                    addons: addons.into_iter().map(|AddonArg::Whatsapp| Addon::Whatsapp).collect(),
                    admin_email,
                    admin_name,
                    admin_password: SecretString::from(admin_password),
                };
                let (account_id, user_id) = provisioning::create_account(&store, spec, now_ms()).await?;
                println!("{}", serde_json::json!({"account_id": account_id, "user_id": user_id}));
                store.close().await;
                Ok(())
            }
            Command::Token(TokenCommand::Create { email, name }) => {
                let store = open_store(&config).await?;
                let token = provisioning::create_token(&store, &email, &name, now_ms()).await?;
                println!("{}", serde_json::json!({"token": token}));
                store.close().await;
                Ok(())
            }
        }
    }
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
