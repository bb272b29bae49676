//! The messaging window: what the business may send to a customer, and how, at a given instant.
//!
//! It is a pure function of (channel kind, time of the customer's last inbound message, now)
//! (docs/api.md, "Conversations and messages"). Only the *customer's* messages count: business sends,
//! statuses and coexistence echoes never open a window (docs/meta.md §7, §8, §9), so callers pass the
//! last **inbound** time only.
//!
//! - WhatsApp (docs/meta.md §7): the customer service window lasts 24 h from the customer's last
//!   message; outside it only templates may be sent, and templates are the only way to start.
//! - Messenger and Instagram (§9, §10): 24 h of standard messaging (`messaging_type: RESPONSE`), then
//!   until 7 days a human agent may still answer with `MESSAGE_TAG` + `HUMAN_AGENT`; the business can
//!   never start a conversation and there are no templates.
//!
//! Every boundary is exclusive: at exactly 24 h the WhatsApp window is closed (docs/api.md).

use crate::channel::ChannelKind;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// The standard window on every channel (WhatsApp customer service window, Messenger/IG `RESPONSE`).
pub const STANDARD_WINDOW: Duration = Duration::hours(24);
/// How long a Messenger/Instagram human agent may still answer with the `HUMAN_AGENT` tag.
pub const HUMAN_AGENT_WINDOW: Duration = Duration::days(7);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    /// Inside the standard 24 h window: free-form messages allowed.
    Open,
    /// Messenger/Instagram only, 24 h ≤ age < 7 d: free-form allowed with the `HUMAN_AGENT` tag.
    HumanAgent,
    /// No free-form message can be sent (WhatsApp: templates still can).
    Closed,
}

/// How a Messenger/Instagram send must declare itself (Send API `messaging_type`, §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessagingType {
    /// `"messaging_type": "RESPONSE"`.
    Response,
    /// `"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"`.
    HumanAgentTag,
}

impl MessagingType {
    /// The Send API's `messaging_type` value.
    pub fn graph_messaging_type(self) -> &'static str {
        match self {
            MessagingType::Response => "RESPONSE",
            MessagingType::HumanAgentTag => "MESSAGE_TAG",
        }
    }

    /// The Send API's `tag`, when one is needed.
    pub fn graph_tag(self) -> Option<&'static str> {
        match self {
            MessagingType::Response => None,
            MessagingType::HumanAgentTag => Some("HUMAN_AGENT"),
        }
    }
}

/// The window of one conversation at one instant, as the API shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Window {
    pub state: WindowState,
    /// Whether a free-form message (text, media, quick reply, …) may be sent now.
    pub free_form: bool,
    /// Whether a template may be sent now (WhatsApp only, always).
    pub templates_allowed: bool,
    /// End of the current free-form period (the `HUMAN_AGENT` end on Messenger/Instagram in
    /// `human_agent`); `None` when closed.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    /// Messenger/Instagram: how a free-form send must be declared now. `None` on WhatsApp (its send
    /// body has no such field) and when closed.
    pub messaging_type: Option<MessagingType>,
    /// The customer's last inbound message, as given. Lets a closed window tell "never wrote"
    /// (`channel_cannot_initiate`) from "wrote too long ago" (`window_expired`).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_inbound_at: Option<OffsetDateTime>,
}

impl Window {
    /// The window of a conversation on `kind` whose customer last wrote at `last_inbound`.
    ///
    /// A `last_inbound` in the future (clock skew between Meta and us) counts as age 0.
    pub fn compute(kind: ChannelKind, last_inbound: Option<OffsetDateTime>, now: OffsetDateTime) -> Window {
        let closed = Window {
            state: WindowState::Closed,
            free_form: false,
            templates_allowed: kind.is_whatsapp(),
            expires_at: None,
            messaging_type: None,
            last_inbound_at: last_inbound,
        };
        let Some(last) = last_inbound else {
            return closed;
        };
        let start = last.min(now);
        let age = now - start;
        let open_until = start + STANDARD_WINDOW;
        if age < STANDARD_WINDOW {
            return Window {
                state: WindowState::Open,
                free_form: true,
                expires_at: Some(open_until),
                messaging_type: (!kind.is_whatsapp()).then_some(MessagingType::Response),
                ..closed
            };
        }
        if !kind.is_whatsapp() && age < HUMAN_AGENT_WINDOW {
            return Window {
                state: WindowState::HumanAgent,
                free_form: true,
                expires_at: Some(start + HUMAN_AGENT_WINDOW),
                messaging_type: Some(MessagingType::HumanAgentTag),
                ..closed
            };
        }
        closed
    }

