//! Who Meta knows: WhatsApp users of the business portfolio (phone and/or BSUID, username) and
//! Messenger/Instagram users of each Page/account, with the time of their last inbound message — the
//! only thing the customer service windows depend on (docs/meta.md §7, §9).

use time::{Duration, OffsetDateTime};

use crate::ids;
use crate::phones;
use crate::state::{lock, SimState, WaCustomerRecord};

/// WhatsApp's customer service window: 24 h after the customer's last message, exclusive.
pub(crate) const WHATSAPP_WINDOW: Duration = Duration::hours(24);
/// Messenger/Instagram standard messaging window (`RESPONSE`).
pub(crate) const STANDARD_WINDOW: Duration = Duration::hours(24);
/// Messenger/Instagram `HUMAN_AGENT` tag: 7 days.
pub(crate) const HUMAN_AGENT_WINDOW: Duration = Duration::days(7);

/// Whether `now` is still inside a window of `length` that opened at `last` (the boundary is closed).
pub(crate) fn within(last: Option<OffsetDateTime>, now: OffsetDateTime, length: Duration) -> bool {
    last.is_some_and(|last| now - last < length)
}

impl SimState {
    /// The customer with this phone (WhatsApp's number equivalences applied).
    pub(crate) fn wa_customer_by_phone(&self, phone: &str) -> Option<WaCustomerRecord> {
        lock(&self.wa_customers)
            .iter()
            .find(|c| c.wa_id.as_deref().is_some_and(|w| phones::same_account(w, phone)))
            .cloned()
    }

    /// The customer with this BSUID or parent BSUID.
    pub(crate) fn wa_customer_by_user_id(&self, user_id: &str) -> Option<WaCustomerRecord> {
        lock(&self.wa_customers)
            .iter()
            .find(|c| c.user_id == user_id || c.parent_user_id.as_deref() == Some(user_id))
            .cloned()
    }

    /// Finds or creates the customer with this phone (a BSUID is made up for them, as Meta has one for
    /// every user).
    pub(crate) fn ensure_phone_customer(&self, wa_id: &str, name: Option<&str>) -> WaCustomerRecord {
        let mut customers = lock(&self.wa_customers);
        if let Some(c) =
            customers.iter_mut().find(|c| c.wa_id.as_deref().is_some_and(|w| phones::same_account(w, wa_id)))
        {
            if let Some(name) = name {
                c.name = Some(name.to_string());
            }
            return c.clone();
        }
        let record = WaCustomerRecord {
            user_id: ids::bsuid(phones::country_of(wa_id), wa_id),
            parent_user_id: None,
            wa_id: Some(wa_id.to_string()),
            username: None,
            name: name.map(str::to_string),
            last_inbound: Default::default(),
            marketing_stopped: Default::default(),
        };
        customers.push(record.clone());
        record
    }

    /// Finds or creates a customer known by BSUID (username-only until they share their phone).
    pub(crate) fn ensure_bsuid_customer(
        &self,
        user_id: &str,
        username: Option<&str>,
        name: Option<&str>,
    ) -> WaCustomerRecord {
        let mut customers = lock(&self.wa_customers);
        if let Some(c) = customers.iter_mut().find(|c| c.user_id == user_id) {
            if let Some(username) = username {
                c.username = Some(username.to_string());
            }
            if let Some(name) = name {
                c.name = Some(name.to_string());
            }
            return c.clone();
        }
        let record = WaCustomerRecord {
            user_id: user_id.to_string(),
            parent_user_id: None,
            wa_id: None,
            username: username.map(str::to_string),
            name: name.map(str::to_string),
            last_inbound: Default::default(),
            marketing_stopped: Default::default(),
        };
        customers.push(record.clone());
        record
    }

    /// Applies a change to the customer with this BSUID and returns the result.
    pub(crate) fn update_wa_customer(
        &self,
        user_id: &str,
        change: impl FnOnce(&mut WaCustomerRecord),
    ) -> Option<WaCustomerRecord> {
        let mut customers = lock(&self.wa_customers);
        let c = customers.iter_mut().find(|c| c.user_id == user_id)?;
        change(c);
        Some(c.clone())
    }

    /// Records an inbound message to a number: (re)opens that number's customer service window.
    pub(crate) fn touch_wa_inbound(&self, phone_number_id: &str, user_id: &str, at: OffsetDateTime) {
        self.update_wa_customer(user_id, |c| {
            let last = c.last_inbound.entry(phone_number_id.to_string()).or_insert(at);
            // A late (backdated) message does not move the window back.
            *last = (*last).max(at);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_window_closes_exactly_at_its_length() {
        let t0 = datetime!(2026-03-01 10:00 UTC);
        assert!(within(Some(t0), t0 + Duration::hours(24) - Duration::seconds(1), WHATSAPP_WINDOW));
        assert!(!within(Some(t0), t0 + Duration::hours(24), WHATSAPP_WINDOW));
        assert!(!within(None, t0, WHATSAPP_WINDOW));
    }
}
