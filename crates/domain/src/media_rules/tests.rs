use super::*;
use ChannelKind::*;

fn too_large(kind: ChannelKind, mime: &str, size: u64) -> u64 {
    match check_attachment(kind, mime, size) {
        Err(MediaRefusal::MediaTooLarge { limit, .. }) => limit,
        other => panic!("{mime} of {size} bytes on {kind:?}: {other:?}"),
    }
}

/// Every (channel, MIME, kind, limit) of docs/meta.md §5, §9 and §10, checked at the limit and
/// one byte over.
#[test]
fn every_limit_passes_exactly_and_fails_one_byte_over() {
    let table: &[(ChannelKind, &str, MediaKind, u64)] = &[
        (WhatsappCloud, "image/jpeg", MediaKind::Image, 5_000_000),
        (WhatsappCloud, "image/png", MediaKind::Image, 5_000_000),
        (WhatsappCloud, "video/mp4", MediaKind::Video, 16_000_000),
        (WhatsappCloud, "video/3gpp", MediaKind::Video, 16_000_000),
        (WhatsappCloud, "audio/aac", MediaKind::Audio, 16_000_000),
        (WhatsappCloud, "audio/amr", MediaKind::Audio, 16_000_000),
        (WhatsappCloud, "audio/mpeg", MediaKind::Audio, 16_000_000),
        (WhatsappCloud, "audio/mp4", MediaKind::Audio, 16_000_000),
        (WhatsappCloud, "audio/ogg; codecs=opus", MediaKind::Audio, 16_000_000),
        (WhatsappBusinessApp, "application/pdf", MediaKind::Document, 100_000_000),
        (WhatsappCloud, "text/plain", MediaKind::Document, 100_000_000),
        (WhatsappCloud, "application/msword", MediaKind::Document, 100_000_000),
        (
            WhatsappCloud,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            MediaKind::Document,
            100_000_000,
        ),
        (WhatsappCloud, "image/webp", MediaKind::Sticker, 100_000),
        (Messenger, "image/jpeg", MediaKind::Image, 25_000_000),
        (Messenger, "video/mp4", MediaKind::Video, 25_000_000),
        (Messenger, "audio/mpeg", MediaKind::Audio, 25_000_000),
        (Messenger, "application/zip", MediaKind::Document, 25_000_000),
        (Instagram, "image/png", MediaKind::Image, 8_000_000),
        (Instagram, "image/gif", MediaKind::Image, 8_000_000),
        (Instagram, "video/quicktime", MediaKind::Video, 25_000_000),
        (Instagram, "video/webm", MediaKind::Video, 25_000_000),
        (Instagram, "audio/x-m4a", MediaKind::Audio, 25_000_000),
        (Instagram, "audio/wav", MediaKind::Audio, 25_000_000),
        (Instagram, "application/pdf", MediaKind::Document, 25_000_000),
    ];
    for &(channel, mime, kind, limit) in table {
        assert_eq!(check_attachment(channel, mime, limit), Ok(kind), "{mime} on {channel:?}");
        assert_eq!(too_large(channel, mime, limit + 1), limit, "{mime} on {channel:?}");
    }
}

#[test]
fn a_gif_is_refused_on_whatsapp_and_an_image_elsewhere() {
    for kind in [WhatsappCloud, WhatsappBusinessApp] {
        let refusal = check_attachment(kind, "image/gif", 2_000).unwrap_err();
        assert_eq!(refusal, MediaRefusal::GifNotSupported);
        assert_eq!(refusal.code(), "gif_not_supported");
        assert!(refusal.to_string().contains("MP4"), "says what to send instead: {refusal}");
    }
    assert_eq!(check_attachment(Messenger, "image/gif", 2_000_000), Ok(MediaKind::Image));
    assert_eq!(check_attachment(Instagram, "image/gif", 2_000_000), Ok(MediaKind::Image));
}

#[test]
fn whatsapp_voice_notes_must_be_ogg_opus() {
    for ok in ["audio/ogg", "audio/ogg; codecs=opus", "Audio/OGG;codecs=\"opus\""] {
        assert_eq!(check_attachment(WhatsappCloud, ok, 1000), Ok(MediaKind::Audio), "{ok}");
    }
    for refused in ["audio/ogg; codecs=vorbis", "audio/opus", "audio/webm", "audio/webm;codecs=opus"] {
        let err = check_attachment(WhatsappCloud, refused, 1000).unwrap_err();
        assert_eq!(err.code(), "unsupported_media_type", "{refused}");
    }
}

#[test]
fn instagram_refuses_what_it_does_not_list() {
    for mime in ["application/msword", "image/webp", "audio/ogg", "audio/webm", "text/plain"] {
        let err = check_attachment(Instagram, mime, 10).unwrap_err();
        assert_eq!(err.code(), "unsupported_media_type", "{mime}");
    }
    assert_eq!(check_attachment(WhatsappCloud, "application/zip", 10).unwrap_err().code(), "unsupported_media_type");
    assert!(check_attachment(Messenger, "", 10).is_err());
}

