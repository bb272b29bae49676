//! WhatsApp status webhooks (`value.statuses[]`), docs/meta.md §3 and §12: `sent` → `delivered` → `read`
//! (→ `played` for voice notes) or `failed` with `errors[]`; per-message pricing (`pricing_model: "PMP"`,
//! `type`, `category`, and the deprecated `billable`); v24 carries no `conversation` object.
//! `recipient_user_id` names BSUID recipients; `recipient_id` may then be absent.

use serde_json::{json, Map, Value};

use super::whatsapp::{insert_opt, WaBusiness};
use super::whatsapp_envelope;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WaStatusKind {
    Sent,
    Delivered,
    Read,
    Played,
    Failed,
}

impl WaStatusKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Played => "played",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "played" => Self::Played,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// The `pricing` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pricing {
    pub billable: bool,
    /// `regular`, `free_customer_service` or `free_entry_point`.
    pub kind: String,
    /// `marketing`, `utility`, `authentication`, `service`, …
    pub category: String,
}

impl Pricing {
    /// A charged template message.
    pub fn regular(category: &str) -> Self {
        Self { billable: true, kind: "regular".into(), category: category.into() }
    }

    /// Free inside the customer service window (free-form messages; utility templates in the window).
    pub fn free_customer_service(category: &str) -> Self {
        Self { billable: false, kind: "free_customer_service".into(), category: category.into() }
    }

    fn to_json(&self) -> Value {
        json!({"billable": self.billable, "pricing_model": "PMP", "type": self.kind, "category": self.category})
    }
}

/// One entry of `errors[]` on a failed status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaStatusError {
    pub code: i64,
    pub title: String,
    pub details: String,
}

impl WaStatusError {
    /// The error as Meta titles it, with a readable detail for the codes the simulator produces.
    pub fn from_code(code: i64) -> Self {
        let details = match code {
            131047 => "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
            131026 => "Message Undeliverable.",
            131050 => "The user has stopped marketing messages from this business.",
            131053 => "Unable to upload the media used in the message.",
            _ => crate::graph_error::whatsapp_title(code),
        };
        Self { code, title: crate::graph_error::whatsapp_title(code).into(), details: details.into() }
    }
}

/// One status update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaStatus {
    pub id: String,
    pub status: WaStatusKind,
    /// Unix seconds.
    pub timestamp: i64,
    pub recipient_id: Option<String>,
    pub recipient_user_id: Option<String>,
    pub pricing: Option<Pricing>,
    pub errors: Vec<WaStatusError>,
}

impl WaStatus {
    pub fn new(id: impl Into<String>, status: WaStatusKind, timestamp: i64) -> Self {
        Self {
            id: id.into(),
            status,
            timestamp,
            recipient_id: None,
            recipient_user_id: None,
            pricing: None,
            errors: Vec::new(),
        }
    }

    pub fn to(mut self, wa_id: impl Into<String>) -> Self {
        self.recipient_id = Some(wa_id.into());
        self
    }

    pub fn to_user(mut self, user_id: impl Into<String>) -> Self {
        self.recipient_user_id = Some(user_id.into());
        self
    }

    pub fn priced(mut self, pricing: Pricing) -> Self {
        self.pricing = Some(pricing);
        self
    }

    pub fn failed_with(mut self, code: i64) -> Self {
        self.status = WaStatusKind::Failed;
        self.errors.push(WaStatusError::from_code(code));
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut s = Map::new();
        s.insert("id".into(), json!(self.id));
        s.insert("status".into(), json!(self.status.as_str()));
        s.insert("timestamp".into(), json!(self.timestamp.to_string()));
        insert_opt(&mut s, "recipient_id", &self.recipient_id);
        insert_opt(&mut s, "recipient_user_id", &self.recipient_user_id);
        if let Some(pricing) = &self.pricing {
            s.insert("pricing".into(), pricing.to_json());
        }
        if !self.errors.is_empty() {
            let errors: Vec<Value> = self
                .errors
                .iter()
                .map(|e| {
                    json!({
                        "code": e.code,
                        "title": e.title,
                        "message": e.title,
                        "error_data": {"details": e.details},
                        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                    })
                })
                .collect();
            s.insert("errors".into(), Value::Array(errors));
        }
        Value::Object(s)
    }
}

/// One delivery with several statuses.
pub fn whatsapp_statuses(business: &WaBusiness, statuses: &[WaStatus]) -> Value {
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": business.metadata(),
        "statuses": statuses.iter().map(WaStatus::to_json).collect::<Vec<_>>(),
    });
    whatsapp_envelope(&business.waba_id, "messages", value)
}

/// One delivery with one status.
pub fn whatsapp_status(business: &WaBusiness, status: &WaStatus) -> Value {
    whatsapp_statuses(business, std::slice::from_ref(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_status_carries_the_error_and_no_pricing() {
        let business =
            WaBusiness { waba_id: "W".into(), phone_number_id: "P".into(), display_phone_number: "1".into() };
        let status = WaStatus::new("wamid.1", WaStatusKind::Sent, 5).to("521").failed_with(131047);
        let v = whatsapp_status(&business, &status);
        let s = &v["entry"][0]["changes"][0]["value"]["statuses"][0];
        assert_eq!(s["status"], "failed");
        assert_eq!(s["errors"][0]["code"], 131047);
        assert_eq!(s["errors"][0]["title"], "Re-engagement message");
        assert!(s.get("pricing").is_none());
        assert!(s.get("conversation").is_none());
    }

    #[test]
    fn pricing_has_the_pmp_shape() {
        let s = WaStatus::new("w", WaStatusKind::Delivered, 1).priced(Pricing::regular("marketing")).to_json();
        assert_eq!(
            s["pricing"],
            json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": "marketing"})
        );
    }
}
