//! Voice notes from real browser recordings (fixtures made by `scripts/make-audio-fixtures.mjs`
//! with headless Chromium's MediaRecorder, and by `scripts/make-sniff-fixtures.sh`).

use inbox_media::voice::*;
use ogg::PacketReader;
use std::io::Cursor;
use webm_iterable::matroska_spec::{Master, MatroskaSpec, SimpleBlock};
use webm_iterable::WebmIterator;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What an independent demuxer (`webm-iterable`) reads from a WebM: the track's CodecPrivate, each
/// Opus packet, and each block's absolute timestamp in ms.
pub struct WebmOracle {
    pub codec_private: Vec<u8>,
    pub packets: Vec<Vec<u8>>,
    pub timestamps_ms: Vec<i64>,
}

pub fn oracle(webm: &[u8]) -> WebmOracle {
    let mut out = WebmOracle { codec_private: Vec::new(), packets: Vec::new(), timestamps_ms: Vec::new() };
    let mut cluster = 0i64;
    let tags = WebmIterator::new(Cursor::new(webm), &[MatroskaSpec::TrackEntry(Master::Start)]);
    for tag in tags {
        let tag = tag.expect("webm-iterable reads the fixture");
        match &tag {
            MatroskaSpec::TrackEntry(Master::Full(children)) => {
                for child in children {
                    if let MatroskaSpec::CodecPrivate(bytes) = child {
                        out.codec_private = bytes.clone();
                    }
                }
            }
            MatroskaSpec::Timestamp(t) => cluster = i64::try_from(*t).expect("small"),
            MatroskaSpec::SimpleBlock(_) => {
                let block: SimpleBlock = (&tag).try_into().expect("a block");
                out.timestamps_ms.push(cluster + i64::from(block.timestamp));
                for frame in block.read_frame_data().expect("frames") {
                    out.packets.push(frame.data.to_vec());
                }
            }
            _ => {}
        }
    }
    out
}

/// Each Ogg packet with its page's granule position, end-of-page and end-of-stream flags.
pub struct OggPacket {
    pub data: Vec<u8>,
    pub granule: u64,
    pub last_in_page: bool,
    pub last_in_stream: bool,
}

pub fn ogg_packets(ogg: &[u8]) -> Vec<OggPacket> {
    let mut reader = PacketReader::new(Cursor::new(ogg));
    let mut out = Vec::new();
    while let Some(p) = reader.read_packet().expect("valid Ogg") {
        out.push(OggPacket {
            granule: p.absgp_page(),
            last_in_page: p.last_in_page(),
            last_in_stream: p.last_in_stream(),
            data: p.data,
        });
    }
    out
}

/// 48 kHz samples of one Opus packet, from its TOC byte (RFC 6716 §3.1), computed independently.
pub fn toc_samples(packet: &[u8]) -> u64 {
    let config = packet[0] >> 3;
    let frame = match config {
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)],
        12..=15 => [480, 960][usize::from(config % 2)],
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    };
    let count = match packet[0] & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u64::from(packet[1] & 0x3F),
    };
    frame * count
}

fn remux_and_check(name: &str, channels: u8) {
    let webm = fixture(name);
    let expected = oracle(&webm);
    let ogg = webm_opus_to_ogg(&webm).expect("remux");

    let info = validate_ogg_opus(&ogg).expect("a valid Ogg Opus file");
    assert_eq!(info.channels, channels);
    assert_eq!(info.sample_rate, 48_000);
    assert_eq!(info.packets, expected.packets.len());

    // The same Opus packets, byte for byte, after the OpusHead (Chrome's CodecPrivate) and tags.
    let packets = ogg_packets(&ogg);
    assert_eq!(packets[0].data, expected.codec_private);
    assert!(packets[1].data.starts_with(b"OpusTags"));
    let audio: Vec<&[u8]> = packets[2..].iter().map(|p| p.data.as_slice()).collect();
    let webm_packets: Vec<&[u8]> = expected.packets.iter().map(Vec::as_slice).collect();
    assert_eq!(audio, webm_packets);

    // The WebM's own length, from its timestamps: last block start + one packet (MediaRecorder
    // writes no Duration). The Ogg's, from granules, must agree within a few ms: Chrome's capture
    // clock jitters by a few ms, a lost or doubled packet would be 60 ms.
    let last = *expected.timestamps_ms.last().expect("blocks");
    let packet_ms = i64::try_from(toc_samples(&expected.packets[0]) / 48).expect("small");
    let webm_ms = last + packet_ms;
    let ogg_ms = i64::try_from(info.duration_ms).expect("small");
    assert!((ogg_ms - webm_ms).abs() <= 10, "ogg {ogg_ms} ms, webm {webm_ms} ms");
}

#[test]
fn chrome_mono_recording_becomes_a_valid_voice_note() {
    remux_and_check("chrome-opus-mono.webm", 1);
}

#[test]
fn chrome_stereo_recording_becomes_a_valid_voice_note() {
    remux_and_check("chrome-opus-stereo.webm", 2);
}

