//! Uploads are untrusted: no prefix or corruption of a real file may make the parsers panic.

use super::voice::fixture;
use inbox_media::sniff::sniff;
use inbox_media::voice::{detect_recording, validate_ogg_opus, webm_opus_to_ogg};

const FILES: &[&str] = &[
    "chrome-opus-mono.webm",
    "chrome-opus.mp4",
    "safari-like-aac.mp4",
    "sniff/tone-opus.ogg",
    "sniff/tone-vorbis.ogg",
    "sniff/animated.webp",
    "sniff/clip.mp4",
    "sniff/clip.webm",
    "sniff/tone.m4a",
];

fn everything(bytes: &[u8]) {
    let _ = sniff(bytes, Some("application/pdf"), Some("x.docx"));
    let _ = detect_recording(bytes);
    let _ = webm_opus_to_ogg(bytes);
    let _ = validate_ogg_opus(bytes);
}

#[test]
fn truncated_and_corrupted_files_never_panic() {
    let remuxed = webm_opus_to_ogg(&fixture("chrome-opus-stereo.webm")).expect("remux");
    let files = FILES.iter().map(|name| fixture(name)).chain([remuxed]);
    for file in files {
        for len in (0..file.len()).step_by((file.len() / 200).max(1)) {
            everything(&file[..len]);
        }
        let mut copy = file.clone();
        for i in 0..copy.len().min(400) {
            for flip in [0x01, 0x80, 0xFF] {
                copy[i] ^= flip;
                everything(&copy);
                copy[i] ^= flip;
            }
        }
    }
}
