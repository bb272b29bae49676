//! Voice notes: browser recordings made playable as WhatsApp voice messages.
//!
//! WhatsApp shows a voice message (play button, `played` status) only for Ogg files with Opus
//! audio uploaded as `audio/ogg; codecs=opus`; `audio/webm` and `audio/opus` are refused with
//! 131053 (docs/meta.md §4, §5). Chrome, Edge and Firefox record WebM/Opus, so the Opus packets are
//! moved, byte for byte, into an Ogg container (RFC 7845) — no decoding, no ffmpeg.
//!
//! Safari records MP4/AAC. AAC cannot become Ogg/Opus without re-encoding, which we do not do: such
//! a recording goes out as an ordinary `audio/mp4` audio message (WhatsApp accepts it, without the
//! voice-note look). Instagram plays neither Ogg nor WebM (only AAC, M4A, WAV and MP4 audio), so the UI
//! records WAV for Instagram conversations: it goes out as it is, as `audio/wav`. Chromium asked for `audio/mp4` may write Opus in MP4 (Debian's build does),
//! which is neither: the UI should ask for `audio/webm;codecs=opus` first (see [`RecordingFormat`]).
//!
//! Pre-skip: Chrome's OpusHead says 0 (its encoder's few ms of priming are kept as audio), and we
//! keep what the recording says rather than guess the encoder's delay; a WebM that states its delay
//! in CodecDelay gets it as pre-skip.

use crate::mp4;
use crate::opus::{self, OpusHead, PacketError, GRANULE_RATE};
use crate::webm::{self, WebmError};
use ogg::writing::PacketWriteEndInfo;
use ogg::{PacketReader, PacketWriter};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// The MIME type to upload a voice note with (docs/meta.md §4).
pub const VOICE_NOTE_MIME: &str = "audio/ogg; codecs=opus";

/// Pages are closed after about this much audio, as `opusenc` does: players seek by page.
const PAGE_SAMPLES: u64 = GRANULE_RATE;

/// Written into the OpusTags header: who muxed the file (the encoder was the browser's).
const VENDOR: &str = "escala-inbox remux";

/// What a browser recording is, and so what the server can do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingFormat {
    /// Chrome, Edge, Firefox (`audio/webm;codecs=opus`): remux with [`webm_opus_to_ogg`].
    WebmOpus,
    /// Already a voice note (Firefox can record `audio/ogg`): send as is.
    OggOpus,
    /// Safari: send as a normal `audio/mp4` audio message, not a voice note.
    Mp4Aac,
    /// Chrome's `audio/mp4` (Opus in MP4): neither a voice note nor AAC; record WebM instead.
    Mp4Opus,
    /// WAV (RIFF/WAVE; the UI records PCM 16-bit for Instagram, which plays no Opus): an ordinary
    /// `audio/wav` audio message where the channel takes WAV (Instagram, Messenger; not WhatsApp).
    Wav,
    /// Anything else, including video.
    Other,
}

/// Tells what kind of recording `bytes` holds (a prefix with the headers is enough).
pub fn detect_recording(bytes: &[u8]) -> RecordingFormat {
    if ogg_is_opus(bytes) {
        return RecordingFormat::OggOpus;
    }
    if bytes.get(..4) == Some(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        return RecordingFormat::Wav;
    }
    if let Ok(webm) = webm::probe(bytes) {
        let opus = webm.audio_track().is_some_and(|t| t.codec_id == "A_OPUS");
        return if opus && !webm.has_video() { RecordingFormat::WebmOpus } else { RecordingFormat::Other };
    }
    match mp4::probe(bytes) {
        Some(mp4) if !mp4.has_video() => match mp4.audio_codec().as_ref() {
            Some(b"mp4a") => RecordingFormat::Mp4Aac,
            Some(b"Opus") => RecordingFormat::Mp4Opus,
            _ => RecordingFormat::Other,
        },
        _ => RecordingFormat::Other,
    }
}

