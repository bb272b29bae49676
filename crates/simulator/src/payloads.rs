//! Webhook payloads exactly as Meta sends them, as pure functions returning `serde_json::Value`, so tests
//! can craft duplicates, batches and out-of-order deliveries themselves and post them with
//! `SimHandle::post_webhook` (which signs them).
//!
//! - [`whatsapp`]: `object: "whatsapp_business_account"`, `field: "messages"` inbound messages (§2, §12, §13).
//! - [`status`]: WhatsApp `statuses[]` with per-message pricing (§3).
//! - [`coexistence`]: `smb_message_echoes`, `history`, `smb_app_state_sync` (§8).
//! - [`calls`]: WhatsApp `user_preferences` and `calls`, Messenger `calls`.
//! - [`social`]: Messenger (`object: "page"`) and Instagram (`object: "instagram"`) `messaging[]` (§9, §10).

pub mod calls;
pub mod coexistence;
pub mod social;
pub mod status;
pub mod whatsapp;

pub use calls::{messenger_call, whatsapp_call, whatsapp_user_preference, CallStep};
pub use coexistence::{
    whatsapp_echo, whatsapp_history, whatsapp_history_declined, whatsapp_state_sync, HistoryMessage, HistoryThread,
    StateSyncContact,
};
pub use social::{
    social_delivery, social_message, social_postback, social_reaction, social_read, SocialAttachment, SocialMessage,
    SocialPlatform,
};
pub use status::{whatsapp_status, whatsapp_statuses, Pricing, WaStatus, WaStatusError, WaStatusKind};
pub use whatsapp::{
    whatsapp_message, whatsapp_messages, whatsapp_text, ContactCard, ContactPhone, WaBusiness, WaContent, WaContext,
    WaMedia, WaMessage, WaUser,
};

use serde_json::{json, Value};

/// `{"object":"whatsapp_business_account","entry":[{"id":WABA,"changes":[{"field","value"}]}]}`.
pub fn whatsapp_envelope(waba_id: &str, field: &str, value: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"value": value, "field": field}]}],
    })
}

/// Several deliveries batched into one POST, as Meta does: their `entry[]` arrays concatenated (all must
/// share one `object`).
pub fn batch(payloads: &[Value]) -> Value {
    let object = payloads.first().map(|p| p["object"].clone()).unwrap_or(Value::Null);
    let entries: Vec<Value> =
        payloads.iter().flat_map(|p| p["entry"].as_array().cloned().unwrap_or_default()).collect();
    json!({"object": object, "entry": entries})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_concatenates_entries() {
        let a = whatsapp_envelope("1", "messages", json!({"a": 1}));
        let b = whatsapp_envelope("1", "messages", json!({"b": 2}));
        let both = batch(&[a, b]);
        assert_eq!(both["object"], "whatsapp_business_account");
        assert_eq!(both["entry"].as_array().map(Vec::len), Some(2));
    }
}
