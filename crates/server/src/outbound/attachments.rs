//! Attachments and voice notes: an upload checked against the target channel's formats and size
//! limits before anything is queued (a WhatsApp sticker's size and dimensions read from its bytes), and browser recordings turned into what each channel plays as a
//! voice note (WhatsApp: Ogg/Opus, remuxed from WebM without re-encoding; Instagram, which plays no
//! Opus: the WAV the UI records for it).

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use domain::channel::ChannelKind;
use domain::ids::UploadId;
use domain::media_rules::{
    check_attachment, check_caption, check_sticker, MediaKind, MediaRefusal, WHATSAPP_STICKER_ANIMATED_MAX,
};
use domain::outbound::{OutboundRequest, StoredFile};
use media::voice::{detect_recording, webm_opus_to_ogg, RecordingFormat, VOICE_NOTE_MIME};
use serde_json::json;
use store::{NewOutbound, OutboundAttachment, UploadRecord};

async fn load_upload(state: &AppState, me: &CurrentUser, id: UploadId) -> ApiResult<UploadRecord> {
    state.store.get_upload(me.account_id(), id).await.map_err(|e| match e {
        store::StoreError::NotFound => ApiError::unprocessable("upload_not_found", "no such upload"),
        other => other.into(),
    })
}

fn refused(e: domain::media_rules::MediaRefusal) -> ApiError {
    ApiError::unprocessable(e.code(), e.to_string())
}

/// Whether `channel` takes a file, and as what. A MIME type does not tell all about a WhatsApp
/// sticker — it must be 512×512 and its limit is 100 KB static or 500 KB animated — so a WebP for
/// WhatsApp is judged from its first bytes (`head`); WhatsApp would accept a wrong one and fail it
/// afterwards (131053).
pub fn check_file(channel: ChannelKind, mime: &str, size: u64, head: &[u8]) -> Result<MediaKind, MediaRefusal> {
    let checked = check_attachment(channel, mime, size);
    let sticker =
        matches!(checked, Ok(MediaKind::Sticker) | Err(MediaRefusal::MediaTooLarge { kind: MediaKind::Sticker, .. }));
    if !sticker {
        return checked;
    }
    let Some(info) = media::sniff::webp_info(head) else {
        // Too big for any sticker, animated or not, whatever its first bytes say.
        if size > WHATSAPP_STICKER_ANIMATED_MAX {
            return Err(MediaRefusal::MediaTooLarge { kind: MediaKind::Sticker, limit: WHATSAPP_STICKER_ANIMATED_MAX });
        }
        return Err(MediaRefusal::UnsupportedMediaType {
            channel: channel.as_str(),
            mime: format!("{mime} that cannot be read"),
        });
    };
    check_sticker(info.width, info.height, info.animated, size)?;
    Ok(MediaKind::Sticker)
}

/// [`check_file`] for a stored upload: only a possible WhatsApp sticker (a small WebP) is read back.
async fn check_upload(state: &AppState, channel: ChannelKind, u: &UploadRecord) -> ApiResult<MediaKind> {
    let size = u.size as u64;
    let maybe_sticker = channel.is_whatsapp() && u.mime == "image/webp" && size <= WHATSAPP_STICKER_ANIMATED_MAX;
    let head = if maybe_sticker {
        state.media.get(&u.storage_key).await.map_err(|e| ApiError::Internal(e.into()))?
    } else {
        bytes::Bytes::new()
    };
    check_file(channel, &u.mime, size, &head).map_err(refused)
}

struct Prepared {
    kind: MediaKind,
    storage_key: String,
    mime: String,
    size: i64,
    sha256: String,
    filename: Option<String>,
    voice: bool,
}

fn outbound(p: Prepared, caption: Option<String>, reply_to: Option<String>, me: &CurrentUser) -> NewOutbound {
    let request = OutboundRequest::Media {
        media_kind: p.kind,
        file: StoredFile { storage_key: p.storage_key.clone(), mime: p.mime.clone(), filename: p.filename.clone() },
        caption: caption.clone(),
        voice: p.voice,
        reply_to: reply_to.clone(),
    };
    NewOutbound {
        kind: p.kind.as_str().to_string(),
        text: caption.clone(),
        content: json!({"caption": caption, "filename": p.filename, "voice": p.voice}),
        reply_to_external_id: reply_to,
        sender: Some(me.user_id()),
        request,
        attachments: vec![OutboundAttachment {
            kind: p.kind,
            mime: p.mime,
            size: p.size,
            sha256: p.sha256,
            filename: p.filename,
            storage_key: p.storage_key,
        }],
    }
}

