//! `inbox demo`: a seeded account, users of each role, channels of every kind, conversations with
//! every message type, and the Meta simulator standing in for Meta (Graph API and customers), so a
//! newcomer can click through every flow without Meta credentials.
//!
//! The conversations cover each messaging window: open (customers who just wrote), `human_agent` (a
//! Messenger customer who wrote two days ago) and closed (a WhatsApp Cloud API and a WhatsApp Business
//! App customer who wrote three days ago) — the simulator posts those webhooks with past timestamps.
//! Messenger and Instagram customers get their names through the User Profile API, like real ones.
//! Each seller has conversations assigned; some stay unassigned.

use crate::cli::shutdown_signal;
use domain::account::{Addon, Plan};
use domain::ids::{AccountId, UserId};
use secrecy::SecretString;
use server::config::Config;
use server::provisioning::{self, AccountSpec};
use server::startup::{Application, Overrides};
use simulator::{demo as sim_ids, SimConfig, SimHandle, Simulator};
use std::net::SocketAddr;
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "admin@demo.escala.test";
pub const SELLER_EMAILS: [&str; 2] = ["ana@demo.escala.test", "bruno@demo.escala.test"];
pub const DEMO_PASSWORD: &str = "demo-password";
const DEMO_APP_SECRET: &str = "demo-app-secret";

pub async fn run(mut config: Config, listen: Option<SocketAddr>) -> anyhow::Result<()> {
    if let Some(listen) = listen {
        config.listen = listen;
        config.public_url = format!("http://{listen}");
    }
    let sim = Simulator::start(SimConfig::demo(DEMO_APP_SECRET)).await?;
    config.graph_api_base = sim.graph_base();
    // The simulator serves media over plain HTTP on loopback, which production never allows.
    config.media_policy = meta::graph::MediaPolicy::local("127.0.0.1").map_err(anyhow::Error::msg)?;
    config.meta_app_secret = Some(SecretString::from(DEMO_APP_SECRET));
    config.meta_verify_token = Some(SecretString::from("demo-verify-token"));
    let app = Application::build(config, Overrides::default()).await?;
    let url = format!("http://127.0.0.1:{}", app.port());
    sim.set_webhook_url(format!("{url}/webhooks/meta"));
    let seeded = seed(&app).await?;
    println!("Escala Inbox demo running at {url}");
    println!("  admin:   {ADMIN_EMAIL} / {DEMO_PASSWORD}");
    for seller in SELLER_EMAILS {
        println!("  seller:  {seller} / {DEMO_PASSWORD}");
    }
    println!("  API description: {url}/api/openapi.json");
    println!("  Meta simulator: {} (customers can write with, e.g.:", sim.base_url());
    println!(
        "    curl -X POST {}/_sim/whatsapp/{}/customers/5215512345678/messages -H 'content-type: application/json' -d '{{\"text\":\"Hola\"}}')",
        sim.base_url(),
        sim_ids::CLOUD_PHONE_NUMBER_ID
    );
    if let Some(seeded) = seeded {
        let state = app.state().clone();
        tokio::spawn(async move {
            if let Err(e) = customers_write(&sim).await {
                tracing::warn!(error = %e, "demo conversations could not all be seeded");
            }
            if let Err(e) = assign(&state, &seeded).await {
                tracing::warn!(error = %e, "demo conversations could not all be assigned");
            }
            // The simulator lives as long as the demo.
            std::future::pending::<()>().await;
        });
    }
    app.run_until(shutdown_signal()).await
}

/// The account `seed` created, and its sellers (in `SELLER_EMAILS` order).
struct Seeded {
    account: AccountId,
    sellers: Vec<UserId>,
}

/// Creates the demo account the first time; returns it when it did.
async fn seed(app: &Application) -> anyhow::Result<Option<Seeded>> {
    let state = app.state();
    let store = &state.store;
    let admin_email = domain::email::Email::parse(ADMIN_EMAIL)?;
    if store.find_user_by_email(&admin_email).await.is_ok() {
        return Ok(None);
    }
    let now = state.now_ms();
    let (account, _) = provisioning::create_account(
        store,
        AccountSpec {
            name: "Escala Demo".into(),
            plan: Plan::Pro,
            addons: [Addon::Whatsapp].into_iter().collect(),
            admin_email: ADMIN_EMAIL.into(),
            admin_name: Some("Admin Demo".into()),
            admin_password: SecretString::from(DEMO_PASSWORD),
        },
        now,
    )
    .await?;
    let mut sellers = vec![];
    for (email, name) in SELLER_EMAILS.iter().zip(["Ana Vendedora", "Bruno Vendedor"]) {
        let password_hash = server::auth::password::hash(SecretString::from(DEMO_PASSWORD)).await?;
        let email = domain::email::Email::parse(email)?;
        let user = store
            .create_user(
                account,
                store::NewUser { email, name: name.into(), password_hash, role: store::RoleRef::Seller },
                now,
            )
            .await?;
        sellers.push(user.id);
    }
    for channel in demo_channels(state) {
        let token = state.secrets.open(&channel.access_token_enc)?;
        let created = store.create_channel(account, channel, now).await?;
        if let domain::channel::ChannelAddress::Whatsapp { waba_id, .. } = &created.address {
            // Templates ready to pick, as after an admin's first "sync".
            let raw = state.graph.whatsapp().list_templates(waba_id, &token).await?;
            let (templates, _) = meta::graph::parse_templates(raw);
            let rows: Vec<_> = templates
                .iter()
                .map(|t| {
                    let definition = serde_json::to_value(t).unwrap_or_default();
                    (
                        t.name.clone(),
                        t.language.clone(),
                        t.status.as_str().to_string(),
                        t.category.as_str().to_string(),
                        definition,
                    )
                })
                .collect();
            store.replace_templates(account, created.id, &rows, now).await?;
        }
    }
    Ok(Some(Seeded { account, sellers }))
}

