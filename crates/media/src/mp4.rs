//! Just enough ISO base media (MP4, M4A, 3GPP, QuickTime) to say what a file holds.
//!
//! The `ftyp` brand alone cannot tell an audio-only MP4 from a video (`isom`, `mp42` are used for
//! both), yet the difference decides whether WhatsApp gets an `audio` or a `video` message. So the
//! track list is read from `moov`: each `trak`'s handler (`soun`, `vide`) and first sample entry
//! (`mp4a`, `Opus`, `avc1`, …). Browsers' recorders put `moov` first; when it is not in the prefix
//! the caller falls back to brands.

/// A four-character code.
pub type FourCc = [u8; 4];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mp4 {
    pub major_brand: FourCc,
    /// Whether a complete-enough `moov` was read; if not, `tracks` says nothing.
    pub moov_seen: bool,
    pub tracks: Vec<Mp4Track>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mp4Track {
    /// `soun`, `vide`, `text`, `hint`…
    pub handler: FourCc,
    /// The codec's sample entry: `mp4a` (AAC), `Opus`, `samr` (AMR), `avc1`…
    pub sample_entry: Option<FourCc>,
}

impl Mp4 {
    pub fn has_video(&self) -> bool {
        self.tracks.iter().any(|t| &t.handler == b"vide")
    }

    pub fn has_audio(&self) -> bool {
        self.tracks.iter().any(|t| &t.handler == b"soun")
    }

    /// The sample entry of the first sound track.
    pub fn audio_codec(&self) -> Option<FourCc> {
        self.tracks.iter().find(|t| &t.handler == b"soun").and_then(|t| t.sample_entry)
    }
}

/// Reads `ftyp` and the tracks of `moov` from a prefix; `None` unless it starts with `ftyp`.
pub fn probe(prefix: &[u8]) -> Option<Mp4> {
    let mut mp4 = Mp4::default();
    let mut saw_ftyp = false;
    for (kind, body) in boxes(prefix) {
        match &kind {
            b"ftyp" => {
                // Compatible brands follow, but say nothing more about audio or video.
                mp4.major_brand = body.get(..4)?.try_into().ok()?;
                saw_ftyp = true;
            }
            b"moov" => {
                mp4.moov_seen = true;
                mp4.tracks = boxes(body).filter(|(kind, _)| kind == b"trak").map(|(_, trak)| track(trak)).collect();
            }
            _ => {}
        }
        if !saw_ftyp {
            return None; // `ftyp` must come first (ISO 14496-12 §4.3)
        }
    }
    saw_ftyp.then_some(mp4)
}

fn track(trak: &[u8]) -> Mp4Track {
    let mut track = Mp4Track::default();
    let Some(mdia) = child(trak, b"mdia") else {
        return track;
    };
    // `hdlr` is a full box: version and flags, pre_defined, then the handler type.
    if let Some(handler) = child(mdia, b"hdlr").and_then(|h| h.get(8..12)) {
        track.handler.copy_from_slice(handler);
    }
    let stsd = child(mdia, b"minf").and_then(|minf| child(minf, b"stbl")).and_then(|stbl| child(stbl, b"stsd"));
    // `stsd`: version and flags, entry count, then entries (size, format).
    track.sample_entry = stsd.and_then(|s| s.get(12..16)).and_then(|f| f.try_into().ok());
    track
}

fn child<'a>(parent: &'a [u8], kind: &FourCc) -> Option<&'a [u8]> {
    boxes(parent).find(|(k, _)| k == kind).map(|(_, body)| body)
}

/// The boxes in `data`, in order, as (type, body). A box running past the end of `data` is given
/// with what is there (a prefix may cut `moov`); a malformed size ends the walk.
fn boxes(data: &[u8]) -> impl Iterator<Item = (FourCc, &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let head = data.get(pos..pos.checked_add(8)?)?;
        let kind: FourCc = head[4..8].try_into().ok()?;
        let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let (size, header) = match size32 {
            0 => (data.len() - pos, 8), // to the end of the file
            1 => {
                let large = data.get(pos + 8..pos + 16)?;
                let large = u64::from_be_bytes(large.try_into().ok()?);
                (usize::try_from(large).unwrap_or(usize::MAX), 16)
            }
            n => (usize::try_from(n).ok()?, 8),
        };
        if size < header {
            return None;
        }
        let end = pos.saturating_add(size).min(data.len());
        let body = data.get(pos + header..end).unwrap_or_default();
        pos = pos.saturating_add(size);
        Some((kind, body))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const M4A: &[u8] = include_bytes!("../tests/fixtures/sniff/tone.m4a");
    const MP4: &[u8] = include_bytes!("../tests/fixtures/sniff/clip.mp4");
    const GP3: &[u8] = include_bytes!("../tests/fixtures/sniff/clip.3gp");
    const CHROME: &[u8] = include_bytes!("../tests/fixtures/chrome-opus.mp4");
    const SAFARI_LIKE: &[u8] = include_bytes!("../tests/fixtures/safari-like-aac.mp4");

    #[test]
    fn an_m4a_is_one_aac_sound_track() {
        let mp4 = probe(M4A).expect("mp4");
        assert_eq!(&mp4.major_brand, b"M4A ");
        assert!(mp4.has_audio() && !mp4.has_video());
        assert_eq!(mp4.audio_codec(), Some(*b"mp4a"));
    }

    #[test]
    fn a_video_has_a_video_track() {
        for file in [MP4, GP3] {
            let mp4 = probe(file).expect("mp4");
            assert!(mp4.has_video() && mp4.has_audio());
        }
        assert!(probe(GP3).expect("3gp").major_brand.starts_with(b"3g"));
    }

    #[test]
    fn browser_recordings_name_their_codec() {
        assert_eq!(probe(CHROME).and_then(|m| m.audio_codec()), Some(*b"Opus"));
        assert_eq!(probe(SAFARI_LIKE).and_then(|m| m.audio_codec()), Some(*b"mp4a"));
    }

    #[test]
    fn a_prefix_without_moov_keeps_the_brands() {
        let mp4 = probe(&M4A[..40]).expect("ftyp is there");
        assert_eq!(&mp4.major_brand, b"M4A ");
        assert!(mp4.tracks.is_empty());
    }

    #[test]
    fn garbage_is_not_mp4_and_never_panics() {
        assert_eq!(probe(b"\0\0\0\x08moov"), None);
        assert_eq!(probe(b""), None);
        let mut copy = M4A.to_vec();
        for i in 0..copy.len().min(800) {
            copy[i] ^= 0xFF;
            let _ = probe(&copy);
            let _ = probe(&copy[..i]);
            copy[i] ^= 0xFF;
        }
    }
}
