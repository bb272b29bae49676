//! Attachments and voice notes: an upload checked against the target channel's formats and size
//! limits before anything is queued, and browser recordings turned into what each channel plays as a
//! voice note (WhatsApp: Ogg/Opus, remuxed from WebM without re-encoding).

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use domain::channel::ChannelKind;
use domain::ids::UploadId;
use domain::media_rules::{check_attachment, check_caption, MediaKind};
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
    let request = json!({
        "type": "media", "media_kind": p.kind.as_str(), "storage_key": p.storage_key, "mime": p.mime,
        "filename": p.filename, "caption": caption, "voice": p.voice, "reply_to": reply_to,
    });
    NewOutbound {
        kind: p.kind.as_str().to_string(),
        text: caption.clone(),
        content: json!({"caption": caption, "filename": p.filename, "voice": p.voice}),
        reply_to_external_id: reply_to,
        sender: Some(me.user_id()),
        request,
        attachments: vec![OutboundAttachment {
            kind: p.kind.as_str().to_string(),
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
    let kind = check_attachment(channel, &u.mime, u.size as u64).map_err(refused)?;
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
pub async fn voice_note(
    state: &AppState,
    me: &CurrentUser,
    channel: ChannelKind,
    upload: UploadId,
) -> ApiResult<NewOutbound> {
    let u = load_upload(state, me, upload).await?;
    let bytes = state.media.get(&u.storage_key).await.map_err(|e| ApiError::Internal(e.into()))?;
    let (storage_key, mime, size, sha256, voice) = match detect_recording(&bytes) {
        // Chrome and Firefox record WebM/Opus: the same Opus packets in an Ogg container are a
        // WhatsApp voice note (meta-platform.md §4), and an Ogg file for Messenger.
        RecordingFormat::WebmOpus => {
            let ogg = webm_opus_to_ogg(&bytes).map_err(|e| ApiError::UnsupportedMediaType {
                code: "unsupported_media_type",
                message: format!("the recording cannot be read: {e}"),
            })?;
            let stored = state.media.put(ogg.into()).await.map_err(|e| ApiError::Internal(e.into()))?;
            (stored.key, VOICE_NOTE_MIME.to_string(), stored.size as i64, stored.sha256_hex, true)
        }
        RecordingFormat::OggOpus => (u.storage_key, VOICE_NOTE_MIME.to_string(), u.size, u.sha256, true),
        // Safari records MP4/AAC: WhatsApp plays it as an ordinary audio message (a voice note would
        // need re-encoding to Opus, which the inbox does not do).
        RecordingFormat::Mp4Aac => (u.storage_key, "audio/mp4".to_string(), u.size, u.sha256, false),
        RecordingFormat::Mp4Opus | RecordingFormat::Other => {
            return Err(ApiError::unprocessable(
                "unsupported_media_type",
                "the recording must be WebM/Opus, Ogg/Opus or MP4/AAC (what browsers record)",
            ))
        }
    };
    let kind = check_attachment(channel, &mime, size as u64).map_err(refused)?;
    if kind != MediaKind::Audio {
        return Err(ApiError::unprocessable("unsupported_media_type", "the recording is not audio"));
    }
    // Only WhatsApp has voice notes as such; elsewhere the audio is a plain audio attachment.
    let voice = voice && channel.is_whatsapp();
    let p = Prepared { kind, storage_key, mime, size, sha256, filename: Some("nota-de-voz.ogg".into()), voice };
    Ok(outbound(p, None, None, me))
}
