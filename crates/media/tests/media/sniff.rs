//! Sniffing real files (fixtures made by `scripts/make-sniff-fixtures.sh`, Office packages built
//! here with the `zip` and `cfb` crates) and checking the answers against the channels' rules.

use super::voice::fixture;
use domain::channel::ChannelKind;
use domain::media_rules::{check_attachment, MediaKind};
use inbox_media::sniff::{sniff, webp_info, SniffError, Sniffed, WebpInfo, SNIFF_PREFIX_LEN};
use std::io::{Cursor, Write};

fn sniffed(bytes: &[u8]) -> Sniffed {
    sniff(&bytes[..bytes.len().min(SNIFF_PREFIX_LEN)], None, None).expect("accepted content")
}

#[test]
fn each_real_file_is_known_by_its_content() {
    use MediaKind::*;
    let cases: &[(&str, &str, MediaKind)] = &[
        ("sniff/pixel.png", "image/png", Image),
        ("sniff/pixel.jpg", "image/jpeg", Image),
        ("sniff/pixel.gif", "image/gif", Image),
        ("sniff/static.webp", "image/webp", Image),
        ("sniff/tone.mp3", "audio/mpeg", Audio),
        ("sniff/tone.aac", "audio/aac", Audio),
        ("sniff/tone.wav", "audio/wav", Audio),
        ("sniff/tone.m4a", "audio/mp4", Audio),
        ("sniff/tone-opus.ogg", "audio/ogg; codecs=opus", Audio),
        ("sniff/tone-vorbis.ogg", "audio/ogg; codecs=vorbis", Audio),
        ("chrome-opus-mono.webm", "audio/webm", Audio),
        ("chrome-opus.mp4", "audio/mp4", Audio),
        ("safari-like-aac.mp4", "audio/mp4", Audio),
        ("sniff/clip.mp4", "video/mp4", Video),
        ("sniff/clip.3gp", "video/3gpp", Video),
        ("sniff/clip.webm", "video/webm", Video),
        ("sniff/invoice.pdf", "application/pdf", Document),
    ];
    for (name, mime, kind) in cases {
        let got = sniffed(&fixture(name));
        assert_eq!((got.mime.as_str(), got.kind), (*mime, Some(*kind)), "{name}");
    }
}

#[test]
fn the_name_and_declared_type_never_override_the_content() {
    let png = fixture("sniff/pixel.png");
    let got = sniff(&png, Some("image/jpeg"), Some("photo.jpg")).expect("png");
    assert_eq!(got.mime, "image/png");
    let text = "Cotización 2024: 3 unidades".as_bytes();
    assert_eq!(sniff(text, Some("application/pdf"), Some("cotizacion.pdf")).map(|s| s.mime), Ok("text/plain".into()));
}

#[test]
fn an_executable_named_pdf_is_refused() {
    // This test binary is a real ELF (or Mach-O) executable.
    let exe = std::fs::read(std::env::current_exe().expect("test binary")).expect("readable");
    let prefix = &exe[..SNIFF_PREFIX_LEN];
    let refused = sniff(prefix, Some("application/pdf"), Some("factura.pdf"));
    assert!(matches!(refused, Err(SniffError::Executable(_))), "{refused:?}");
    assert_eq!(refused.err().map(|e| e.code()), Some("unsupported_media_type"));
}

#[test]
fn a_windows_program_is_refused_but_text_starting_with_mz_is_text() {
    let mut pe = vec![0u8; 256];
    pe[..2].copy_from_slice(b"MZ");
    pe[0x3C] = 0x80;
    pe[0x80..0x84].copy_from_slice(b"PE\0\0");
    assert_eq!(sniff(&pe, None, Some("a.pdf")), Err(SniffError::Executable("Windows PE")));
    assert_eq!(sniff(b"MZA Logistics, invoice 12", None, None).map(|s| s.mime), Ok("text/plain".into()));
}

#[test]
fn unknown_binary_named_pdf_is_not_a_pdf_and_whatsapp_refuses_it() {
    let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let got = sniff(&noise, Some("application/pdf"), Some("factura.pdf")).expect("sniffed");
    assert_eq!((got.mime.as_str(), got.kind), ("application/octet-stream", None));
    assert!(check_attachment(ChannelKind::WhatsappCloud, &got.mime, 4096).is_err());
    // Messenger takes any file.
    assert_eq!(check_attachment(ChannelKind::Messenger, &got.mime, 4096), Ok(MediaKind::Document));
}

#[test]
fn empty_files_are_refused() {
    assert_eq!(sniff(b"", None, Some("a.txt")), Err(SniffError::Empty));
}

