//! The outbox worker: sends queued messages to Meta, each exactly once.
//!
//! - The recipient and the Messenger/Instagram `messaging_type` are decided at send time from the
//!   conversation's handle and window, so a retry near a boundary never uses a stale decision.
//! - Transient Graph errors (5xx, timeouts, rate limits 130429/131056/4/80007) are retried with
//!   exponential backoff and jitter from `INBOX_RETRY_BASE_MS`; permanent ones end the message `failed`
//!   with Meta's code and a readable reason.
//! - Media (attachments, and template header files given as uploads) are uploaded to WhatsApp first
//!   (`POST /{PHONE_NUMBER_ID}/media`) and sent by id.
//! - Each number's throughput is paced (`INBOX_MESSAGES_PER_SECOND`, 80 by default, docs/meta.md §7;
//!   a coexistence number at most 20 a second, Meta's fixed rate for those).
//! - A row left `sending` by a process that died mid-call is failed as uncertain, never resent; so is a
//!   send whose answer never came (a timeout, a gateway's bare 502/504): Meta may have delivered it,
//!   and its APIs take no idempotency key, so a resend could reach the customer twice.

use crate::inbound::apply::Applier;
use crate::realtime::publish::{self, Change};
use crate::state::AppState;
use domain::channel::{Channel, ChannelAddress, ChannelKind};
use domain::ids::{ChannelId, MessageId};
use domain::media_rules::MediaKind;
use domain::outbound::{OutboundRequest, StoredFile};
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

/// The lease of a claimed row, renewed every `RENEW` while its send (and any media upload before it)
/// runs: a process that dies mid-call leaves the row to be failed as uncertain within a lease.
const LEASE_MS: i64 = 20_000;
const RENEW: Duration = Duration::from_secs(5);
/// Rows sent per wake-up before the queue is looked at again.
const BATCH: usize = 32;
const MAX_ATTEMPTS: i64 = 8;

pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let pacer = Pacer::for_store(state.config.messages_per_second, &state.store);
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
    let requeued = state.store.outbox_requeue_interrupted(state.now_ms()).await?;
    if requeued > 0 {
        tracing::warn!(requeued, "sends interrupted before their call queued again");
    }
    for (message, _channel) in state.store.outbox_abandoned(state.now_ms()).await? {
        tracing::error!(%message, "send interrupted mid-call; not resent to avoid a duplicate");
        state
            .store
            .outbox_failed(message, None, UNCERTAIN, "The server stopped while sending this message; it was not resent to avoid a duplicate. Check with the customer.", state.now_ms())
            .await?;
    }
    Ok(())
}

/// Sends due rows one claim at a time, each claimed only once its channel's pacing slot has come: a
/// row is `sending` only while its own call runs, so a process killed in the middle (even while
/// waiting for a slot) leaves the rows it had not reached `queued` (for any process to send), and only
/// the one in flight is in doubt.
async fn send_due(state: &AppState, pacer: &Pacer) -> Result<usize, store::StoreError> {
    let mut n = 0;
    while n < BATCH {
        let Some((channel, kind)) = state.store.next_due_outbox_channel(state.now_ms()).await? else { break };
        n += 1;
        pacer.wait(channel, kind).await;
        // Another process may have taken that row meanwhile; the slot then goes unused (slower, never
        // faster than the channel's rate).
        let Some(item) = state.store.claim_outbox_of_channel(state.now_ms(), LEASE_MS, channel).await? else {
            continue;
        };
        let _renewal = {
            let (state, message) = (state.clone(), item.message_id);
            crate::lease::Renewal::start(RENEW, move || {
                let state = state.clone();
                async move {
                    if let Err(e) = state.store.renew_outbox_claim(message, state.now_ms() + LEASE_MS).await {
                        tracing::warn!(%message, error = %e, "outbox: could not renew its claim");
                    }
                }
            })
        };
        let outcome = deliver(state, &item).await;
        // One message's bookkeeping failing must not stop the others.
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
    /// The claim ran out before the call began (this process stalled past its lease, and the row went
    /// back to the queue or to another process): nothing was sent, nothing is recorded here.
    NotOurs,
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
    let request = match &item.request {
        Ok(r) => r,
        // Guessing at a damaged or unknown request could send the customer something nobody wrote.
        Err(e) => {
            return Outcome::Permanent {
                code: None,
                title: "unreadable send".into(),
                reason: format!("The queued message cannot be read ({e}); it was not sent."),
            }
        }
    };
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
    match &channel.address {
        ChannelAddress::Whatsapp { phone_number_id, .. } => {
            let h = &conversation.handle;
            let Some(to) = WaRecipient::preferred(h.wa_id.as_deref(), h.bsuid.as_deref()) else {
                return permanent("the customer has neither a phone number nor a WhatsApp user id");
            };
            let wa = WhatsappSender { state, phone_number_id, token: &token };
            let body = match wa.body(&to, request).await {
                Ok(body) => body,
                Err(o) => return o,
            };
            if let Err(o) = calling(state, item.message_id).await {
                return o;
            }
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
            let to = SocialRecipient { psid, messaging_type };
            social_send(state, item.message_id, channel, id, &token, to, request).await
        }
    }
}

/// The stored bytes of a file to send, with its MIME type and a file name.
async fn file_bytes(state: &AppState, file: &StoredFile) -> Result<(bytes::Bytes, String, String), Outcome> {
    let bytes = state
        .media
        .get(&file.storage_key)
        .await
        .map_err(|e| permanent(&format!("the file is no longer stored: {e}")))?;
    let filename = file.filename.clone().unwrap_or_else(|| "archivo".into());
    Ok((bytes, file.mime.clone(), filename))
}

/// Builds WhatsApp sends, uploading their files to the number first (`/PHONE_NUMBER_ID/media`): WhatsApp
/// sends media by id.
struct WhatsappSender<'a> {
    state: &'a AppState,
    phone_number_id: &'a str,
    token: &'a SecretString,
}

