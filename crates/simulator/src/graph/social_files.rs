//! The files Messenger and Instagram take as attachments (multipart `filedata`, on a send or on the
//! Attachment Upload API), docs/meta.md §9/§10 and Meta's attachment-upload pages:
//! - Messenger: any file up to 25 MB; an `audio` must be declared `audio/*`, an `image` `image/*`, a
//!   `video` `video/*`; a `file` may be anything.
//! - Instagram: image png/jpeg/gif up to 8 MB; video mp4/ogg/avi/mov/webm, audio aac/m4a/wav/mp4 (so no
//!   Ogg or WebM audio — what browsers record as Opus), file pdf, each up to 25 MB.
//!
//! A refused file is Meta's "Upload attachment failure" (100/2018047). "MB" is read as 1,000,000 bytes, the
//! stricter reading. Linked files (`payload.url`) are not fetched, so they cannot be checked.

use crate::graph_error::{GraphError, GraphResult};
use crate::multipart::Part;
use crate::payloads::SocialPlatform;

const MB: usize = 1_000_000;
const MAX_FILE: usize = 25 * MB;
const INSTAGRAM_IMAGE_MAX: usize = 8 * MB;

const INSTAGRAM_IMAGES: &[&str] = &["image/png", "image/jpeg", "image/gif"];
const INSTAGRAM_VIDEOS: &[&str] =
    &["video/mp4", "video/ogg", "video/x-msvideo", "video/avi", "video/quicktime", "video/webm"];
const INSTAGRAM_AUDIO: &[&str] =
    &["audio/aac", "audio/mp4", "audio/x-m4a", "audio/m4a", "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"];
const INSTAGRAM_FILES: &[&str] = &["application/pdf"];

fn failure(why: &str) -> GraphError {
    GraphError::messenger(100, &format!("Upload attachment failure: {why}")).with_subcode(2018047)
}

/// The part's declared type without parameters, or one read from the magic bytes when none was declared.
fn mime_of(file: &Part) -> String {
    let declared = file.content_type.as_deref().unwrap_or_default();
    let essence = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if !essence.is_empty() && essence != "application/octet-stream" {
        return essence;
    }
    let d = &file.data;
    let sniffed = if d.starts_with(b"%PDF") {
        "application/pdf"
    } else if d.starts_with(b"\x89PNG") {
        "image/png"
    } else if d.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if d.starts_with(b"GIF8") {
        "image/gif"
    } else if d.starts_with(b"OggS") {
        "audio/ogg"
    } else if d.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        "video/webm"
    } else if d.starts_with(b"RIFF") && d.get(8..12) == Some(b"WAVE") {
        "audio/wav"
    } else if d.get(4..8) == Some(b"ftyp") {
        "video/mp4"
    } else {
        "application/octet-stream"
    };
    sniffed.to_string()
}

/// Checks an attachment file of message type `kind` (`image`, `video`, `audio`, `file`) for the platform.
pub(super) fn check(platform: SocialPlatform, kind: &str, file: Option<&Part>) -> GraphResult<()> {
    let Some(file) = file else { return Ok(()) };
    let mime = mime_of(file);
    let size = file.data.len();
    let (allowed, max): (Option<&[&str]>, usize) = match (platform, kind) {
        (SocialPlatform::Instagram, "image") => (Some(INSTAGRAM_IMAGES), INSTAGRAM_IMAGE_MAX),
        (SocialPlatform::Instagram, "video") => (Some(INSTAGRAM_VIDEOS), MAX_FILE),
        (SocialPlatform::Instagram, "audio") => (Some(INSTAGRAM_AUDIO), MAX_FILE),
        (SocialPlatform::Instagram, _) => (Some(INSTAGRAM_FILES), MAX_FILE),
        (SocialPlatform::Messenger, _) => (None, MAX_FILE),
    };
    let fits = match (allowed, kind) {
        (Some(list), _) => list.contains(&mime.as_str()),
        (None, "image" | "video" | "audio") => mime.starts_with(&format!("{kind}/")),
        (None, _) => true,
    };
    if !fits {
        return Err(failure(&format!("a file of type {mime} cannot be sent as {kind}")));
    }
    if size > max {
        return Err(failure(&format!("{kind} files are limited to {} MB, this one has {size} bytes", max / MB)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn part(mime: Option<&str>, data: &[u8]) -> Part {
        Part {
            name: "filedata".into(),
            file_name: Some("f".into()),
            content_type: mime.map(str::to_string),
            data: Bytes::copy_from_slice(data),
        }
    }

    #[test]
    fn undeclared_types_are_read_from_the_bytes() {
        assert_eq!(mime_of(&part(None, b"%PDF-1.4")), "application/pdf");
        assert_eq!(mime_of(&part(Some("application/octet-stream"), b"OggS\0")), "audio/ogg");
        assert_eq!(mime_of(&part(Some("audio/wav; x=1"), b"")), "audio/wav");
    }

    #[test]
    fn messenger_audio_must_be_declared_audio_and_files_may_be_anything() {
        let m = SocialPlatform::Messenger;
        assert!(check(m, "audio", Some(&part(Some("audio/ogg"), b"OggS"))).is_ok());
        assert!(check(m, "audio", Some(&part(Some("application/pdf"), b"%PDF"))).is_err());
        assert!(check(m, "file", Some(&part(Some("application/zip"), b"PK"))).is_ok());
        assert!(check(m, "file", None).is_ok(), "links are not fetched");
    }
}
