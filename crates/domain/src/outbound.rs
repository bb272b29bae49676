//! What the outbox keeps of a checked send: everything the worker needs to make the Graph call,
//! already rendered (Personalize, template components), and nothing it must decide at send time (the
//! recipient, Messenger's `messaging_type`: those come from the conversation when the call is made).
//!
//! It is stored as JSON in `outbox.request`. The shape is the one rows had before the type existed
//! (`{"type": "text", "text": …, "reply_to": …}` and so on), so rows queued by an older version are
//! sent unchanged after an upgrade, and rows queued now could still be read by that version.

use crate::media_rules::MediaKind;
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboundRequest {
    /// Free-form text, possibly quoting a message (its Meta id).
    Text {
        text: String,
        #[serde(default)]
        reply_to: Option<String>,
    },
    /// A reaction to the message with Meta id `message_id`; an empty `emoji` removes it.
    Reaction { message_id: String, emoji: String },
    /// WhatsApp: ask the customer to share their phone number.
    ContactRequest { text: String },
    /// WhatsApp: an approved template with its components in Graph form.
    Template {
        name: String,
        language: String,
        /// The template's `components` as the Graph API takes them (`template::to_graph_components`).
        components: serde_json::Value,
        /// A header file given as an inbox upload: uploaded to WhatsApp at send time, and its media id
        /// put into `components` (`template::set_header_media_id`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header_media: Option<StoredFile>,
    },
    /// A file (image, video, audio, document, sticker) from the inbox's media store.
    Media {
        media_kind: MediaKind,
        /// Stored as `storage_key`, `mime` and `filename` beside the other fields.
        #[serde(flatten)]
        file: StoredFile,
        #[serde(default)]
        caption: Option<String>,
        /// An audio to show as a voice note (WhatsApp).
        #[serde(default)]
        voice: bool,
        #[serde(default)]
        reply_to: Option<String>,
    },
}

/// A file in the inbox's media store, as the outbox uploads it to Meta.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    pub storage_key: String,
    pub mime: String,
    #[serde(default)]
    pub filename: Option<String>,
}
