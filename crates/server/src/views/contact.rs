//! A CRM contact as the API, the events socket and outgoing webhooks show it.

use super::conversation::MarketingOptOut;
use domain::ids::ContactId;
use serde::Serialize;
use std::collections::BTreeMap;
use store::ContactRecord;

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub id: ContactId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_primary: Option<String>,
    pub phone_alternate: Option<String>,
    /// The number WhatsApp uses for this customer (filled from the channel's `wa_id`).
    pub phone_whatsapp: Option<String>,
    pub whatsapp_user_id: Option<String>,
    pub whatsapp_username: Option<String>,
    pub custom_fields: BTreeMap<String, String>,
    /// Set when the customer stopped marketing messages (WhatsApp `user_preferences`, or a marketing
    /// template Meta refused with 131050); `null` when they accept them.
    pub marketing_opt_out: Option<MarketingOptOut>,
    /// Other contacts that have one of this contact's numbers: an identity conflict for a person to
    /// resolve by merging (`POST /api/v1/contacts/{id}/merge`); never merged automatically.
    pub conflicts: Vec<ContactId>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: time::OffsetDateTime,
}

pub fn view(c: ContactRecord, conflicts: Vec<ContactId>) -> ContactView {
    let f = c.fields;
    ContactView {
        id: c.id,
        first_name: f.first_name,
        last_name: f.last_name,
        email: f.email,
        phone_primary: f.phone_primary,
        phone_alternate: f.phone_alternate,
        phone_whatsapp: f.phone_whatsapp,
        whatsapp_user_id: f.whatsapp_user_id,
        whatsapp_username: f.whatsapp_username,
        custom_fields: f.custom_fields,
        marketing_opt_out: MarketingOptOut::from_millis(c.marketing_opt_out_at),
        conflicts,
        updated_at: domain::time_util::from_millis(c.updated_at),
    }
}

/// The match keys of a contact's phones: what finds the other contacts sharing one of its numbers,
/// whichever form each was typed in.
pub fn keys_of(phones: &[&Option<String>]) -> Vec<String> {
    phones.iter().filter_map(|p| p.as_deref()).flat_map(domain::phone::match_keys).collect()
}
