//! Realtime events: published by whatever changed something, fanned out over `GET /api/v1/events`
//! (WebSocket) to the users allowed to see the conversation concerned, and nobody else.
//!
//! Within one process the hub is a broadcast channel. Every event also carries a monotonically
//! increasing sequence number so that a client that reconnects can ask for a `resync` instead of
//! silently missing what happened while it was away.

use crate::auth::CurrentUser;
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use domain::ids::{AccountId, ChannelId, UserId};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use store::ConversationRecord;
use tokio::sync::broadcast;

#[derive(Clone, Debug, Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip)]
    pub account_id: AccountId,
    /// The conversation's channel and assignee at the time of the event: who may see it.
    #[serde(skip)]
    pub channel_id: ChannelId,
    #[serde(skip)]
    pub assignee: Option<UserId>,
    pub data: serde_json::Value,
    pub seq: u64,
}

impl Event {
    pub fn for_conversation(kind: &'static str, record: &ConversationRecord, data: serde_json::Value) -> Self {
        Event {
            kind,
            account_id: record.account_id,
            channel_id: record.channel_id,
            assignee: record.assignee.as_ref().map(|a| a.0),
            data,
            seq: 0,
        }
    }

    /// An event carrying the conversation as the API shows it (its window computed at `now`).
    pub fn conversation(kind: &'static str, record: &ConversationRecord, now: time::OffsetDateTime) -> Self {
        let view = crate::api::conversations::conversation_view(record.clone(), now);
        Self::for_conversation(kind, record, serde_json::to_value(view).unwrap_or_default())
    }

    pub fn conversation_updated(record: &ConversationRecord, now: time::OffsetDateTime) -> Self {
        Self::conversation("conversation.updated", record, now)
    }
}

#[derive(Clone)]
pub struct EventHub {
    tx: broadcast::Sender<Arc<Event>>,
    seq: Arc<AtomicU64>,
}

impl Default for EventHub {
    fn default() -> Self {
        Self::new()
    }
}

impl EventHub {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Self { tx, seq: Arc::new(AtomicU64::new(0)) }
    }

    pub fn publish(&self, mut event: Event) {
        event.seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
        // No subscriber is not an error: nobody is looking.
        let _ = self.tx.send(Arc::new(event));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}

/// `GET /api/v1/events`: a WebSocket of the events the caller may see. Sends `{"type":"hello"}` on
/// connect and `{"type":"resync"}` if it fell behind (the client then reloads what it shows).
pub async fn events_socket(State(state): State<AppState>, me: CurrentUser, ws: WebSocketUpgrade) -> Response {
    let rx = state.events.subscribe();
    ws.on_upgrade(move |socket| stream_events(socket, me, rx))
}

async fn stream_events(mut socket: WebSocket, me: CurrentUser, mut rx: broadcast::Receiver<Arc<Event>>) {
    let hello = serde_json::json!({"type": "hello", "user_id": me.user_id()}).to_string();
    if socket.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            received = rx.recv() => match received {
                Ok(event) => {
                    if event.account_id != me.account_id() || !me.permissions.can_see(me.user_id(), event.channel_id, event.assignee) {
                        continue;
                    }
                    let text = serde_json::to_string(event.as_ref()).unwrap_or_default();
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let resync = serde_json::json!({"type": "resync"}).to_string();
                    if socket.send(Message::Text(resync.into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