#[test]
fn webp_sizes_are_read_from_the_canvas_or_the_bitstream() {
    let lossy = webp_info(&fixture("sniff/static.webp")).expect("a WebP");
    assert_eq!(lossy, WebpInfo { width: 16, height: 16, animated: false });
    let animated = webp_info(&fixture("sniff/animated.webp")).expect("a WebP");
    assert_eq!(animated, WebpInfo { width: 16, height: 16, animated: true });
    // A 1×1 lossless file, and the header of a 512×512 extended one.
    let lossless = b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0\x10\x07\x10\x11\x11\x88\x88\xfe\x07\0";
    assert_eq!(webp_info(lossless), Some(WebpInfo { width: 1, height: 1, animated: false }));
    let canvas = b"RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0\xff\x01\0\xff\x01\0";
    assert_eq!(webp_info(canvas), Some(WebpInfo { width: 512, height: 512, animated: false }));
    assert_eq!(webp_info(&fixture("sniff/pixel.png")), None);
    assert_eq!(webp_info(b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0"), None, "cut before the canvas");
}

#[test]
fn animated_webp_is_told_from_static() {
    assert!(!sniffed(&fixture("sniff/static.webp")).animated);
    assert!(sniffed(&fixture("sniff/animated.webp")).animated);
    assert!(!sniffed(&fixture("sniff/pixel.png")).animated);
}

#[test]
fn whatsapp_takes_ogg_opus_and_refuses_webm_and_vorbis() {
    let size = 10_000;
    let accepts =
        |name: &str| check_attachment(ChannelKind::WhatsappCloud, &sniffed(&fixture(name)).mime, size).is_ok();
    assert!(accepts("sniff/tone-opus.ogg"));
    assert!(!accepts("sniff/tone-vorbis.ogg"));
    assert!(!accepts("chrome-opus-mono.webm"), "WebM must be remuxed first");
    assert!(accepts("safari-like-aac.mp4"));
    let remuxed = inbox_media::voice::webm_opus_to_ogg(&fixture("chrome-opus-mono.webm")).expect("remux");
    assert_eq!(sniffed(&remuxed).mime, inbox_media::voice::VOICE_NOTE_MIME);
}

#[test]
fn amr_and_amr_wb_by_their_magic() {
    // RFC 4867 §5 storage format: magic, then frames; 0x7C is a NO_DATA frame header.
    let mut amr = b"#!AMR\n".to_vec();
    amr.extend([0x7C; 20]);
    assert_eq!(sniffed(&amr).mime, "audio/amr");
    let mut wb = b"#!AMR-WB\n".to_vec();
    wb.extend([0x7C; 20]);
    assert_eq!(sniffed(&wb).mime, "audio/amr-wb");
}

/// A real OOXML package: content types, relationships, then the main part under `dir`.
fn ooxml(dir: &str, main_part: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let main = format!("{dir}/{main_part}");
    let parts = [
        ("[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"),
        ("_rels/.rels", "<Relationships/>"),
        ("docProps/app.xml", "<Properties/>"),
        (main.as_str(), "<document/>"),
    ];
    for (name, body) in parts {
        zip.start_file(name, options).expect("entry");
        zip.write_all(body.as_bytes()).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

#[test]
fn office_open_xml_is_known_by_its_parts() {
    let cases = [
        ("word", "document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("xl", "workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("ppt", "presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ];
    for (dir, part, mime) in cases {
        let file = ooxml(dir, part);
        let got = sniff(&file, Some("application/octet-stream"), Some("upload.bin")).expect("ooxml");
        assert_eq!((got.mime.as_str(), got.kind), (mime, Some(MediaKind::Document)));
        assert!(check_attachment(ChannelKind::WhatsappCloud, &got.mime, file.len() as u64).is_ok());
    }
}

#[test]
fn ooxml_cut_before_its_parts_is_chosen_by_extension_among_office_types_only() {
    let file = ooxml("xl", "workbook.xml");
    // Only the first entry ([Content_Types].xml) is in this prefix.
    let prefix = &file[..120];
    let by_name = sniff(prefix, None, Some("ventas.xlsx")).expect("zip");
    assert_eq!(by_name.mime, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let by_type = sniff(prefix, Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"), None);
    assert_eq!(
        by_type.map(|s| s.mime).as_deref(),
        Ok("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    );
    // A name outside the three cannot make it a PDF.
    let pdf_name = sniff(prefix, Some("application/pdf"), Some("ventas.pdf")).expect("zip");
    assert_eq!((pdf_name.mime.as_str(), pdf_name.kind), ("application/zip", None));
}

#[test]
fn a_plain_zip_is_an_archive_and_a_java_package_is_refused() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("fotos/uno.txt", zip::write::SimpleFileOptions::default()).expect("entry");
    zip.write_all(b"hola").expect("write");
    let plain = zip.finish().expect("zip").into_inner();
    let got = sniff(&plain, None, Some("fotos.docx")).expect("zip");
    assert_eq!((got.mime.as_str(), got.kind), ("application/zip", None));

    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file("META-INF/MANIFEST.MF", zip::write::SimpleFileOptions::default()).expect("entry");
    zip.write_all(b"Main-Class: Evil\n").expect("write");
    let jar = zip.finish().expect("zip").into_inner();
    assert!(matches!(sniff(&jar, None, Some("cv.docx")), Err(SniffError::Executable(_))));
}

/// A real OLE compound file, the container of .doc, .xls and .ppt.
fn compound_file() -> Vec<u8> {
    let mut cfb = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("cfb");
    let mut stream = cfb.create_stream("/WordDocument").expect("stream");
    stream.write_all(&[0u8; 4096]).expect("write");
    drop(stream);
    cfb.flush().expect("flush");
    cfb.into_inner().into_inner()
}

#[test]
fn legacy_office_is_chosen_by_declared_type_or_extension_among_the_three() {
    let file = compound_file();
    let mime = |declared: Option<&str>, name: Option<&str>| sniff(&file, declared, name).map(|s| s.mime);
    assert_eq!(mime(None, Some("carta.doc")).as_deref(), Ok("application/msword"));
    assert_eq!(mime(None, Some("ventas.XLS")).as_deref(), Ok("application/vnd.ms-excel"));
    assert_eq!(mime(Some("application/vnd.ms-powerpoint"), Some("x")).as_deref(), Ok("application/vnd.ms-powerpoint"));
    // Neither says which: not sent as a document; a PDF name changes nothing.
    assert_eq!(mime(None, None).as_deref(), Ok("application/x-ole-storage"));
    assert_eq!(mime(Some("application/pdf"), Some("carta.pdf")).as_deref(), Ok("application/x-ole-storage"));
}
