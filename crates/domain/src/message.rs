//! A message's lifecycle: which way it goes ([`Direction`]), who produced it ([`Origin`]) and how far
//! its delivery got ([`MessageStatus`]).
//!
//! Their strings (`as_str`, and serde) are the ones stored in the database and shown by the API; they
//! never change, so stored rows need no rewriting. A status's rank, which the store keeps beside it to
//! compare in SQL, is the status's place in the enum.

use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// Which way a message goes, seen from the business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// To the business: the customer's messages and calls, and the inbox's own notices.
    Inbound,
    /// From the business: what agents send, what the business sent from its own apps, its calls.
    Outbound,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::Inbound, Direction::Outbound];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Who produced a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The customer wrote it: it opens (or resets) the customer service window.
    Customer,
    /// An agent sent it from this inbox.
    Agent,
    /// The business sent it from outside this inbox (WhatsApp Business App echoes, Messenger/Instagram
    /// `is_echo`, Meta Business Suite): outbound, and it opens no window. May also be an echo of our own
    /// send, which the server recognises by its external id.
    BusinessApp,
    /// A notice of the inbox itself (a marketing preference, a call, a shared number).
    System,
}

impl Origin {
    pub const ALL: [Origin; 4] = [Origin::Customer, Origin::Agent, Origin::BusinessApp, Origin::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Customer => "customer",
            Origin::Agent => "agent",
            Origin::BusinessApp => "business_app",
            Origin::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn direction(self) -> Direction {
        match self {
            Origin::Customer | Origin::System => Direction::Inbound,
            Origin::Agent | Origin::BusinessApp => Direction::Outbound,
        }
    }

    /// The status a message of this origin is stored with: what the business sent from its own apps
    /// has left already; an agent's send waits for the outbox.
    pub fn initial_status(self) -> MessageStatus {
        match self {
            Origin::Customer | Origin::System => MessageStatus::Received,
            Origin::Agent => MessageStatus::Pending,
            Origin::BusinessApp => MessageStatus::Sent,
        }
    }
}

// The declaration order is the rank (`rank`), and a message only moves to a higher one
// (`advances_to`).
/// How far a message got, in the order it happens. A status only moves forwards, and a failure never
/// follows a delivery (`delivered`, `read`, `played`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[repr(i8)]
pub enum MessageStatus {
    /// A message to the business (inbound): it has no delivery of ours to follow, and ranks below every
    /// outbound status.
    Received = -1,
    /// Queued in the outbox, not yet accepted by Meta.
    Pending = 0,
    /// Meta accepted it.
    Sent = 1,
    Delivered = 2,
    Read = 3,
    /// A voice note the customer listened to (WhatsApp).
    Played = 4,
    /// Meta (or the outbox) gave up on it; `error` says why.
    Failed = 5,
}

impl MessageStatus {
    /// Every status, in rank order.
    pub const ALL: [MessageStatus; 7] = [
        MessageStatus::Received,
        MessageStatus::Pending,
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Read,
        MessageStatus::Played,
        MessageStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Received => "received",
            MessageStatus::Pending => "pending",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Played => "played",
            MessageStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The status's place in the lifecycle, as the store keeps it (`messages.status_rank`) to compare
    /// in SQL.
    pub const fn rank(self) -> i64 {
        self as i64
    }

    /// Whether a message at `self` moves to `next`: only forwards (`read` never becomes `delivered`),
    /// and a failure never overrides a delivery the customer already got.
    pub fn advances_to(self, next: MessageStatus) -> bool {
        next > self && !(next == MessageStatus::Failed && self >= MessageStatus::Delivered)
    }
}
