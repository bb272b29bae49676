//! Office documents, whose containers are shared: the only place where the declared type or
//! the file name may choose — and only among formats the content already narrowed it to.
//!
//! - OLE compound files (`.doc`, `.xls`, `.ppt`, but also `.msi`, `.msg`) share one signature,
//!   and what tells them apart (the root entry's CLSID) sits in a directory sector that can be
//!   anywhere in the file. So: one of the three legacy Office types if the declared MIME type or
//!   the extension names it, otherwise `application/x-ole-storage`, which no channel sends as a
//!   document.
//! - OOXML (`.docx`, `.xlsx`, `.pptx`) are zips. The local file headers in the prefix are read:
//!   a part under `word/`, `xl/` or `ppt/` decides. When only the package markers
//!   (`[Content_Types].xml`, `_rels/.rels`, `docProps/`) are in the prefix, the declared type or
//!   extension chooses among the three; failing that it is a plain `application/zip`.
//! - A zip holding a Java or Android program (`META-INF/MANIFEST.MF`, `classes.dex`) is refused.

use super::{SniffError, Sniffed};
use domain::media_rules::MediaKind;

const DOC: &str = "application/msword";
const XLS: &str = "application/vnd.ms-excel";
const PPT: &str = "application/vnd.ms-powerpoint";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const PPTX: &str = "application/vnd.openxmlformats-officedocument.presentationml.presentation";

/// What the uploader claimed: a MIME type (without parameters) and an extension, lower-cased.
pub struct Hint {
    mime: Option<String>,
    extension: Option<String>,
}

impl Hint {
    pub fn new(declared_mime: Option<&str>, filename: Option<&str>) -> Self {
        let mime = declared_mime.and_then(|m| m.split(';').next()).map(|m| m.trim().to_ascii_lowercase());
        let extension = filename.and_then(|f| f.rsplit_once('.')).map(|(_, ext)| ext.trim().to_ascii_lowercase());
        Hint { mime, extension }
    }

    /// The first of `choices` (MIME type, extensions) that the declared type or extension names.
    fn choose(&self, choices: &[(&'static str, &[&str])]) -> Option<&'static str> {
        choices.iter().find_map(|(mime, extensions)| {
            let by_mime = self.mime.as_deref() == Some(*mime);
            let by_ext = self.extension.as_deref().is_some_and(|e| extensions.contains(&e));
            (by_mime || by_ext).then_some(*mime)
        })
    }
}

fn document(mime: &str) -> Sniffed {
    Sniffed::new(mime, Some(MediaKind::Document))
}

pub fn compound_file(hint: &Hint) -> Sniffed {
    let legacy = [(DOC, &["doc", "dot"][..]), (XLS, &["xls", "xlt"][..]), (PPT, &["ppt", "pps", "pot"][..])];
    match hint.choose(&legacy) {
        Some(mime) => document(mime),
        None => Sniffed::new("application/x-ole-storage", None),
    }
}

/// An OOXML document or a program package; `None` for other zips (left to `infer`).
pub fn zip(prefix: &[u8], hint: &Hint) -> Result<Option<Sniffed>, SniffError> {
    let mut package = false;
    for name in entry_names(prefix) {
        if name == b"META-INF/MANIFEST.MF" || name == b"classes.dex" {
            return Err(SniffError::Executable("Java or Android package"));
        }
        if name.starts_with(b"word/") {
            return Ok(Some(document(DOCX)));
        }
        if name.starts_with(b"xl/") {
            return Ok(Some(document(XLSX)));
        }
        if name.starts_with(b"ppt/") {
            return Ok(Some(document(PPTX)));
        }
        package |= name == b"[Content_Types].xml" || name == b"_rels/.rels" || name.starts_with(b"docProps/");
    }
    if !package {
        return Ok(None);
    }
    let ooxml = [
        (DOCX, &["docx", "docm", "dotx"][..]),
        (XLSX, &["xlsx", "xlsm", "xltx"][..]),
        (PPTX, &["pptx", "pptm", "ppsx", "potx"][..]),
    ];
    Ok(Some(match hint.choose(&ooxml) {
        Some(mime) => document(mime),
        None => Sniffed::new("application/zip", None),
    }))
}

/// The names in the zip's local file headers found in `prefix` (APPNOTE 4.3.7). Headers are
/// searched for rather than walked, because entries written with a data descriptor do not say
/// their compressed size up front.
fn entry_names(prefix: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut from = 0usize;
    std::iter::from_fn(move || loop {
        let at = from + prefix.get(from..)?.windows(4).position(|w| w == b"PK\x03\x04")?;
        from = at + 4;
        let lengths = prefix.get(at + 26..at + 30)?;
        let name_len = usize::from(u16::from_le_bytes([lengths[0], lengths[1]]));
        if let Some(name) = prefix.get(at + 30..at + 30 + name_len) {
            return Some(name);
        }
    })
}
