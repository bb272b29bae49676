//! # inbox-simulator — a stand-in for Meta
//!
//! A faithful imitation of Meta's Graph API (v24.0) and of the customers who write to a business, used
//! by the integration tests and by `inbox demo` (Meta cannot be reached from the build machines). It
//! follows `docs/meta.md` (the section numbers below are that document's).
//!
//! ```no_run
//! # async fn demo() -> Result<(), inbox_simulator::SimError> {
//! use inbox_simulator::{demo, SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::demo("app-secret")).await?;
//! sim.set_webhook_url("http://127.0.0.1:8080/webhooks/meta");
//! // point the inbox's INBOX_GRAPH_API_BASE at sim.graph_base()
//! let maria = sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215512345678")?.named("María");
//! let delivery = maria.text("Hola").await?; // signed webhook POSTed to the inbox
//! assert_eq!(delivery.status, 200);
//! let sent = sim.requests_to("/messages"); // what the inbox sent to "Meta"
//! # let _ = sent; Ok(()) }
//! ```
//!
//! ## What is imitated, and where
//! - `graph` — the Graph endpoints, routed by object id like Graph:
//!   `POST /{PHONE_NUMBER_ID}/messages` (§4, §6, §7, §12), `POST /{PHONE_NUMBER_ID}/media`,
//!   `GET`/`DELETE /{MEDIA_ID}` and the short-lived download URL (§4, §5),
//!   `GET /{WABA_ID}/message_templates` with cursor paging (§4), `POST /{PAGE_ID}/messages`,
//!   `/me/messages`, `/{IG_ID}/messages` and `/{PAGE_ID}/message_attachments` (§9, §10), the User
//!   Profile APIs `GET /{PSID}` and `GET /{IGSID}` (a customer's name, and Instagram username, for the
//!   Page/account they wrote to; [`SocialCustomer::named`], [`SocialCustomer::with_username`]), and
//!   `GET /{PHONE_NUMBER_ID}`, `/{WABA_ID}`, `/{WABA_ID}/phone_numbers`, `/{PAGE_ID}`, `/{IG_ID}`, `/me`
//!   (what an inbox calls to prove a token owns a channel). Errors come in Meta's exact shape
//!   (`graph_error`).
//! - Access tokens: a missing or unknown token is 190 (HTTP 401), a revoked one 190/460
//!   ([`SimHandle::revoke_token`]); a known token that cannot reach the object — unknown, or another
//!   business's — is Graph's "Unsupported get/post request" (100, subcode 33). WhatsApp tokens cover their
//!   WABA; a Page token its Page (its `me` is the Page); an Instagram account is reached with its own token
//!   or its linked Page's. Assets can be added after start ([`SimHandle::add_whatsapp_number`],
//!   [`SimHandle::add_page`], [`SimHandle::add_instagram`]), e.g. one per test with its own token.
//! - [`payloads`] — pure builders of every webhook (messages, statuses, coexistence, Messenger,
//!   Instagram) and [`sign`]/[`verify`] for `X-Hub-Signature-256`.
//! - [`WhatsAppCustomer`] and [`SocialCustomer`] — customers who write, react, share media (hosted by
//!   the simulator so the inbox can download it), share their phone on request, edit and delete; the
//!   business's phone-app echoes (coexistence). `backdated(ago)` makes a customer write in the past
//!   (webhook timestamps and windows anchored there), e.g. to seed closed or human-agent windows.
//! - Status webhooks after each send ([`StatusPolicy`]), or one at a time with
//!   [`SimHandle::emit_status`].
//! - Recorded requests ([`SimHandle::requests`]), fault injection ([`SimHandle::fail_next`]) and an
//!   injectable clock ([`SimHandle::advance_clock`], [`SimConfig::frozen_clock`]).
//! - The control API under `/_sim` (see the `control` module docs) for the demo and browsers.
//!
//! ## Faithful-behaviour choices
//! - Free-form WhatsApp messages outside the 24 h customer service window are accepted with a `wamid`
//!   and then fail through a `failed` status webhook with error 131047, as the Cloud API does; templates
//!   are always allowed. The window is exclusive: at exactly 24 h it is closed.
//! - A BSUID (or anything that is not a phone) put in `to` is accepted and fails with 131026
//!   (undeliverable): the Cloud API reads `to` as a phone number. `to` wins over `recipient`.
//! - Template refusals are synchronous: 132001 (missing in that language, or not APPROVED and not
//!   paused/disabled), 132015 (PAUSED), 132016 (DISABLED), 132000 (parameter count or names), 132012
//!   (header media type), 131009/131053 (a header media id not uploaded to the WABA, or of another
//!   type), 131008 (missing values/button parameters), 131062 (code-button authentication templates to
//!   a BSUID), 132018 (a text parameter with a new line, a tab or more than 4 consecutive spaces), 132005
//!   (the header over 60 or the body over 1024 characters once filled in).
//! - Stickers must be 512×512 WebP within 100 KB static / 500 KB animated: one that is not is accepted and
//!   fails with a `failed` status carrying 131053.
//! - Voice notes (`audio.voice: true`) need media uploaded as `audio/ogg; codecs=opus` whose bytes are
//!   Ogg/Opus, else 131053; links cannot be checked and are accepted.
//! - Messenger/Instagram: unknown recipients are 100/2018001; outside the window (24 h for `RESPONSE`/
//!   `UPDATE`/sender actions, 7 days for `HUMAN_AGENT`) is 10/2018278; text over 2000 characters
//!   (Messenger) or 1000 bytes (Instagram) is 100; a message without `messaging_type` is 100; attachment
//!   files follow each platform's types and sizes (Messenger 25 MB; Instagram image png/jpeg/gif 8 MB,
//!   video, audio aac/m4a/wav/mp4 and pdf files 25 MB), else 100/2018047.
//! - Injected faults apply only to message sends (not to mark-as-read or sender actions); profile lookups
//!   and asset lookups have their own ([`SimHandle::fail_next_profile_lookups`],
//!   [`SimHandle::fail_next_asset_lookups`]). A timeout
//!   fault holds the request and then answers 504 without sending anything; a timeout *after delivery*
//!   ([`Fault::TimeoutAfterDelivery`]) delivers the message, then holds and answers a bare 504 — the
//!   uncertain case, where a resend reaches the customer twice. [`SimHandle::wait_idle`] waits until every
//!   held request has ended.
//! - Status webhooks: `sent`, `delivered` (both with pricing) and `read`; `played` after `read` for voice
//!   notes; failures are a lone `failed`. Messenger gets `delivery` and `read`, Instagram `read`.

mod clock;
mod config;
mod control;
mod customers;
mod directory;
mod error;
mod faults;
mod graph;
mod graph_error;
mod handle;
mod ids;
mod journal;
mod lifecycle;
mod multipart;
pub mod payloads;
mod phones;
mod record;
pub mod samples;
mod server;
mod state;
mod templates;
mod webhook;

pub use config::{demo, ClockStart, InstagramAccount, PageAsset, SimConfig, StatusPolicy, WhatsAppNumber};
pub use customers::{SocialCustomer, WhatsAppCustomer};
pub use error::SimError;
pub use faults::Fault;
pub use graph::GRAPH_VERSION;
pub use graph_error::{messenger_title, whatsapp_title};
pub use handle::SimHandle;
pub use journal::{SendOutcome, SentChannel, SentMessage, WebhookRecord};
pub use phones::is_bsuid;
pub use record::{RecordedBody, RecordedPart, RecordedRequest};
pub use server::Simulator;
pub use templates::{ParameterFormat, Template, TemplateCategory, TemplateStatus};
pub use webhook::{sign, verify, Delivery};
