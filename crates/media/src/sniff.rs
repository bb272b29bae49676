//! Content sniffing: what a file *is*, decided from its bytes, never from its name.
//!
//! Channels accept or refuse a file by MIME type (`domain::media_rules`), so that type must be
//! true: a renamed executable must not travel as `invoice.pdf`, a WebM must not be offered to
//! WhatsApp as Ogg. Magic numbers come from `infer`; this module adds what `infer` cannot decide
//! from bytes alone or decides too coarsely for the channels' rules:
//! - plain text (valid UTF-8, no NUL or other control bytes) → `text/plain`;
//! - Office files, whose containers are shared (rules in [`office`]);
//! - Ogg by its first packet: Opus → `audio/ogg; codecs=opus` (the only Ogg WhatsApp takes), other
//!   codecs named explicitly so that they are refused;
//! - WebM/Matroska and MP4/3GPP by their tracks: audio-only files are `audio/*`, not `video/*`;
//! - WebP: whether it is animated (WhatsApp's sticker limit depends on it).
//!
//! The declared MIME type and file name are consulted only to choose among the Office formats
//! that share one container; they never make a file something its bytes are not.

mod office;

use crate::{mp4, webm};
use domain::media_rules::MediaKind;

/// How much of a file [`sniff`] should be given (all of it, if shorter): enough for an MP4's or a
/// WebM's track list and for the first entries of an Office zip.
pub const SNIFF_PREFIX_LEN: usize = 64 * 1024;

/// What a file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    /// The MIME type to validate against the channel (`domain::media_rules`) and to upload with.
    pub mime: String,
    /// `None` for files that are no kind of media (archives, unrecognised binary data): channels
    /// that take any file (Messenger) send them as files, the others refuse them by MIME type.
    pub kind: Option<MediaKind>,
    /// An animated WebP: WhatsApp's sticker limit is then 500 KB instead of 100 KB (docs/meta.md §5).
    pub animated: bool,
}

impl Sniffed {
    fn new(mime: impl Into<String>, kind: Option<MediaKind>) -> Self {
        Sniffed { mime: mime.into(), kind, animated: false }
    }
}

/// Content no channel may carry: answered with `415 unsupported_media_type`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SniffError {
    #[error("the file is empty")]
    Empty,
    #[error("executable files cannot be sent ({0})")]
    Executable(&'static str),
}

impl SniffError {
    pub fn code(&self) -> &'static str {
        "unsupported_media_type"
    }
}

/// Decides what `prefix` (the first [`SNIFF_PREFIX_LEN`] bytes of a file, or all of it) is.
pub fn sniff(prefix: &[u8], declared_mime: Option<&str>, filename: Option<&str>) -> Result<Sniffed, SniffError> {
    if prefix.is_empty() {
        return Err(SniffError::Empty);
    }
    let hint = office::Hint::new(declared_mime, filename);
    let mut found = infer::get(prefix);
    if let Some(what) = found.and_then(|t| executable(t.mime_type())) {
        // "MZ" is two letters: a text that starts with them is not a Windows program.
        if what != "Windows PE" || !is_text(prefix) {
            return Err(SniffError::Executable(what));
        }
        found = None;
    }
    if let Some(sniffed) = container(prefix, &hint)? {
        return Ok(sniffed);
    }
    if let Some(t) = found {
        return Ok(from_infer(t));
    }
    if is_text(prefix) {
        return Ok(Sniffed::new("text/plain", Some(MediaKind::Document)));
    }
    Ok(Sniffed::new("application/octet-stream", None))
}

/// `infer`'s application types that are programs, named for the error message.
fn executable(mime: &str) -> Option<&'static str> {
    Some(match mime {
        "application/x-executable" => "ELF",
        "application/vnd.microsoft.portable-executable" => "Windows PE",
        "application/x-mach-binary" => "Mach-O",
        "application/wasm" => "WebAssembly",
        "application/java" => "Java class",
        "application/vnd.android.dex" | "application/vnd.android.dey" => "Android DEX",
        "application/x-llvm" => "LLVM bitcode",
        _ => return None,
    })
}

