//! WhatsApp Cloud API calls on a phone number (docs/meta.md §4): sending a message body built by
//! [`super::whatsapp`] and marking messages read. Media are in `media`, templates in `templates`.

use serde::Deserialize;
use serde_json::Value;

use super::client::{AccessToken, GraphClient};
use super::errors::GraphError;

/// The WhatsApp calls of a [`GraphClient`]; get one with [`GraphClient::whatsapp`].
#[derive(Debug, Clone, Copy)]
pub struct WhatsAppApi<'a> {
    pub(crate) client: &'a GraphClient,
}

impl GraphClient {
    pub fn whatsapp(&self) -> WhatsAppApi<'_> {
        WhatsAppApi { client: self }
    }
}

/// What Meta answered to an accepted send:
/// `{"messaging_product":"whatsapp","contacts":[{"input","wa_id"|"user_id"}],"messages":[{"id","message_status"?}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// The new `wamid.…`: statuses and replies refer to it.
    pub message_id: String,
    /// The `wa_id` WhatsApp resolved the `to` to; may differ from what was sent (§4, §11): keep it.
    pub wa_id: Option<String>,
    /// The customer's BSUID, answered for sends addressed by `recipient` (§12).
    pub user_id: Option<String>,
    /// `accepted` (or `held_for_quality_assessment`) on template sends.
    pub message_status: Option<String>,
}

#[derive(Deserialize)]
struct SendResponse {
    #[serde(default)]
    contacts: Vec<SendContact>,
    #[serde(default)]
    messages: Vec<SendMessage>,
}

#[derive(Deserialize)]
struct SendContact {
    wa_id: Option<String>,
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct SendMessage {
    id: String,
    message_status: Option<String>,
}

#[derive(Deserialize)]
struct Success {
    success: bool,
}

impl WhatsAppApi<'_> {
    /// `POST /{PHONE_NUMBER_ID}/messages` with a body from [`super::whatsapp`].
    ///
    /// A `200` means accepted, not delivered: a free-form message outside the 24 h window still gets
    /// a `wamid` and then fails through a status webhook (131047).
    pub async fn send_message(
        &self,
        phone_number_id: &str,
        token: &(impl AccessToken + ?Sized),
        body: &Value,
    ) -> Result<SendResult, GraphError> {
        let url = self.client.endpoint(&[phone_number_id, "messages"]);
        let response: SendResponse = self.client.post_json(url, token, body).await?;
        let message = response
            .messages
            .into_iter()
            .next()
            .ok_or_else(|| GraphError::MalformedResponse("the send answer has no messages[0].id".into()))?;
        let contact = response.contacts.into_iter().next();
        Ok(SendResult {
            message_id: message.id,
            wa_id: contact.as_ref().and_then(|c| c.wa_id.clone()),
            user_id: contact.and_then(|c| c.user_id),
            message_status: message.message_status,
        })
    }

    /// Marks an inbound message read (optionally showing "typing…"): `{"success": true}`.
    pub async fn mark_read(
        &self,
        phone_number_id: &str,
        token: &(impl AccessToken + ?Sized),
        message_id: &str,
        typing_indicator: bool,
    ) -> Result<(), GraphError> {
        let url = self.client.endpoint(&[phone_number_id, "messages"]);
        let body = super::whatsapp::mark_read(message_id, typing_indicator);
        let answer: Success = self.client.post_json(url, token, &body).await?;
        if answer.success {
            Ok(())
        } else {
            Err(GraphError::MalformedResponse("mark as read answered success: false".into()))
        }
    }
}
