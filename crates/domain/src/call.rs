//! Calls the customer placed or received (WhatsApp and Messenger calling), as the inbox shows them: the
//! product does not answer calls itself, it records each one as a notice in the conversation.
//!
//! Meta reports a call in up to two steps with the same call id: `connect` (it started) and `terminate`
//! (it ended, with Meta's status and, when answered, a duration). The notice shows the most final
//! step seen, whatever order the webhooks arrive in: [`stage_rank`] orders them.

use crate::channel::ChannelKind;

/// A call's direction is a message's: `Inbound` when the customer called the business, `Outbound` when
/// the business called the customer.
pub use crate::message::Direction;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Connect,
    Terminate,
}

/// How a call went, as shown to the seller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Started and not ended yet (only a `connect` seen).
    Ringing,
    /// Answered and ended normally, with a duration.
    Completed,
    /// The customer called and nobody answered.
    Missed,
    /// The business called and the customer did not answer (or declined).
    NotAnswered,
    /// Answered, then ended by a failure Meta reported.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ringing => "ringing",
            Outcome::Completed => "completed",
            Outcome::Missed => "missed",
            Outcome::NotAnswered => "not_answered",
            Outcome::Failed => "failed",
        }
    }
}

/// The outcome of a call from its latest step. `status` is Meta's terminate status (`COMPLETED`,
/// `FAILED`, …); a call with no talk time was never answered, whatever the status says.
pub fn outcome(step: Step, direction: Direction, status: Option<&str>, duration_seconds: Option<i64>) -> Outcome {
    if step == Step::Connect {
        return Outcome::Ringing;
    }
    let talked = duration_seconds.is_some_and(|d| d > 0);
    let failed = status.is_some_and(|s| s.eq_ignore_ascii_case("failed"));
    match (talked, failed, direction) {
        (true, false, _) => Outcome::Completed,
        (true, true, _) => Outcome::Failed,
        (false, _, Direction::Inbound) => Outcome::Missed,
        (false, _, Direction::Outbound) => Outcome::NotAnswered,
    }
}

/// Steps only move forwards: a `connect` redelivered after the `terminate` changes nothing.
pub fn stage_rank(step: Step) -> i64 {
    match step {
        Step::Connect => 1,
        Step::Terminate => 2,
    }
}

/// Whether this call (re)opens the customer service window, and so moves its anchor. Meta's WhatsApp
/// calling pricing page says the window starts or refreshes when a user calls the business, answered or
/// not, and when a user accepts the business's call
/// (<https://developers.facebook.com/docs/whatsapp/cloud-api/calling/pricing>). Messenger's calling
/// documentation says nothing of the kind, so there only messages move the window.
pub fn opens_window(kind: ChannelKind, direction: Direction, outcome: Outcome) -> bool {
    kind.is_whatsapp()
        && match direction {
            Direction::Inbound => true,
            Direction::Outbound => matches!(outcome, Outcome::Completed | Outcome::Failed),
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_from_the_last_step() {
        use Direction::*;
        assert_eq!(outcome(Step::Connect, Inbound, None, None), Outcome::Ringing);
        assert_eq!(outcome(Step::Terminate, Inbound, Some("COMPLETED"), Some(125)), Outcome::Completed);
        assert_eq!(outcome(Step::Terminate, Inbound, Some("COMPLETED"), Some(0)), Outcome::Missed);
        assert_eq!(outcome(Step::Terminate, Inbound, Some("FAILED"), None), Outcome::Missed);
        assert_eq!(outcome(Step::Terminate, Inbound, None, None), Outcome::Missed);
        assert_eq!(outcome(Step::Terminate, Outbound, Some("FAILED"), None), Outcome::NotAnswered);
        assert_eq!(outcome(Step::Terminate, Outbound, Some("failed"), Some(30)), Outcome::Failed);
    }

    #[test]
    fn terminate_outranks_connect() {
        assert!(stage_rank(Step::Terminate) > stage_rank(Step::Connect));
    }

    #[test]
    fn only_whatsapp_calls_the_customer_made_or_took_open_the_window() {
        use ChannelKind::*;
        assert!(opens_window(WhatsappCloud, Direction::Inbound, Outcome::Missed));
        assert!(opens_window(WhatsappCloud, Direction::Outbound, Outcome::Completed));
        assert!(!opens_window(WhatsappCloud, Direction::Outbound, Outcome::NotAnswered));
        assert!(!opens_window(WhatsappCloud, Direction::Outbound, Outcome::Ringing));
        assert!(!opens_window(Messenger, Direction::Inbound, Outcome::Completed));
    }
}
