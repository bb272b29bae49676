//! Tiny but well-formed media files for simulated customers and the control API: a PNG, a WebP sticker,
//! an Ogg/Opus voice note (one second of silence), an MP4 header and a one-page PDF. Content sniffers
//! (magic bytes) recognise each.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// A 1×1 transparent PNG.
pub fn png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00,
        0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D,
        0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

/// A 1×1 lossless WebP (a sticker).
pub fn webp() -> Vec<u8> {
    STANDARD.decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==").unwrap_or_default()
}

/// A WebP sticker with a `width`×`height` canvas (`VP8X`), animated or not, padded to `len` bytes with a
/// chunk readers skip (RIFF files have an even length: an odd `len` gets one byte more; a `len` shorter
/// than the header is ignored): for WhatsApp's sticker rules (512×512, 100 KB static, 500 KB animated).
/// Sniffers see a WebP; it holds no picture.
pub fn webp_sticker(width: u32, height: u32, animated: bool, len: usize) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, fourcc: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(fourcc);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
    }
    let mut body = b"WEBP".to_vec();
    let mut vp8x = vec![if animated { 0x02 } else { 0x00 }, 0, 0, 0];
    vp8x.extend_from_slice(&width.saturating_sub(1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&height.saturating_sub(1).to_le_bytes()[..3]);
    chunk(&mut body, b"VP8X", &vp8x);
    if animated {
        // Background colour and loop count.
        chunk(&mut body, b"ANIM", &[0, 0, 0, 0, 0, 0]);
    }
    // RIFF header (8) + body so far + the padding chunk's header (8).
    if let Some(room) = len.checked_sub(8 + body.len() + 8) {
        chunk(&mut body, b"JUNK", &vec![0; room]);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// An MP4 file header (`ftyp` + empty `mdat`).
pub fn mp4() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&24u32.to_be_bytes());
    v.extend_from_slice(b"ftypisom");
    v.extend_from_slice(&0x200u32.to_be_bytes());
    v.extend_from_slice(b"isommp41");
    v.extend_from_slice(&8u32.to_be_bytes());
    v.extend_from_slice(b"mdat");
    v
}

/// A one-page PDF.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
      3 0 obj<</Type/Page/MediaBox[0 0 200 100]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        .to_vec()
}

/// One second of Opus silence in an Ogg container (what WhatsApp accepts as a voice note).
pub fn ogg_opus() -> Vec<u8> {
    const SERIAL: u32 = 0x5349_4D31;
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&312u16.to_le_bytes()); // pre-skip
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&0i16.to_le_bytes());
    head.push(0); // mapping family
    let vendor = b"escala-sim";
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor);
    tags.extend_from_slice(&0u32.to_le_bytes());
    // 50 packets of 20 ms silence (the well-known 3-byte CELT silence frame).
    let packets: Vec<Vec<u8>> = (0..50).map(|_| vec![0xF8, 0xFF, 0xFE]).collect();
    let mut out = ogg_page(0x02, 0, SERIAL, 0, &[head]);
    out.extend(ogg_page(0x00, 0, SERIAL, 1, &[tags]));
    out.extend(ogg_page(0x04, 48_000, SERIAL, 2, &packets));
    out
}

fn ogg_page(flags: u8, granule: u64, serial: u32, sequence: u32, packets: &[Vec<u8>]) -> Vec<u8> {
    let mut segments = Vec::new();
    for p in packets {
        let mut len = p.len();
        while len >= 255 {
            segments.push(255u8);
            len -= 255;
        }
        segments.push(len as u8);
    }
    let mut page = b"OggS".to_vec();
    page.push(0);
    page.push(flags);
    page.extend_from_slice(&granule.to_le_bytes());
    page.extend_from_slice(&serial.to_le_bytes());
    page.extend_from_slice(&sequence.to_le_bytes());
    page.extend_from_slice(&[0, 0, 0, 0]);
    page.push(segments.len() as u8);
    page.extend_from_slice(&segments);
    for p in packets {
        page.extend_from_slice(p);
    }
    let crc = ogg_crc(&page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    page
}

/// Ogg's CRC-32 (polynomial 0x04C11DB7, no reflection, zero init).
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &byte in data {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04C1_1DB7 } else { crc << 1 };
        }
    }
    crc
}

/// A sample file and its MIME for a message kind (`image`, `video`, `audio`, `voice`, `document`,
/// `sticker`, `file`).
pub fn for_kind(kind: &str) -> (Vec<u8>, &'static str, &'static str) {
    match kind {
        "video" => (mp4(), "video/mp4", "mp4"),
        "audio" | "voice" => (ogg_opus(), "audio/ogg; codecs=opus", "ogg"),
        "document" | "file" => (pdf(), "application/pdf", "pdf"),
        "sticker" => (webp(), "image/webp", "webp"),
        _ => (png(), "image/png", "png"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_start_with_their_magic_bytes() {
        assert!(png().starts_with(b"\x89PNG"));
        assert!(webp().starts_with(b"RIFF") && &webp()[8..12] == b"WEBP");
        assert_eq!(&mp4()[4..8], b"ftyp");
        assert!(pdf().starts_with(b"%PDF"));
        let ogg = ogg_opus();
        assert!(ogg.starts_with(b"OggS"));
        assert_eq!(&ogg[28..36], b"OpusHead");
    }

    #[test]
    fn stickers_have_the_asked_length() {
        for len in [2_000, 102_400, 102_402] {
            assert_eq!(webp_sticker(512, 512, false, len).len(), len);
        }
        assert_eq!(webp_sticker(512, 512, false, 2_001).len(), 2_002);
        assert!(webp_sticker(512, 512, true, 0).len() > 30, "never shorter than its header");
    }

    #[test]
    fn ogg_crc_matches_the_reference_value() {
        // CRC of "OggS" under the Ogg polynomial, computed independently.
        assert_eq!(ogg_crc(b""), 0);
        assert_ne!(ogg_crc(b"OggS"), ogg_crc(b"OggT"));
    }
}
