//! `POST /api/v1/uploads`: a file an agent will send. It is streamed to the media store (never held
//! whole in memory), its type is decided from its bytes — not its name — and executables are refused.
//! Whether a given channel accepts it is checked when it is sent, and also at once when the upload
//! names the channel (`?channel_id=`), so the composer can show the refusal before anything is sent.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use domain::ids::{ChannelId, UploadId};
use domain::permissions::Action;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use store::UploadRecord;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The largest file any channel accepts (WhatsApp documents, 100 MB).
pub const MAX_UPLOAD_BYTES: u64 = 100 * 1000 * 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UploadView {
    pub id: UploadId,
    /// Decided from the content.
    pub mime: String,
    pub size: i64,
    pub filename: Option<String>,
    /// `image`, `video`, `audio`, `document`, `sticker`, or null for other files.
    pub kind: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UploadQuery {
    /// Check at once that this channel accepts the file as an attachment (type and size):
    /// `422 unsupported_media_type` / `media_too_large` otherwise, and nothing is kept.
    channel_id: Option<ChannelId>,
}

/// Upload a file (multipart field `file`) to send as an attachment or voice note.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "conversations", params(UploadQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = UploadView), (status = 413, body = crate::error::ErrorBody),
        (status = 415, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(query): Query<UploadQuery>,
    mut multipart: Multipart,
) -> ApiResult<(StatusCode, Json<UploadView>)> {
    me.require_inbox()?;
    me.require(Action::SendMessages)?;
    let channel_kind = match query.channel_id {
        Some(id) if !me.permissions.may_use_channel(id) => return Err(ApiError::NotFound),
        Some(id) => Some(state.store.get_channel(me.account_id(), id).await?.channel.kind),
        None => None,
    };
    let bad = |m: String| ApiError::bad_request("invalid_upload", m);
    // A body cut at the route's limit is 413 like a file over it, not a malformed request.
    let unreadable = |e: axum::extract::multipart::MultipartError| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
            code: "media_too_large",
            message: format!("files up to {MAX_UPLOAD_BYTES} bytes can be uploaded"),
        },
        _ => bad(e.body_text()),
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let filename = field.file_name().map(|f| f.chars().filter(|c| !c.is_control()).take(200).collect::<String>());
        let declared = field.content_type().map(str::to_string);
        // Keep the first bytes for sniffing while the whole file streams to the store.
        let prefix = Arc::new(Mutex::new(Vec::with_capacity(media::sniff::SNIFF_PREFIX_LEN)));
        let seen = prefix.clone();
        let stream = field
            .inspect_ok(move |chunk| {
                let mut p = seen.lock().unwrap_or_else(|e| e.into_inner());
                let room = media::sniff::SNIFF_PREFIX_LEN.saturating_sub(p.len());
                p.extend_from_slice(&chunk[..room.min(chunk.len())]);
            })
            .map_err(std::io::Error::other);
        let mut reader = tokio_util::io::StreamReader::new(stream);
        let stored = state.media.put_stream(&mut reader, MAX_UPLOAD_BYTES).await.map_err(|e| match e {
            media::store::MediaStoreError::TooLarge { max } => ApiError::PayloadTooLarge {
                code: "media_too_large",
                message: format!("files up to {max} bytes can be uploaded"),
            },
            other => ApiError::Internal(other.into()),
        })?;
        let head = prefix.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let sniffed = match media::sniff::sniff(&head, declared.as_deref(), filename.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                let _ = state.media.delete(&stored.key).await;
                return Err(ApiError::UnsupportedMediaType {
                    code: e.code(),
                    message: format!("this file cannot be sent: {e}"),
                });
            }
        };
        if let Some(kind) = channel_kind {
            if let Err(refusal) = crate::outbound::attachments::check_file(kind, &sniffed.mime, stored.size, &head) {
                let _ = state.media.delete(&stored.key).await;
                return Err(ApiError::unprocessable(refusal.code(), refusal.to_string()));
            }
        }
        let record = UploadRecord {
            id: UploadId::new(),
            storage_key: stored.key,
            mime: sniffed.mime,
            kind: sniffed.kind.map(|k| k.as_str().to_string()),
            size: stored.size as i64,
            sha256: stored.sha256_hex,
            filename,
        };
        state.store.create_upload(me.account_id(), me.user_id(), &record, state.now_ms()).await?;
        let view = UploadView {
            id: record.id,
            mime: record.mime,
            size: record.size,
            filename: record.filename,
            kind: record.kind,
        };
        return Ok((StatusCode::CREATED, Json(view)));
    }
    Err(bad("the multipart body has no `file` field".into()))
}