impl WhatsappSender<'_> {
    async fn upload(&self, file: &StoredFile) -> Result<String, Outcome> {
        let (bytes, mime, filename) = file_bytes(self.state, file).await?;
        self.state
            .graph
            .whatsapp()
            .upload_media(self.phone_number_id, self.token, bytes, &mime, &filename)
            .await
            .map_err(Outcome::from)
    }

    async fn body(&self, to: &WaRecipient, request: &OutboundRequest) -> Result<Value, Outcome> {
        Ok(match request {
            OutboundRequest::Text { text, reply_to } => whatsapp::text(to, text, false, reply_to.as_deref()),
            OutboundRequest::Reaction { message_id, emoji } => whatsapp::reaction(to, message_id, emoji),
            OutboundRequest::ContactRequest { text } => whatsapp::request_contact_info(to, text),
            OutboundRequest::Template { name, language, components, header_media } => {
                let mut components = components.clone();
                if let Some(file) = header_media {
                    // The header file is an inbox upload: to WhatsApp first, then its id goes into the header.
                    let id = self.upload(file).await?;
                    if !domain::template::set_header_media_id(&mut components, &id) {
                        return Err(permanent("the template has no header file to fill"));
                    }
                }
                whatsapp::template(to, name, language, &components)
            }
            OutboundRequest::Media { media_kind, file, caption, voice, reply_to } => {
                let media = MediaRef::Id(self.upload(file).await?);
                let caption = caption.clone();
                let content = match media_kind {
                    MediaKind::Image => WaMedia::Image { media, caption },
                    MediaKind::Video => WaMedia::Video { media, caption },
                    MediaKind::Audio => WaMedia::Audio { media, voice: *voice },
                    MediaKind::Sticker => WaMedia::Sticker { media },
                    MediaKind::Document => WaMedia::Document { media, filename: file.filename.clone(), caption },
                };
                whatsapp::media(to, &content, reply_to.as_deref())
            }
        })
    }
}

/// Records that a send call is about to go out (see `Store::outbox_calling`); when that cannot be
/// recorded, the send waits for a retry rather than going out unrecorded.
async fn calling(state: &AppState, message: MessageId) -> Result<(), Outcome> {
    match state.store.outbox_calling(message, state.now_ms()).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Outcome::NotOurs),
        Err(e) => Err(Outcome::Transient {
            error: format!("could not record the start of the send: {e}"),
            after: None,
            max_retries: None,
        }),
    }
}

/// Who a Messenger/Instagram send goes to, and under which messaging type.
struct SocialRecipient<'a> {
    psid: &'a str,
    messaging_type: MessagingType,
}

