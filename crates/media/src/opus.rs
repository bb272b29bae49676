//! The few facts about Opus packets and headers that remuxing needs, without decoding audio.
//!
//! Ogg Opus (RFC 7845) counts time in 48 kHz samples, but WebM stores only timestamps: a packet's
//! length has to be read from its TOC byte (RFC 6716 §3.1). The identification header (`OpusHead`)
//! is what WebM keeps as the track's CodecPrivate, so it is parsed here and rebuilt when absent.

/// Ogg Opus granule positions always count 48 kHz samples, whatever the input rate (RFC 7845 §4).
pub const GRANULE_RATE: u64 = 48_000;

/// The longest legal Opus packet: 120 ms (RFC 6716 §3.2.5).
const MAX_PACKET_SAMPLES: u32 = 5_760;

/// Why an Opus packet cannot be measured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error("an Opus packet is empty")]
    Empty,
    #[error("an Opus packet with several frames has no frame count byte")]
    MissingFrameCount,
    #[error("an Opus packet declares no frames")]
    NoFrames,
    #[error("an Opus packet lasts {0} samples, more than the 120 ms Opus allows")]
    TooLong(u32),
}

/// 48 kHz samples in one frame of the configuration `config` (the TOC's top five bits).
fn frame_samples(config: u8) -> u32 {
    match config {
        // SILK-only, narrow/medium/wide band: 10, 20, 40, 60 ms.
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)],
        // Hybrid, super-wide/full band: 10, 20 ms.
        12..=15 => [480, 960][usize::from(config % 2)],
        // CELT-only: 2.5, 5, 10, 20 ms.
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    }
}

/// How many 48 kHz samples the Opus `packet` decodes to: frame size × frame count (RFC 6716 §3.1).
pub fn packet_samples(packet: &[u8]) -> Result<u32, PacketError> {
    let toc = *packet.first().ok_or(PacketError::Empty)?;
    let frames = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        // Code 3: the count is the low six bits of the next byte.
        _ => u32::from(packet.get(1).ok_or(PacketError::MissingFrameCount)? & 0x3F),
    };
    if frames == 0 {
        return Err(PacketError::NoFrames);
    }
    let samples = frame_samples(toc >> 3) * frames;
    if samples > MAX_PACKET_SAMPLES {
        return Err(PacketError::TooLong(samples));
    }
    Ok(samples)
}

/// The fields of an `OpusHead` identification header (RFC 7845 §5.1) that we read or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusHead {
    pub channels: u8,
    pub pre_skip: u16,
    pub input_sample_rate: u32,
    /// The header as found (or built), so the mapping table and gain survive a remux untouched.
    bytes: Vec<u8>,
}

const MAGIC_HEAD: &[u8; 8] = b"OpusHead";
const MAGIC_TAGS: &[u8; 8] = b"OpusTags";

