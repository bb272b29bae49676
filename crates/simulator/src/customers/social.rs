//! A Messenger (PSID) or Instagram (IGSID) user writing to a Page or an Instagram account. Messages,
//! postbacks and reactions refresh the standard window (and the 7-day human-agent window); reads and
//! Page echoes do not. Attachments are hosted on the simulator's CDN (`/cdn/v/…`), like Meta's
//! `fbcdn` URLs.

use std::sync::Arc;

use bytes::Bytes;

use crate::clock::unix_millis;
use crate::error::SimError;
use crate::ids;
use crate::payloads::{self, SocialAttachment, SocialMessage, SocialPlatform};
use crate::state::{lock, CdnFile, SimState};
use crate::webhook::Delivery;

/// A Messenger or Instagram customer of one Page/account.
#[derive(Debug, Clone)]
pub struct SocialCustomer {
    state: Arc<SimState>,
    platform: SocialPlatform,
    asset_id: String,
    id: String,
    /// How long ago the messages of this handle were written (see [`SocialCustomer::backdated`]).
    ago: time::Duration,
}

impl SimState {
    /// Serves bytes on the simulated CDN and returns their URL.
    pub(crate) fn host_cdn(&self, bytes: Bytes, mime_type: &str, extension: &str) -> String {
        let name = format!("{}_{}_n.{extension}", ids::numeric_id(), ids::token());
        lock(&self.cdn).insert(name.clone(), CdnFile { mime_type: mime_type.to_string(), bytes });
        let expires = self.clock.now().unix_timestamp() + 7 * 24 * 3600;
        format!("{}/cdn/v/{name}?_nc_cat=1&oh={}&oe={expires:X}", self.base_url, ids::token())
    }
}

impl SocialCustomer {
    pub(crate) fn new(state: Arc<SimState>, platform: SocialPlatform, asset_id: String, id: String) -> Self {
        Self { state, platform, asset_id, id, ago: time::Duration::ZERO }
    }

    /// The same customer writing `ago` in the past: their messages carry that timestamp and their
    /// windows are anchored there (e.g. two days ago: only the `HUMAN_AGENT` tag still reaches them).
    /// A later message never moves the window back.
    pub fn backdated(&self, ago: std::time::Duration) -> Self {
        Self { ago: time::Duration::try_from(ago).unwrap_or(time::Duration::ZERO), ..self.clone() }
    }