/// A file as an image, video, audio, document or sticker, whichever the channel takes it as.
pub async fn attachment(
    state: &AppState,
    me: &CurrentUser,
    channel: ChannelKind,
    upload: UploadId,
    caption: Option<String>,
    reply_to: Option<String>,
) -> ApiResult<NewOutbound> {
    let u = load_upload(state, me, upload).await?;
    let kind = check_upload(state, channel, &u).await?;
    let caption = caption.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    if let Some(c) = &caption {
        check_caption(channel, c).map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    }
    let p = Prepared {
        kind,
        storage_key: u.storage_key,
        mime: u.mime,
        size: u.size,
        sha256: u.sha256,
        filename: u.filename,
        voice: false,
    };
    Ok(outbound(p, caption, reply_to, me))
}

/// A recording from the browser's microphone, sent so that the channel shows it as a voice note.
/// Whether the channel plays the recording's format is decided before anything is converted or
/// queued, so an unplayable recording (WebM or Ogg to Instagram, WAV to WhatsApp) is a `422` with
/// the formats the channel takes, never a failed message later.
pub async fn voice_note(
    state: &AppState,
    me: &CurrentUser,
    channel: ChannelKind,
    upload: UploadId,
) -> ApiResult<NewOutbound> {
    let u = load_upload(state, me, upload).await?;
    let bytes = state.media.get(&u.storage_key).await.map_err(|e| ApiError::Internal(e.into()))?;
    let format = detect_recording(&bytes);
    // What the recording goes out as: (MIME, what it is in words, file extension, a voice note).
    let (mime, described, extension, voice) = match format {
        // Chrome and Firefox record WebM/Opus: the same Opus packets in an Ogg container are a
        // WhatsApp voice note (docs/meta.md §4), and an Ogg file for Messenger.
        RecordingFormat::WebmOpus => (VOICE_NOTE_MIME, "WebM/Opus", "ogg", true),
        RecordingFormat::OggOpus => (VOICE_NOTE_MIME, "Ogg/Opus", "ogg", true),
        // Safari records MP4/AAC: WhatsApp plays it as an ordinary audio message (a voice note would
        // need re-encoding to Opus, which the inbox does not do).
        RecordingFormat::Mp4Aac => ("audio/mp4", "MP4/AAC", "m4a", false),
        // What the UI records for Instagram, which plays no Opus.
        RecordingFormat::Wav => ("audio/wav", "WAV", "wav", false),
        RecordingFormat::Mp4Opus | RecordingFormat::Other => {
            return Err(ApiError::unprocessable(
                "unsupported_media_type",
                format!(
                    "the recording must be WebM/Opus, Ogg/Opus, MP4/AAC or WAV (what browsers record); {} takes {}",
                    channel.as_str(),
                    domain::media_rules::recording_formats(channel)
                ),
            ))
        }
    };
    let unplayable = || {
        ApiError::unprocessable(
            "unsupported_media_type",
            format!(
                "{} does not play {described} recordings; record {}",
                channel.as_str(),
                domain::media_rules::recording_formats(channel)
            ),
        )
    };
    match check_attachment(channel, mime, u.size as u64) {
        Ok(MediaKind::Audio) => {}
        Ok(_) | Err(MediaRefusal::UnsupportedMediaType { .. }) => return Err(unplayable()),
        Err(e) => return Err(refused(e)),
    }
    let (storage_key, size, sha256) = if format == RecordingFormat::WebmOpus {
        let ogg = webm_opus_to_ogg(&bytes).map_err(|e| ApiError::UnsupportedMediaType {
            code: "unsupported_media_type",
            message: format!("the recording cannot be read: {e}"),
        })?;
        let stored = state.media.put(ogg.into()).await.map_err(|e| ApiError::Internal(e.into()))?;
        (stored.key, stored.size as i64, stored.sha256_hex)
    } else {
        (u.storage_key, u.size, u.sha256)
    };
    let kind = check_attachment(channel, mime, size as u64).map_err(refused)?;
    // Only WhatsApp has voice notes as such; elsewhere the audio is a plain audio attachment.
    let voice = voice && channel.is_whatsapp();
    let filename = Some(format!("nota-de-voz.{extension}"));
    let p = Prepared { kind, storage_key, mime: mime.to_string(), size, sha256, filename, voice };
    Ok(outbound(p, None, None, me))
}
