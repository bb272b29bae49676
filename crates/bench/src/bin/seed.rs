//! Prepares a database of the product for a benchmark: migrates it, creates an account with an
//! administrator, `admins` more administrators and `sellers` sellers (one shared password), two
//! WhatsApp Cloud API channels and an API token for the administrator and the first seller (with
//! `--agent-tokens`, one for every user: the agents `ws-latency` connects); then, with `--conversations`, writes a
//! synthetic inbox straight into the tables (batched multi-row inserts; far faster than webhooks):
//! customers, half of them CRM contacts, conversations spread over the channels and assigned round
//! robin (one in `sellers + 1` unassigned), and `--messages` messages in all, alternating customer and
//! agent. Search keys are computed with the same folding the store uses, so every search works as
//! on data the inbox stored itself. Prints the ids and tokens as JSON.

use clap::Parser;
use domain::account::{Addon, Plan};
use domain::channel::{ChannelAddress, ChannelKind};
use inbox_bench::corpus;
use inbox_bench::rawdb::{quote, quote_opt, BulkInsert, RawDb};
use secrecy::SecretString;
use serde_json::json;
use server::crypto::SecretBox;
use server::provisioning::{self, AccountSpec};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use store::{NewChannel, NewUser, RoleRef, Store, StoreOptions};

#[derive(Parser)]
struct Args {
    /// sqlite://path (created) or postgres://… (an existing, empty database).
    #[arg(long)]
    database_url: String,
    /// The INBOX_SECRET_KEY the server will run with (channel tokens are sealed with it).
    #[arg(long, env = "INBOX_SECRET_KEY")]
    secret_key: String,
    #[arg(long, default_value = "bench-password")]
    password: String,
    #[arg(long, default_value_t = 200)]
    sellers: usize,
    /// Administrators besides the first (who see every conversation, so every event reaches them).
    #[arg(long, default_value_t = 0)]
    admins: usize,
    /// Also create an API token for every user and print them (`agents`).
    #[arg(long)]
    agent_tokens: bool,
    #[arg(long, default_value_t = 0)]
    conversations: u64,
    #[arg(long, default_value_t = 0)]
    messages: u64,
    /// The first channel's phone number id (the one `load` writes to).
    #[arg(long, default_value = "100000000000001")]
    phone_number_id: String,
    #[arg(long, default_value = "200000000000001")]
    waba_id: String,
}

const ADMIN_EMAIL: &str = "admin@bench.test";

fn admin_email(i: usize) -> String {
    match i {
        0 => ADMIN_EMAIL.into(),
        _ => format!("admin{i}@bench.test"),
    }
}

fn seller_email(i: usize) -> String {
    format!("seller{i}@bench.test")
}

fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let now = unix_ms();
    let store = Store::open(&StoreOptions::new(&args.database_url)).await?;
    let (account, admin) = provisioning::create_account(
        &store,
        AccountSpec {
            name: "Bench".into(),
            plan: Plan::Pro,
            addons: [Addon::Whatsapp].into_iter().collect(),
            admin_email: ADMIN_EMAIL.into(),
            admin_name: Some("Admin Bench".into()),
            admin_password: SecretString::from(args.password.clone()),
        },
        now,
    )
    .await?;
    // One hash for every seller: argon2 is deliberately slow, and 200 hashes would dominate a quick run.
    let password_hash = server::auth::password::hash(SecretString::from(args.password.clone())).await?;
    let new_user = |email: String, name: String, role: RoleRef| {
        let (store, password_hash) = (&store, password_hash.clone());
        async move {
            let email = domain::email::Email::parse(&email)?;
            let user = store.create_user(account, NewUser { email, name, password_hash, role }, now).await?;
            anyhow::Ok(user.id.to_string())
        }
    };
    // (e-mail, user id, role) of every user, the first administrator first.
    let mut users = vec![(admin_email(0), admin.to_string(), "admin")];
    for i in 1..=args.admins {
        let id = new_user(admin_email(i), format!("Admin {i}"), RoleRef::Admin).await?;
        users.push((admin_email(i), id, "admin"));
    }
    let mut sellers = vec![];
    for i in 0..args.sellers {
        let id = new_user(seller_email(i), format!("Vendedor {i}"), RoleRef::Seller).await?;
        users.push((seller_email(i), id.clone(), "seller"));
        sellers.push(id);
    }
    let secrets = SecretBox::from_passphrase(&SecretString::from(args.secret_key.clone()));
    let mut channels = vec![];
    for (n, phone_number_id) in
        [args.phone_number_id.clone(), format!("{}9", args.phone_number_id)].into_iter().enumerate()
    {
        let channel = store
            .create_channel(
                account,
                NewChannel {
                    kind: ChannelKind::WhatsappCloud,
                    name: format!("WhatsApp {}", n + 1),
                    address: ChannelAddress::Whatsapp {
                        phone_number_id,
                        waba_id: args.waba_id.clone(),
                        display_phone_number: format!("1555000111{n}"),
                    },
                    access_token_enc: secrets.seal("bench-token"),
                },
                now,
            )
            .await?;
        channels.push(channel.id.to_string());
    }
    let admin_token = provisioning::create_token(&store, ADMIN_EMAIL, "bench", now).await?;
    let seller_token = match args.sellers {
        0 => None,
        _ => Some(provisioning::create_token(&store, &seller_email(0), "bench", now).await?),
    };
    let mut agents = vec![];
    if args.agent_tokens {
        for (email, user_id, role) in &users {
            let token = provisioning::create_token(&store, email, "bench agent", now).await?;
            agents.push(json!({"user_id": user_id, "role": role, "token": token}));
        }
    }
    store.close().await;

    let started = Instant::now();
    if args.conversations > 0 {
        let db = RawDb::connect(&args.database_url, true).await?;
        write_inbox(&db, &account.to_string(), &channels, &sellers, args.conversations, args.messages, now).await?;
        db.close().await;
    }
    println!(
        "{}",
        json!({
            "account_id": account.to_string(),
            "admin_email": ADMIN_EMAIL,
            "seller_email": (args.sellers > 0).then(|| seller_email(0)),
            "seller_id": sellers.first(),
            "admin_token": admin_token,
            "seller_token": seller_token,
            "channel_ids": channels,
            "conversations": args.conversations,
            "messages": args.messages,
            "sellers": args.sellers,
            "admins": args.admins + 1,
            "agents": agents,
            "seed_s": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        })
    );
    Ok(())
}

/// Messages written per transaction (with their conversations, customers and contacts): large
/// enough that commits cost nothing, small enough that one statement stays a few megabytes.
const BATCH_MESSAGES: usize = 5_000;

