//! A WhatsApp user writing to a business number: by phone (`wa_id`) or by username only (BSUID, no
//! `from`/`wa_id`, docs/meta.md §12). Every inbound message refreshes the number's customer service
//! window; echoes (coexistence, §8) do not.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::config::WhatsAppNumber;
use crate::error::SimError;
use crate::ids;
use crate::payloads::{self, ContactCard, ContactPhone, WaBusiness, WaContent, WaMedia, WaMessage, WaUser};
use crate::phones;
use crate::state::SimState;
use crate::webhook::Delivery;

/// A WhatsApp customer of one business number.
#[derive(Debug, Clone)]
pub struct WhatsAppCustomer {
    state: Arc<SimState>,
    number: WhatsAppNumber,
    user_id: String,
    /// How long ago the messages of this handle were written (see [`WhatsAppCustomer::backdated`]).
    ago: time::Duration,
}

impl WhatsAppCustomer {
    pub(crate) fn new(state: Arc<SimState>, number: WhatsAppNumber, user_id: String) -> Self {
        Self { state, number, user_id, ago: time::Duration::ZERO }
    }

    /// The same customer writing `ago` in the past: their messages carry that timestamp and their
    /// window is anchored there (as when a webhook arrives late, or to seed conversations whose window
    /// is already closing or closed). A later message never moves the window back.
    pub fn backdated(&self, ago: std::time::Duration) -> Self {
        Self { ago: time::Duration::try_from(ago).unwrap_or(time::Duration::ZERO), ..self.clone() }
    }

    /// When this customer's messages are written.
    fn at(&self) -> time::OffsetDateTime {
        self.state.clock.now() - self.ago
    }

    /// The customer's BSUID.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The customer's phone as WhatsApp knows it, once known.
    pub fn wa_id(&self) -> Option<String> {
        self.user().wa_id
    }

    /// Sets the profile name shown in `contacts[].profile.name`.
    pub fn named(self, name: &str) -> Self {
        self.state.update_wa_customer(&self.user_id, |c| c.name = Some(name.to_string()));
        self
    }

    /// Who webhooks say this customer is, right now.
    pub fn user(&self) -> WaUser {
        let record = self.state.wa_customer_by_user_id(&self.user_id);
        WaUser {
            wa_id: record.as_ref().and_then(|r| r.wa_id.clone()),
            user_id: Some(self.user_id.clone()),
            parent_user_id: record.as_ref().and_then(|r| r.parent_user_id.clone()),
            username: record.as_ref().and_then(|r| r.username.clone()),
            name: record.and_then(|r| r.name),
        }
    }

    pub fn business(&self) -> WaBusiness {
        WaBusiness::from(&self.number)
    }

    /// Stores a file as Meta does when a customer sends media, and returns the webhook's media object.
    pub fn upload(&self, bytes: impl Into<Bytes>, mime_type: &str) -> WaMedia {
        let bytes = bytes.into();
        let sha256 = STANDARD.encode(Sha256::digest(&bytes));
        let stored = self.state.store_media(&self.number.phone_number_id, &self.number.waba_id, mime_type, bytes);
        WaMedia { id: stored.id, mime_type: mime_type.to_string(), sha256, ..WaMedia::default() }
    }

    /// Sends a fully built message (custom id, context, referral…).
    pub async fn send_message(&self, message: WaMessage) -> Result<Delivery, SimError> {
        self.state.touch_wa_inbound(&self.number.phone_number_id, &self.user_id, self.at());
        let payload = payloads::whatsapp_message(&self.business(), &self.user(), &message);
        self.state.deliver(payload, Some(message.id)).await
    }

    /// Sends any content as a new message (fresh `wamid`, timestamp now, or `ago` when backdated).
    pub async fn send(&self, content: WaContent) -> Result<Delivery, SimError> {
        self.send_message(self.message(content)).await
    }

    fn message(&self, content: WaContent) -> WaMessage {
        WaMessage::new(ids::wamid(), self.at().unix_timestamp(), content)
    }

    pub async fn text(&self, body: &str) -> Result<Delivery, SimError> {
        self.send(WaContent::Text(body.into())).await
    }

