//! What each channel accepts: attachment types and sizes, and text lengths.
//!
//! Checked before anything is stored or sent (docs/api.md, "Sending"), so an agent learns at once that a file is
//! too big for Instagram instead of reading a failed status later. The MIME type given here should
//! come from sniffing the content (the media crate), not from the file name.
//!
//! Sizes: Meta writes "MB" without saying which; limits here use the smaller reading
//! (1 MB = 1,000,000 bytes, 1 KB = 1,000 bytes) so that a file we accept is never refused by Meta.

use crate::channel::ChannelKind;
use serde::{Deserialize, Serialize};

const KB: u64 = 1_000;
const MB: u64 = 1_000_000;

// The one kind of medium for every layer: Meta's webhooks (crate `meta`), the store, the API and the
// outbox.
/// What an attachment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    pub const ALL: [MediaKind; 5] =
        [MediaKind::Image, MediaKind::Video, MediaKind::Audio, MediaKind::Document, MediaKind::Sticker];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }
}

/// `5 MB`, `100 KB`: limits as Meta writes them.
fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= MB && b % MB == 0 => format!("{} MB", b / MB),
        b if b >= KB && b % KB == 0 => format!("{} KB", b / KB),
        b => format!("{b} bytes"),
    }
}

/// WhatsApp document types (docs/meta.md §5).
const WHATSAPP_DOCUMENTS: &[&str] = &[
    "text/plain",
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

/// WhatsApp sticker limits (§5): the static limit is the one [`check_attachment`] applies, since
/// a MIME type cannot tell an animated WebP; callers that sniffed animation use [`sticker_limit`].
pub const WHATSAPP_STICKER_STATIC_MAX: u64 = 100 * KB;
pub const WHATSAPP_STICKER_ANIMATED_MAX: u64 = 500 * KB;

pub fn sticker_limit(animated: bool) -> u64 {
    if animated {
        WHATSAPP_STICKER_ANIMATED_MAX
    } else {
        WHATSAPP_STICKER_STATIC_MAX
    }
}

/// The side of a WhatsApp sticker, in pixels (§5: 512×512).
pub const WHATSAPP_STICKER_SIDE: u32 = 512;

/// A WhatsApp sticker read from its bytes: 512×512, within the limit for a static or an animated one.
/// WhatsApp accepts a wrong one and fails it afterwards (131053), so it is refused here instead.
pub fn check_sticker(width: u32, height: u32, animated: bool, size: u64) -> Result<(), MediaRefusal> {
    if (width, height) != (WHATSAPP_STICKER_SIDE, WHATSAPP_STICKER_SIDE) {
        return Err(MediaRefusal::StickerDimensions { width, height });
    }
    let limit = sticker_limit(animated);
    if size > limit {
        return Err(MediaRefusal::MediaTooLarge { kind: MediaKind::Sticker, limit });
    }
    Ok(())
}

/// Why an attachment is refused: `unsupported_media_type`, `media_too_large` or `gif_not_supported`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaRefusal {
    #[error("{channel} does not accept files of type {mime}")]
    UnsupportedMediaType { channel: &'static str, mime: String },
    #[error("the file is too large for this channel: at most {} for {}", human_size(*.limit), .kind.as_str())]
    MediaTooLarge { kind: MediaKind, limit: u64 },
    /// WhatsApp has no GIF: not an image type, nor a document type (§5); its media upload refuses
    /// `image/gif`. The inbox does not convert GIFs to MP4, so it refuses them before anything is sent.
    #[error("WhatsApp does not accept GIFs: send it as an MP4 video, or as a JPEG or PNG image")]
    GifNotSupported,
    /// WhatsApp stickers are 512×512 WebP (§5).
    #[error("a WhatsApp sticker must be 512×512 pixels; this WebP is {width}×{height}")]
    StickerDimensions { width: u32, height: u32 },
}

impl MediaRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            MediaRefusal::UnsupportedMediaType { .. } | MediaRefusal::StickerDimensions { .. } => {
                "unsupported_media_type"
            }
            MediaRefusal::MediaTooLarge { .. } => "media_too_large",
            MediaRefusal::GifNotSupported => "gif_not_supported",
        }
    }
}

