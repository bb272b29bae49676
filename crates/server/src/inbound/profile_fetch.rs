//! Naming Messenger and Instagram customers. Their webhooks carry only a page-scoped id, so when the
//! inbound worker stores a new customer it marks the handle due, and this worker reads the profile
//! from the Graph API's User Profile API off the hot path — Messenger `GET /{PSID}?fields=first_name,
//! last_name,profile_pic`, Instagram `GET /{IGSID}?fields=name,username,profile_pic`, with the
//! channel's token — stores the name (and the Instagram username) on the handle and publishes
//! `conversation.updated`. A transient failure is retried with exponential backoff; a permanent one
//! (Meta refuses: no consent, blocked, unknown id) or the last try gives up and the customer keeps
//! showing their id.

use crate::realtime::publish::{self, Change};
use crate::state::AppState;
use domain::channel::ChannelKind;
use std::time::Duration;
use store::{ProfileFetch, StoreError};

const MAX_ATTEMPTS: i64 = 5;
/// A claimed fetch belongs to this process for this long (longer than a Graph call).
const LEASE_MS: i64 = 60_000;
const BATCH: i64 = 16;

pub async fn run(state: AppState, shutdown: tokio::sync::watch::Receiver<bool>) {
    let wakeup = state.profile_wakeup.clone();
    crate::supervisor::poll("profile_fetch", &wakeup, Duration::from_secs(1), shutdown, || fetch_due(&state)).await
}

/// What a profile fetch found.
struct Profile {
    name: Option<String>,
    username: Option<String>,
}

struct FetchError {
    reason: String,
    permanent: bool,
}

impl From<meta::graph::GraphError> for FetchError {
    fn from(e: meta::graph::GraphError) -> Self {
        FetchError { permanent: !e.classify().is_transient(), reason: e.reason() }
    }
}

fn permanent(reason: impl Into<String>) -> FetchError {
    FetchError { reason: reason.into(), permanent: true }
}

/// Fetches the due profiles; returns how many were claimed.
pub async fn fetch_due(state: &AppState) -> Result<usize, StoreError> {
    let due = state.store.claim_profile_fetches(state.now_ms(), LEASE_MS, BATCH).await?;
    let n = due.len();
    for f in due {
        let result = fetch_one(state, &f).await;
        let now = state.now_ms();
        match result {
            Ok((channel, p)) => {
                let found =
                    state.store.profile_fetched(f.handle_id, p.name.as_deref(), p.username.as_deref(), now).await?;
                if let Some((_account, conversation)) = found {
                    publish::conversation(state, channel.account_id, conversation, Change::Updated).await?;
                }
            }
            Err(e) => {
                let retry_at = (!e.permanent && f.attempts + 1 < MAX_ATTEMPTS).then(|| {
                    let backoff = state.config.retry_base.as_millis() as i64 * (1_i64 << f.attempts.clamp(0, 10));
                    now + backoff
                });
                tracing::warn!(handle = %f.handle_id, attempts = f.attempts + 1, reason = %e.reason,
                    retrying = retry_at.is_some(), "customer profile fetch failed");
                state.store.profile_fetch_failed(f.handle_id, &e.reason, retry_at, now).await?;
            }
        }
    }
    Ok(n)
}

async fn fetch_one(state: &AppState, f: &ProfileFetch) -> Result<(domain::channel::Channel, Profile), FetchError> {
    let stored = state
        .store
        .channel_by_id(f.channel_id)
        .await
        .map_err(|e| FetchError { reason: e.to_string(), permanent: false })?
        .ok_or_else(|| permanent("the channel no longer exists"))?;
    let token = state.secrets.open(&stored.access_token_enc).map_err(|e| permanent(e.to_string()))?;
    let api = state.graph.messenger();
    let profile = match stored.channel.kind {
        ChannelKind::Messenger => {
            let p = api.messenger_profile(&f.scoped_id, &token).await?;
            Profile { name: p.full_name(), username: None }
        }
        ChannelKind::Instagram => {
            let p = api.instagram_profile(&f.scoped_id, &token).await?;
            let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
            Profile { name: clean(p.name), username: clean(p.username) }
        }
        ChannelKind::WhatsappCloud | ChannelKind::WhatsappBusinessApp => {
            return Err(permanent("WhatsApp customers are named by their webhooks"))
        }
    };
    Ok((stored.channel, profile))
}
