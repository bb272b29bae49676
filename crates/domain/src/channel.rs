//! Channels: the four kinds of Meta inboxes an account can connect.

use crate::ids::{AccountId, ChannelId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// WhatsApp Business Platform, Cloud API number.
    WhatsappCloud,
    /// A WhatsApp Business App number connected to the Cloud API ("coexistence").
    WhatsappBusinessApp,
    /// A Facebook Page's Messenger.
    Messenger,
    /// An Instagram professional account's direct messages.
    Instagram,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] =
        [ChannelKind::WhatsappCloud, ChannelKind::WhatsappBusinessApp, ChannelKind::Messenger, ChannelKind::Instagram];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::WhatsappCloud => "whatsapp_cloud",
            ChannelKind::WhatsappBusinessApp => "whatsapp_business_app",
            ChannelKind::Messenger => "messenger",
            ChannelKind::Instagram => "instagram",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn is_whatsapp(self) -> bool {
        matches!(self, ChannelKind::WhatsappCloud | ChannelKind::WhatsappBusinessApp)
    }

    /// Only WhatsApp lets the business write first (with an approved, paid template).
    pub fn can_initiate(self) -> bool {
        self.is_whatsapp()
    }

    /// How many messages a second a channel of this kind may be sent, given the rate configured for
    /// every number (`INBOX_MESSAGES_PER_SECOND`). Meta caps a number used by the WhatsApp Business
    /// App as well as the Cloud API (coexistence) at 20 a second, whatever the Cloud API number's own
    /// throughput; faster, its sends fail with 130429 (docs/meta.md §7).
    pub fn send_rate(self, configured: u32) -> u32 {
        match self {
            ChannelKind::WhatsappBusinessApp => configured.min(COEXISTENCE_MESSAGES_PER_SECOND),
            ChannelKind::WhatsappCloud | ChannelKind::Messenger | ChannelKind::Instagram => configured,
        }
    }
}

/// Meta's fixed throughput of a coexistence number (a WhatsApp Business App number on the Cloud API).
pub const COEXISTENCE_MESSAGES_PER_SECOND: u32 = 20;

/// The Meta identifiers a channel is addressed and routed by. Which ones exist depends on the kind,
/// so the enum makes a WhatsApp channel without a phone number id impossible.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChannelAddress {
    Whatsapp { phone_number_id: String, waba_id: String, display_phone_number: String },
    Messenger { page_id: String },
    Instagram { instagram_account_id: String },
}

impl ChannelAddress {
    /// The id Meta's webhooks name this channel by (`metadata.phone_number_id`, or `entry[].id`).
    pub fn routing_id(&self) -> &str {
        match self {
            ChannelAddress::Whatsapp { phone_number_id, .. } => phone_number_id,
            ChannelAddress::Messenger { page_id } => page_id,
            ChannelAddress::Instagram { instagram_account_id } => instagram_account_id,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub account_id: AccountId,
    pub kind: ChannelKind,
    pub name: String,
    pub address: ChannelAddress,
    pub enabled: bool,
    pub auto_assign: bool,
}

/// Meta ids are decimal digit strings; anything else is a typo that would silently never route.
pub fn valid_meta_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_their_api_names() {
        for k in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
        }
        assert_eq!(ChannelKind::parse("telegram"), None);
    }

    #[test]
    fn only_whatsapp_can_start_conversations() {
        assert!(ChannelKind::WhatsappCloud.can_initiate());
        assert!(ChannelKind::WhatsappBusinessApp.can_initiate());
        assert!(!ChannelKind::Messenger.can_initiate());
        assert!(!ChannelKind::Instagram.can_initiate());
    }

    #[test]
    fn a_coexistence_number_is_sent_at_most_twenty_messages_a_second() {
        assert_eq!(ChannelKind::WhatsappBusinessApp.send_rate(80), 20);
        assert_eq!(ChannelKind::WhatsappBusinessApp.send_rate(20), 20);
        assert_eq!(ChannelKind::WhatsappBusinessApp.send_rate(5), 5, "a slower configured rate is kept");
        for kind in [ChannelKind::WhatsappCloud, ChannelKind::Messenger, ChannelKind::Instagram] {
            assert_eq!(kind.send_rate(80), 80);
            assert_eq!(kind.send_rate(1000), 1000);
        }
    }

    #[test]
    fn meta_ids_are_digits() {
        assert!(valid_meta_id("106540352242922"));
        assert!(!valid_meta_id(""));
        assert!(!valid_meta_id("12a"));
        assert!(!valid_meta_id(" 12"));
    }
}