#[test]
fn animated_stickers_may_be_larger_when_the_caller_knows() {
    assert_eq!(sticker_limit(false), 100_000);
    assert_eq!(sticker_limit(true), 500_000);
    assert_eq!(too_large(WhatsappCloud, "image/webp", 100_001), 100_000);
}

#[test]
fn stickers_are_512_square_within_the_static_or_animated_limit() {
    assert_eq!(check_sticker(512, 512, false, 100_000), Ok(()));
    assert_eq!(check_sticker(512, 512, true, 500_000), Ok(()));
    assert_eq!(
        check_sticker(512, 512, false, 100_001),
        Err(MediaRefusal::MediaTooLarge { kind: MediaKind::Sticker, limit: 100_000 })
    );
    assert_eq!(
        check_sticker(512, 512, true, 500_001),
        Err(MediaRefusal::MediaTooLarge { kind: MediaKind::Sticker, limit: 500_000 })
    );
    let refusal = check_sticker(1, 1, false, 30).unwrap_err();
    assert_eq!(refusal, MediaRefusal::StickerDimensions { width: 1, height: 1 });
    assert_eq!(refusal.code(), "unsupported_media_type");
}

#[test]
fn text_limits_pass_exactly_and_fail_one_over() {
    let cases = [(WhatsappCloud, 4096), (WhatsappBusinessApp, 4096), (Messenger, 2000), (Instagram, 1000)];
    for (kind, max) in cases {
        assert_eq!(check_text(kind, &"a".repeat(max)), Ok(()), "{kind:?}");
        let err = check_text(kind, &"a".repeat(max + 1)).unwrap_err();
        assert_eq!(err.code(), "text_too_long");
        assert!(matches!(err, TextRefusal::TooLong(l) if l.max == max));
    }
}

#[test]
fn whatsapp_counts_characters_but_instagram_counts_bytes() {
    let accents = "ñ".repeat(1000); // 2 bytes each
    assert_eq!(check_text(WhatsappCloud, &accents), Ok(()));
    assert_eq!(check_text(Messenger, &accents), Ok(()));
    assert!(check_text(Instagram, &accents).is_err());
    assert_eq!(check_text(Instagram, &"ñ".repeat(500)), Ok(()));
    // 250 emoji × 4 bytes = 1000 bytes: exactly the limit; one more byte fails.
    let emoji = "😀".repeat(250);
    assert_eq!(check_text(Instagram, &emoji), Ok(()));
    assert!(check_text(Instagram, &format!("{emoji}a")).is_err());
}

#[test]
fn empty_or_blank_text_is_refused() {
    for kind in ChannelKind::ALL {
        for blank in ["", "   ", "\n\t"] {
            let err = check_text(kind, blank).unwrap_err();
            assert_eq!(err, TextRefusal::Empty);
            assert_eq!(err.code(), "text_empty");
        }
    }
}

#[test]
fn captions_have_their_own_limit_on_whatsapp() {
    assert_eq!(check_caption(WhatsappCloud, ""), Ok(()));
    assert_eq!(check_caption(WhatsappCloud, &"a".repeat(1024)), Ok(()));
    assert!(check_caption(WhatsappCloud, &"a".repeat(1025)).is_err());
    assert_eq!(caption_limit(Messenger), None);
    assert_eq!(check_caption(Instagram, ""), Ok(()));
    assert_eq!(check_caption(Instagram, &"a".repeat(1000)), Ok(()));
    assert!(check_caption(Instagram, &"a".repeat(1001)).is_err());
}

#[test]
fn refusals_explain_themselves() {
    let err = check_attachment(Instagram, "video/mp4", 30_000_000).unwrap_err();
    assert_eq!(err.code(), "media_too_large");
    assert_eq!(err.to_string(), "the file is too large for this channel: at most 25 MB for video");
    let err = check_attachment(WhatsappCloud, "image/webp", 100_001).unwrap_err();
    assert_eq!(err.to_string(), "the file is too large for this channel: at most 100 KB for sticker");
    let err = check_text(Instagram, &"a".repeat(1001)).unwrap_err();
    assert_eq!(err.to_string(), "the text is too long for this channel: at most 1000 bytes");
}

#[test]
fn media_kinds_keep_their_stored_strings() {
    let stored = [
        (MediaKind::Image, "image"),
        (MediaKind::Video, "video"),
        (MediaKind::Audio, "audio"),
        (MediaKind::Document, "document"),
        (MediaKind::Sticker, "sticker"),
    ];
    for (kind, text) in stored {
        assert_eq!(kind.as_str(), text);
        assert_eq!(MediaKind::parse(text), Some(kind));
        assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(text));
        assert_eq!(serde_json::from_value::<MediaKind>(serde_json::json!(text)).unwrap(), kind);
    }
    assert_eq!(MediaKind::ALL.len(), stored.len());
    assert_eq!(MediaKind::parse("gif"), None);
}