    /// The PSID or IGSID.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn platform(&self) -> SocialPlatform {
        self.platform
    }

    /// Sets the name Meta shows for this user: what the User Profile API answers (`GET /{PSID}`
    /// `first_name`/`last_name`, `GET /{IGSID}` `name`). Without it the simulator makes one up.
    pub fn named(self, name: &str) -> Self {
        let mut customers = lock(&self.state.social_customers);
        customers.entry((self.asset_id.clone(), self.id.clone())).or_default().name = Some(name.to_string());
        drop(customers);
        self
    }

    /// Instagram: sets the `username` the User Profile API answers (else one made from the name).
    pub fn with_username(self, username: &str) -> Self {
        let mut customers = lock(&self.state.social_customers);
        customers.entry((self.asset_id.clone(), self.id.clone())).or_default().username = Some(username.to_string());
        drop(customers);
        self
    }

    /// When this customer's events happen: now, or `ago` in the past when backdated.
    fn at(&self) -> time::OffsetDateTime {
        self.state.clock.now() - self.ago
    }

    fn now_ms(&self) -> i64 {
        unix_millis(self.at())
    }

    fn touch(&self) {
        self.state.set_last_social_inbound(&self.asset_id, &self.id, None, self.at());
    }

    /// Sends a fully built message event from the customer (or, with `is_echo`, from the Page/account).
    pub async fn send_message(&self, message: SocialMessage) -> Result<Delivery, SimError> {
        if !message.is_echo {
            self.touch();
        }
        let payload = payloads::social_message(self.platform, &self.asset_id, &self.id, self.now_ms(), &message);
        self.state.deliver(payload, Some(message.mid)).await
    }

    fn new_mid(&self) -> String {
        match self.platform {
            SocialPlatform::Messenger => ids::messenger_mid(),
            SocialPlatform::Instagram => ids::instagram_mid(),
        }
    }

    pub async fn text(&self, text: &str) -> Result<Delivery, SimError> {
        self.send_message(SocialMessage::text(self.new_mid(), text)).await
    }

    /// A text replying to `mid` (`reply_to.mid`).
    pub async fn reply(&self, mid: &str, text: &str) -> Result<Delivery, SimError> {
        let message = SocialMessage { reply_to: Some(mid.to_string()), ..SocialMessage::text(self.new_mid(), text) };
        self.send_message(message).await
    }

    /// An attachment (`image`, `video`, `audio`, `file`) hosted on the simulator's CDN.
    pub async fn attachment(&self, kind: &str, bytes: impl Into<Bytes>, mime: &str) -> Result<Delivery, SimError> {
        let extension = mime.rsplit('/').next().unwrap_or("bin").split(';').next().unwrap_or("bin");
        let url = self.state.host_cdn(bytes.into(), mime, extension);
        let message = SocialMessage {
            mid: self.new_mid(),
            attachments: vec![SocialAttachment { kind: kind.to_string(), url, sticker_id: None }],
            ..SocialMessage::default()
        };
        self.send_message(message).await
    }

    /// Messenger's "like" sticker: an `image` attachment with a `sticker_id`.
    pub async fn like_sticker(&self) -> Result<Delivery, SimError> {
        let url = self.state.host_cdn(Bytes::from(crate::samples::png()), "image/png", "png");
        let message = SocialMessage {
            mid: self.new_mid(),
            attachments: vec![SocialAttachment { kind: "image".into(), url, sticker_id: Some(369_239_263_222_822) }],
            ..SocialMessage::default()
        };
        self.send_message(message).await
    }

    /// Reacts to a message.
    pub async fn react(&self, mid: &str, emoji: &str) -> Result<Delivery, SimError> {
        self.touch();
        let payload =
            payloads::social_reaction(self.platform, &self.asset_id, &self.id, self.now_ms(), mid, Some(emoji));
        self.state.deliver(payload, Some(mid.to_string())).await
    }

    /// Removes their reaction to a message.
    pub async fn unreact(&self, mid: &str) -> Result<Delivery, SimError> {
        let payload = payloads::social_reaction(self.platform, &self.asset_id, &self.id, self.now_ms(), mid, None);
        self.state.deliver(payload, Some(mid.to_string())).await
    }

    /// Reads the conversation: Messenger up to now (watermark), Instagram the given message.
    pub async fn read(&self, mid: Option<&str>) -> Result<Delivery, SimError> {
        let now = self.now_ms();
        let payload = payloads::social_read(self.platform, &self.asset_id, &self.id, now, now, mid);
        self.state.deliver(payload, mid.map(str::to_string)).await
    }

    /// Taps a button (`postback`).
    pub async fn postback(&self, title: &str, payload: &str) -> Result<Delivery, SimError> {
        self.touch();
        let mid = self.new_mid();
        let body =
            payloads::social_postback(self.platform, &self.asset_id, &self.id, self.now_ms(), &mid, title, payload);
        self.state.deliver(body, Some(mid)).await
    }

    /// Instagram: the customer unsends a message (`is_deleted`).
    pub async fn unsend(&self, mid: &str) -> Result<Delivery, SimError> {
        let message = SocialMessage { mid: mid.to_string(), is_deleted: true, ..SocialMessage::default() };
        let payload = payloads::social_message(self.platform, &self.asset_id, &self.id, self.now_ms(), &message);
        self.state.deliver(payload, Some(mid.to_string())).await
    }

    /// Instagram: a message type the API does not deliver (`is_unsupported`).
    pub async fn unsupported(&self) -> Result<Delivery, SimError> {
        self.send_message(SocialMessage { mid: self.new_mid(), is_unsupported: true, ..SocialMessage::default() }).await
    }

    /// What the Page/account sent to this customer outside the API (Business Suite, the Instagram app):
    /// an echo. Echoes open no window.
    pub async fn page_echo(&self, text: &str) -> Result<Delivery, SimError> {
        self.send_message(SocialMessage { is_echo: true, ..SocialMessage::text(self.new_mid(), text) }).await
    }

    /// One step of a Messenger call (`calls` webhook); Instagram has no calling webhooks.
    pub async fn call_step(&self, step: &payloads::CallStep) -> Result<Delivery, SimError> {
        if self.platform != SocialPlatform::Messenger {
            return Err(SimError::Payload("calls are a Messenger webhook; Instagram sends none".into()));
        }
        let payload = payloads::messenger_call(&self.asset_id, &self.id, step);
        self.state.deliver(payload, Some(step.call_id.clone())).await
    }

    /// A whole call from the customer (see `WhatsAppCustomer::call`).
    pub async fn call(&self, duration: i64) -> Result<Delivery, SimError> {
        let id = format!("c_{}", ids::token());
        let steps = super::whatsapp::call_steps(id, true, self.state.clock.now().unix_timestamp(), duration);
        self.call_step(&steps[0]).await?;
        self.call_step(&steps[1]).await
    }
}
