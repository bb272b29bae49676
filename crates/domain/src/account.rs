//! Accounts and the plan that gates the product.

use crate::channel::ChannelKind;
use crate::ids::AccountId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Basic,
    Pro,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Basic => "basic",
            Plan::Pro => "pro",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "basic" => Some(Plan::Basic),
            "pro" => Some(Plan::Pro),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Addon {
    Whatsapp,
}

impl Addon {
    pub fn as_str(self) -> &'static str {
        match self {
            Addon::Whatsapp => "whatsapp",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "whatsapp" => Some(Addon::Whatsapp),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub plan: Plan,
    pub addons: BTreeSet<Addon>,
}

/// Why the plan refuses something; the API answers `403 plan_required` with this text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlanRefusal {
    #[error("the inbox needs the Pro plan")]
    InboxNeedsPro,
    #[error("WhatsApp channels need the WhatsApp add-on")]
    WhatsappNeedsAddon,
    #[error("the omnichannel inbox needs the Pro plan with the WhatsApp add-on")]
    InboxNeedsWhatsappAddon,
}

impl Account {
    /// The inbox (conversations, messages, contacts, channels) is a Pro feature.
    ///
    /// The product's help article: the omnichannel inbox is "disponible solo para clientes con Plan
    /// Pro y el Add-on WhatsApp" — Messenger and Instagram included, not only WhatsApp numbers.
    pub fn check_inbox(&self) -> Result<(), PlanRefusal> {
        match self.plan {
            Plan::Basic => Err(PlanRefusal::InboxNeedsPro),
            Plan::Pro if !self.addons.contains(&Addon::Whatsapp) => Err(PlanRefusal::InboxNeedsWhatsappAddon),
            Plan::Pro => Ok(()),
        }
    }

    /// Whether a channel of `kind` may be connected and used by this account.
    pub fn check_channel_kind(&self, kind: ChannelKind) -> Result<(), PlanRefusal> {
        self.check_inbox()?;
        if kind.is_whatsapp() && !self.addons.contains(&Addon::Whatsapp) {
            return Err(PlanRefusal::WhatsappNeedsAddon);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(plan: Plan, addons: &[Addon]) -> Account {
        Account { id: AccountId::new(), name: "Acme".into(), plan, addons: addons.iter().copied().collect() }
    }

    #[test]
    fn basic_plan_has_no_inbox() {
        let a = account(Plan::Basic, &[Addon::Whatsapp]);
        assert_eq!(a.check_inbox(), Err(PlanRefusal::InboxNeedsPro));
        assert_eq!(a.check_channel_kind(ChannelKind::Instagram), Err(PlanRefusal::InboxNeedsPro));
    }

    #[test]
    fn the_whole_inbox_needs_pro_and_the_whatsapp_addon() {
        let a = account(Plan::Pro, &[]);
        assert_eq!(a.check_inbox(), Err(PlanRefusal::InboxNeedsWhatsappAddon));
        for kind in [
            ChannelKind::WhatsappCloud,
            ChannelKind::WhatsappBusinessApp,
            ChannelKind::Messenger,
            ChannelKind::Instagram,
        ] {
            assert_eq!(a.check_channel_kind(kind), Err(PlanRefusal::InboxNeedsWhatsappAddon), "{kind:?}");
        }
        let with_addon = account(Plan::Pro, &[Addon::Whatsapp]);
        assert_eq!(with_addon.check_inbox(), Ok(()));
        for kind in [
            ChannelKind::WhatsappCloud,
            ChannelKind::WhatsappBusinessApp,
            ChannelKind::Messenger,
            ChannelKind::Instagram,
        ] {
            assert_eq!(with_addon.check_channel_kind(kind), Ok(()), "{kind:?}");
        }
    }
}