/// The essence of a MIME type: lower-case, without parameters, plus whether it names the Opus codec.
fn essence(mime: &str) -> (String, Option<String>) {
    let mut parts = mime.split(';');
    let base = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let codecs = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("codecs")).then(|| v.trim().trim_matches('"').to_ascii_lowercase())
    });
    (base, codecs)
}

/// The kind a file goes out as on `kind`, and that kind's size limit; `None` when refused.
pub fn media_rule(kind: ChannelKind, mime: &str) -> Option<(MediaKind, u64)> {
    let (base, codecs) = essence(mime);
    let m = base.as_str();
    match kind {
        ChannelKind::WhatsappCloud | ChannelKind::WhatsappBusinessApp => whatsapp(m, codecs),
        ChannelKind::Messenger => messenger(m),
        ChannelKind::Instagram => instagram(m),
    }
}

fn whatsapp(m: &str, codecs: Option<String>) -> Option<(MediaKind, u64)> {
    Some(match m {
        "image/jpeg" | "image/png" => (MediaKind::Image, 5 * MB),
        "video/mp4" | "video/3gpp" => (MediaKind::Video, 16 * MB),
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" => (MediaKind::Audio, 16 * MB),
        // Ogg only with Opus (§5); a bare `audio/ogg` is taken as Opus because browsers' and our
        // remuxer's Ogg is Opus, an explicit other codec is refused. `audio/opus` and `audio/webm`
        // are refused by Meta (131053): the media crate remuxes them into Ogg first.
        "audio/ogg" if codecs.as_deref().is_none_or(|c| c == "opus") => (MediaKind::Audio, 16 * MB),
        "image/webp" => (MediaKind::Sticker, WHATSAPP_STICKER_STATIC_MAX),
        // GIF is neither a WhatsApp image nor a document type (§5): refused (`GifNotSupported`).
        d if WHATSAPP_DOCUMENTS.contains(&d) => (MediaKind::Document, 100 * MB),
        _ => return None,
    })
}

/// Messenger takes any file up to 25 MB (§9): known media types as themselves, the rest as `file`.
fn messenger(m: &str) -> Option<(MediaKind, u64)> {
    let kind = match m {
        "image/jpeg" | "image/png" | "image/gif" => MediaKind::Image,
        _ if m.starts_with("video/") => MediaKind::Video,
        _ if m.starts_with("audio/") => MediaKind::Audio,
        "" => return None,
        _ => MediaKind::Document,
    };
    Some((kind, 25 * MB))
}

/// Instagram's own list (§10).
fn instagram(m: &str) -> Option<(MediaKind, u64)> {
    Some(match m {
        "image/png" | "image/jpeg" | "image/gif" => (MediaKind::Image, 8 * MB),
        "video/mp4" | "video/ogg" | "video/x-msvideo" | "video/avi" | "video/quicktime" | "video/webm" => {
            (MediaKind::Video, 25 * MB)
        }
        "audio/aac" | "audio/mp4" | "audio/x-m4a" | "audio/m4a" | "audio/wav" | "audio/x-wav" | "audio/wave"
        | "audio/vnd.wave" => (MediaKind::Audio, 25 * MB),
        "application/pdf" => (MediaKind::Document, 25 * MB),
        _ => return None,
    })
}

