//! Matroska features Chrome does not use but other muxers do — lacing, BlockGroups, CodecDelay,
//! DiscardPadding — exercised with the real Opus packets of a Chrome recording, re-wrapped by a
//! tiny EBML writer.

use super::voice::{fixture, ogg_packets, oracle, toc_samples};
use inbox_media::voice::*;

/// An EBML element with an 8-byte size, as Chrome writes them.
fn el(id: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.push(0x01);
    out.extend_from_slice(&(body.len() as u64).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

fn uint(id: &[u8], value: u64) -> Vec<u8> {
    el(id, &value.to_be_bytes())
}

const UNKNOWN_SIZE: [u8; 8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

/// A SimpleBlock on track 1 at `offset` ms, with `lacing` (flags bits 1–2) and its frame data.
fn simple_block(offset: i16, lacing: u8, data: &[u8]) -> Vec<u8> {
    let mut body = vec![0x81];
    body.extend_from_slice(&offset.to_be_bytes());
    body.push(0x80 | (lacing << 1));
    body.extend_from_slice(data);
    el(&[0xA3], &body)
}

fn xiph_laced(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![u8::try_from(frames.len() - 1).expect("few frames")];
    for f in &frames[..frames.len() - 1] {
        let mut size = f.len();
        while size >= 255 {
            out.push(255);
            size -= 255;
        }
        out.push(u8::try_from(size).expect("< 255"));
    }
    frames.iter().for_each(|f| out.extend_from_slice(f));
    out
}

/// EBML lacing with two-byte sizes: the first unsigned, the next as signed differences.
fn ebml_laced(frames: &[Vec<u8>]) -> Vec<u8> {
    let two_bytes = |v: u16| [0x40 | (v >> 8) as u8, v as u8];
    let mut out = vec![u8::try_from(frames.len() - 1).expect("few frames")];
    out.extend_from_slice(&two_bytes(frames[0].len() as u16));
    for pair in frames[..frames.len() - 1].windows(2) {
        let diff = pair[1].len() as i32 - pair[0].len() as i32;
        out.extend_from_slice(&two_bytes((diff + (1 << 13) - 1) as u16));
    }
    frames.iter().for_each(|f| out.extend_from_slice(f));
    out
}

#[test]
fn laced_blocks_block_groups_codec_delay_and_discard_padding() {
    let real = oracle(&fixture("chrome-opus-mono.webm"));
    let packets = &real.packets;
    let n = packets.len();
    let opus_head = real.codec_private.clone();
    assert_eq!(&opus_head[10..12], &[0, 0], "Chrome writes pre-skip 0");

    let track = [
        uint(&[0xD7], 1),
        uint(&[0x83], 2),
        el(&[0x86], b"A_OPUS"),
        el(&[0x63, 0xA2], &opus_head),
        uint(&[0x56, 0xAA], 6_500_000), // 6.5 ms = 312 samples of encoder delay
    ]
    .concat();
    let mut cluster = [0x1F, 0x43, 0xB6, 0x75].to_vec();
    cluster.extend_from_slice(&UNKNOWN_SIZE);
    cluster.extend(uint(&[0xE7], 0));
    cluster.extend(simple_block(0, 1, &xiph_laced(&packets[0..3])));
    cluster.extend(simple_block(180, 3, &ebml_laced(&packets[3..6])));
    for (i, p) in packets[6..n - 1].iter().enumerate() {
        cluster.extend(simple_block(360 + 60 * i as i16, 0, p));
    }
    // The last packet in a BlockGroup asking to drop its final 20 ms (960 samples).
    let mut block = vec![0x81, 0, 0, 0x00];
    block.extend_from_slice(&packets[n - 1]);
    let group = [el(&[0xA1], &block), el(&[0x75, 0xA2], &20_000_000u32.to_be_bytes())].concat();
    cluster.extend(el(&[0xA0], &group));

    let mut webm = el(&[0x1A, 0x45, 0xDF, 0xA3], &el(&[0x42, 0x82], b"webm"));
    webm.extend_from_slice(&[0x18, 0x53, 0x80, 0x67]);
    webm.extend_from_slice(&UNKNOWN_SIZE);
    webm.extend(el(&[0x16, 0x54, 0xAE, 0x6B], &el(&[0xAE], &track)));
    webm.extend(cluster);

    let ogg = webm_opus_to_ogg(&webm).expect("remux");
    let info = validate_ogg_opus(&ogg).expect("valid");
    assert_eq!(info.pre_skip, 312, "CodecDelay fills a zero pre-skip");
    assert_eq!(info.packets, n);

    let out = ogg_packets(&ogg);
    let audio: Vec<&Vec<u8>> = out[2..].iter().map(|p| &p.data).collect();
    assert_eq!(audio, packets.iter().collect::<Vec<_>>(), "lacing undone exactly");
    let total: u64 = packets.iter().map(|p| toc_samples(p)).sum();
    let last = out.last().expect("packets");
    assert!(last.last_in_stream);
    assert_eq!(last.granule, total - 960, "end trimmed by DiscardPadding");
    let playable = total - 960 - 312;
    assert_eq!(info.duration_ms, (playable * 1000 + 24_000) / 48_000);
}