/// Writes what `tables` hold in one transaction, in the order given: parents before children, as
/// the foreign keys need.
async fn write_batch(db: &RawDb, tables: [&mut BulkInsert<'_>; 5]) -> anyhow::Result<()> {
    let statements: Vec<String> = tables.into_iter().filter_map(BulkInsert::take_statement).collect();
    db.execute_together(&statements).await
}

/// Customer `i` has conversation `i`; conversation `i`'s last activity is `i` seconds after the
/// first's, and its messages are a minute apart before that.
async fn write_inbox(
    db: &RawDb,
    account: &str,
    channels: &[String],
    sellers: &[String],
    conversations: u64,
    messages: u64,
    now: i64,
) -> anyhow::Result<()> {
    let per_conversation = (messages / conversations).max(1);
    let extra = messages.saturating_sub(per_conversation * conversations);
    let t0 = now - (conversations as i64 + 10) * 1000;
    let a = quote(account);
    let mut contacts = BulkInsert::new(
        db,
        "contacts",
        "id, account_id, first_name, last_name, phone_primary, phone_whatsapp, whatsapp_username, custom_fields, \
         search_key, sort_name, created_at, updated_at",
        usize::MAX,
    );
    let mut keys = BulkInsert::new(db, "contact_phone_keys", "account_id, phone_key, contact_id", usize::MAX);
    let mut handles = BulkInsert::new(
        db,
        "handles",
        "id, account_id, channel_id, wa_id, username, profile_name, contact_id, search_key, created_at, updated_at",
        usize::MAX,
    );
    let mut convs = BulkInsert::new(
        db,
        "conversations",
        "id, account_id, channel_id, handle_id, assignee_id, status, unread_count, last_message_id, \
         last_activity_at, last_inbound_at, created_at, updated_at",
        usize::MAX,
    );
    let mut msgs = BulkInsert::new(
        db,
        "messages",
        "id, account_id, channel_id, conversation_id, external_id, direction, origin, kind, text, content, \
         status, status_rank, sender_user_id, sent_at, created_at, updated_at, search_text",
        usize::MAX,
    );
    let fold = domain::search::fold;
    for i in 0..conversations {
        let c = corpus::customer(i);
        let channel = quote(&channels[(i % channels.len() as u64) as usize]);
        let assignee = match sellers.len() {
            0 => None,
            n => sellers.get((i % (n as u64 + 1)) as usize),
        };
        let last_at = t0 + i as i64 * 1000;
        let count = per_conversation + u64::from(i < extra);
        let first_at = last_at - (count as i64 - 1) * 60_000;
        // Half the customers (odd ones) are CRM contacts, named like their profile.
        let contact_id = (i % 2 == 1).then(|| uuid::Uuid::now_v7().to_string());
        if let Some(id) = &contact_id {
            let last_name = format!("{} {}", c.last, c.rare);
            let full = format!("{} {}", c.first, last_name);
            let search_key = [Some(c.first), Some(last_name.as_str()), Some(full.as_str()), c.username.as_deref()]
                .into_iter()
                .flatten()
                .map(fold)
                .collect::<Vec<_>>()
                .join("\n");
            contacts
                .row(format!(
                    "{}, {a}, {}, {}, {}, {}, {}, '{{}}', {}, {}, {first_at}, {first_at}",
                    quote(id),
                    quote(c.first),
                    quote(&last_name),
                    quote(&c.e164()),
                    quote(&c.e164()),
                    quote_opt(c.username.as_deref()),
                    quote(&search_key),
                    quote(&fold(&full)),
                ))
                .await?;
            for key in domain::phone::match_keys(c.e164()) {
                keys.row(format!("{a}, {}, {}", quote(&key), quote(id))).await?;
            }
        }
        let handle_id = uuid::Uuid::now_v7().to_string();
        let profile = c.profile_name();
        let handle_key = [Some(profile.as_str()), c.username.as_deref()]
            .into_iter()
            .flatten()
            .map(fold)
            .collect::<Vec<_>>()
            .join("\n");
        handles
            .row(format!(
                "{}, {a}, {channel}, {}, {}, {}, {}, {}, {first_at}, {last_at}",
                quote(&handle_id),
                quote(&c.wa_id()),
                quote_opt(c.username.as_deref()),
                quote(&profile),
                quote_opt(contact_id.as_deref()),
                quote(&handle_key),
            ))
            .await?;
        let conversation_id = quote(&uuid::Uuid::now_v7().to_string());
        let mut last_message = String::new();
        let mut last_inbound = first_at;
        let mut rows = Vec::with_capacity(count as usize);
        for j in 0..count {
            let id = uuid::Uuid::now_v7().to_string();
            let at = first_at + j as i64 * 60_000;
            // The customer writes first and last; an agent answers in between.
            let inbound = j.is_multiple_of(2) || j + 1 == count;
            let text = corpus::message_text(i + j);
            let (direction, origin, status, rank, sender) = if inbound {
                last_inbound = at;
                ("inbound", "customer", "received", -1, None)
            } else {
                ("outbound", "agent", "read", 3, assignee)
            };
            rows.push(format!(
                "{}, {a}, {channel}, {conversation_id}, {}, '{direction}', '{origin}', 'text', {}, '{{}}', '{status}', \
                 {rank}, {}, {at}, {at}, {at}, {}",
                quote(&id),
                quote(&format!("wamid.seed{i}x{j}")),
                quote(text),
                quote_opt(sender.map(String::as_str)),
                quote(&fold(text)),
            ));
            last_message = id;
        }
        convs
            .row(format!(
                "{conversation_id}, {a}, {channel}, {}, {}, 'open', {}, {}, {last_at}, {last_inbound}, {first_at}, {last_at}",
                quote(&handle_id),
                quote_opt(assignee.map(String::as_str)),
                i % 3,
                quote(&last_message),
            ))
            .await?;
        for r in rows {
            msgs.row(r).await?;
        }
        if msgs.pending() >= BATCH_MESSAGES {
            let before = msgs.written;
            write_batch(db, [&mut contacts, &mut keys, &mut handles, &mut convs, &mut msgs]).await?;
            if msgs.written / 100_000 > before / 100_000 {
                eprintln!("seed: {} conversations, {} messages", convs.written, msgs.written);
            }
        }
    }
    write_batch(db, [&mut contacts, &mut keys, &mut handles, &mut convs, &mut msgs]).await?;
    // The statistics a long-running database has: PostgreSQL's autovacuum analyzes tables as they
    // grow; SQLite's are the ones its migration 0056 wrote (docs/architecture.md says why), which an
    // ANALYZE here would replace with figures production does not have.
    if matches!(db, RawDb::Postgres(_)) {
        db.execute("ANALYZE").await?;
    }
    Ok(())
}
