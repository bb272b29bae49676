//! A small WebM (Matroska) reader: just enough to take the audio packets out of a browser
//! recording, and to tell an audio-only WebM from a video for sniffing.
//!
//! Why not a crate: `matroska-demuxer` 0.8 cannot open what Chrome's MediaRecorder writes (it reads
//! the 8-byte "unknown size" of the Segment and Clusters as a real size and finds no cluster), and
//! `webm-iterable` 0.7 reads those files but indexes block payloads without bounds checks, which is
//! not acceptable for uploads. Recordings are in memory anyway (a voice note is at most 16 MB), so
//! this reads a slice with checked arithmetic only, and never panics on any input.
//!
//! Unknown sizes: Segment and Cluster are *entered*, never skipped, so their size does not matter;
//! element IDs are unique across Matroska's levels, so a new Cluster or Cues simply follows the last
//! block (Matroska §6.2, "unknown-sized elements"). Every other element must have a known size.

const EBML: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_TYPE: u32 = 0x83;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const CODEC_DELAY: u32 = 0x56AA;
const CONTENT_ENCODINGS: u32 = 0x6D80;
const AUDIO: u32 = 0xE1;
const SAMPLING_FREQUENCY: u32 = 0xB5;
const CHANNELS: u32 = 0x9F;
const CLUSTER: u32 = 0x1F43_B675;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const DISCARD_PADDING: u32 = 0x75A2;

/// Matroska's `TrackType` for audio (video is 1).
pub const TRACK_TYPE_AUDIO: u64 = 2;
pub const TRACK_TYPE_VIDEO: u64 = 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebmError {
    #[error("not a WebM or Matroska file")]
    NotEbml,
    #[error("the file ends before its tracks are described")]
    Truncated,
    #[error("malformed WebM near byte {0}")]
    Malformed(usize),
    #[error("WebM element {0:#x} has an unknown size where one is required")]
    UnknownSize(u32),
}

/// One track as its `TrackEntry` describes it.
#[derive(Debug, Clone, Default)]
pub struct Track<'a> {
    pub number: u64,
    pub kind: u64,
    pub codec_id: String,
    pub codec_private: Option<&'a [u8]>,
    /// Nanoseconds of decoder delay; for Opus, the pre-skip (Matroska codec mapping).
    pub codec_delay_ns: Option<u64>,
    pub channels: Option<u64>,
    pub sampling_frequency: Option<f64>,
    /// Header stripping, compression or encryption: frames are not the codec's packets.
    pub encoded: bool,
}

/// One Block or SimpleBlock: its frames (more than one when laced). Timestamps are not kept:
/// Ogg times packets by their sample counts, not by the container's clock.
#[derive(Debug, Clone)]
pub struct Block<'a> {
    pub track: u64,
    pub frames: Vec<&'a [u8]>,
    /// Nanoseconds to drop from the end of this block's audio (BlockGroup's DiscardPadding).
    pub discard_padding_ns: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct Webm<'a> {
    pub doc_type: String,
    pub tracks: Vec<Track<'a>>,
    pub blocks: Vec<Block<'a>>,
    /// The file ended inside a cluster: every complete block before that point is kept.
    pub truncated: bool,
}

impl Webm<'_> {
    pub fn has_video(&self) -> bool {
        self.tracks.iter().any(|t| t.kind == TRACK_TYPE_VIDEO)
    }

    pub fn audio_track(&self) -> Option<&Track<'_>> {
        self.tracks.iter().find(|t| t.kind == TRACK_TYPE_AUDIO)
    }
}

/// Reads the whole file: headers, tracks and every block.
pub fn read(data: &[u8]) -> Result<Webm<'_>, WebmError> {
    walk(data, false)
}

/// Reads what a prefix of a file says about it (doc type and tracks), stopping at the first
/// cluster; a prefix cut in the headers gives what was read so far.
pub fn probe(prefix: &[u8]) -> Result<Webm<'_>, WebmError> {
    match walk(prefix, true) {
        Err(WebmError::Truncated) => partial_header(prefix),
        other => other,
    }
}

