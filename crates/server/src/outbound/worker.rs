//! The outbox worker: sends queued messages to Meta, each exactly once.
//!
//! - The recipient and the Messenger/Instagram `messaging_type` are decided at send time from the
//!   conversation's handle and window, so a retry near a boundary never uses a stale decision.
//! - Transient Graph errors (5xx, timeouts, rate limits 130429/131056/4/80007) are retried with
//!   exponential backoff and jitter from `INBOX_RETRY_BASE_MS`; permanent ones end the message `failed`
//!   with Meta's code and a readable reason.
//! - Media (attachments, and template header files given as uploads) are uploaded to WhatsApp first
//!   (`POST /{PHONE_NUMBER_ID}/media`) and sent by id.
//! - Each number's throughput is paced (`INBOX_MESSAGES_PER_SECOND`, 80 by default, meta-platform.md §7).
//! - A row left `sending` by a process that died mid-call is failed as uncertain, never resent; so is a
//!   send whose answer never came (a timeout, a gateway's bare 502/504): Meta may have delivered it,
//!   and its APIs take no idempotency key, so a resend could reach the customer twice.

use crate::inbound::apply::Applier;
use crate::state::AppState;
use domain::channel::{Channel, ChannelAddress};
use domain::ids::ChannelId;
use domain::permissions::ConversationScope;
use domain::window::{MessagingType, Window};
use meta::graph::{
    messenger, whatsapp, AttachmentKind, AttachmentSource, GraphError, MediaRef, Retry, WaMedia, WaRecipient,
};
use secrecy::SecretString;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use store::OutboxItem;
use tokio::time::Instant;

/// The lease of a claimed row: longer than any Graph call (30 s timeout) with margin.
const LEASE_MS: i64 = 120_000;
const MAX_ATTEMPTS: i64 = 8;

pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let pacer = Pacer::new(state.config.messages_per_second);
    loop {
        if let Err(e) = fail_abandoned(&state).await {
            tracing::warn!(error = %e, "outbox: store error");
        }
        match send_due(&state, &pacer).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox: store error"),
        }
        tokio::select! {
            _ = state.outbox_wakeup.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn fail_abandoned(state: &AppState) -> Result<(), store::StoreError> {
    for (message, _channel) in state.store.outbox_abandoned(state.now_ms()).await? {
        tracing::error!(%message, "send interrupted mid-call; not resent to avoid a duplicate");
        state
            .store
            .outbox_failed(message, None, UNCERTAIN, "The server stopped while sending this message; it was not resent to avoid a duplicate. Check with the customer.", state.now_ms())
            .await?;
    }
    Ok(())
}

async fn send_due(state: &AppState, pacer: &Pacer) -> Result<usize, store::StoreError> {
    let items = state.store.claim_outbox(state.now_ms(), LEASE_MS, 32).await?;
    let n = items.len();
    for item in items {
        pacer.wait(item.channel_id).await;
        let outcome = deliver(state, &item).await;
        // One message's bookkeeping failing must not strand the rest of the batch as "sending".
        if let Err(e) = settle(state, &item, outcome).await {
            tracing::warn!(message = %item.message_id, error = %e, "outbox: could not record the outcome of a send");
        }
    }
    Ok(n)
}

enum Outcome {
    /// `wa_id`: the number WhatsApp says it delivered to, when it differs from ours we keep it.
    Sent {
        external_id: String,
        wa_id: Option<String>,
    },
    Transient {
        error: String,
        after: Option<Duration>,
        max_retries: Option<u32>,
    },
    Permanent {
        code: Option<String>,
        title: String,
        reason: String,
    },
}

impl From<GraphError> for Outcome {
    fn from(e: GraphError) -> Self {
        let code = e.code().map(|c| c.to_string());
        match e.classify() {
            Retry::Permanent => Outcome::Permanent { code, title: e.to_string(), reason: e.reason() },
            Retry::Transient { after, max_retries } => Outcome::Transient { error: e.to_string(), after, max_retries },
        }
    }
}

/// A failed *send* (not an upload or a read): when it may have reached the customer all the same, it
/// ends `failed` as uncertain instead of being retried.
fn send_failed(e: GraphError) -> Outcome {
    if e.may_have_taken_effect() {
        tracing::warn!(error = %e, "send answered nothing; not resent to avoid a duplicate");
        return Outcome::Permanent {
            code: None,
            title: UNCERTAIN.into(),
            reason: "Meta did not answer this send; it may have reached the customer, so it was not resent to avoid a duplicate. Check with the customer before sending it again.".into(),
        };
    }
    e.into()
}

const UNCERTAIN: &str = "delivery uncertain";

fn permanent(reason: &str) -> Outcome {
    Outcome::Permanent { code: None, title: "not sendable".into(), reason: reason.into() }
}

/// A store error while preparing a send: missing things end the message, a passing error retries it.
fn from_store(e: store::StoreError, what: &str) -> Outcome {
    match e {
        store::StoreError::NotFound => permanent(&format!("the {what} no longer exists")),
        other => Outcome::Transient { error: other.to_string(), after: None, max_retries: None },
    }
}

async fn deliver(state: &AppState, item: &OutboxItem) -> Outcome {
    let stored = match state.store.channel_by_id(item.channel_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return permanent("the channel no longer exists"),
        Err(e) => return from_store(e, "channel"),
    };
    if !stored.channel.enabled {
        return permanent("the channel is disabled");
    }
    let token = match state.secrets.open(&stored.access_token_enc) {
        Ok(t) => t,
        Err(e) => return permanent(&format!("the channel's access token cannot be read: {e}")),
    };
    let message = match state.store.get_message(item.account_id, &ConversationScope::All, item.message_id).await {
        Ok(m) => m,
        Err(e) => return from_store(e, "message"),
    };
    let conversation =
        match state.store.get_conversation(item.account_id, &ConversationScope::All, message.conversation_id).await {
            Ok(c) => c,
            Err(e) => return from_store(e, "conversation"),
        };
    let window = Window::compute(
        conversation.channel_kind,
        conversation.last_inbound_at.map(domain::time_util::from_millis),
        state.clock.now(),
    );
    let channel = &stored.channel;
    let r = &item.request;
    match &channel.address {
        ChannelAddress::Whatsapp { phone_number_id, .. } => {
            let h = &conversation.handle;
            let Some(to) = WaRecipient::preferred(h.wa_id.as_deref(), h.bsuid.as_deref()) else {
                return permanent("the customer has neither a phone number nor a WhatsApp user id");
            };
            let body = if r.get("type").and_then(Value::as_str) == Some("media") {
                // Media go to WhatsApp first (`/PHONE_NUMBER_ID/media`), then are sent by id.
                let (bytes, mime, filename) = match media_bytes(state, r).await {
                    Ok(m) => m,
                    Err(o) => return o,
                };
                let id =
                    match state.graph.whatsapp().upload_media(phone_number_id, &token, bytes, &mime, &filename).await {
                        Ok(id) => id,
                        Err(e) => return e.into(),
                    };
                whatsapp_media_body(&to, r, id)
            } else if let Some(header) = r.get("header_media").filter(|h| h.is_object()) {
                // A template whose header file is an inbox upload: to WhatsApp first, then its id goes
                // into the header.
                let (bytes, mime, filename) = match media_bytes(state, header).await {
                    Ok(m) => m,
                    Err(o) => return o,
                };
                let id =
                    match state.graph.whatsapp().upload_media(phone_number_id, &token, bytes, &mime, &filename).await {
                        Ok(id) => id,
                        Err(e) => return e.into(),
                    };
                let mut components = r.get("components").cloned().unwrap_or_default();
                if !domain::template::set_header_media_id(&mut components, &id) {
                    return permanent("the template has no header file to fill");
                }
                whatsapp::template(&to, &text_of(r, "name"), &text_of(r, "language"), &components)
            } else {
                match whatsapp_body(&to, r) {
                    Some(body) => body,
                    None => return permanent("unknown send type"),
                }
            };
            match state.graph.whatsapp().send_message(phone_number_id, &token, &body).await {
                Ok(sent) => Outcome::Sent { external_id: sent.message_id, wa_id: sent.wa_id },
                Err(e) => send_failed(e),
            }
        }
        ChannelAddress::Messenger { page_id: id } | ChannelAddress::Instagram { instagram_account_id: id } => {
            let Some(psid) = conversation.handle.scoped_id.as_deref() else {
                return permanent("the customer has no page-scoped id");
            };
            let Some(messaging_type) = window.messaging_type else {
                return Outcome::Permanent {
                    code: None,
                    title: "window_expired".into(),
                    reason: "More than 7 days since the customer's last message".into(),
                };
            };
            social_send(state, channel, id, &token, psid, messaging_type, r).await
        }
    }
}

/// The stored bytes of a queued media send, with its MIME type and a file name.
async fn media_bytes(state: &AppState, r: &Value) -> Result<(bytes::Bytes, String, String), Outcome> {
    let key = text_of(r, "storage_key");
    let bytes = state.media.get(&key).await.map_err(|e| permanent(&format!("the file is no longer stored: {e}")))?;
    let filename = r.get("filename").and_then(Value::as_str).unwrap_or("archivo").to_string();
    Ok((bytes, text_of(r, "mime"), filename))
}

fn whatsapp_media_body(to: &WaRecipient, r: &Value, media_id: String) -> Value {
    let media = MediaRef::Id(media_id);
    let caption = r.get("caption").and_then(Value::as_str).map(str::to_string);
    let content = match r.get("media_kind").and_then(Value::as_str) {
        Some("image") => WaMedia::Image { media, caption },
        Some("video") => WaMedia::Video { media, caption },
        Some("audio") => WaMedia::Audio { media, voice: r.get("voice").and_then(Value::as_bool).unwrap_or(false) },
        Some("sticker") => WaMedia::Sticker { media },
        _ => WaMedia::Document {
            media,
            filename: r.get("filename").and_then(Value::as_str).map(str::to_string),
            caption,
        },
    };
    whatsapp::media(to, &content, r.get("reply_to").and_then(Value::as_str))
}

fn text_of(r: &Value, key: &str) -> String {
    r.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn whatsapp_body(to: &WaRecipient, r: &Value) -> Option<Value> {
    let reply_to = r.get("reply_to").and_then(Value::as_str);
    match r.get("type").and_then(Value::as_str)? {
        "text" => Some(whatsapp::text(to, &text_of(r, "text"), false, reply_to)),
        "reaction" => Some(whatsapp::reaction(to, &text_of(r, "message_id"), &text_of(r, "emoji"))),
        "contact_request" => Some(whatsapp::request_contact_info(to, &text_of(r, "text"))),
        "template" => Some(whatsapp::template(to, &text_of(r, "name"), &text_of(r, "language"), r.get("components")?)),
        _ => None,
    }
}

async fn social_send(
    state: &AppState,
    channel: &Channel,
    id: &str,
    token: &SecretString,
    psid: &str,
    messaging_type: MessagingType,
    r: &Value,
) -> Outcome {
    let api = state.graph.messenger();
    let result = match r.get("type").and_then(Value::as_str) {
        Some("text") => {
            let body =
                messenger::text(psid, &text_of(r, "text"), messaging_type, r.get("reply_to").and_then(Value::as_str));
            api.send(id, token, &body).await.map(|s| s.message_id)
        }
        Some("reaction") if channel.kind == domain::channel::ChannelKind::Instagram => {
            let target = text_of(r, "message_id");
            let emoji = text_of(r, "emoji");
            let body = if emoji.is_empty() {
                messenger::unreact(psid, &target)
            } else {
                messenger::react(psid, &target, "love")
            };
            // Instagram answers a reaction without a message id: the send's own record gets a local one.
            api.send_action(id, token, &body).await.map(|_| format!("local.reaction.{}", uuid::Uuid::now_v7()))
        }
        Some("reaction") => return permanent("Messenger's Send API has no reactions"),
        Some("media") => {
            let (bytes, mime, filename) = match media_bytes(state, r).await {
                Ok(m) => m,
                Err(o) => return o,
            };
            let kind = match r.get("media_kind").and_then(Value::as_str) {
                Some("image") | Some("sticker") => AttachmentKind::Image,
                Some("video") => AttachmentKind::Video,
                Some("audio") => AttachmentKind::Audio,
                _ => AttachmentKind::File,
            };
            let attachment_id = match api.upload_attachment(id, token, kind, bytes, &mime, &filename).await {
                Ok(a) => a,
                Err(e) => return e.into(),
            };
            let reply_to = r.get("reply_to").and_then(Value::as_str);
            let body =
                messenger::attachment(psid, kind, &AttachmentSource::Id(attachment_id), messaging_type, reply_to);
            api.send(id, token, &body).await.map(|s| s.message_id)
        }
        _ => return permanent("unknown send type"),
    };
    match result {
        Ok(mid) => Outcome::Sent { external_id: mid, wa_id: None },
        Err(e) => send_failed(e),
    }
}

async fn settle(state: &AppState, item: &OutboxItem, outcome: Outcome) -> Result<(), store::StoreError> {
    let now = state.now_ms();
    match outcome {
        Outcome::Sent { external_id, wa_id } => {
            state.store.outbox_sent(item.message_id, &external_id, now).await?;
            if let Some(wa_id) = wa_id {
                let m = state.store.get_message(item.account_id, &ConversationScope::All, item.message_id).await?;
                state.store.correct_wa_id(m.conversation_id, &wa_id, now).await?;
            }
            metrics::counter!("inbox_messages_sent_total").increment(1);
        }
        // `attempts` counts the tries made, this one included; some errors allow only one retry (131053).
        Outcome::Transient { error, after, max_retries }
            if item.attempts < MAX_ATTEMPTS && max_retries.is_none_or(|m| (item.attempts as u32) <= m) =>
        {
            let base = state.config.retry_base.as_millis() as i64;
            let backoff = base.saturating_mul(1_i64 << (item.attempts - 1).clamp(0, 16));
            let jitter = (rand::random::<f64>() * 0.2 * backoff as f64) as i64;
            let wait = after.map(|d| d.as_millis() as i64).unwrap_or(0).max(backoff + jitter);
            tracing::warn!(message = %item.message_id, attempts = item.attempts, %error, wait_ms = wait, "send failed; retrying");
            state.store.outbox_retry(item.message_id, &error, now + wait).await?;
            return Ok(());
        }
        Outcome::Transient { error, .. } => {
            state.store.outbox_failed(item.message_id, None, "gave up after retries", &error, now).await?;
        }
        Outcome::Permanent { code, title, reason } => {
            tracing::info!(message = %item.message_id, ?code, %reason, "send failed permanently");
            let opted_out = code.as_deref() == Some(crate::inbound::apply::MARKETING_OPT_OUT_CODE);
            state.store.outbox_failed(item.message_id, code, &title, &reason, now).await?;
            if opted_out {
                if let Ok(Some(stored)) = state.store.channel_by_id(item.channel_id).await {
                    let m = state.store.get_message(item.account_id, &ConversationScope::All, item.message_id).await?;
                    Applier { state }.opted_out_by_meta(&stored.channel, m.conversation_id, now).await?;
                }
            }
        }
    }
    // Tell the agents, and apply any status that arrived before Meta's answer was stored.
    if let Ok(Some(stored)) = state.store.channel_by_id(item.channel_id).await {
        let applier = Applier { state };
        let m = state.store.get_message(item.account_id, &ConversationScope::All, item.message_id).await?;
        if let Some(external_id) = &m.external_id {
            applier.apply_waiting_for(&stored.channel, external_id).await?;
        }
        applier.publish_message(&stored.channel, item.message_id, m.conversation_id, "message.updated").await?;
        applier.publish_conversation(&stored.channel, m.conversation_id, "conversation.updated").await?;
    }
    Ok(())
}

/// Paces sends per channel (phone number, page): at most `rate` per second, in this process
/// (across processes it is a per-process limit until pacing moves to the database).
pub struct Pacer {
    rate: u32,
    next: Mutex<HashMap<ChannelId, Instant>>,
}

impl Pacer {
    pub fn new(rate: u32) -> Self {
        Self { rate: rate.max(1), next: Mutex::new(HashMap::new()) }
    }

    pub async fn wait(&self, channel: ChannelId) {
        let interval = Duration::from_secs(1) / self.rate;
        let wait = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = next.get(&channel).copied().filter(|t| *t > now).unwrap_or(now);
            next.insert(channel, slot + interval);
            slot.saturating_duration_since(now)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Tokio's paused clock makes the pacing exact and the test instant.
    #[tokio::test(start_paused = true)]
    async fn pacer_spaces_sends_of_one_channel_but_not_of_different_ones() {
        let pacer = Pacer::new(10);
        let (a, b) = (ChannelId::new(), ChannelId::new());
        let start = Instant::now();
        for _ in 0..3 {
            pacer.wait(a).await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(200), "three sends at 10/s: two intervals");
        let before_b = Instant::now();
        pacer.wait(b).await;
        assert_eq!(before_b.elapsed(), Duration::ZERO, "another channel is not held behind the first");
        pacer.wait(a).await;
        assert_eq!(start.elapsed(), Duration::from_millis(300));
    }
}