    /// A text quoting `message_id` (`context`).
    pub async fn reply(&self, message_id: &str, body: &str) -> Result<Delivery, SimError> {
        let from = Some(self.number.display_phone_number.clone());
        self.send_message(self.message(WaContent::Text(body.into())).replying_to(message_id, from)).await
    }

    pub async fn image(
        &self,
        bytes: impl Into<Bytes>,
        mime: &str,
        caption: Option<&str>,
    ) -> Result<Delivery, SimError> {
        let media = WaMedia { caption: caption.map(str::to_string), ..self.upload(bytes, mime) };
        self.send(WaContent::Image(media)).await
    }

    pub async fn video(
        &self,
        bytes: impl Into<Bytes>,
        mime: &str,
        caption: Option<&str>,
    ) -> Result<Delivery, SimError> {
        let media = WaMedia { caption: caption.map(str::to_string), ..self.upload(bytes, mime) };
        self.send(WaContent::Video(media)).await
    }

    /// Audio; `voice: true` for a recorded voice note.
    pub async fn audio(&self, bytes: impl Into<Bytes>, mime: &str, voice: bool) -> Result<Delivery, SimError> {
        let media = WaMedia { voice: Some(voice), ..self.upload(bytes, mime) };
        self.send(WaContent::Audio(media)).await
    }

    pub async fn document(
        &self,
        bytes: impl Into<Bytes>,
        mime: &str,
        filename: &str,
        caption: Option<&str>,
    ) -> Result<Delivery, SimError> {
        let media = WaMedia {
            filename: Some(filename.to_string()),
            caption: caption.map(str::to_string),
            ..self.upload(bytes, mime)
        };
        self.send(WaContent::Document(media)).await
    }

    pub async fn sticker(&self, bytes: impl Into<Bytes>, animated: bool) -> Result<Delivery, SimError> {
        let media = WaMedia { animated: Some(animated), ..self.upload(bytes, "image/webp") };
        self.send(WaContent::Sticker(media)).await
    }

    pub async fn location(
        &self,
        latitude: f64,
        longitude: f64,
        name: Option<&str>,
        address: Option<&str>,
    ) -> Result<Delivery, SimError> {
        self.send(WaContent::Location {
            latitude,
            longitude,
            name: name.map(str::to_string),
            address: address.map(str::to_string),
        })
        .await
    }

    /// Shares contact cards (of other people: never the customer's own number on record).
    pub async fn contacts(&self, cards: Vec<ContactCard>) -> Result<Delivery, SimError> {
        self.send(WaContent::Contacts { cards, origin: None }).await
    }

    /// Answers a request for contact info by sharing their own phone (`origin: "contact_request"`).
    /// This message still names the customer by BSUID only; later webhooks carry both `wa_id` and
    /// `user_id`.
    pub async fn share_own_phone(&self, phone: &str) -> Result<Delivery, SimError> {
        let wa_id = phones::canonical_wa_id(&phones::digits(phone));
        let user = self.user();
        let name = user.name.clone().or(user.username.clone()).unwrap_or_else(|| "WhatsApp user".into());
        let card = ContactCard {
            formatted_name: name.clone(),
            first_name: Some(name.clone()),
            last_name: None,
            phones: vec![ContactPhone { phone: format!("+{wa_id}"), wa_id: Some(wa_id.clone()), kind: "CELL".into() }],
            emails: Vec::new(),
            vcard: Some(format!(
                "BEGIN:VCARD\nVERSION:3.0\nN:;{name};;;\nFN:{name}\nTEL;type=CELL;waid={wa_id}:+{wa_id}\nEND:VCARD"
            )),
        };
        let delivery =
            self.send(WaContent::Contacts { cards: vec![card], origin: Some("contact_request".into()) }).await;
        self.state.update_wa_customer(&self.user_id, |c| c.wa_id = Some(wa_id));
        delivery
    }

    /// Reacts to a message (`""` removes the reaction).
    pub async fn react(&self, message_id: &str, emoji: &str) -> Result<Delivery, SimError> {
        self.send(WaContent::Reaction { message_id: message_id.into(), emoji: emoji.into() }).await
    }

    /// A message type the Cloud API does not deliver (a poll…): `type: "unsupported"`, error 131051.
    pub async fn unsupported(&self) -> Result<Delivery, SimError> {
        self.send(WaContent::Unsupported).await
    }

