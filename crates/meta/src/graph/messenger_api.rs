//! Messenger and Instagram calls (docs/meta.md §9, §10): the Send API on a Page
//! (`POST /{PAGE_ID}/messages` with the Page token) or an Instagram account (`POST /{IG_ID}/messages`),
//! the Attachment Upload API, the User Profile APIs (a customer's name by PSID or IGSID), and downloads
//! of the CDN URLs inbound attachments carry (public, expiring links: no token is sent to them).

use bytes::Bytes;
use reqwest::multipart::Form;
use serde::Deserialize;
use serde_json::{json, Value};

use super::client::{AccessToken, GraphClient};
use super::errors::GraphError;
use super::media::file_part;
use super::messenger::AttachmentKind;

/// The Messenger/Instagram calls of a [`GraphClient`]; get one with [`GraphClient::messenger`].
#[derive(Debug, Clone, Copy)]
pub struct MessengerApi<'a> {
    client: &'a GraphClient,
}

impl GraphClient {
    pub fn messenger(&self) -> MessengerApi<'_> {
        MessengerApi { client: self }
    }
}

/// `{"recipient_id":"<PSID|IGSID>","message_id":"m_…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SocialSendResult {
    pub recipient_id: String,
    pub message_id: String,
}

/// A Messenger user's public profile: `GET /{PSID}?fields=first_name,last_name,profile_pic` with the
/// Page token (User Profile API). Any field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct MessengerProfile {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// Expires after a few days.
    #[serde(default)]
    pub profile_pic: Option<String>,
}

impl MessengerProfile {
    /// "First Last", or whichever of the two is set.
    pub fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.first_name, &self.last_name]
            .into_iter()
            .flatten()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// An Instagram user's profile: `GET /{IGSID}?fields=name,username,profile_pic` (Instagram User Profile
/// API; `name` is null when the user set none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct InstagramProfile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub profile_pic: Option<String>,
}

/// The profile fields the inbox reads.
const MESSENGER_PROFILE_FIELDS: &str = "first_name,last_name,profile_pic";
const INSTAGRAM_PROFILE_FIELDS: &str = "name,username,profile_pic";

#[derive(Deserialize)]
struct AttachmentUploaded {
    attachment_id: String,
}

impl MessengerApi<'_> {
    /// Sends a message body from [`super::messenger`] (`text` or `attachment`).
    pub async fn send(
        &self,
        page_or_ig_id: &str,
        token: &(impl AccessToken + ?Sized),
        body: &Value,
    ) -> Result<SocialSendResult, GraphError> {
        let url = self.client.endpoint(&[page_or_ig_id, "messages"]);
        self.client.post_json(url, token, body).await
    }

    /// Sends a sender action or an Instagram reaction (answered with `recipient_id` only).
    pub async fn send_action(
        &self,
        page_or_ig_id: &str,
        token: &(impl AccessToken + ?Sized),
        body: &Value,
    ) -> Result<(), GraphError> {
        let url = self.client.endpoint(&[page_or_ig_id, "messages"]);
        let _: Value = self.client.post_json(url, token, body).await?;
        Ok(())
    }

    /// Uploads a file as a reusable attachment (`POST /{PAGE_ID}/message_attachments`, multipart
    /// `message` + `filedata`) and returns its `attachment_id` for [`super::messenger::attachment`].
    pub async fn upload_attachment(
        &self,
        page_id: &str,
        token: &(impl AccessToken + ?Sized),
        kind: AttachmentKind,
        bytes: Bytes,
        mime: &str,
        filename: &str,
    ) -> Result<String, GraphError> {
        let message = json!({"attachment": {"type": kind.as_str(), "payload": {"is_reusable": true}}});
        let form = Form::new().text("message", message.to_string()).part("filedata", file_part(bytes, mime, filename)?);
        let url = self.client.endpoint(&[page_id, "message_attachments"]);
        let uploaded: AttachmentUploaded = self.client.post_multipart(url, token, form).await?;
        Ok(uploaded.attachment_id)
    }

    /// The profile of a Messenger customer (by PSID), read with the Page token.
    pub async fn messenger_profile(
        &self,
        psid: &str,
        token: &(impl AccessToken + ?Sized),
    ) -> Result<MessengerProfile, GraphError> {
        let mut url = self.client.endpoint(&[psid]);
        url.query_pairs_mut().append_pair("fields", MESSENGER_PROFILE_FIELDS);
        self.client.get_json(url, token).await
    }

    /// The profile of an Instagram customer (by IGSID), read with the channel's token.
    pub async fn instagram_profile(
        &self,
        igsid: &str,
        token: &(impl AccessToken + ?Sized),
    ) -> Result<InstagramProfile, GraphError> {
        let mut url = self.client.endpoint(&[igsid]);
        url.query_pairs_mut().append_pair("fields", INSTAGRAM_PROFILE_FIELDS);
        self.client.get_json(url, token).await
    }

    /// Downloads an inbound attachment's CDN URL (no token: the URL is its own credential), refusing
    /// more than `max_bytes` ([`GraphError::TooLarge`]). Expired URLs answer 403/404.
    pub async fn download(&self, url: &str, max_bytes: u64) -> Result<Bytes, GraphError> {
        self.client.download_bounded(url, None, max_bytes).await
    }
}
