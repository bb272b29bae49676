//! WhatsApp media (docs/meta.md §4, §5): upload (`POST /{PHONE_NUMBER_ID}/media`, multipart
//! `file`, `type`, `messaging_product=whatsapp` → `{"id"}`), the media object (`GET /{MEDIA_ID}` →
//! `{"url","mime_type","sha256","file_size","id"}`), and the download of its short-lived URL (about
//! five minutes) with the same bearer token. Downloads are bounded: WhatsApp documents reach 100 MB.

use bytes::Bytes;
use reqwest::multipart::{Form, Part};
use serde::{Deserialize, Deserializer};

use super::client::AccessToken;
use super::errors::GraphError;
use super::whatsapp_api::WhatsAppApi;

/// `GET /{MEDIA_ID}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MediaInfo {
    pub id: String,
    /// Valid for about five minutes; download it with the same token.
    pub url: String,
    pub mime_type: String,
    /// Hex SHA-256 of the file.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Bytes; Meta has sent it as a number and as a string.
    #[serde(default, deserialize_with = "number_or_string")]
    pub file_size: Option<u64>,
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    Ok(match Option::<Size>::deserialize(d)? {
        Some(Size::Number(n)) => Some(n),
        Some(Size::Text(s)) => s.trim().parse().ok(),
        None => None,
    })
}

#[derive(Deserialize)]
struct Uploaded {
    id: String,
}

/// A multipart file part of known length (so the form has a `Content-Length`).
pub(crate) fn file_part(bytes: Bytes, mime: &str, filename: &str) -> Result<Part, GraphError> {
    let length = bytes.len() as u64;
    Part::stream_with_length(bytes, length)
        .file_name(filename.to_string())
        .mime_str(mime)
        .map_err(|_| GraphError::InvalidRequest(format!("invalid MIME type {mime:?}")))
}

impl WhatsAppApi<'_> {
    /// Uploads a file for sending and returns its media id. `mime` is the exact type WhatsApp will
    /// check, e.g. `audio/ogg; codecs=opus` for a voice note (§4).
    pub async fn upload_media(
        &self,
        phone_number_id: &str,
        token: &(impl AccessToken + ?Sized),
        bytes: Bytes,
        mime: &str,
        filename: &str,
    ) -> Result<String, GraphError> {
        let form = Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime.to_string())
            .part("file", file_part(bytes, mime, filename)?);
        let url = self.client.endpoint(&[phone_number_id, "media"]);
        let uploaded: Uploaded = self.client.post_multipart(url, token, form).await?;
        Ok(uploaded.id)
    }

    /// The media object of an inbound (or uploaded) media id, with a fresh download URL.
    pub async fn media_info(
        &self,
        media_id: &str,
        token: &(impl AccessToken + ?Sized),
    ) -> Result<MediaInfo, GraphError> {
        let url = self.client.endpoint(&[media_id]);
        self.client.get_json(url, token).await
    }

    /// Downloads a [`MediaInfo::url`] with the bearer token, refusing more than `max_bytes`
    /// ([`GraphError::TooLarge`]) without buffering past the limit. An expired URL answers 404:
    /// ask [`Self::media_info`] again.
    pub async fn download(
        &self,
        url: &str,
        token: &(impl AccessToken + ?Sized),
        max_bytes: u64,
    ) -> Result<Bytes, GraphError> {
        self.client.download_bounded(url, Some(token.token()), max_bytes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_size_is_a_number_or_a_string() {
        let info: MediaInfo = serde_json::from_str(
            r#"{"url":"https://lookaside.fbsbx.com/x","mime_type":"image/jpeg","sha256":"ab",
                "file_size":"12345","id":"987","messaging_product":"whatsapp"}"#,
        )
        .expect("media info");
        assert_eq!(info.file_size, Some(12345));
        let info: MediaInfo =
            serde_json::from_str(r#"{"url":"u","mime_type":"image/png","file_size":7,"id":"1"}"#).expect("media info");
        assert_eq!(info.file_size, Some(7));
        assert_eq!(info.sha256, None);
    }

    #[test]
    fn a_bad_mime_is_refused_before_sending() {
        assert!(matches!(
            file_part(Bytes::from_static(b"x"), "not a mime", "a.bin"),
            Err(GraphError::InvalidRequest(_))
        ));
        assert!(file_part(Bytes::from_static(b"x"), "audio/ogg; codecs=opus", "a.ogg").is_ok());
    }
}
