//! Media: what a file is, where its bytes live, and how a browser recording becomes a voice note.
//!
//! - [`sniff`] names a file's type from its content (never its name), so that the channels' rules
//!   (`domain::media_rules::check_attachment`) judge what the file really is;
//! - [`store`] keeps the bytes behind a [`store::MediaStore`] (a local directory by default,
//!   or S3-compatible object storage), whole or not at all, with size limits enforced while streaming;
//! - [`voice`] turns browsers' WebM/Opus recordings into the Ogg/Opus WhatsApp plays as voice
//!   messages, by remuxing (no decoding, no ffmpeg).
//!
//! Sending a recorded voice note, as the server does it:
//! ```no_run
//! use inbox_media::voice::{detect_recording, validate_ogg_opus, webm_opus_to_ogg, RecordingFormat, VOICE_NOTE_MIME};
//! # fn send(bytes: Vec<u8>, mime: &str, voice: bool) {}
//! # fn f(upload: Vec<u8>) -> Result<(), Box<dyn std::error::Error>> {
//! match detect_recording(&upload) {
//!     RecordingFormat::WebmOpus => send(webm_opus_to_ogg(&upload)?, VOICE_NOTE_MIME, true),
//!     RecordingFormat::OggOpus => {
//!         validate_ogg_opus(&upload)?;
//!         send(upload, VOICE_NOTE_MIME, true)
//!     }
//!     // AAC cannot become Opus without re-encoding: an ordinary audio message.
//!     RecordingFormat::Mp4Aac => send(upload, "audio/mp4", false),
//!     // Instagram's voice notes (it plays no Opus); WhatsApp refuses WAV.
//!     RecordingFormat::Wav => send(upload, "audio/wav", false),
//!     RecordingFormat::Mp4Opus | RecordingFormat::Other => { /* 415 unsupported_media_type */ }
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod mp4;
mod opus;
pub mod sniff;
pub mod store;
pub mod voice;
mod webm;

pub use opus::PacketError;
pub use webm::WebmError;