fn partial_header(prefix: &[u8]) -> Result<Webm<'_>, WebmError> {
    let mut r = Reader::new(prefix);
    let header = r.header()?;
    if header.id != EBML {
        return Err(WebmError::NotEbml);
    }
    let mut webm = Webm::default();
    let available = prefix.get(r.pos..).unwrap_or_default();
    let body = header.size.and_then(|s| available.get(..usize::try_from(s).ok()?));
    webm.doc_type = doc_type(body.unwrap_or(available)).unwrap_or_default();
    Ok(webm)
}

fn doc_type(ebml_header: &[u8]) -> Option<String> {
    let mut r = Reader::new(ebml_header);
    while !r.at_end() {
        let h = r.header().ok()?;
        let payload = r.payload(&h).ok()?;
        if h.id == DOC_TYPE {
            return Some(string(payload));
        }
    }
    None
}

fn walk(data: &[u8], headers_only: bool) -> Result<Webm<'_>, WebmError> {
    let mut r = Reader::new(data);
    let header = r.header()?;
    if header.id != EBML {
        return Err(WebmError::NotEbml);
    }
    let mut webm = Webm { doc_type: doc_type(r.payload(&header)?).unwrap_or_default(), ..Webm::default() };
    let segment = r.header()?;
    if segment.id != SEGMENT {
        return Err(WebmError::Malformed(r.pos));
    }
    // A known size bounds the segment; an unknown one runs to the end of the file.
    let end = match segment.size {
        Some(size) => {
            usize::try_from(size).ok().and_then(|s| r.pos.checked_add(s)).map_or(data.len(), |e| e.min(data.len()))
        }
        None => data.len(),
    };
    let mut r = Reader::new(data.get(..end).unwrap_or(data));
    r.pos = segment.body_start;
    while !r.at_end() {
        let at = r.pos;
        let element = match r.element() {
            Ok(element) => element,
            // A recording cut short still has every block before the cut.
            Err(WebmError::Truncated) if !webm.tracks.is_empty() => {
                webm.truncated = true;
                break;
            }
            Err(e) => return Err(e),
        };
        match take(&mut webm, element, headers_only) {
            Ok(Flow::Next) => {}
            Ok(Flow::Stop) => break,
            // Errors inside an element are located at the element.
            Err(WebmError::Malformed(_)) => return Err(WebmError::Malformed(at)),
            Err(e) => return Err(e),
        }
    }
    Ok(webm)
}

enum Flow {
    Next,
    Stop,
}

/// Takes what one element of the segment contributes.
fn take<'a>(webm: &mut Webm<'a>, element: Element<'a>, headers_only: bool) -> Result<Flow, WebmError> {
    match element {
        Element::Enter(CLUSTER) if headers_only => return Ok(Flow::Stop),
        Element::Enter(CLUSTER) => {}
        // A second segment or file glued after this one: the recording is the first.
        Element::Enter(SEGMENT) | Element::Data(EBML, _) => return Ok(Flow::Stop),
        Element::Enter(id) => return Err(WebmError::UnknownSize(id)),
        Element::Data(TRACKS, body) => {
            for (id, payload) in children(body)? {
                if id == TRACK_ENTRY {
                    webm.tracks.push(track(payload)?);
                }
            }
        }
        Element::Data(_, _) if headers_only => {}
        Element::Data(SIMPLE_BLOCK, payload) => webm.blocks.push(block(payload, None)?),
        Element::Data(BLOCK_GROUP, body) => {
            let fields = children(body)?;
            let padding = match fields.iter().find(|(id, _)| *id == DISCARD_PADDING) {
                Some((_, payload)) => Some(int(payload)?),
                None => None,
            };
            if let Some((_, payload)) = fields.iter().find(|(id, _)| *id == BLOCK) {
                webm.blocks.push(block(payload, padding)?);
            }
        }
        Element::Data(_, _) => {}
    }
    Ok(Flow::Next)
}

