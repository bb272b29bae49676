//! The Graph API client: everything the inbox sends to Meta (docs/meta.md §4–§6, §9, §10, §12).
//!
//! - [`GraphClient`] — one HTTP client (rustls, 5 s connect timeout, 30 s per call by default) with an
//!   injectable base URL: `https://graph.facebook.com/v24.0` in production, the simulator's
//!   `graph_base()` in tests. Tokens are the channel's, passed per call ([`AccessToken`]: `&str` or
//!   `SecretString`), sent only in the `Authorization` header and never logged.
//! - [`whatsapp`] — the bodies of every WhatsApp send, as pure functions; [`WhatsAppApi`] sends them,
//!   marks messages read, uploads and downloads media and lists templates.
//! - [`messenger`] — the Messenger/Instagram Send API bodies; [`MessengerApi`] sends them, uploads
//!   attachments and downloads CDN attachments.
//! - [`GraphError`] — Meta's error body or the transport failure, with [`GraphError::classify`]
//!   (retry or not, §6) and [`GraphError::reason`] (what the agent reads).
//! - [`GraphClient::verify_ownership`] — whether a token controls a channel's number, Page or Instagram
//!   account ([`ChannelAsset`]), before it is connected and as "test connection"; [`OwnershipError`]
//!   tells a bad token, a denied or missing asset and an unreachable Meta apart.
//!
//! ```no_run
//! # async fn demo(token: &secrecy::SecretString) -> Result<(), inbox_meta::graph::GraphError> {
//! use inbox_meta::graph::{whatsapp, GraphClient, WaRecipient};
//! let graph = GraphClient::production()?;
//! let to = WaRecipient::Phone("5215512345678".into());
//! let body = whatsapp::text(&to, "Hola Ana", false, None);
//! let sent = graph.whatsapp().send_message("106540352242922", token, &body).await?;
//! println!("{}", sent.message_id);
//! # Ok(()) }
//! ```

mod classify;
mod client;
mod download;
mod errors;
mod media;
pub mod messenger;
mod messenger_api;
mod ownership;
mod templates;
pub mod whatsapp;
mod whatsapp_api;

#[cfg(test)]
mod classify_tests;
#[cfg(test)]
mod messenger_tests;
#[cfg(test)]
mod whatsapp_tests;

pub use classify::{Retry, SPAM_BACKOFF};
pub use client::{AccessToken, GraphClient, GraphConfig, PRODUCTION_BASE_URL};
pub use download::{is_public, refused_in, CheckedResolver, MediaPolicy, META_MEDIA_HOSTS};
pub use errors::{ApiError, GraphError};
pub use media::MediaInfo;
pub use messenger::{AttachmentKind, AttachmentSource, SenderAction};
pub use messenger_api::{InstagramProfile, MessengerApi, MessengerProfile, SocialSendResult};
pub use ownership::{ChannelAsset, OwnershipError, VerifiedAsset};
pub use templates::{parse_templates, UnreadableTemplate};
pub use whatsapp::{MediaRef, WaMedia, WaRecipient};
pub use whatsapp_api::{SendResult, WhatsAppApi};
