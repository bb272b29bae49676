//! Outgoing webhooks: the account's automations (a CRM, Zapier, its own scripts) receive what happens
//! in the inbox as signed JSON POSTs.
//!
//! - [`emit`]: where something happens, one call queues one delivery per enabled webhook subscribed
//!   to that event, in the store's delivery outbox, before the request (or webhook journal entry) is
//!   answered.
//! - [`worker`]: claims due deliveries, signs and POSTs them, retries with backoff
//!   (`domain::outgoing_webhook::retry_after`), and records every attempt for the delivery log.
//! - [`url_policy`]: which URLs a webhook may have — HTTPS to public addresses unless
//!   `INBOX_WEBHOOK_ALLOW_PRIVATE` — checked when a URL is saved and again, by the HTTP client's
//!   resolver, at every delivery (DNS rebinding).
//!
//! The body of each delivery is `{id, type, created_at, account_id, data}`; `data` is what the API
//! shows for the thing concerned (message, conversation, contact view). Delivery is at-least-once:
//! receivers deduplicate by `id`, which stays the same on every attempt.

pub mod emit;
pub mod url_policy;
pub mod worker;

pub use domain::outgoing_webhook::HookEvent;
pub use emit::{emit, emit_all, emit_contact, emit_contacts, emit_conversation, emit_message};

/// The `X-Inbox-Signature-256` header of `body`: `sha256=` and the hex HMAC-SHA256 of the exact body
/// bytes under the webhook's secret — the scheme Meta's own webhooks use, so one implementation serves.
pub fn signature(secret: &str, body: &[u8]) -> String {
    meta::sign(secret.as_bytes(), body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            super::signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