    /// Edits one of their messages to a new text.
    pub async fn edit(&self, original_message_id: &str, new_text: &str) -> Result<Delivery, SimError> {
        self.send(WaContent::Edit {
            original_message_id: original_message_id.into(),
            content: Box::new(WaContent::Text(new_text.into())),
        })
        .await
    }

    /// Deletes one of their messages for everyone.
    pub async fn revoke(&self, original_message_id: &str) -> Result<Delivery, SimError> {
        self.send(WaContent::Revoke { original_message_id: original_message_id.into() }).await
    }

    /// Taps a reply button of an interactive message.
    pub async fn button_reply(&self, id: &str, title: &str) -> Result<Delivery, SimError> {
        self.send(WaContent::ButtonReply { id: id.into(), title: title.into() }).await
    }

    /// Taps a quick-reply button of a template.
    pub async fn template_button(&self, payload: &str, text: &str) -> Result<Delivery, SimError> {
        self.send(WaContent::Button { payload: payload.into(), text: text.into() }).await
    }

    /// What the business typed to this customer in the WhatsApp Business App (coexistence numbers
    /// only): an `smb_message_echoes` webhook. Echoes open no window.
    pub async fn echo(&self, content: WaContent) -> Result<Delivery, SimError> {
        if !self.number.coexistence {
            return Err(SimError::NotCoexistence(self.number.phone_number_id.clone()));
        }
        let message = self.message(content);
        let payload = payloads::whatsapp_echo(&self.business(), &self.user(), &message);
        self.state.deliver(payload, Some(message.id)).await
    }

    pub async fn echo_text(&self, body: &str) -> Result<Delivery, SimError> {
        self.echo(WaContent::Text(body.into())).await
    }

    /// The customer stops (`stop: true`) or resumes marketing messages from this number: Meta's
    /// `user_preferences` webhook. While stopped, marketing templates to them fail with 131050.
    pub async fn set_marketing(&self, stop: bool) -> Result<Delivery, SimError> {
        let number = self.number.phone_number_id.clone();
        self.state.update_wa_customer(&self.user_id, |c| {
            if stop {
                c.marketing_stopped.insert(number);
            } else {
                c.marketing_stopped.remove(&number);
            }
        });
        let now = self.state.clock.now().unix_timestamp();
        let payload = payloads::whatsapp_user_preference(&self.business(), &self.user(), stop, now);
        self.state.deliver(payload, None).await
    }

    /// One step of a call between this customer and the number (`calls` webhook). A call the customer
    /// places refreshes the customer service window, as Meta's calling pricing page says.
    pub async fn call_step(&self, step: &payloads::CallStep) -> Result<Delivery, SimError> {
        if step.user_initiated && step.event == "connect" {
            self.state.touch_wa_inbound(&self.number.phone_number_id, &self.user_id, self.state.clock.now());
        }
        let payload = payloads::whatsapp_call(&self.business(), &self.user(), step);
        self.state.deliver(payload, Some(step.call_id.clone())).await
    }

    /// A whole call from the customer: `connect`, then `terminate` with `duration` seconds of talk
    /// (0: nobody answered, a missed call). Returns the terminate's delivery (its `message_id` is the call id).
    pub async fn call(&self, duration: i64) -> Result<Delivery, SimError> {
        let steps =
            call_steps(format!("wacid.{}", ids::token()), true, self.state.clock.now().unix_timestamp(), duration);
        self.call_step(&steps[0]).await?;
        self.call_step(&steps[1]).await
    }
}

/// The `connect` and `terminate` of one call that ends `duration` seconds after `now`.
pub(crate) fn call_steps(call_id: String, user_initiated: bool, now: i64, duration: i64) -> [payloads::CallStep; 2] {
    let connect = payloads::CallStep {
        call_id: call_id.clone(),
        event: "connect".into(),
        user_initiated,
        timestamp: now,
        status: None,
        duration: None,
    };
    let terminate = payloads::CallStep {
        call_id,
        event: "terminate".into(),
        user_initiated,
        // An unanswered call rings for about half a minute before it ends.
        timestamp: now + if duration > 0 { duration } else { 30 },
        status: Some(if duration > 0 { "COMPLETED" } else { "FAILED" }.into()),
        duration: Some(duration.max(0)),
    };
    [connect, terminate]
}