fn demo_channels(state: &server::state::AppState) -> Vec<store::NewChannel> {
    use domain::channel::{ChannelAddress, ChannelKind};
    let token = |t: &str| state.secrets.seal(t);
    vec![
        store::NewChannel {
            kind: ChannelKind::WhatsappCloud,
            name: "WhatsApp Ventas".into(),
            address: ChannelAddress::Whatsapp {
                phone_number_id: sim_ids::CLOUD_PHONE_NUMBER_ID.into(),
                waba_id: sim_ids::WABA_ID.into(),
                display_phone_number: sim_ids::CLOUD_DISPLAY_NUMBER.into(),
            },
            access_token_enc: token(sim_ids::CLOUD_TOKEN),
        },
        store::NewChannel {
            kind: ChannelKind::WhatsappBusinessApp,
            name: "WhatsApp Tienda (app)".into(),
            address: ChannelAddress::Whatsapp {
                phone_number_id: sim_ids::APP_PHONE_NUMBER_ID.into(),
                waba_id: sim_ids::WABA_ID.into(),
                display_phone_number: sim_ids::APP_DISPLAY_NUMBER.into(),
            },
            access_token_enc: token(sim_ids::APP_TOKEN),
        },
        store::NewChannel {
            kind: ChannelKind::Messenger,
            name: "Facebook Escala".into(),
            address: ChannelAddress::Messenger { page_id: sim_ids::PAGE_ID.into() },
            access_token_enc: token(sim_ids::PAGE_TOKEN),
        },
        store::NewChannel {
            kind: ChannelKind::Instagram,
            name: "Instagram @escala".into(),
            address: ChannelAddress::Instagram { instagram_account_id: sim_ids::IG_ID.into() },
            access_token_enc: token(sim_ids::IG_TOKEN),
        },
    ]
}

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Who writes in the demo, and whose conversation goes to which seller (`SELLER_EMAILS` index;
/// `None`: unassigned). Customers are told apart by their WhatsApp number, username or name.
const ASSIGNMENTS: &[(&str, Option<usize>)] = &[
    ("5215512345678", Some(0)),  // María López, WhatsApp: open
    ("5491155556666", Some(1)),  // Luis Gómez, WhatsApp: open
    ("carla.compras", None),     // a username customer, WhatsApp: open
    ("5215598765432", Some(0)),  // Pedro Ruiz, Business App: open
    ("5215587654321", Some(1)),  // Jorge Ramírez, WhatsApp: closed (3 days)
    ("5215544332211", Some(0)),  // Lucía Herrera, Business App: closed (3 days)
    ("Sofía Martínez", Some(1)), // Messenger: open
    ("Valeria Torres", Some(0)), // Messenger: human_agent (2 days)
    ("diego.mx", None),          // Instagram: open
];

/// Customers write on every channel, with every message type, through the simulator's signed
/// webhooks — exactly the path real Meta deliveries take. Some wrote days ago (backdated webhooks), so
/// every messaging window state is there.
async fn customers_write(sim: &SimHandle) -> anyhow::Result<()> {
    use simulator::samples;
    let maria = sim.whatsapp_customer(sim_ids::CLOUD_PHONE_NUMBER_ID, "5215512345678")?.named("María López");
    let first = maria.text("Hola, ¿tienen el modelo azul en talla M? 👕").await?.message_id.unwrap_or_default();
    maria.image(samples::png(), "image/png", Some("Este es el que vi en la tienda")).await?;
    maria.reply(&first, "Y también en verde, por favor").await?;
    maria.react(&first, "👍").await?;
    maria.location(19.4326, -99.1332, Some("Tienda Centro"), Some("Av. Juárez 10, CDMX")).await?;
    let luis = sim.whatsapp_customer(sim_ids::CLOUD_PHONE_NUMBER_ID, "5491155556666")?.named("Luis Gómez");
    luis.audio(samples::ogg_opus(), "audio/ogg; codecs=opus", true).await?;
    luis.document(samples::pdf(), "application/pdf", "orden-de-compra.pdf", Some("Mi orden")).await?;
    luis.sticker(samples::webp(), false).await?;
    luis.unsupported().await?;
    // Calls are shown as notices (the inbox does not answer them): one missed, one of 2 min 5 s.
    luis.call(0).await?;
    maria.call(125).await?;
    // A customer who stopped marketing messages: marketing templates to her are refused up front.
    let ana = sim.whatsapp_customer(sim_ids::CLOUD_PHONE_NUMBER_ID, "5215544445555")?.named("Ana Torres");
    ana.text("Gracias, pero ya no me manden promociones.").await?;
    ana.set_marketing(true).await?;
    let username = sim.username_customer(sim_ids::CLOUD_PHONE_NUMBER_ID, "carla.compras")?;
    username.text("Hola, vi su anuncio. ¿Hacen envíos?").await?;
    let app_customer = sim.whatsapp_customer(sim_ids::APP_PHONE_NUMBER_ID, "5215598765432")?.named("Pedro Ruiz");
    app_customer.text("¿Ya salió mi pedido?").await?;
    app_customer.echo_text("¡Hola Pedro! Sale hoy por la tarde.").await?;
    app_customer.video(samples::mp4(), "video/mp4", Some("Así llegó la caja")).await?;
    // Three days ago: WhatsApp's 24-hour window is closed, only templates reach them.
    let jorge = sim.whatsapp_customer(sim_ids::CLOUD_PHONE_NUMBER_ID, "5215587654321")?.named("Jorge Ramírez");
    jorge.backdated(3 * DAY).text("¿Me pueden cotizar 50 playeras con logo?").await?;
    let lucia = sim.whatsapp_customer(sim_ids::APP_PHONE_NUMBER_ID, "5215544332211")?.named("Lucía Herrera");
    lucia.backdated(3 * DAY + Duration::from_secs(600)).text("Buenas tardes, ¿tienen factura?").await?;
    lucia.backdated(3 * DAY).echo_text("¡Claro, Lucía! Mándanos tus datos fiscales.").await?;
    let fb = sim.messenger_customer(sim_ids::PAGE_ID)?.named("Sofía Martínez");
    let mid = fb.text("¿Abren el domingo?").await?.message_id.unwrap_or_default();
    fb.react(&mid, "❤️").await?;
    // Two days ago on Messenger: only a human agent may still answer (HUMAN_AGENT tag, 7 days).
    let valeria = sim.messenger_customer(sim_ids::PAGE_ID)?.named("Valeria Torres");
    valeria.backdated(2 * DAY).text("Quiero cambiar la talla de mi pedido").await?;
    let ig = sim.instagram_customer(sim_ids::IG_ID)?.named("Diego Hernández").with_username("diego.mx");
    ig.text("Me encantó el reel de ayer 🔥").await?;
    ig.attachment("image", samples::png(), "image/png").await?;
    Ok(())
}

/// Assigns the demo conversations to the sellers (`ASSIGNMENTS`) once the inbox has stored them and
/// named the Messenger/Instagram customers (waits up to a minute).
async fn assign(state: &server::state::AppState, seeded: &Seeded) -> anyhow::Result<()> {
    use domain::permissions::ConversationScope;
    let all = ConversationScope::All;
    let filter = store::ConversationFilter { limit: 100, ..Default::default() };
    let mut pending: Vec<(&str, UserId)> = ASSIGNMENTS
        .iter()
        .filter_map(|(who, seller)| Some((*who, *seller.and_then(|i| seeded.sellers.get(i))?)))
        .collect();
    for _ in 0..600 {
        let conversations = state.store.list_conversations(seeded.account, seeded.sellers[0], &all, &filter).await?;
        let mut left = vec![];
        for (who, seller) in pending {
            let found = conversations.iter().find(|c| {
                let h = &c.handle;
                [&h.wa_id, &h.username, &h.profile_name].into_iter().any(|v| v.as_deref() == Some(who))
            });
            match found {
                Some(c) => {
                    let patch = store::ConversationPatch { assignee: Some(Some(seller)), status: None };
                    let record =
                        state.store.update_conversation(seeded.account, &all, c.id, &patch, state.now_ms()).await?;
                    state.events.publish(server::realtime::Event::conversation_updated(&record, state.clock.now()));
                }
                None => left.push((who, seller)),
            }
        }
        if left.is_empty() {
            return Ok(());
        }
        pending = left;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("conversations never appeared: {:?}", pending.iter().map(|p| p.0).collect::<Vec<_>>())
}
