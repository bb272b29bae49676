//! The scheduled-send worker: claims due schedules (one process each, by a lease) and sends each as
//! its author through `outbound::compose::send` — the window, the plan, the channel, the author's
//! role and visibility are checked there exactly as for a send made now. A refused send ends the
//! schedule `failed` with the refusal's code (`window_closed`, …): nothing is stored as a message or
//! reaches Meta, and the author is told (`scheduled.failed`, on their own socket). An accepted one is
//! an ordinary queued message from then on: the outbox delivers it and Meta's statuses follow it.
//!
//! A schedule whose author was deactivated is not sent (`author_inactive`): a message must not go
//! out in the name of someone who no longer works here. Nor is one on a disabled channel.

use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::realtime::publish::{self, Change};
use crate::realtime::{Event, Payload};
use crate::state::AppState;
use domain::ids::MessageId;
use store::{ScheduledRecord, StoreError};

/// Longer than any send check takes (they read the store and, for a sticker, a file).
const LEASE_MS: i64 = 60_000;
/// How often due schedules are looked for: a schedule goes out within this of its time.
const IDLE: std::time::Duration = std::time::Duration::from_secs(1);
const INTERRUPTED: &str = "interrupted";

pub async fn run(state: AppState, shutdown: tokio::sync::watch::Receiver<bool>) {
    let wakeup = tokio::sync::Notify::new();
    crate::supervisor::poll("scheduled", &wakeup, IDLE, shutdown, || send_due(&state)).await
}

/// Fails schedules left mid-send by a dead process, then sends those due now; returns how many it
/// handled. Public so tests can take one step at a chosen instant.
pub async fn send_due(state: &AppState) -> Result<usize, StoreError> {
    let abandoned = state
        .store
        .fail_abandoned_scheduled(
            state.now_ms(),
            INTERRUPTED,
            "The server stopped while sending this scheduled message; it was not sent again to avoid a duplicate. Check the conversation.",
        )
        .await?;
    for (account, id) in abandoned {
        tracing::error!(scheduled = %id, "scheduled send interrupted; not retried");
        let r = state.store.get_scheduled(account, &domain::permissions::ConversationScope::All, id).await?;
        tell_failed(state, &r).await?;
    }
    let due = state.store.claim_scheduled(state.now_ms(), LEASE_MS, 16).await?;
    let mut settled = 0;
    for r in due {
        // One schedule's bookkeeping failing must not strand the rest as "sending".
        match settle(state, &r).await {
            Ok(true) => settled += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(scheduled = %r.id, error = %e, "scheduled: could not record the outcome"),
        }
    }
    // Released ones are not counted: the loop then waits before claiming them again.
    Ok(settled)
}

/// Sends one claimed schedule and records the outcome; `false` when it was released for a later try.
async fn settle(state: &AppState, r: &ScheduledRecord) -> Result<bool, StoreError> {
    match send(state, r).await {
        Ok(message) => {
            state.store.scheduled_sent(r.id, message, state.now_ms()).await?;
            state.outbox_wakeup.notify_one();
            // The message's webhook event was queued by the send itself: the sockets only.
            publish::message_to_sockets(state, r.account_id, message, r.conversation_id).await?;
            let after =
                state.store.get_scheduled(r.account_id, &domain::permissions::ConversationScope::All, r.id).await?;
            crate::scheduled::announce(state, &after, Change::Updated).await?;
        }
        Err(Refused { transient: true, reason, .. }) => {
            // The database did not answer: nothing was queued (a send stores its message last, in one
            // transaction), so it waits for the next round rather than failing for good.
            tracing::warn!(scheduled = %r.id, %reason, "scheduled send postponed");
            state.store.release_scheduled(r.id, state.now_ms()).await?;
            return Ok(false);
        }
        Err(Refused { code, reason, .. }) => {
            tracing::info!(scheduled = %r.id, code = %code, "scheduled send refused at its time");
            state.store.scheduled_failed(r.id, &code, &reason, state.now_ms()).await?;
            let after =
                state.store.get_scheduled(r.account_id, &domain::permissions::ConversationScope::All, r.id).await?;
            tell_failed(state, &after).await?;
        }
    }
    Ok(true)
}

/// Everyone who sees the conversation sees it fail; its author is told on their own socket too,
/// even if the conversation has since left their view.
async fn tell_failed(state: &AppState, r: &ScheduledRecord) -> Result<(), StoreError> {
    crate::scheduled::announce(state, r, Change::Updated).await?;
    if let Ok(view) = crate::scheduled::view(r.clone()) {
        state.events.publish(Event::to_user(r.account_id, r.author.0, Payload::ScheduledFailed(Box::new(view))));
    }
    Ok(())
}

struct Refused {
    code: String,
    reason: String,
    /// The store was unreachable: try again later instead of failing it.
    transient: bool,
}

impl Refused {
    fn new(code: &str, reason: impl Into<String>) -> Self {
        Refused { code: code.into(), reason: reason.into(), transient: false }
    }
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        let code = match &e {
            ApiError::Unprocessable { code, .. }
            | ApiError::Invalid { code, .. }
            | ApiError::BadRequest { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::UnsupportedMediaType { code, .. }
            | ApiError::PayloadTooLarge { code, .. }
            | ApiError::BadGateway { code, .. } => *code,
            ApiError::Forbidden(_) => "not_allowed",
            ApiError::PlanRequired(_) => "plan_required",
            // The author no longer sees the conversation (reassigned, channel taken away).
            ApiError::NotFound => "conversation_not_visible",
            ApiError::Unavailable => {
                return Refused { transient: true, ..Refused::new("unavailable", "the database did not answer") }
            }
            other => {
                tracing::warn!(error = %other, "scheduled send failed");
                return Refused::new("internal_error", "the server could not send it; schedule it again");
            }
        };
        let reason = match &e {
            ApiError::NotFound => "its author can no longer see this conversation".to_string(),
            other => other.to_string(),
        };
        Refused::new(code, reason)
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

/// Sends a claimed schedule as its author would now.
async fn send(state: &AppState, r: &ScheduledRecord) -> Result<MessageId, Refused> {
    match state.store.channel_by_id(r.channel_id).await? {
        Some(stored) if stored.channel.enabled => {}
        _ => return Err(Refused::new("channel_disabled", "the channel is disabled")),
    }
    let user = match state.store.get_user(r.account_id, r.author.0).await {
        Ok(u) if u.active => u,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(Refused::new("author_inactive", "its author was deactivated; it was not sent in their name"))
        }
        Err(e) => return Err(e.into()),
    };
    let account = state.store.get_account(r.account_id).await?;
    let permissions = user.role.permissions();
    let author = CurrentUser { user, account, permissions, via_cookie: false };
    let content = crate::scheduled::content_of(r)?;
    Ok(crate::outbound::compose::send(state, &author, r.conversation_id, content.into_send_request()).await?.id)
}
