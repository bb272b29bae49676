//! Who a WhatsApp message is about (docs/meta.md §12): a customer is known by `wa_id` (phone digits),
//! by BSUID (`user_id`, e.g. `US.13491208655302741918`, with an optional portfolio-wide parent), or both.
//! Either may be missing. The ids a message names (`from`/`from_user_id`, `to`/`to_user_id`,
//! `recipient_id`/`recipient_user_id`) are completed with the matching `contacts[]` entry, which also
//! carries the profile name and username. A phone number is never derived from a BSUID.

use super::events::CustomerRef;
use super::whatsapp_message::WaMessage;
use super::{array_of, decode, scalar};
use serde::Deserialize;
use serde_json::Value;

/// `contacts[]` of a messages change: who the senders are (§2, §12).
#[derive(Debug, Default, Deserialize)]
pub(super) struct WaContact {
    #[serde(default, deserialize_with = "scalar::opt_string")]
    wa_id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    user_id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_string")]
    parent_user_id: Option<String>,
    #[serde(default)]
    profile: Option<WaProfile>,
}

#[derive(Debug, Default, Deserialize)]
struct WaProfile {
    name: Option<String>,
    username: Option<String>,
}

pub(super) fn contacts(value: &Value) -> Vec<WaContact> {
    array_of(value.get("contacts")).iter().filter_map(|c| decode(Some(c))).collect()
}

/// The customer ids a message names. A `from`/`to` that is not digits is not a phone: newer payloads may
/// carry the BSUID there, and it must never end up in `wa_id`.
pub(super) struct Identity {
    wa_id: Option<String>,
    user_id: Option<String>,
    parent_user_id: Option<String>,
}

impl Identity {
    pub(super) fn new(phone: Option<&str>, user_id: Option<&str>, parent: Option<&str>) -> Self {
        let phone = phone.filter(|p| !p.is_empty());
        let (wa_id, stray_bsuid) = match phone {
            Some(p) if is_phone(p) => (Some(p.to_owned()), None),
            Some(p) => (None, Some(p.to_owned())),
            None => (None, None),
        };
        Self { wa_id, user_id: user_id.map(str::to_owned).or(stray_bsuid), parent_user_id: parent.map(str::to_owned) }
    }

    pub(super) fn sender(msg: &WaMessage) -> Self {
        Self::new(msg.from.as_deref(), msg.from_user_id.as_deref(), msg.from_parent_user_id.as_deref())
    }

    pub(super) fn recipient(msg: &WaMessage) -> Self {
        Self::new(msg.to.as_deref(), msg.to_user_id.as_deref(), msg.to_parent_user_id.as_deref())
    }

    /// Fills what `self` lacks from `other`.
    pub(super) fn or(self, other: Identity) -> Self {
        Self {
            wa_id: self.wa_id.or(other.wa_id),
            user_id: self.user_id.or(other.user_id),
            parent_user_id: self.parent_user_id.or(other.parent_user_id),
        }
    }

    /// Completes the ids with the matching `contacts[]` entry (by `wa_id` or BSUID). With a single contact
    /// and a message that names nobody, that contact is the only possible sender.
    pub(super) fn resolve(self, contacts: &[WaContact]) -> Option<CustomerRef> {
        let matches = |c: &&WaContact| {
            (self.wa_id.is_some() && c.wa_id == self.wa_id) || (self.user_id.is_some() && c.user_id == self.user_id)
        };
        let names_nobody = self.wa_id.is_none() && self.user_id.is_none();
        let contact =
            contacts.iter().find(matches).or_else(|| contacts.first().filter(|_| names_nobody && contacts.len() == 1));
        let contact_wa_id = contact.and_then(|c| c.wa_id.clone()).filter(|p| is_phone(p));
        let wa_id = self.wa_id.or(contact_wa_id);
        let user_id = self.user_id.or_else(|| contact.and_then(|c| c.user_id.clone()));
        let profile = contact.and_then(|c| c.profile.as_ref());
        Some(CustomerRef {
            external_id: wa_id.clone().or_else(|| user_id.clone())?,
            wa_id,
            user_id,
            parent_user_id: self.parent_user_id.or_else(|| contact.and_then(|c| c.parent_user_id.clone())),
            username: profile.and_then(|p| p.username.clone()),
            profile_name: profile.and_then(|p| p.name.clone()),
        })
    }
}

/// `wa_id`s are digits without `+` (§11).
fn is_phone(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The digits of a display number (`+1 555-078-3881` → `15550783881`).
pub(super) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}