#[test]
fn pages_carry_headers_alone_granules_from_toc_and_end_of_stream() {
    let ogg = webm_opus_to_ogg(&fixture("chrome-opus-mono.webm")).expect("remux");
    let packets = ogg_packets(&ogg);
    // Headers alone on their pages, with granule 0.
    assert!(packets[0].last_in_page && packets[0].granule == 0);
    assert!(packets[1].last_in_page && packets[1].granule == 0);
    // Every page's granule is the sum of TOC durations of the packets finished so far.
    let mut total = 0;
    let mut pages = 0;
    for p in &packets[2..] {
        total += toc_samples(&p.data);
        if p.last_in_page {
            pages += 1;
            assert_eq!(p.granule, total);
            assert!(pages == 1 || p.granule > 0);
        }
    }
    assert!(pages >= 2, "about a second per page: {pages} pages");
    let last = packets.last().expect("packets");
    assert!(last.last_in_stream && last.last_in_page);
    assert!(packets[..packets.len() - 1].iter().all(|p| !p.last_in_stream));
}

#[test]
fn remuxing_is_deterministic() {
    let webm = fixture("chrome-opus-stereo.webm");
    assert_eq!(webm_opus_to_ogg(&webm), webm_opus_to_ogg(&webm));
}

#[test]
fn a_damaged_page_fails_its_crc() {
    let mut ogg = webm_opus_to_ogg(&fixture("chrome-opus-mono.webm")).expect("remux");
    let middle = ogg.len() / 2;
    ogg[middle] ^= 0x55;
    assert!(matches!(validate_ogg_opus(&ogg), Err(OggOpusError::Ogg(_))));
}

#[test]
fn a_recording_cut_short_keeps_its_complete_packets() {
    let webm = fixture("chrome-opus-mono.webm");
    let cut = &webm[..webm.len() - 500];
    let info = validate_ogg_opus(&webm_opus_to_ogg(cut).expect("remux")).expect("valid");
    let full = validate_ogg_opus(&webm_opus_to_ogg(&webm).expect("remux")).expect("valid");
    assert!(info.packets < full.packets && info.packets > full.packets - 5);
}

#[test]
fn without_codec_private_a_head_is_built_from_channels_and_rate() {
    let mut webm = fixture("chrome-opus-stereo.webm");
    // Rename the CodecPrivate element (ID 63 A2) to an ID no reader knows, so it is skipped.
    let at = webm.windows(3).position(|w| w == [0x63, 0xA2, 0x93]).expect("CodecPrivate of 19 bytes");
    webm[at] = 0x7E;
    let ogg = webm_opus_to_ogg(&webm).expect("remux");
    let info = validate_ogg_opus(&ogg).expect("valid");
    assert_eq!((info.channels, info.sample_rate, info.pre_skip), (2, 48_000, 0));
    assert_eq!(ogg_packets(&ogg)[0].data.len(), 19);
}

#[test]
fn an_ogg_opus_file_from_another_encoder_validates() {
    // ffmpeg's libopus with its own pre-skip: the validator is not fitted to our writer only.
    let info = validate_ogg_opus(&fixture("sniff/tone-opus.ogg")).expect("valid");
    assert_eq!(info.channels, 1);
    assert_eq!(info.pre_skip, 312);
    assert!((info.duration_ms as i64 - 500).abs() <= 2, "{}", info.duration_ms);
}

#[test]
fn other_files_are_not_ogg_opus() {
    assert_eq!(validate_ogg_opus(&fixture("sniff/tone-vorbis.ogg")), Err(OggOpusError::NotOpus));
    assert!(!ogg_is_opus(&fixture("sniff/tone-vorbis.ogg")));
    assert!(!ogg_is_opus(&fixture("chrome-opus-mono.webm")));
    assert!(!ogg_is_opus(b"OggS"));
    assert_eq!(validate_ogg_opus(b""), Err(OggOpusError::NotOpus));
}

#[test]
fn what_cannot_be_remuxed_says_why() {
    assert!(matches!(webm_opus_to_ogg(&fixture("sniff/clip.webm")), Err(RemuxError::NoAudioTrack)));
    assert!(matches!(webm_opus_to_ogg(&fixture("safari-like-aac.mp4")), Err(RemuxError::Container(_))));
    assert!(matches!(webm_opus_to_ogg(b""), Err(RemuxError::Container(_))));
}

#[test]
fn recordings_are_told_apart() {
    let remuxed = webm_opus_to_ogg(&fixture("chrome-opus-mono.webm")).expect("remux");
    let cases = [
        (fixture("chrome-opus-mono.webm"), RecordingFormat::WebmOpus),
        (remuxed, RecordingFormat::OggOpus),
        (fixture("sniff/tone-opus.ogg"), RecordingFormat::OggOpus),
        (fixture("safari-like-aac.mp4"), RecordingFormat::Mp4Aac),
        (fixture("sniff/tone.m4a"), RecordingFormat::Mp4Aac),
        (fixture("chrome-opus.mp4"), RecordingFormat::Mp4Opus),
        (fixture("sniff/tone.wav"), RecordingFormat::Wav),
        (fixture("sniff/static.webp"), RecordingFormat::Other),
        (fixture("sniff/clip.webm"), RecordingFormat::Other),
        (fixture("sniff/clip.mp4"), RecordingFormat::Other),
        (fixture("sniff/tone-vorbis.ogg"), RecordingFormat::Other),
        (fixture("sniff/invoice.pdf"), RecordingFormat::Other),
    ];
    for (bytes, expected) in cases {
        assert_eq!(detect_recording(&bytes), expected);
        // The headers are enough: a 4 KB prefix gives the same answer.
        assert_eq!(detect_recording(&bytes[..bytes.len().min(4096)]), expected);
    }
}

#[test]
fn a_voice_note_is_uploaded_as_ogg_opus() {
    assert_eq!(VOICE_NOTE_MIME, "audio/ogg; codecs=opus");
}
