//! Fetching inbound media from Meta into the media store. WhatsApp media are fetched by id (the Graph
//! API answers a short-lived URL, downloaded with the channel's token); Messenger and Instagram
//! attachments are CDN URLs that expire, so they are fetched promptly. A failed fetch is retried with
//! exponential backoff and finally marked `failed`: the message shows it rather than losing it.

use crate::realtime::publish::{self, Change};
use crate::state::AppState;
use domain::ids::ChannelId;
use std::time::Duration;
use store::AttachmentRecord;

const MAX_ATTEMPTS: i64 = 6;
/// WhatsApp's largest media (documents) is 100 MB; nothing larger is accepted from Meta.
const MAX_MEDIA_BYTES: u64 = 100 * 1024 * 1024;

pub async fn run(state: AppState, shutdown: tokio::sync::watch::Receiver<bool>) {
    let wakeup = state.media_wakeup.clone();
    crate::supervisor::poll("media_fetch", &wakeup, Duration::from_secs(2), shutdown, || fetch_due(&state)).await
}

async fn fetch_due(state: &AppState) -> Result<usize, store::StoreError> {
    let due = state.store.due_attachments(state.now_ms(), 16).await?;
    let n = due.len();
    for (attachment, channel, source, attempts) in due {
        let result = fetch_one(state, channel, &source).await;
        let now = state.now_ms();
        match result {
            Ok((bytes, declared)) => {
                let sniffed = media::sniff::sniff(&bytes, declared.as_deref(), attachment.filename.as_deref());
                let mime = match sniffed {
                    Ok(s) => s.mime,
                    // What Meta delivered is kept even if we cannot name its type: the agent may still want it.
                    Err(_) => "application/octet-stream".to_string(),
                };
                match state.media.put(bytes).await {
                    Ok(obj) => {
                        state
                            .store
                            .attachment_ready(attachment.id, &mime, obj.size as i64, &obj.sha256_hex, &obj.key, now)
                            .await?
                    }
                    Err(e) => retry_or_fail(state, &attachment, attempts, &format!("storing media: {e}")).await?,
                }
            }
            Err(e) if e.permanent => {
                tracing::warn!(attachment = %attachment.id, reason = %e.reason, "media cannot be fetched");
                state.store.attachment_failed(attachment.id, &e.reason, None, now).await?;
            }
            Err(e) => retry_or_fail(state, &attachment, attempts, &e.reason).await?,
        }
        notify(state, &attachment).await?;
    }
    Ok(n)
}

async fn retry_or_fail(
    state: &AppState,
    a: &AttachmentRecord,
    attempts: i64,
    reason: &str,
) -> Result<(), store::StoreError> {
    let retry_at = (attempts + 1 < MAX_ATTEMPTS).then(|| {
        let backoff = state.config.retry_base.as_millis() as i64 * (1_i64 << attempts.min(10));
        state.now_ms() + backoff
    });
    tracing::warn!(attachment = %a.id, attempts, reason, retrying = retry_at.is_some(), "media fetch failed");
    state.store.attachment_failed(a.id, reason, retry_at, state.now_ms()).await
}

async fn notify(state: &AppState, a: &AttachmentRecord) -> Result<(), store::StoreError> {
    // The message's attachment changed (ready or failed): tell whoever is looking at it.
    let Some((message, conversation, channel)) = state.store.attachment_message(a.id).await? else { return Ok(()) };
    let Some(stored) = state.store.channel_by_id(channel).await? else { return Ok(()) };
    publish::message(state, stored.channel.account_id, message, conversation, Change::Updated).await
}

/// Downloads the bytes an attachment's `source` names; returns them and Meta's declared MIME type.
/// Why a fetch failed, and whether trying again can help (an expired URL or a refused id cannot).
struct FetchError {
    reason: String,
    permanent: bool,
}

impl From<meta::graph::GraphError> for FetchError {
    fn from(e: meta::graph::GraphError) -> Self {
        FetchError { permanent: !e.classify().is_transient(), reason: e.reason() }
    }
}

impl FetchError {
    fn permanent(reason: impl Into<String>) -> Self {
        FetchError { reason: reason.into(), permanent: true }
    }
}

async fn fetch_one(
    state: &AppState,
    channel: ChannelId,
    source: &serde_json::Value,
) -> Result<(bytes::Bytes, Option<String>), FetchError> {
    if let Some(media_id) = source.get("whatsapp_media_id").and_then(|v| v.as_str()) {
        let stored = state
            .store
            .channel_by_id(channel)
            .await
            .map_err(|e| FetchError { reason: e.to_string(), permanent: false })?
            .ok_or_else(|| FetchError::permanent("the channel no longer exists"))?;
        let token = state.secrets.open(&stored.access_token_enc).map_err(|e| FetchError::permanent(e.to_string()))?;
        let wa = state.graph.whatsapp();
        let info = wa.media_info(media_id, &token).await?;
        let bytes = wa.download(&info.url, &token, MAX_MEDIA_BYTES).await?;
        return Ok((bytes, Some(info.mime_type)));
    }
    if let Some(url) = source.get("url").and_then(|v| v.as_str()) {
        let bytes = state.graph.messenger().download(url, MAX_MEDIA_BYTES).await?;
        return Ok((bytes, None));
    }
    Err(FetchError::permanent("the attachment names no source"))
}