async fn social_send(
    state: &AppState,
    message: MessageId,
    channel: &Channel,
    id: &str,
    token: &SecretString,
    to: SocialRecipient<'_>,
    request: &OutboundRequest,
) -> Outcome {
    let SocialRecipient { psid, messaging_type } = to;
    let api = state.graph.messenger();
    let result = match request {
        OutboundRequest::Text { text, reply_to } => {
            let body = messenger::text(psid, text, messaging_type, reply_to.as_deref());
            if let Err(o) = calling(state, message).await {
                return o;
            }
            api.send(id, token, &body).await.map(|s| s.message_id)
        }
        OutboundRequest::Reaction { message_id, emoji } if channel.kind == ChannelKind::Instagram => {
            let body = if emoji.is_empty() {
                messenger::unreact(psid, message_id)
            } else {
                messenger::react(psid, message_id, "love")
            };
            if let Err(o) = calling(state, message).await {
                return o;
            }
            // Instagram answers a reaction without a message id: the send's own record gets a local one.
            api.send_action(id, token, &body).await.map(|_| format!("local.reaction.{}", uuid::Uuid::now_v7()))
        }
        OutboundRequest::Reaction { .. } => return permanent("Messenger's Send API has no reactions"),
        OutboundRequest::Media { media_kind, file, reply_to, .. } => {
            let (bytes, mime, filename) = match file_bytes(state, file).await {
                Ok(m) => m,
                Err(o) => return o,
            };
            let kind = match media_kind {
                MediaKind::Image | MediaKind::Sticker => AttachmentKind::Image,
                MediaKind::Video => AttachmentKind::Video,
                MediaKind::Audio => AttachmentKind::Audio,
                MediaKind::Document => AttachmentKind::File,
            };
            let attachment_id = match api.upload_attachment(id, token, kind, bytes, &mime, &filename).await {
                Ok(a) => a,
                Err(e) => return e.into(),
            };
            let body = messenger::attachment(
                psid,
                kind,
                &AttachmentSource::Id(attachment_id),
                messaging_type,
                reply_to.as_deref(),
            );
            if let Err(o) = calling(state, message).await {
                return o;
            }
            api.send(id, token, &body).await.map(|s| s.message_id)
        }
        // The composer refuses these on Messenger and Instagram; a row naming one is not sendable here.
        OutboundRequest::ContactRequest { .. } | OutboundRequest::Template { .. } => {
            return permanent("only WhatsApp sends contact requests and templates")
        }
    };
    match result {
        Ok(mid) => Outcome::Sent { external_id: mid, wa_id: None },
        Err(e) => send_failed(e),
    }
}

async fn settle(state: &AppState, item: &OutboxItem, outcome: Outcome) -> Result<(), store::StoreError> {
    let now = state.now_ms();
    match outcome {
        Outcome::NotOurs => {
            tracing::warn!(message = %item.message_id, "outbox: claim lost before sending; left to its new owner");
        }
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
            applier.apply_waiting(&stored.channel, external_id).await?;
        }
        publish::message_and_conversation(
            state,
            stored.channel.account_id,
            item.message_id,
            m.conversation_id,
            Change::Updated,
        )
        .await?;
    }
    Ok(())
}

/// Paces sends per channel (phone number, page): at most `rate` per second. With one process (SQLite)
/// the slots are kept in memory; processes sharing a PostgreSQL database reserve them in the database
/// (`Store::reserve_send_slot`), so that together they keep to the rate.
pub struct Pacer {
    rate: u32,
    next: Mutex<HashMap<ChannelId, Instant>>,
    shared: Option<store::Store>,
}

impl Pacer {
    /// Pacing within this process.
    pub fn new(rate: u32) -> Self {
        Self { rate: rate.max(1), next: Mutex::new(HashMap::new()), shared: None }
    }

    /// Pacing shared through the database when several processes may use it.
    pub fn for_store(rate: u32, store: &store::Store) -> Self {
        Self { shared: store.shares_events().then(|| store.clone()), ..Self::new(rate) }
    }

    /// Waits for `channel`'s next send slot, at the rate its kind allows (`ChannelKind::send_rate`).
    pub async fn wait(&self, channel: ChannelId, kind: ChannelKind) {
        let rate = kind.send_rate(self.rate).max(1);
        if let Some(store) = &self.shared {
            let interval_us = 1_000_000 / i64::from(rate);
            let now_us = wall_clock_us();
            match store.reserve_send_slot(channel, now_us, interval_us).await {
                Ok(slot) => {
                    let wait = Duration::from_micros(u64::try_from(slot - now_us).unwrap_or(0));
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    return;
                }
                // The database is unreachable (the send will likely fail too): pace locally.
                Err(e) => tracing::warn!(error = %e, "outbox: shared pacing unavailable, pacing in this process"),
            }
        }
        let interval = Duration::from_secs(1) / rate;
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

fn wall_clock_us() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
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
            pacer.wait(a, ChannelKind::WhatsappCloud).await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(200), "three sends at 10/s: two intervals");
        let before_b = Instant::now();
        pacer.wait(b, ChannelKind::WhatsappCloud).await;
        assert_eq!(before_b.elapsed(), Duration::ZERO, "another channel is not held behind the first");
        pacer.wait(a, ChannelKind::WhatsappCloud).await;
        assert_eq!(start.elapsed(), Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_coexistence_number_is_paced_at_twenty_a_second_under_a_faster_setting() {
        let pacer = Pacer::new(80);
        let (coexistence, cloud) = (ChannelId::new(), ChannelId::new());
        let start = Instant::now();
        for _ in 0..3 {
            pacer.wait(coexistence, ChannelKind::WhatsappBusinessApp).await;
        }
        assert_eq!(start.elapsed(), Duration::from_millis(100), "three sends at 20/s: two intervals of 50 ms");
        let before = Instant::now();
        for _ in 0..3 {
            pacer.wait(cloud, ChannelKind::WhatsappCloud).await;
        }
        assert_eq!(before.elapsed(), Duration::from_micros(25_000), "a Cloud API number keeps 80/s: 12.5 ms apart");
    }
}
