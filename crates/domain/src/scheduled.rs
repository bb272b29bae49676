//! Scheduled sends ("Enviar más tarde"): when a message may be scheduled for, and the life of a
//! schedule. The send itself is checked again, with the ordinary send rules, when it is due.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// The furthest ahead a message may be scheduled. Long enough for "next month's reminder", short
/// enough that the author, the conversation and the template are still what they were.
pub const MAX_AHEAD: Duration = Duration::days(30);

/// Where a scheduled message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduledStatus {
    /// Waiting for its time; the author may still edit or cancel it.
    Scheduled,
    /// Claimed by a worker, going through the send checks right now.
    Sending,
    /// Queued as an ordinary message (the schedule names it); the outbox takes it from there.
    Sent,
    /// Cancelled by a user (or a failure dismissed); never sent.
    Cancelled,
    /// Refused at its time by the send rules (its reason code says which); never sent.
    Failed,
}

impl ScheduledStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduledStatus::Scheduled => "scheduled",
            ScheduledStatus::Sending => "sending",
            ScheduledStatus::Sent => "sent",
            ScheduledStatus::Cancelled => "cancelled",
            ScheduledStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "scheduled" => ScheduledStatus::Scheduled,
            "sending" => ScheduledStatus::Sending,
            "sent" => ScheduledStatus::Sent,
            "cancelled" => ScheduledStatus::Cancelled,
            "failed" => ScheduledStatus::Failed,
            _ => return None,
        })
    }

    /// Its text and time may still change: nobody has started sending it.
    pub fn editable(self) -> bool {
        self == ScheduledStatus::Scheduled
    }

    /// It may still be cancelled: not sent yet (a failure may be dismissed). Once a worker has
    /// claimed it, the send is under way and cannot be taken back.
    pub fn cancellable(self) -> bool {
        matches!(self, ScheduledStatus::Scheduled | ScheduledStatus::Failed)
    }
}

/// Why a time cannot be scheduled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendAtRefusal {
    #[error("the time to send must be in the future")]
    InThePast,
    #[error("a message can be scheduled at most 30 days ahead")]
    TooFar,
}

impl SendAtRefusal {
    /// The stable API error code.
    pub fn code(self) -> &'static str {
        match self {
            SendAtRefusal::InThePast => "send_at_in_past",
            SendAtRefusal::TooFar => "send_at_too_far",
        }
    }
}

/// A time a message may be scheduled for: strictly after `now`, at most [`MAX_AHEAD`] after it.
pub fn check_send_at(send_at: OffsetDateTime, now: OffsetDateTime) -> Result<(), SendAtRefusal> {
    if send_at <= now {
        return Err(SendAtRefusal::InThePast);
    }
    if send_at - now > MAX_AHEAD {
        return Err(SendAtRefusal::TooFar);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-17 12:00 UTC);

    #[test]
    fn send_at_must_be_strictly_in_the_future() {
        assert_eq!(check_send_at(NOW, NOW), Err(SendAtRefusal::InThePast));
        assert_eq!(check_send_at(NOW - Duration::seconds(1), NOW), Err(SendAtRefusal::InThePast));
        assert_eq!(check_send_at(NOW + Duration::milliseconds(1), NOW), Ok(()));
    }

    #[test]
    fn send_at_is_at_most_thirty_days_ahead() {
        assert_eq!(check_send_at(NOW + MAX_AHEAD, NOW), Ok(()));
        assert_eq!(check_send_at(NOW + MAX_AHEAD + Duration::milliseconds(1), NOW), Err(SendAtRefusal::TooFar));
    }

    #[test]
    fn only_a_waiting_schedule_is_edited_and_a_sent_one_is_never_cancelled() {
        use ScheduledStatus::*;
        for s in [Scheduled, Sending, Sent, Cancelled, Failed] {
            assert_eq!(ScheduledStatus::parse(s.as_str()), Some(s));
        }
        assert!(Scheduled.editable() && !Sending.editable() && !Failed.editable());
        assert!(Scheduled.cancellable() && Failed.cancellable());
        assert!(!Sending.cancellable() && !Sent.cancellable() && !Cancelled.cancellable());
    }
}
