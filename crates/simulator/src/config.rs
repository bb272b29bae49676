//! What the simulated Meta knows: the business assets (WhatsApp numbers, Pages, Instagram accounts), the
//! templates of each WhatsApp Business Account, and how it behaves after a send (status webhooks).
//!
//! In production these live in Meta's Business Manager; here the test or the demo declares them up front.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use time::OffsetDateTime;

use crate::templates::{Template, TemplateCategory, TemplateStatus};

/// Everything [`crate::Simulator::start`] needs.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to bind; `None` binds `127.0.0.1:0` (a free port).
    pub listen: Option<SocketAddr>,
    /// The Meta app secret: every webhook is signed with it (`X-Hub-Signature-256`).
    pub app_secret: String,
    /// Where webhooks go (the inbox's `/webhooks/meta`); can be set later with `SimHandle::set_webhook_url`.
    pub webhook_url: Option<String>,
    pub whatsapp_numbers: Vec<WhatsAppNumber>,
    pub pages: Vec<PageAsset>,
    pub instagram_accounts: Vec<InstagramAccount>,
    /// Message templates per WhatsApp Business Account id.
    pub templates: BTreeMap<String, Vec<Template>>,
    /// Status webhooks emitted after each accepted send.
    pub statuses: StatusPolicy,
    /// Where the simulator's clock starts. Tests usually freeze it and move it with `advance_clock`.
    pub clock: ClockStart,
    /// Messenger/Instagram send an `is_echo` webhook for every message the Page sends, API sends included,
    /// when the app subscribes to `message_echoes`. Off by default.
    pub echo_api_sends: bool,
}

/// A WhatsApp Business phone number on the Cloud API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppNumber {
    pub phone_number_id: String,
    pub waba_id: String,
    /// Digits as Meta shows them in `metadata.display_phone_number`, e.g. `15550783881`.
    pub display_phone_number: String,
    pub verified_name: String,
    pub access_token: String,
    /// A WhatsApp Business App number connected to the Cloud API: it may receive `smb_message_echoes`,
    /// `history` and `smb_app_state_sync` webhooks.
    pub coexistence: bool,
}

/// A Facebook Page with Messenger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAsset {
    pub page_id: String,
    pub name: String,
    pub access_token: String,
}

/// An Instagram professional account. `page_id` is the linked Page: Messenger-API sends to IGSIDs via
/// `POST /{PAGE_ID}/messages` with the Page token reach it too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstagramAccount {
    pub ig_id: String,
    pub username: String,
    pub access_token: String,
    pub page_id: Option<String>,
}

/// Where the simulator's clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockStart {
    /// Real time (plus whatever `advance_clock` adds).
    #[default]
    System,
    /// Stands still at this instant until `advance_clock` moves it.
    Frozen(OffsetDateTime),
}

/// Which status webhooks follow an accepted send, and after which (real-time) delays. Each delay counts
/// from the previous step; `None` stops the chain there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPolicy {
    pub enabled: bool,
    pub sent_after: Duration,
    pub delivered_after: Option<Duration>,
    pub read_after: Option<Duration>,
    /// WhatsApp voice messages get a `played` status after `read` (Meta, since 2026-03-17).
    pub played_after_read: bool,
}

impl Default for StatusPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            sent_after: Duration::from_millis(50),
            delivered_after: Some(Duration::from_millis(150)),
            read_after: Some(Duration::from_millis(400)),
            played_after_read: true,
        }
    }
}

impl StatusPolicy {
    /// No automatic status webhooks: the test emits them with `SimHandle::emit_status`.
    pub fn disabled() -> Self {
        Self { enabled: false, ..Self::default() }
    }

    /// sent, delivered and read as fast as possible (a few milliseconds apart).
    pub fn immediate() -> Self {
        Self {
            enabled: true,
            sent_after: Duration::from_millis(1),
            delivered_after: Some(Duration::from_millis(1)),
            read_after: Some(Duration::from_millis(1)),
            played_after_read: true,
        }
    }
}

impl SimConfig {
    pub fn new(app_secret: impl Into<String>) -> Self {
        Self {
            listen: None,
            app_secret: app_secret.into(),
            webhook_url: None,
            whatsapp_numbers: Vec::new(),
            pages: Vec::new(),
            instagram_accounts: Vec::new(),
            templates: BTreeMap::new(),
            statuses: StatusPolicy::default(),
            clock: ClockStart::System,
            echo_api_sends: false,
        }
    }

    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    pub fn whatsapp_number(mut self, number: WhatsAppNumber) -> Self {
        self.whatsapp_numbers.push(number);
        self
    }

    pub fn page(mut self, page: PageAsset) -> Self {
        self.pages.push(page);
        self
    }

    pub fn instagram(mut self, account: InstagramAccount) -> Self {
        self.instagram_accounts.push(account);
        self
    }

    pub fn template(mut self, waba_id: impl Into<String>, template: Template) -> Self {
        self.templates.entry(waba_id.into()).or_default().push(template);
        self
    }

    pub fn statuses(mut self, policy: StatusPolicy) -> Self {
        self.statuses = policy;
        self
    }

    pub fn frozen_clock(mut self, at: OffsetDateTime) -> Self {
        self.clock = ClockStart::Frozen(at);
        self
    }

    pub fn echo_api_sends(mut self, on: bool) -> Self {
        self.echo_api_sends = on;
        self
    }