    /// Time left in the current free-form period, if any.
    pub fn remaining(&self, now: OffsetDateTime) -> Option<Duration> {
        self.expires_at.map(|end| end - now).filter(|d| d.is_positive())
    }
}

/// What the agent is trying to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SendKind {
    /// Text, media, audio, quick replies, replies: anything that is not a template.
    FreeForm,
    Template,
    Reaction,
    MarkRead,
    /// WhatsApp `request_contact_info` interactive message (§12).
    ContactRequest,
}

/// How an allowed send goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendMode {
    /// WhatsApp: the message body carries no window information.
    Whatsapp,
    /// Messenger/Instagram: send with this `messaging_type` (and tag).
    Messaging(MessagingType),
}

/// Why a send is refused; the API answers `422` with [`SendRefusal::code`] and the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendRefusal {
    #[error(
        "the 24-hour WhatsApp window is closed: only an approved template can be sent until the customer writes again"
    )]
    WindowClosed,
    #[error("the customer last wrote more than 7 days ago: nothing can be sent until they write again")]
    WindowExpired,
    #[error("reactions and read receipts can only be sent within 24 hours of the customer's last message")]
    StandardWindowOnly,
    #[error("the business cannot start a conversation on this channel: the customer must write first")]
    ChannelCannotInitiate,
    #[error("templates exist only on WhatsApp")]
    TemplatesNotSupported,
    #[error("asking for the customer's phone number exists only on WhatsApp")]
    ContactRequestNotSupported,
}

impl SendRefusal {
    /// The stable API error code.
    pub fn code(self) -> &'static str {
        match self {
            SendRefusal::WindowClosed => "window_closed",
            SendRefusal::WindowExpired | SendRefusal::StandardWindowOnly => "window_expired",
            SendRefusal::ChannelCannotInitiate => "channel_cannot_initiate",
            SendRefusal::TemplatesNotSupported => "templates_not_supported",
            SendRefusal::ContactRequestNotSupported => "unsupported_by_channel",
        }
    }
}

