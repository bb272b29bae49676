//! `inbox demo`: a seeded account, users of each role and channels of every kind, served with the
//! Meta simulator standing in for Meta, so a newcomer can click through without credentials.

use crate::cli::shutdown_signal;
use domain::account::{Addon, Plan};
use secrecy::SecretString;
use server::config::Config;
use server::provisioning::{self, AccountSpec};
use server::startup::{Application, Overrides};
use std::net::SocketAddr;

pub const ADMIN_EMAIL: &str = "admin@demo.escala.test";
pub const SELLER_EMAILS: [&str; 2] = ["ana@demo.escala.test", "bruno@demo.escala.test"];
pub const DEMO_PASSWORD: &str = "demo-password";

pub async fn run(mut config: Config, listen: Option<SocketAddr>) -> anyhow::Result<()> {
    if let Some(listen) = listen {
        config.listen = listen;
        config.public_url = format!("http://{listen}");
    }
    let app = Application::build(config, Overrides::default()).await?;
    seed(&app).await?;
    let url = app.state().config.public_url.clone();
    println!("Escala Inbox demo running at {url}");
    println!("  admin:   {ADMIN_EMAIL} / {DEMO_PASSWORD}");
    for seller in SELLER_EMAILS {
        println!("  seller:  {seller} / {DEMO_PASSWORD}");
    }
    println!("  API description: {url}/api/openapi.json");
    app.run_until(shutdown_signal()).await
}

/// Creates the demo account the first time; later runs reuse it.
async fn seed(app: &Application) -> anyhow::Result<()> {
    let state = app.state();
    let store = &state.store;
    let admin_email = domain::email::Email::parse(ADMIN_EMAIL)?;
    if store.find_user_by_email(&admin_email).await.is_ok() {
        return Ok(());
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
    for (email, name) in SELLER_EMAILS.iter().zip(["Ana Vendedora", "Bruno Vendedor"]) {
        let password_hash = server::auth::password::hash(SecretString::from(DEMO_PASSWORD)).await?;
        let email = domain::email::Email::parse(email)?;
        store
            .create_user(
                account,
                store::NewUser { email, name: name.into(), password_hash, role: store::RoleRef::Seller },
                now,
            )
            .await?;
    }
    for channel in demo_channels(state) {
        store.create_channel(account, channel, now).await?;
    }
    Ok(())
}

fn demo_channels(state: &server::state::AppState) -> Vec<store::NewChannel> {
    use domain::channel::{ChannelAddress, ChannelKind};
    let token = |t: &str| state.secrets.seal(t);
    vec![
        store::NewChannel {
            kind: ChannelKind::WhatsappCloud,
            name: "WhatsApp Ventas".into(),
            address: ChannelAddress::Whatsapp {
                phone_number_id: "100000000000001".into(),
                waba_id: "200000000000001".into(),
                display_phone_number: "+52 55 1000 0001".into(),
            },
            access_token_enc: token("demo-token-wa-cloud"),
        },
        store::NewChannel {
            kind: ChannelKind::WhatsappBusinessApp,
            name: "WhatsApp Tienda (app)".into(),
            address: ChannelAddress::Whatsapp {
                phone_number_id: "100000000000002".into(),
                waba_id: "200000000000001".into(),
                display_phone_number: "+52 55 1000 0002".into(),
            },
            access_token_enc: token("demo-token-wa-app"),
        },
        store::NewChannel {
            kind: ChannelKind::Messenger,
            name: "Facebook Escala".into(),
            address: ChannelAddress::Messenger { page_id: "300000000000001".into() },
            access_token_enc: token("demo-token-page"),
        },
        store::NewChannel {
            kind: ChannelKind::Instagram,
            name: "Instagram @escala".into(),
            address: ChannelAddress::Instagram { instagram_account_id: "400000000000001".into() },
            access_token_enc: token("demo-token-ig"),
        },
    ]
}