impl OpusHead {
    /// Parses an `OpusHead` packet; `None` when it is not one we can play (RFC 7845 §5.1: a major
    /// version other than 0, no channels, or a mapping family without its table).
    pub fn parse(bytes: &[u8]) -> Option<OpusHead> {
        if bytes.len() < 19 || !bytes.starts_with(MAGIC_HEAD) {
            return None;
        }
        let version = bytes[8];
        let channels = bytes[9];
        if version & 0xF0 != 0 || channels == 0 {
            return None;
        }
        let mapping_family = bytes[18];
        // Families other than 0 carry a table: stream count, coupled count, one byte per channel.
        if mapping_family != 0 && bytes.len() < 21 + usize::from(channels) {
            return None;
        }
        Some(OpusHead {
            channels,
            pre_skip: u16::from_le_bytes([bytes[10], bytes[11]]),
            input_sample_rate: u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]),
            bytes: bytes.to_vec(),
        })
    }

    /// A header for a stream WebM described only by channels and rate: mono or stereo, family 0.
    pub fn synthesize(channels: u8, input_sample_rate: u32, pre_skip: u16) -> OpusHead {
        let mut bytes = Vec::with_capacity(19);
        bytes.extend_from_slice(MAGIC_HEAD);
        bytes.push(1);
        bytes.push(channels);
        bytes.extend_from_slice(&pre_skip.to_le_bytes());
        bytes.extend_from_slice(&input_sample_rate.to_le_bytes());
        bytes.extend_from_slice(&0i16.to_le_bytes()); // output gain
        bytes.push(0); // channel mapping family 0: mono or stereo, no table
        OpusHead { channels, pre_skip, input_sample_rate, bytes }
    }

    /// Sets the pre-skip, in the struct and in the header bytes.
    pub fn set_pre_skip(&mut self, pre_skip: u16) {
        self.pre_skip = pre_skip;
        if let Some(field) = self.bytes.get_mut(10..12) {
            field.copy_from_slice(&pre_skip.to_le_bytes());
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Whether `packet` is an `OpusTags` comment header (RFC 7845 §5.2).
pub fn is_opus_tags(packet: &[u8]) -> bool {
    packet.starts_with(MAGIC_TAGS)
}

/// An `OpusTags` header naming `vendor` and carrying no comments.
pub fn opus_tags(vendor: &str) -> Vec<u8> {
    let mut tags = Vec::with_capacity(16 + vendor.len());
    tags.extend_from_slice(MAGIC_TAGS);
    // A vendor string is a few dozen bytes; saturating keeps the header well formed regardless.
    let len = u32::try_from(vendor.len()).unwrap_or(u32::MAX);
    tags.extend_from_slice(&len.to_le_bytes());
    tags.extend_from_slice(vendor.as_bytes());
    tags.extend_from_slice(&0u32.to_le_bytes()); // no user comments
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toc_byte_gives_frame_size_times_count() {
        // config 1 (SILK NB 20 ms), code 0: one frame.
        assert_eq!(packet_samples(&[1 << 3]), Ok(960));
        // config 3 (SILK NB 60 ms), code 1: two frames = 120 ms.
        assert_eq!(packet_samples(&[(3 << 3) | 1, 0]), Ok(5760));
        // config 31 (CELT FB 20 ms), code 3 with three frames = 60 ms, what Chrome sends.
        assert_eq!(packet_samples(&[(31 << 3) | 3, 3]), Ok(2880));
        // config 16 (CELT NB 2.5 ms), code 2.
        assert_eq!(packet_samples(&[(16 << 3) | 2, 0]), Ok(240));
        // config 13 (Hybrid SWB 20 ms).
        assert_eq!(packet_samples(&[13 << 3]), Ok(960));
    }

    #[test]
    fn malformed_packets_are_refused() {
        assert_eq!(packet_samples(&[]), Err(PacketError::Empty));
        assert_eq!(packet_samples(&[(31 << 3) | 3]), Err(PacketError::MissingFrameCount));
        assert_eq!(packet_samples(&[(31 << 3) | 3, 0]), Err(PacketError::NoFrames));
        // Seven 20 ms frames = 140 ms.
        assert_eq!(packet_samples(&[(31 << 3) | 3, 7]), Err(PacketError::TooLong(6720)));
    }

    #[test]
    fn a_synthesized_head_parses_back() {
        let mut head = OpusHead::synthesize(2, 48_000, 0);
        head.set_pre_skip(312);
        let parsed = OpusHead::parse(head.as_bytes()).expect("valid head");
        assert_eq!(parsed.channels, 2);
        assert_eq!(parsed.pre_skip, 312);
        assert_eq!(parsed.input_sample_rate, 48_000);
        assert_eq!(parsed.as_bytes().len(), 19);
    }

    #[test]
    fn heads_we_cannot_play_are_refused() {
        let mut bytes = OpusHead::synthesize(1, 48_000, 0).as_bytes().to_vec();
        bytes[8] = 0x10; // major version 1
        assert_eq!(OpusHead::parse(&bytes), None);
        let mut bytes = OpusHead::synthesize(1, 48_000, 0).as_bytes().to_vec();
        bytes[18] = 1; // family 1 without its table
        assert_eq!(OpusHead::parse(&bytes), None);
        assert_eq!(OpusHead::parse(b"OpusHea"), None);
    }

    #[test]
    fn tags_carry_the_vendor() {
        let tags = opus_tags("inbox");
        assert!(is_opus_tags(&tags));
        assert_eq!(&tags[8..12], &5u32.to_le_bytes());
        assert_eq!(&tags[12..17], b"inbox");
        assert_eq!(tags.len(), 21);
    }
}