/// Whether `send` may go out on a conversation of `kind` whose window is `window`, and how.
pub fn check_send(kind: ChannelKind, window: &Window, send: SendKind) -> Result<SendMode, SendRefusal> {
    if kind.is_whatsapp() {
        return match send {
            // Templates are the only message allowed outside the window, and the way to start (§7).
            SendKind::Template => Ok(SendMode::Whatsapp),
            // Marking as read is a status update, not a message: no window applies.
            SendKind::MarkRead => Ok(SendMode::Whatsapp),
            // Reactions and `request_contact_info` are ordinary messages: outside the window
            // Meta refuses them with 131047 (§6). Outside it, a template with a
            // REQUEST_CONTACT_INFO button asks for the phone instead (§12).
            SendKind::FreeForm | SendKind::Reaction | SendKind::ContactRequest => {
                if window.state == WindowState::Open {
                    Ok(SendMode::Whatsapp)
                } else {
                    Err(SendRefusal::WindowClosed)
                }
            }
        };
    }
    match send {
        SendKind::Template => return Err(SendRefusal::TemplatesNotSupported),
        SendKind::ContactRequest => return Err(SendRefusal::ContactRequestNotSupported),
        SendKind::FreeForm | SendKind::Reaction | SendKind::MarkRead => {}
    }
    match (window.state, send) {
        (WindowState::Open, _) => Ok(SendMode::Messaging(MessagingType::Response)),
        (WindowState::HumanAgent, SendKind::FreeForm) => Ok(SendMode::Messaging(MessagingType::HumanAgentTag)),
        // Reactions and `mark_seen` are sender actions, which carry no tag, so they only fit the
        // standard window (UNCONFIRMED in Meta's docs: the conservative reading). A caller marking
        // a conversation read should still mark it locally.
        (WindowState::HumanAgent, _) => Err(SendRefusal::StandardWindowOnly),
        (WindowState::Closed, _) if window.last_inbound_at.is_none() => Err(SendRefusal::ChannelCannotInitiate),
        (WindowState::Closed, _) => Err(SendRefusal::WindowExpired),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-17 12:00 UTC);
    const MS: Duration = Duration::milliseconds(1);

    fn at_age(kind: ChannelKind, age: Duration) -> Window {
        Window::compute(kind, Some(NOW - age), NOW)
    }

    #[test]
    fn whatsapp_is_open_until_just_before_24_hours() {
        for kind in [ChannelKind::WhatsappCloud, ChannelKind::WhatsappBusinessApp] {
            let w = at_age(kind, Duration::hours(24) - MS);
            assert_eq!(w.state, WindowState::Open);
            assert!(w.free_form && w.templates_allowed);
            assert_eq!(w.expires_at, Some(NOW + MS));
            assert_eq!(w.messaging_type, None);
            assert_eq!(w.remaining(NOW), Some(MS));
        }
    }

    #[test]
    fn whatsapp_is_closed_at_exactly_24_hours_but_templates_stay_allowed() {
        let w = at_age(ChannelKind::WhatsappCloud, Duration::hours(24));
        assert_eq!(w.state, WindowState::Closed);
        assert!(!w.free_form && w.templates_allowed);
        assert_eq!(w.expires_at, None);
        assert_eq!(w.remaining(NOW), None);
        let w = at_age(ChannelKind::WhatsappCloud, Duration::days(30));
        assert_eq!(w.state, WindowState::Closed);
    }

    #[test]
    fn whatsapp_never_gets_a_human_agent_extension() {
        let w = at_age(ChannelKind::WhatsappBusinessApp, Duration::days(2));
        assert_eq!(w.state, WindowState::Closed);
    }

    #[test]
    fn messenger_and_instagram_switch_to_human_agent_at_exactly_24_hours() {
        for kind in [ChannelKind::Messenger, ChannelKind::Instagram] {
            let open = at_age(kind, Duration::hours(24) - MS);
            assert_eq!(open.state, WindowState::Open);
            assert_eq!(open.messaging_type, Some(MessagingType::Response));
            assert!(open.free_form && !open.templates_allowed);

            let tagged = at_age(kind, Duration::hours(24));
            assert_eq!(tagged.state, WindowState::HumanAgent);
            assert_eq!(tagged.messaging_type, Some(MessagingType::HumanAgentTag));
            assert!(tagged.free_form && !tagged.templates_allowed);
            assert_eq!(tagged.expires_at, Some(NOW + Duration::days(6)));
        }
    }

    #[test]
    fn messenger_and_instagram_close_at_exactly_7_days() {
        for kind in [ChannelKind::Messenger, ChannelKind::Instagram] {
            let last = at_age(kind, Duration::days(7) - MS);
            assert_eq!(last.state, WindowState::HumanAgent);
            assert_eq!(last.expires_at, Some(NOW + MS));
            let closed = at_age(kind, Duration::days(7));
            assert_eq!(closed.state, WindowState::Closed);
            assert!(!closed.free_form && !closed.templates_allowed);
            assert_eq!(closed.messaging_type, None);
        }
    }

    #[test]
    fn no_inbound_message_means_closed() {
        for kind in ChannelKind::ALL {
            let w = Window::compute(kind, None, NOW);
            assert_eq!(w.state, WindowState::Closed);
            assert_eq!(w.templates_allowed, kind.is_whatsapp());
            assert_eq!(w.expires_at, None);
        }
    }

    #[test]
    fn a_future_timestamp_counts_as_just_now() {
        for kind in ChannelKind::ALL {
            let w = Window::compute(kind, Some(NOW + Duration::minutes(5)), NOW);
            assert_eq!(w.state, WindowState::Open);
            assert_eq!(w.expires_at, Some(NOW + Duration::hours(24)));
        }
    }

    #[test]
    fn whatsapp_free_form_needs_the_window_but_templates_do_not() {
        let kind = ChannelKind::WhatsappCloud;
        let open = at_age(kind, Duration::hours(1));
        let closed = at_age(kind, Duration::hours(24));
        let never = Window::compute(kind, None, NOW);
        for send in [SendKind::FreeForm, SendKind::Reaction, SendKind::ContactRequest] {
            assert_eq!(check_send(kind, &open, send), Ok(SendMode::Whatsapp));
            assert_eq!(check_send(kind, &closed, send), Err(SendRefusal::WindowClosed));
            assert_eq!(check_send(kind, &never, send), Err(SendRefusal::WindowClosed));
        }
        for w in [open, closed, never] {
            assert_eq!(check_send(kind, &w, SendKind::Template), Ok(SendMode::Whatsapp));
            assert_eq!(check_send(kind, &w, SendKind::MarkRead), Ok(SendMode::Whatsapp));
        }
        assert_eq!(SendRefusal::WindowClosed.code(), "window_closed");
    }

    #[test]
    fn messenger_free_form_is_tagged_after_24_hours_and_refused_after_7_days() {
        for kind in [ChannelKind::Messenger, ChannelKind::Instagram] {
            let send = |w: &Window| check_send(kind, w, SendKind::FreeForm);
            assert_eq!(send(&at_age(kind, Duration::hours(1))), Ok(SendMode::Messaging(MessagingType::Response)));
            assert_eq!(send(&at_age(kind, Duration::days(3))), Ok(SendMode::Messaging(MessagingType::HumanAgentTag)));
            let expired = send(&at_age(kind, Duration::days(7)));
            assert_eq!(expired, Err(SendRefusal::WindowExpired));
            assert_eq!(SendRefusal::WindowExpired.code(), "window_expired");
        }
    }

    #[test]
    fn messenger_cannot_initiate_nor_send_templates() {
        for kind in [ChannelKind::Messenger, ChannelKind::Instagram] {
            let never = Window::compute(kind, None, NOW);
            let refusal = check_send(kind, &never, SendKind::FreeForm).unwrap_err();
            assert_eq!(refusal, SendRefusal::ChannelCannotInitiate);
            assert_eq!(refusal.code(), "channel_cannot_initiate");
            let open = at_age(kind, Duration::minutes(1));
            let refusal = check_send(kind, &open, SendKind::Template).unwrap_err();
            assert_eq!(refusal.code(), "templates_not_supported");
            let refusal = check_send(kind, &open, SendKind::ContactRequest).unwrap_err();
            assert_eq!(refusal, SendRefusal::ContactRequestNotSupported);
        }
    }

    #[test]
    fn messenger_sender_actions_fit_only_the_standard_window() {
        let kind = ChannelKind::Instagram;
        let open = at_age(kind, Duration::hours(2));
        let tagged = at_age(kind, Duration::days(2));
        for send in [SendKind::Reaction, SendKind::MarkRead] {
            assert_eq!(check_send(kind, &open, send), Ok(SendMode::Messaging(MessagingType::Response)));
            assert_eq!(check_send(kind, &tagged, send), Err(SendRefusal::StandardWindowOnly));
        }
    }

    #[test]
    fn window_json_matches_the_contract() {
        let w = at_age(ChannelKind::Messenger, Duration::days(1));
        let json = serde_json::to_value(w).unwrap();
        assert_eq!(json["state"], "human_agent");
        assert_eq!(json["free_form"], true);
        assert_eq!(json["templates_allowed"], false);
        assert_eq!(json["expires_at"], "2026-03-23T12:00:00Z");
        assert_eq!(json["messaging_type"], "human_agent_tag");
        let back: Window = serde_json::from_value(json).unwrap();
        assert_eq!(back, w);
        assert_eq!(MessagingType::HumanAgentTag.graph_messaging_type(), "MESSAGE_TAG");
        assert_eq!(MessagingType::HumanAgentTag.graph_tag(), Some("HUMAN_AGENT"));
        assert_eq!(MessagingType::Response.graph_tag(), None);
    }
}