    /// One asset of every kind with fixed ids and tokens, and a handful of templates in every state:
    /// what `inbox demo` and most tests start from. See the `demo` constants for the ids.
    pub fn demo(app_secret: impl Into<String>) -> Self {
        use demo::*;
        let body = |name: &str, lang: &str, cat, text: &str| Template::new(name, lang, cat, text);
        Self::new(app_secret)
            .whatsapp_number(WhatsAppNumber::new(CLOUD_PHONE_NUMBER_ID, WABA_ID, CLOUD_DISPLAY_NUMBER, CLOUD_TOKEN))
            .whatsapp_number(
                WhatsAppNumber::new(APP_PHONE_NUMBER_ID, WABA_ID, APP_DISPLAY_NUMBER, APP_TOKEN).coexistence(),
            )
            .page(PageAsset::new(PAGE_ID, "Escala Demo", PAGE_TOKEN))
            // Not connected by `inbox demo`: what an administrator connects from the channels page.
            .page(PageAsset::new(SPARE_PAGE_ID, "Escala Sucursal Norte", SPARE_PAGE_TOKEN))
            .instagram(InstagramAccount::new(IG_ID, "escala.demo", IG_TOKEN).linked_page(PAGE_ID))
            .template(
                WABA_ID,
                body("bienvenida", "es_MX", TemplateCategory::Marketing, "¡Hola {{1}}! Gracias por escribirnos.")
                    .with_quality("GREEN"),
            )
            .template(
                WABA_ID,
                body(
                    "seguimiento_pedido",
                    "es_MX",
                    TemplateCategory::Utility,
                    "Hola {{1}}, tu pedido {{2}} va en camino.",
                )
                .header_media("IMAGE")
                .url_button("Ver pedido", "https://example.com/pedidos/{{1}}")
                .with_quality("GREEN"),
            )
            .template(
                WABA_ID,
                body(
                    "recordatorio_cita",
                    "es_MX",
                    TemplateCategory::Utility,
                    "Hola {{first_name}}, te esperamos el {{date}}.",
                )
                .with_quality("YELLOW"),
            )
            .template(
                WABA_ID,
                body("codigo_acceso", "es_MX", TemplateCategory::Authentication, "*{{1}}* es tu código.")
                    .otp_copy_code_button()
                    .with_quality("GREEN"),
            )
            .template(
                WABA_ID,
                body("promo_pausada", "es_MX", TemplateCategory::Marketing, "Promo {{1}}")
                    .with_status(TemplateStatus::Paused)
                    .with_quality("RED"),
            )
            .template(
                WABA_ID,
                body("promo_desactivada", "es_MX", TemplateCategory::Marketing, "Promo")
                    .with_status(TemplateStatus::Disabled)
                    .with_quality("RED"),
            )
            .template(
                WABA_ID,
                body("en_revision", "es_MX", TemplateCategory::Marketing, "Nuevo").with_status(TemplateStatus::Pending),
            )
            .template(WABA_ID, body("welcome", "en_US", TemplateCategory::Marketing, "Hi {{1}}! Thanks for writing."))
    }
}

/// Ids and tokens of [`SimConfig::demo`].
pub mod demo {
    pub const WABA_ID: &str = "102290129340398";
    pub const CLOUD_PHONE_NUMBER_ID: &str = "106540352242922";
    pub const CLOUD_DISPLAY_NUMBER: &str = "15550783881";
    pub const CLOUD_TOKEN: &str = "EAAsim-cloud-token";
    pub const APP_PHONE_NUMBER_ID: &str = "106540352242923";
    pub const APP_DISPLAY_NUMBER: &str = "5215599887766";
    pub const APP_TOKEN: &str = "EAAsim-coexistence-token";
    pub const PAGE_ID: &str = "110200345678901";
    pub const PAGE_TOKEN: &str = "EAAsim-page-token";
    /// A second page the demo leaves unconnected, to connect from the settings screen.
    pub const SPARE_PAGE_ID: &str = "110200345678902";
    pub const SPARE_PAGE_TOKEN: &str = "EAAsim-spare-page-token";
    pub const IG_ID: &str = "17841400000000001";
    pub const IG_TOKEN: &str = "IGAAsim-instagram-token";
}

impl WhatsAppNumber {
    pub fn new(
        phone_number_id: impl Into<String>,
        waba_id: impl Into<String>,
        display_phone_number: impl Into<String>,
        access_token: impl Into<String>,
    ) -> Self {
        Self {
            phone_number_id: phone_number_id.into(),
            waba_id: waba_id.into(),
            display_phone_number: display_phone_number.into(),
            verified_name: "Escala Demo".into(),
            access_token: access_token.into(),
            coexistence: false,
        }
    }

    pub fn coexistence(mut self) -> Self {
        self.coexistence = true;
        self
    }
}

impl PageAsset {
    pub fn new(page_id: impl Into<String>, name: impl Into<String>, access_token: impl Into<String>) -> Self {
        Self { page_id: page_id.into(), name: name.into(), access_token: access_token.into() }
    }
}

impl InstagramAccount {
    pub fn new(ig_id: impl Into<String>, username: impl Into<String>, access_token: impl Into<String>) -> Self {
        Self { ig_id: ig_id.into(), username: username.into(), access_token: access_token.into(), page_id: None }
    }

    pub fn linked_page(mut self, page_id: impl Into<String>) -> Self {
        self.page_id = Some(page_id.into());
        self
    }
}
