//! Webhook delivery as Meta does it: a `POST` of UTF-8 JSON with `X-Hub-Signature-256: sha256=<hex>`, the
//! HMAC-SHA256 of the raw body keyed with the app secret (docs/meta.md §1). Every delivery is kept in the
//! webhook journal with the receiver's answer.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::error::SimError;
use crate::journal::WebhookRecord;
use crate::state::{lock, SimState};

/// The `X-Hub-Signature-256` value for a body: `sha256=` and the hex HMAC-SHA256 keyed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so the else branch is never taken.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::from("sha256=");
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is the right signature of `body` (constant-time comparison).
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The receiver's answer to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The HTTP status the webhook receiver answered.
    pub status: u16,
    /// The id of the message this delivery carried (`wamid.…`/`m_…`), when it carried one.
    pub message_id: Option<String>,
    /// The exact JSON posted.
    pub payload: Value,
}

impl SimState {
    /// Signs and posts a payload to the webhook URL, journaling the attempt.
    pub(crate) async fn deliver(&self, payload: Value, message_id: Option<String>) -> Result<Delivery, SimError> {
        let url = lock(&self.webhook_url).clone().ok_or(SimError::NoWebhookUrl)?;
        let body = serde_json::to_vec(&payload).map_err(|e| SimError::Payload(e.to_string()))?;
        let signature = sign(&self.config.app_secret, &body);
        let result = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Hub-Signature-256", &signature)
            .body(body)
            .send()
            .await;
        let (status, error) = match &result {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        lock(&self.webhooks).push(WebhookRecord {
            url,
            body: payload.clone(),
            signature,
            status,
            error: error.clone(),
            at: self.clock.now(),
        });
        match status {
            Some(status) => Ok(Delivery { status, message_id, payload }),
            None => Err(SimError::WebhookUnreachable(error.unwrap_or_default())),
        }
    }

    /// Delivers in the background (status webhooks): failures are only logged and journaled.
    pub(crate) async fn deliver_quietly(&self, payload: Value) {
        if lock(&self.webhook_url).is_none() {
            tracing::debug!("no webhook URL: status webhook dropped");
            return;
        }
        if let Err(e) = self.deliver(payload, None).await {
            tracing::warn!(error = %e, "simulated webhook delivery failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_is_detected() {
        let sig = sign("secret", b"{\"a\":1}");
        assert!(sig.starts_with("sha256="));
        assert_eq!(sig.len(), 7 + 64);
        assert!(verify("secret", b"{\"a\":1}", &sig));
        assert!(!verify("secret", b"{\"a\":2}", &sig));
        assert!(!verify("other", b"{\"a\":1}", &sig));
        assert!(!verify("secret", b"{\"a\":1}", "sha1=00"));
    }
}
