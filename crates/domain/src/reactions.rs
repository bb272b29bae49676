//! Which reactions each channel delivers, so the agent sees on a message exactly what the customer
//! sees: WhatsApp takes any emoji; Instagram's Send API has one reaction, `love` (shown as ❤️);
//! Messenger's Send API lets a page send none.

use crate::channel::ChannelKind;

/// The one emoji Instagram delivers (`"reaction": "love"`).
pub const INSTAGRAM_REACTION: &str = "❤️";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReactionRefusal {
    #[error("Messenger does not let a page react to messages")]
    NotOnMessenger,
    #[error("Instagram only delivers the ❤️ reaction")]
    OnlyLoveOnInstagram,
}

/// Whether `emoji` (empty: remove our reaction) can be sent on `kind` as it is.
pub fn check_reaction(kind: ChannelKind, emoji: &str) -> Result<(), ReactionRefusal> {
    match kind {
        ChannelKind::Messenger => Err(ReactionRefusal::NotOnMessenger),
        ChannelKind::Instagram if !emoji.is_empty() && !is_heart(emoji) => Err(ReactionRefusal::OnlyLoveOnInstagram),
        _ => Ok(()),
    }
}

fn is_heart(emoji: &str) -> bool {
    // With or without the emoji variation selector.
    emoji.trim_end_matches('\u{fe0f}') == "❤"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_channel_takes_what_it_delivers() {
        assert_eq!(check_reaction(ChannelKind::WhatsappCloud, "😂"), Ok(()));
        assert_eq!(check_reaction(ChannelKind::WhatsappBusinessApp, ""), Ok(()));
        assert_eq!(check_reaction(ChannelKind::Instagram, "❤️"), Ok(()));
        assert_eq!(check_reaction(ChannelKind::Instagram, "❤"), Ok(()));
        assert_eq!(check_reaction(ChannelKind::Instagram, ""), Ok(()), "removing is allowed");
        assert_eq!(check_reaction(ChannelKind::Instagram, "👍"), Err(ReactionRefusal::OnlyLoveOnInstagram));
        assert_eq!(check_reaction(ChannelKind::Messenger, "❤️"), Err(ReactionRefusal::NotOnMessenger));
    }
}
