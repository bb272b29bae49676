//! Realtime events: published by whatever changed something, fanned out over `GET /api/v1/events`
//! (WebSocket) to the users allowed to see the conversation concerned, and nobody else.
//!
//! Within one process the hub hands each event to the mailboxes of the sockets that may see it
//! (`mailboxes`), when it is published. Every event also carries a monotonically increasing sequence
//! number so that a client that reconnects can ask for a `resync` instead of silently missing what
//! happened while it was away.

use crate::auth::current_user::Credential;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use domain::ids::{AccountId, UserId};
use futures::SinkExt;
use std::sync::Arc;
use tokio::sync::broadcast;

pub mod bridge;
pub mod event;
pub mod mailboxes;
pub mod publish;

use event::Control;
pub use event::{Audience, Event, Payload};
use mailboxes::{Mailboxes, Received, Subscription, Viewer};

/// An event as it is handed to the sockets: serialized once, whatever the number of sockets.
#[derive(Debug)]
pub struct Published {
    pub account_id: AccountId,
    pub audience: Audience,
    pub seq: u64,
    /// The frame: `{"type", "data", "seq"}`.
    pub text: Arc<str>,
    /// Not an event: events may have been missed (another process's could not reach this one), every
    /// socket is told to reload.
    pub resync: bool,
}

/// An event as it travels between processes (see `bridge`): without a sequence number, since each
/// process numbers the events its own sockets receive.
#[derive(serde::Serialize, serde::Deserialize)]
struct Shared {
    origin: uuid::Uuid,
    account_id: AccountId,
    audience: Audience,
    /// `{"type", "data"}`.
    body: String,
}

/// Something changed what a user may see or whether they may be connected at all: a role or its
/// permissions, deactivation, a session ended, the account's plan. Open sockets of the users
/// concerned check their credential again and adopt the new rights, or close.
#[derive(Clone, Copy, Debug)]
pub struct AccessChange {
    pub account_id: AccountId,
    /// `None`: every user of the account (a plan change, a role's permissions edited).
    pub user_id: Option<UserId>,
}

impl AccessChange {
    fn concerns(&self, me: &CurrentUser) -> bool {
        self.account_id == me.account_id() && self.user_id.is_none_or(|u| u == me.user_id())
    }
}

fn viewer(me: &CurrentUser) -> Viewer {
    Viewer { user_id: me.user_id(), permissions: me.permissions.clone() }
}

#[derive(Clone)]
pub struct EventHub {
    sockets: Arc<Mailboxes>,
    access: broadcast::Sender<AccessChange>,
    /// This process, so that it can ignore its own events when they come back from the others.
    origin: uuid::Uuid,
    /// Where events go to reach the other processes, once `bridge::start` connected them.
    remote: Arc<std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<String>>>,
}

impl Default for EventHub {
    fn default() -> Self {
        Self::new()
    }
}

impl EventHub {
    pub fn new() -> Self {
        let (access, _) = broadcast::channel(256);
        Self {
            sockets: Arc::new(Mailboxes::default()),
            access,
            origin: uuid::Uuid::new_v4(),
            remote: Arc::new(std::sync::OnceLock::new()),
        }
    }

    /// Sends an event to this process's sockets, and to the other processes' when they share the
    /// database (PostgreSQL).
    pub fn publish(&self, event: Event) {
        let body = match serde_json::to_string(&event.payload) {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, "an event could not be serialized");
                return;
            }
        };
        if let Some(remote) = self.remote.get() {
            let shared = Shared { origin: self.origin, account_id: event.account_id, audience: event.audience, body };
            if let Ok(text) = serde_json::to_string(&shared) {
                let _ = remote.send(text);
            }
            self.deliver(shared.account_id, shared.audience, &shared.body);
        } else {
            self.deliver(event.account_id, event.audience, &body);
        }
    }

    /// Numbers an event and hands it to this process's sockets that may see it. `body` is
    /// `{"type", "data"}`.
    fn deliver(&self, account_id: AccountId, audience: Audience, body: &str) {
        // The body is a JSON object: its closing brace makes room for the sequence number.
        let open = body.strip_suffix('}').unwrap_or(body);
        self.sockets.deliver(|seq| Published {
            account_id,
            audience,
            seq,
            text: format!("{open},\"seq\":{seq}}}").into(),
            resync: false,
        });
    }

    /// An event another process published (or this one: those are skipped, already delivered).
    fn receive_shared(&self, text: &str) {
        match serde_json::from_str::<Shared>(text) {
            Ok(shared) if shared.origin == self.origin => {}
            Ok(shared) => self.deliver(shared.account_id, shared.audience, &shared.body),
            Err(e) => tracing::warn!(error = %e, "an event from another process could not be read"),
        }
    }

    /// Tells every socket to reload what it shows: events may have been missed.
    fn resync_everyone(&self) {
        let marker = Published {
            account_id: AccountId::new(),
            audience: Audience::Account,
            seq: 0,
            text: Arc::from(""),
            resync: true,
        };
        self.sockets.resync_everyone(marker);
    }

    /// Every event of every account, as the sockets receive them (for tests and diagnostics).
    pub fn tap(&self) -> Subscription {
        self.sockets.tap()
    }

    /// Tells open sockets that `user` (or, with `None`, every user of `account`) may have lost or
    /// changed their rights.
    pub fn access_changed(&self, account_id: AccountId, user_id: Option<UserId>) {
        let _ = self.access.send(AccessChange { account_id, user_id });
    }
}