fn track(body: &[u8]) -> Result<Track<'_>, WebmError> {
    let mut track = Track::default();
    for (id, payload) in children(body)? {
        match id {
            TRACK_NUMBER => track.number = uint(payload)?,
            TRACK_TYPE => track.kind = uint(payload)?,
            CODEC_ID => track.codec_id = string(payload),
            CODEC_PRIVATE => track.codec_private = Some(payload),
            CODEC_DELAY => track.codec_delay_ns = Some(uint(payload)?),
            CONTENT_ENCODINGS => track.encoded = true,
            AUDIO => {
                for (id, payload) in children(payload)? {
                    match id {
                        SAMPLING_FREQUENCY => track.sampling_frequency = Some(float(payload)?),
                        CHANNELS => track.channels = Some(uint(payload)?),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(track)
}

/// A Block's payload: track number, 16-bit signed time offset, flags, then one or more laced
/// frames (Matroska §10.1, §10.4).
fn block(payload: &[u8], padding: Option<i64>) -> Result<Block<'_>, WebmError> {
    let bad = || WebmError::Malformed(0); // located by the caller
    let (track, track_len) = vint(payload, false).ok_or_else(bad)?;
    let flags = *payload.get(track_len + 2).ok_or_else(bad)?;
    let data = payload.get(track_len + 3..).ok_or_else(bad)?;
    let frames = match (flags >> 1) & 0x03 {
        0 => vec![data],
        lacing => laced_frames(data, lacing).ok_or_else(bad)?,
    };
    Ok(Block { track: track.unwrap_or(0), frames, discard_padding_ns: padding })
}

/// Splits laced data: 1 = Xiph, 2 = fixed size, 3 = EBML lacing. `None` when sizes do not add up.
fn laced_frames(data: &[u8], lacing: u8) -> Option<Vec<&[u8]>> {
    let count = usize::from(*data.first()?) + 1;
    let mut pos = 1usize;
    let mut sizes = Vec::with_capacity(count);
    match lacing {
        1 => {
            for _ in 1..count {
                let mut size = 0usize;
                loop {
                    let byte = *data.get(pos)?;
                    pos += 1;
                    size = size.checked_add(usize::from(byte))?;
                    if byte != 0xFF {
                        break;
                    }
                }
                sizes.push(size);
            }
        }
        3 => {
            let (first, len) = vint(data.get(pos..)?, false)?;
            pos += len;
            let mut size = i64::try_from(first?).ok()?;
            sizes.push(usize::try_from(size).ok()?);
            for _ in 2..count {
                let (raw, len) = vint(data.get(pos..)?, false)?;
                pos += len;
                // Signed sizes subtract half the range: 2^(7n-1) - 1 (Matroska §10.4.3).
                let bias = (1i64 << (7 * len - 1)) - 1;
                size = size.checked_add(i64::try_from(raw?).ok()? - bias)?;
                sizes.push(usize::try_from(size).ok()?);
            }
        }
        _ => {
            let rest = data.len().checked_sub(pos)?;
            if rest % count != 0 {
                return None;
            }
            sizes.resize(count - 1, rest / count);
        }
    }
    let mut frames = Vec::with_capacity(count);
    for size in sizes {
        let end = pos.checked_add(size)?;
        frames.push(data.get(pos..end)?);
        pos = end;
    }
    frames.push(data.get(pos..)?);
    Some(frames)
}

/// An EBML variable-length integer at the start of `bytes`: (value, length). As an ID the marker
/// bit is kept; as a size it is removed and all-ones means "unknown" (`Some(None)`).
fn vint(bytes: &[u8], keep_marker: bool) -> Option<(Option<u64>, usize)> {
    let first = *bytes.first()?;
    if first == 0 {
        return None; // longer than 8 bytes: not valid EBML
    }
    let len = first.leading_zeros() as usize + 1;
    let raw = bytes.get(..len)?;
    let len_bits = first.leading_zeros() + 1;
    // An 8-byte VINT's first byte holds only its marker: the mask is then empty.
    let marker_mask = if keep_marker { 0xFF } else { 0xFFu8.checked_shr(len_bits).unwrap_or(0) };
    let mut value = u64::from(first & marker_mask);
    for b in &raw[1..] {
        value = (value << 8) | u64::from(*b);
    }
    let all_ones = (1u64 << (7 * len)) - 1;
    if !keep_marker && value == all_ones {
        return Some((None, len));
    }
    Some((Some(value), len))
}

struct Header {
    id: u32,
    size: Option<u64>,
    body_start: usize,
}

enum Element<'a> {
    /// A master element of unknown size: its children follow.
    Enter(u32),
    Data(u32, &'a [u8]),
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn header(&mut self) -> Result<Header, WebmError> {
        let rest = self.data.get(self.pos..).ok_or(WebmError::Truncated)?;
        let truncated_or_bad = |slice: &[u8]| {
            // A first byte of zero can never start a valid VINT; anything else was cut short.
            if slice.first() == Some(&0) {
                WebmError::Malformed(self.pos)
            } else {
                WebmError::Truncated
            }
        };
        let (id, id_len) = vint(rest, true).ok_or_else(|| truncated_or_bad(rest))?;
        if id_len > 4 {
            return Err(WebmError::Malformed(self.pos));
        }
        let after_id = rest.get(id_len..).unwrap_or_default();
        let (size, size_len) = vint(after_id, false).ok_or_else(|| truncated_or_bad(after_id))?;
        let id = u32::try_from(id.unwrap_or(0)).map_err(|_| WebmError::Malformed(self.pos))?;
        self.pos += id_len + size_len;
        Ok(Header { id, size, body_start: self.pos })
    }

    /// The body of an element whose header was just read; the cursor moves past it.
    fn payload(&mut self, header: &Header) -> Result<&'a [u8], WebmError> {
        let size = header.size.ok_or(WebmError::UnknownSize(header.id))?;
        let size = usize::try_from(size).map_err(|_| WebmError::Truncated)?;
        let end = self.pos.checked_add(size).ok_or(WebmError::Truncated)?;
        let body = self.data.get(self.pos..end).ok_or(WebmError::Truncated)?;
        self.pos = end;
        Ok(body)
    }

    fn element(&mut self) -> Result<Element<'a>, WebmError> {
        let header = self.header()?;
        match (header.id, header.size) {
            // Entered rather than skipped: their children are read in the same loop.
            (SEGMENT | CLUSTER, _) | (_, None) => Ok(Element::Enter(header.id)),
            (id, Some(_)) => Ok(Element::Data(id, self.payload(&header)?)),
        }
    }
}

/// The children of a master element of known size, as (id, payload).
fn children(body: &[u8]) -> Result<Vec<(u32, &[u8])>, WebmError> {
    let mut r = Reader::new(body);
    let mut out = Vec::new();
    while !r.at_end() {
        let header = r.header().map_err(|_| WebmError::Malformed(r.pos))?;
        let payload = r.payload(&header).map_err(|_| WebmError::Malformed(r.pos))?;
        out.push((header.id, payload));
    }
    Ok(out)
}

fn uint(payload: &[u8]) -> Result<u64, WebmError> {
    if payload.len() > 8 {
        return Err(WebmError::Malformed(0));
    }
    Ok(payload.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b)))
}

fn int(payload: &[u8]) -> Result<i64, WebmError> {
    let unsigned = uint(payload)?;
    if payload.is_empty() {
        return Ok(0);
    }
    // Sign-extend from the element's width.
    let shift = 64 - 8 * payload.len() as u32;
    Ok(((unsigned << shift) as i64) >> shift)
}

fn float(payload: &[u8]) -> Result<f64, WebmError> {
    match payload.len() {
        0 => Ok(0.0),
        4 => Ok(f64::from(f32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]))),
        8 => Ok(f64::from_bits(uint(payload)?)),
        _ => Err(WebmError::Malformed(0)),
    }
}

fn string(payload: &[u8]) -> String {
    let end = payload.iter().position(|b| *b == 0).unwrap_or(payload.len());
    String::from_utf8_lossy(&payload[..end]).into_owned()
}

#[cfg(test)]
mod tests;