/// Whether `bytes` starts an Ogg stream whose first packet is an `OpusHead` (RFC 7845 §3).
pub fn ogg_is_opus(bytes: &[u8]) -> bool {
    // Page header: "OggS", version 0, flags with beginning-of-stream, …, segment count at 26.
    let Some(header) = bytes.get(..27) else {
        return false;
    };
    if &header[..4] != b"OggS" || header[4] != 0 || header[5] & 0x02 == 0 {
        return false;
    }
    let data_start = 27 + usize::from(header[26]);
    bytes.get(data_start..data_start + 8).is_some_and(|magic| magic == b"OpusHead")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemuxError {
    #[error("the recording is not a readable WebM file: {0}")]
    Container(#[from] WebmError),
    #[error("the recording has no audio track")]
    NoAudioTrack,
    #[error("the recording's audio is {0}, not Opus")]
    NotOpus(String),
    #[error("the recording's audio track is compressed or encrypted by the container")]
    EncodedTrack,
    #[error("the recording's Opus header is invalid")]
    BadOpusHead,
    #[error("the recording's Opus track has {0} channels and no channel mapping")]
    UnsupportedChannels(u64),
    #[error("the recording contains no audio")]
    NoAudio,
    #[error("Opus packet {index} is invalid: {source}")]
    BadPacket { index: usize, source: PacketError },
    #[error("writing the Ogg file failed: {0}")]
    Write(String),
}

/// Moves the Opus packets of a WebM recording into an Ogg Opus file, without re-encoding.
///
/// Page 1 holds the `OpusHead` (the track's CodecPrivate, or one built from channels and rate),
/// page 2 the `OpusTags`, then audio pages of about a second. Each granule position counts the
/// 48 kHz samples decoded so far, measured from each packet's TOC byte; the last page carries the
/// end-of-stream flag and, when the WebM trims its end (DiscardPadding), the shorter granule.
pub fn webm_opus_to_ogg(webm: &[u8]) -> Result<Vec<u8>, RemuxError> {
    let parsed = webm::read(webm)?;
    if parsed.truncated {
        tracing::warn!("remuxing a WebM recording cut short; keeping the complete blocks");
    }
    let track = parsed.audio_track().ok_or(RemuxError::NoAudioTrack)?;
    if track.codec_id != "A_OPUS" {
        return Err(RemuxError::NotOpus(track.codec_id.clone()));
    }
    if track.encoded {
        return Err(RemuxError::EncodedTrack);
    }
    let mut head = opus_head(track)?;
    // Chrome leaves CodecDelay out and pre-skip 0; a muxer that sets CodecDelay states the
    // encoder's delay there (Matroska's Opus mapping), so it fills a missing pre-skip.
    if let (0, Some(delay_ns)) = (head.pre_skip, track.codec_delay_ns) {
        let samples = delay_ns.saturating_mul(GRANULE_RATE) / 1_000_000_000;
        head.set_pre_skip(u16::try_from(samples).unwrap_or(u16::MAX));
    }

    let blocks: Vec<_> = parsed.blocks.iter().filter(|b| b.track == track.number).collect();
    let packets: Vec<&[u8]> = blocks.iter().flat_map(|b| b.frames.iter().copied()).collect();
    let samples = packets
        .iter()
        .enumerate()
        .map(|(index, p)| {
            opus::packet_samples(p).map(u64::from).map_err(|source| RemuxError::BadPacket { index, source })
        })
        .collect::<Result<Vec<u64>, _>>()?;
    let (Some(last_samples), Some(last_block)) = (samples.last(), blocks.last()) else {
        return Err(RemuxError::NoAudio);
    };
    // End trimming may only shorten the last packet (RFC 7845 §4.5).
    let end_trim = last_block
        .discard_padding_ns
        .and_then(|ns| u64::try_from(ns).ok())
        .map_or(0, |ns| ns.saturating_mul(GRANULE_RATE) / 1_000_000_000)
        .min(*last_samples);

    let serial = stream_serial(webm);
    let write_err = |e: std::io::Error| RemuxError::Write(e.to_string());
    let mut out = PacketWriter::new(Vec::with_capacity(webm.len() + webm.len() / 10));
    // The two headers each sit alone on their page, with granule position 0 (RFC 7845 §3).
    out.write_packet(head.as_bytes().to_vec(), serial, PacketWriteEndInfo::EndPage, 0).map_err(write_err)?;
    out.write_packet(opus::opus_tags(VENDOR), serial, PacketWriteEndInfo::EndPage, 0).map_err(write_err)?;
    let (mut granule, mut on_page) = (0u64, 0u64);
    let count = packets.len();
    for (i, (packet, n)) in packets.into_iter().zip(samples).enumerate() {
        granule += n;
        on_page += n;
        let (end, position) = if i + 1 == count {
            (PacketWriteEndInfo::EndStream, granule - end_trim)
        } else if on_page >= PAGE_SAMPLES {
            on_page = 0;
            (PacketWriteEndInfo::EndPage, granule)
        } else {
            (PacketWriteEndInfo::NormalPacket, granule)
        };
        out.write_packet(packet, serial, end, position).map_err(write_err)?;
    }
    Ok(out.into_inner())
}

fn opus_head(track: &webm::Track<'_>) -> Result<OpusHead, RemuxError> {
    if let Some(private) = track.codec_private {
        return OpusHead::parse(private).ok_or(RemuxError::BadOpusHead);
    }
    // Without CodecPrivate only mono and stereo can be described (mapping family 0).
    let channels = track.channels.unwrap_or(1);
    let channels = match u8::try_from(channels) {
        Ok(c @ 1..=2) => c,
        _ => return Err(RemuxError::UnsupportedChannels(channels)),
    };
    let rate = track
        .sampling_frequency
        .filter(|r| r.is_finite() && *r >= 1.0 && *r <= f64::from(u32::MAX))
        .map_or(48_000, |r| r as u32);
    Ok(OpusHead::synthesize(channels, rate, 0))
}

/// A stream serial number derived from the input, so the same recording gives the same file.
fn stream_serial(input: &[u8]) -> u32 {
    let digest = Sha256::digest(input);
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// What a valid Ogg Opus file says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OggOpusInfo {
    pub channels: u8,
    /// The sample rate of the original input (informative: Opus always decodes at 48 kHz).
    pub sample_rate: u32,
    pub pre_skip: u16,
    /// Playable length: last granule position minus pre-skip, at 48 kHz, in milliseconds.
    pub duration_ms: u64,
    /// Audio packets, headers excluded.
    pub packets: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OggOpusError {
    #[error("not a valid Ogg stream: {0}")]
    Ogg(String),
    #[error("the Ogg stream does not start with an OpusHead page")]
    NotOpus,
    #[error("the Opus headers are not each alone on their own page")]
    HeaderPaging,
    #[error("the OpusTags header is missing")]
    MissingTags,
    #[error("the file holds more than one logical stream")]
    SeveralStreams,
    #[error("the file holds no audio")]
    NoAudio,
    #[error("the stream has no end-of-stream page")]
    NotEnded,
    #[error("Opus packet {index} is invalid: {source}")]
    BadPacket { index: usize, source: PacketError },
    #[error("granule position {granule} is beyond the {samples} samples the packets hold")]
    GranuleBeyondAudio { granule: u64, samples: u64 },
}

/// Reads a whole Ogg Opus file and checks what WhatsApp's players rely on: CRCs (the `ogg`
/// reader checks them), `OpusHead` then `OpusTags` each on their own page, one logical stream,
/// valid TOC bytes, an end-of-stream page and a final granule position the audio can reach.
pub fn validate_ogg_opus(bytes: &[u8]) -> Result<OggOpusInfo, OggOpusError> {
    if !ogg_is_opus(bytes) {
        return Err(OggOpusError::NotOpus);
    }
    let mut reader = PacketReader::new(Cursor::new(bytes));
    let mut next = || reader.read_packet().map_err(|e| OggOpusError::Ogg(e.to_string()));
    let first = next()?.ok_or(OggOpusError::NotOpus)?;
    let head = OpusHead::parse(&first.data).ok_or(OggOpusError::NotOpus)?;
    if !first.first_in_stream() || !first.last_in_page() {
        return Err(OggOpusError::HeaderPaging);
    }
    let serial = first.stream_serial();
    let tags = next()?.ok_or(OggOpusError::MissingTags)?;
    if !opus::is_opus_tags(&tags.data) {
        return Err(OggOpusError::MissingTags);
    }
    if !tags.last_in_page() {
        return Err(OggOpusError::HeaderPaging);
    }
    let (mut packets, mut samples, mut granule, mut ended) = (0usize, 0u64, 0u64, false);
    while let Some(packet) = next()? {
        if packet.stream_serial() != serial {
            return Err(OggOpusError::SeveralStreams);
        }
        let n =
            opus::packet_samples(&packet.data).map_err(|source| OggOpusError::BadPacket { index: packets, source })?;
        samples += u64::from(n);
        packets += 1;
        if packet.last_in_page() {
            granule = packet.absgp_page();
        }
        ended |= packet.last_in_stream();
    }
    if packets == 0 {
        return Err(OggOpusError::NoAudio);
    }
    if !ended {
        return Err(OggOpusError::NotEnded);
    }
    if granule > samples {
        return Err(OggOpusError::GranuleBeyondAudio { granule, samples });
    }
    let playable = granule.saturating_sub(u64::from(head.pre_skip));
    Ok(OggOpusInfo {
        channels: head.channels,
        sample_rate: head.input_sample_rate,
        pre_skip: head.pre_skip,
        duration_ms: (playable * 1000 + GRANULE_RATE / 2) / GRANULE_RATE,
        packets,
    })
}

// Tested black-box on real browser recordings: tests/media/voice.rs and muxer_features.rs.