/// `GET /api/v1/events`: a WebSocket of the events the caller may see. Sends `{"type":"hello"}` on
/// connect and `{"type":"resync"}` if it fell behind (the client then reloads what it shows). The
/// socket follows its user's rights: narrowed at once when their role changes, closed when they are
/// deactivated, their session ends or the plan no longer includes the inbox.
pub async fn events_socket(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    me.require_inbox()?;
    let credential = Credential::from_headers(&headers)?;
    // Subscribed before the upgrade: nothing published after this answer is missed.
    let rx = state.events.sockets.open(me.account_id(), viewer(&me));
    let access = state.events.access.subscribe();
    // The client sends nothing but control frames, and every look for them (once per burst of events
    // sent) zero-fills a read buffer of this size first: 128 KiB by default, memset by 200 sockets
    // for every burst showed in profiles of the realtime benchmark.
    let ws = ws.read_buffer_size(READ_BUFFER_BYTES);
    Ok(ws.on_upgrade(move |socket| stream_events(socket, state, me, credential, rx, access)))
}

/// What one read from an events socket takes at most (a larger frame takes several reads).
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// At most this many frames are written to a socket before it is flushed.
const MAX_FRAMES_PER_WRITE: usize = 256;

fn resync_frame() -> String {
    serde_json::to_string(&Control::Resync).unwrap_or_default()
}

/// Why a socket was closed by the server (WebSocket close code 4001 + this reason), so the UI can
/// tell a revoked session from a network drop.
const ACCESS_ENDED: &str = "access ended";

async fn stream_events(
    mut socket: WebSocket,
    state: AppState,
    mut me: CurrentUser,
    credential: Credential,
    mut rx: Subscription,
    mut access: broadcast::Receiver<AccessChange>,
) {
    let hello = serde_json::to_string(&Control::Hello { user_id: me.user_id() }).unwrap_or_default();
    if socket.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            received = rx.recv() => {
                // What else is already waiting goes out in the same write: one flush (one syscall)
                // for a burst, not one per event — a busy account sends thousands a second. Woken by
                // the first event of a burst that another thread is still publishing, the task first
                // lets it finish, so the burst goes out in one write rather than one per event.
                tokio::task::yield_now().await;
                let mut next = Some(received);
                let mut fed = 0;
                while let Some(received) = next.take() {
                    let frame = match received {
                        Received::Missed => Some(resync_frame().into()),
                        // Handed out by the rights the user had when it was published; checked
                        // again against their rights now, should they have just narrowed.
                        Received::Event(event) if event.account_id != me.account_id() || !event.audience.includes(me.user_id(), &me.permissions) => None,
                        Received::Event(event) => Some(event.text.as_ref().into()),
                    };
                    if let Some(frame) = frame {
                        if socket.feed(Message::Text(frame)).await.is_err() {
                            return;
                        }
                        fed += 1;
                    }
                    if fed < MAX_FRAMES_PER_WRITE {
                        next = rx.try_recv();
                    }
                }
                if fed > 0 && socket.flush().await.is_err() {
                    return;
                }
            }
            change = access.recv() => {
                // A missed change (lagged) is treated as one that concerns us: check again.
                let concerns = match change {
                    Ok(change) => change.concerns(&me),
                    Err(broadcast::error::RecvError::Lagged(_)) => true,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if !concerns {
                    continue;
                }
                match credential.current_user(&state).await {
                    Ok(Some(now)) if now.require_inbox().is_ok() => {
                        me = now;
                        rx.set_viewer(viewer(&me));
                        // What is shown may include what the user no longer may see: reload it.
                        if socket.send(Message::Text(resync_frame().into())).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {
                        let frame = axum::extract::ws::CloseFrame { code: 4001, reason: ACCESS_ENDED.into() };
                        let _ = socket.send(Message::Close(Some(frame))).await;
                        return;
                    }
                    // The database is unreachable: keep the old rights until it answers again.
                    Err(e) => tracing::warn!(error = %e, "re-checking a socket's access failed"),
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