/// Formats whose container `infer` recognises but whose content decides the type.
fn container(prefix: &[u8], hint: &office::Hint) -> Result<Option<Sniffed>, SniffError> {
    let sniffed = match prefix {
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => {
            let mut webp = Sniffed::new("image/webp", Some(MediaKind::Image));
            webp.animated = webp_is_animated(prefix);
            webp
        }
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => {
            Sniffed::new("audio/wav", Some(MediaKind::Audio))
        }
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => match iso_media(prefix) {
            Some(sniffed) => sniffed,
            None => return Ok(None),
        },
        [0x1A, 0x45, 0xDF, 0xA3, ..] => match matroska(prefix) {
            Some(sniffed) => sniffed,
            None => return Ok(None),
        },
        [b'O', b'g', b'g', b'S', ..] => ogg(prefix),
        [b'#', b'!', b'A', b'M', b'R', b'-', b'W', b'B', b'\n', ..] => {
            Sniffed::new("audio/amr-wb", Some(MediaKind::Audio))
        }
        [b'#', b'!', b'A', b'M', b'R', b'\n', ..] => Sniffed::new("audio/amr", Some(MediaKind::Audio)),
        [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, ..] => office::compound_file(hint),
        [b'P', b'K', 0x03, 0x04, ..] => match office::zip(prefix, hint)? {
            Some(sniffed) => sniffed,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    Ok(Some(sniffed))
}

/// `infer`'s answer, with its MIME names aligned on those the channels' rules use.
fn from_infer(t: infer::Type) -> Sniffed {
    use infer::MatcherType as M;
    let mime = match t.mime_type() {
        "audio/x-flac" => "audio/flac",
        "audio/x-wav" => "audio/wav",
        "audio/m4a" => "audio/mp4",
        other => other,
    };
    let kind = match t.matcher_type() {
        M::Image => Some(MediaKind::Image),
        M::Video => Some(MediaKind::Video),
        M::Audio => Some(MediaKind::Audio),
        M::Doc | M::Book | M::Text => Some(MediaKind::Document),
        M::Archive if matches!(mime, "application/pdf" | "application/rtf" | "application/postscript") => {
            Some(MediaKind::Document)
        }
        _ => None,
    };
    Sniffed::new(mime, kind)
}

/// MP4, M4A, 3GPP and QuickTime. Audio or video by the tracks in `moov`; by the brand when
/// `moov` is not in the prefix (`M4A `-like brands are audio, the rest video). Image brands
/// (HEIF, AVIF) are left to `infer`.
fn iso_media(prefix: &[u8]) -> Option<Sniffed> {
    let mp4 = mp4::probe(prefix)?;
    const IMAGE_BRANDS: [&[u8; 4]; 9] =
        [b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"hevc", b"mif1", b"msf1"];
    if IMAGE_BRANDS.contains(&&mp4.major_brand) {
        return None;
    }
    let brand = &mp4.major_brand;
    let (audio, video) = if brand.starts_with(b"3g2") {
        ("audio/3gpp2", "video/3gpp2")
    } else if brand.starts_with(b"3g") {
        ("audio/3gpp", "video/3gpp")
    } else if brand == b"qt  " {
        ("video/quicktime", "video/quicktime")
    } else {
        ("audio/mp4", "video/mp4")
    };
    let audio_only = if mp4.moov_seen && !mp4.tracks.is_empty() {
        mp4.has_audio() && !mp4.has_video()
    } else {
        [b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "].contains(&brand)
    };
    Some(if audio_only {
        Sniffed::new(audio, Some(MediaKind::Audio))
    } else {
        Sniffed::new(video, Some(MediaKind::Video))
    })
}

/// WebM and Matroska: `audio/webm` when the tracks are known and none is video.
fn matroska(prefix: &[u8]) -> Option<Sniffed> {
    let file = webm::probe(prefix).ok()?;
    let (audio, video) = match file.doc_type.as_str() {
        "webm" => ("audio/webm", "video/webm"),
        "matroska" => ("audio/x-matroska", "video/x-matroska"),
        _ => return None,
    };
    Some(if file.audio_track().is_some() && !file.has_video() {
        Sniffed::new(audio, Some(MediaKind::Audio))
    } else {
        Sniffed::new(video, Some(MediaKind::Video))
    })
}

/// Ogg by the codec of its first packet (RFC 7845 §3, Vorbis I §4.2, Theora §6.2, Ogg FLAC).
fn ogg(prefix: &[u8]) -> Sniffed {
    let start = 27 + usize::from(prefix.get(26).copied().unwrap_or(0));
    let first = prefix.get(start..).unwrap_or_default();
    let audio = |codec: &str| Sniffed::new(format!("audio/ogg; codecs={codec}"), Some(MediaKind::Audio));
    if first.starts_with(b"OpusHead") {
        audio("opus")
    } else if first.starts_with(b"\x01vorbis") {
        audio("vorbis")
    } else if first.starts_with(b"\x7fFLAC") {
        audio("flac")
    } else if first.starts_with(b"Speex   ") {
        audio("speex")
    } else if first.starts_with(b"\x80theora") {
        Sniffed::new("video/ogg", Some(MediaKind::Video))
    } else {
        Sniffed::new("application/ogg", None)
    }
}

/// A WebP is animated when its VP8X header sets the animation flag or it has an `ANIM` chunk.
fn webp_is_animated(prefix: &[u8]) -> bool {
    let mut pos = 12usize;
    while let Some(header) = prefix.get(pos..pos + 8) {
        let fourcc = &header[..4];
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if fourcc == b"ANIM" || fourcc == b"ANMF" {
            return true;
        }
        if fourcc == b"VP8X" && prefix.get(pos + 8).is_some_and(|flags| flags & 0x02 != 0) {
            return true;
        }
        // Chunks are padded to an even size.
        let padded = usize::try_from(size).unwrap_or(usize::MAX).saturating_add(1) & !1;
        pos = pos.saturating_add(8).saturating_add(padded);
    }
    false
}

/// A WebP's canvas size and whether it is animated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebpInfo {
    pub width: u32,
    pub height: u32,
    pub animated: bool,
}

/// The size of a WebP from its first bytes: the `VP8X` canvas (extended files, animated ones
/// included), or the `VP8L`/`VP8 ` bitstream header of a simple file. `None` when `prefix` is no
/// WebP or is cut before its size. WhatsApp stickers must be 512×512 (`domain::media_rules`).
pub fn webp_info(prefix: &[u8]) -> Option<WebpInfo> {
    if !(prefix.starts_with(b"RIFF") && prefix.get(8..12) == Some(b"WEBP")) {
        return None;
    }
    let u24 = |b: &[u8]| u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
    let header = prefix.get(12..20)?;
    let data = &prefix[20..];
    match &header[..4] {
        b"VP8X" => {
            let d = data.get(..10)?;
            Some(WebpInfo { width: u24(&d[4..7]) + 1, height: u24(&d[7..10]) + 1, animated: webp_is_animated(prefix) })
        }
        b"VP8L" => {
            // Signature 0x2f, then 14 bits of width - 1 and 14 bits of height - 1.
            let d = data.get(..5)?;
            let bits = u32::from_le_bytes([d[1], d[2], d[3], d[4]]);
            Some(WebpInfo { width: (bits & 0x3FFF) + 1, height: ((bits >> 14) & 0x3FFF) + 1, animated: false })
        }
        b"VP8 " => {
            // A 3-byte frame tag, the start code 9d 01 2a, then 14-bit width and height.
            let d = data.get(3..10)?;
            if d[..3] != [0x9d, 0x01, 0x2a] {
                return None;
            }
            let width = u32::from(u16::from_le_bytes([d[3], d[4]]) & 0x3FFF);
            let height = u32::from(u16::from_le_bytes([d[5], d[6]]) & 0x3FFF);
            Some(WebpInfo { width, height, animated: false })
        }
        _ => None,
    }
}

/// Valid UTF-8 (a sequence cut by the end of the prefix is fine) without NUL or other control
/// bytes than tab, line feed, form feed, carriage return and escape.
fn is_text(prefix: &[u8]) -> bool {
    let body = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let valid = match std::str::from_utf8(body) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    valid && body.iter().all(|b| *b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b'\x1b'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_utf8_without_control_bytes() {
        assert!(is_text("Hola, ¿cómo estás?\r\n\tadiós".as_bytes()));
        assert!(is_text(b"\xEF\xBB\xBFwith a BOM"));
        // "é" cut in half by the end of the prefix.
        assert!(is_text(&"café".as_bytes()[..4]));
        assert!(!is_text(b"nul\0inside"));
        assert!(!is_text(b"\xFF\xFEu\0t\0f\0"));
        assert!(!is_text(b"bell\x07"));
    }

    #[test]
    fn webp_chunks_are_walked_without_overrun() {
        assert!(!webp_is_animated(b"RIFF\0\0\0\0WEBPVP8X\xff\xff\xff\xff"));
        assert!(webp_is_animated(b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\x02"));
        assert!(webp_is_animated(b"RIFF\0\0\0\0WEBPJUNK\x01\0\0\0\0\0ANIM\x06\0\0\0"));
    }
}