/// The browser recordings `kind` takes as a voice message, in words for a refusal: Instagram plays
/// AAC, M4A, WAV and MP4 audio only (§10), so neither WebM nor Ogg; WhatsApp plays no WAV (§5).
pub fn recording_formats(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::WhatsappCloud | ChannelKind::WhatsappBusinessApp => {
            "WebM/Opus or Ogg/Opus (sent as a voice note) or MP4/AAC"
        }
        ChannelKind::Messenger => "WebM/Opus, Ogg/Opus, MP4/AAC or WAV",
        ChannelKind::Instagram => "WAV or MP4/AAC (Instagram plays AAC, M4A, WAV and MP4 audio only, no Ogg or WebM)",
    }
}

/// Whether a file of `mime` and `size` bytes can be sent on `kind`, and as what. A WebP on WhatsApp is
/// checked against the static sticker limit; callers that have the file's first bytes refine it with
/// [`check_sticker`].
pub fn check_attachment(kind: ChannelKind, mime: &str, size: u64) -> Result<MediaKind, MediaRefusal> {
    let (media, limit) = media_rule(kind, mime).ok_or_else(|| {
        if kind.is_whatsapp() && essence(mime).0 == "image/gif" {
            MediaRefusal::GifNotSupported
        } else {
            MediaRefusal::UnsupportedMediaType { channel: kind.as_str(), mime: mime.to_string() }
        }
    })?;
    if size > limit {
        return Err(MediaRefusal::MediaTooLarge { kind: media, limit });
    }
    Ok(media)
}

/// How a channel measures text length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextUnit {
    Characters,
    /// UTF-8 bytes (Instagram, §10): an emoji costs 4.
    Bytes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TextLimit {
    pub max: usize,
    pub unit: TextUnit,
}

impl TextLimit {
    fn length(self, text: &str) -> usize {
        match self.unit {
            TextUnit::Characters => text.chars().count(),
            TextUnit::Bytes => text.len(),
        }
    }
}

/// The longest text message on `kind` (§5, §9, §10).
pub fn text_limit(kind: ChannelKind) -> TextLimit {
    match kind {
        ChannelKind::WhatsappCloud | ChannelKind::WhatsappBusinessApp => {
            TextLimit { max: 4096, unit: TextUnit::Characters }
        }
        ChannelKind::Messenger => TextLimit { max: 2000, unit: TextUnit::Characters },
        ChannelKind::Instagram => TextLimit { max: 1000, unit: TextUnit::Bytes },
    }
}

/// The longest media caption on `kind`; `None` where attachments carry no caption (Messenger and
/// Instagram), so a caption there must go as a separate text message, checked with [`check_text`].
pub fn caption_limit(kind: ChannelKind) -> Option<TextLimit> {
    kind.is_whatsapp().then_some(TextLimit { max: 1024, unit: TextUnit::Characters })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextRefusal {
    #[error("the message is empty")]
    Empty,
    #[error("the text is too long for this channel: at most {} {}", .0.max, match .0.unit { TextUnit::Characters => "characters", TextUnit::Bytes => "bytes" })]
    TooLong(TextLimit),
}

impl TextRefusal {
    pub fn code(self) -> &'static str {
        match self {
            TextRefusal::Empty => "text_empty",
            TextRefusal::TooLong(_) => "text_too_long",
        }
    }
}

fn check_length(text: &str, limit: TextLimit) -> Result<(), TextRefusal> {
    if limit.length(text) > limit.max {
        return Err(TextRefusal::TooLong(limit));
    }
    Ok(())
}

/// A text message: not blank (Meta refuses empty bodies) and within the channel's limit.
pub fn check_text(kind: ChannelKind, text: &str) -> Result<(), TextRefusal> {
    if text.trim().is_empty() {
        return Err(TextRefusal::Empty);
    }
    check_length(text, text_limit(kind))
}

/// A media caption, which may be empty.
pub fn check_caption(kind: ChannelKind, caption: &str) -> Result<(), TextRefusal> {
    match caption_limit(kind) {
        Some(limit) => check_length(caption, limit),
        None if caption.trim().is_empty() => Ok(()),
        None => check_length(caption, text_limit(kind)),
    }
}

#[cfg(test)]
mod tests;
