use super::*;

const MONO: &[u8] = include_bytes!("../../tests/fixtures/chrome-opus-mono.webm");
const STEREO: &[u8] = include_bytes!("../../tests/fixtures/chrome-opus-stereo.webm");
const VP8: &[u8] = include_bytes!("../../tests/fixtures/sniff/clip.webm");

#[test]
fn reads_chrome_recording_with_unknown_sizes() {
    let webm = read(MONO).expect("Chrome's WebM parses");
    assert_eq!(webm.doc_type, "webm");
    assert!(!webm.truncated);
    let track = webm.audio_track().expect("an audio track");
    assert_eq!(track.codec_id, "A_OPUS");
    assert_eq!(track.channels, Some(1));
    assert_eq!(track.sampling_frequency, Some(48_000.0));
    assert!(track.codec_private.is_some_and(|p| p.starts_with(b"OpusHead")));
    assert!(!webm.has_video());
    // mkvinfo counts 41 SimpleBlocks in this file.
    assert_eq!(webm.blocks.len(), 41);
    assert!(webm.blocks.iter().all(|b| b.frames.len() == 1 && b.track == track.number));
}

#[test]
fn stereo_recording_says_two_channels() {
    let webm = read(STEREO).expect("parses");
    assert_eq!(webm.audio_track().and_then(|t| t.channels), Some(2));
}

#[test]
fn a_video_webm_has_a_video_track() {
    let webm = probe(VP8).expect("parses");
    assert!(webm.has_video());
    assert!(webm.blocks.is_empty(), "probing stops at the first cluster");
}

#[test]
fn a_cut_recording_keeps_the_blocks_before_the_cut() {
    let cut = &MONO[..MONO.len() - 100];
    let webm = read(cut).expect("parses what is there");
    assert!(webm.truncated);
    assert!(webm.blocks.len() < 41 && webm.blocks.len() > 30);
}

#[test]
fn a_prefix_cut_in_the_headers_still_gives_the_doc_type() {
    let webm = probe(&MONO[..60]).expect("header readable");
    assert_eq!(webm.doc_type, "webm");
    assert!(webm.tracks.is_empty());
    assert_eq!(read(&MONO[..60]).err(), Some(WebmError::Truncated));
}

#[test]
fn not_ebml_is_refused() {
    assert_eq!(read(b"OggS\0\x02").err(), Some(WebmError::NotEbml));
    assert!(read(&[]).is_err());
}

#[test]
fn no_prefix_or_corruption_makes_it_panic() {
    for len in 0..MONO.len().min(2_000) {
        let _ = read(&MONO[..len]);
        let _ = probe(&MONO[..len]);
    }
    // Flip each bit of the headers and the first blocks, one at a time.
    let mut copy = MONO.to_vec();
    for i in 0..600 {
        for bit in 0..8 {
            copy[i] ^= 1 << bit;
            let _ = read(&copy);
            copy[i] ^= 1 << bit;
        }
    }
}

#[test]
fn vints_decode_as_ids_and_sizes() {
    assert_eq!(vint(&[0x81], false), Some((Some(1), 1)));
    assert_eq!(vint(&[0x40, 0x02], false), Some((Some(2), 2)));
    assert_eq!(vint(&[0xFF], false), Some((None, 1)));
    // Chrome's unknown size: eight bytes, all value bits set.
    assert_eq!(vint(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], false), Some((None, 8)));
    assert_eq!(vint(&[0x1A, 0x45, 0xDF, 0xA3], true), Some((Some(0x1A45_DFA3), 4)));
    assert_eq!(vint(&[0x00], false), None);
    assert_eq!(vint(&[0x40], false), None);
}

#[test]
fn xiph_lacing_splits_frames() {
    // Three frames of 300, 2 and 4 bytes: 300 = 255 + 45.
    let mut data = vec![2, 255, 45, 2];
    data.extend(std::iter::repeat_n(7u8, 306));
    let frames = laced_frames(&data, 1).expect("valid lacing");
    let sizes: Vec<usize> = frames.iter().map(|f| f.len()).collect();
    assert_eq!(sizes, [300, 2, 4]);
}

#[test]
fn ebml_lacing_uses_signed_differences() {
    // Sizes 10, 12 (+2), 9 (-3), then the rest (5). One-byte signed: value - 63.
    let mut data = vec![3, 0x8A, 0x80 | (63 + 2), 0x80 | (63 - 3)];
    data.extend(std::iter::repeat_n(1u8, 10 + 12 + 9 + 5));
    let frames = laced_frames(&data, 3).expect("valid lacing");
    let sizes: Vec<usize> = frames.iter().map(|f| f.len()).collect();
    assert_eq!(sizes, [10, 12, 9, 5]);
}

#[test]
fn fixed_lacing_needs_equal_frames() {
    let data = [1u8, 1, 2, 3, 4];
    let frames = laced_frames(&data, 2).expect("two frames of two bytes");
    assert_eq!(frames, [&[1u8, 2][..], &[3, 4][..]]);
    assert_eq!(laced_frames(&[1u8, 1, 2, 3], 2), None);
}

#[test]
fn lacing_that_overruns_the_block_is_refused() {
    assert_eq!(laced_frames(&[1u8, 200, 1, 2], 1), None);
    assert_eq!(laced_frames(&[], 1), None);
    // A negative EBML difference below zero.
    assert_eq!(laced_frames(&[2u8, 0x81, 0x80, 0], 3), None);
}

#[test]
fn signed_integers_sign_extend() {
    assert_eq!(int(&[0xFF]), Ok(-1));
    assert_eq!(int(&[0x00, 0x80]), Ok(128));
    assert_eq!(int(&[0xFF, 0x38]), Ok(-200));
    assert_eq!(int(&[]), Ok(0));
}
