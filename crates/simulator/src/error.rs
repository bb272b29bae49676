//! Errors of the simulator's Rust API (customers and control helpers). Graph API answers use
//! `graph_error` instead: those are Meta's errors, not ours.

/// Why a simulated customer action could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("no webhook URL configured: call SimHandle::set_webhook_url first")]
    NoWebhookUrl,
    #[error("the webhook receiver could not be reached: {0}")]
    WebhookUnreachable(String),
    #[error("unknown business asset {0}")]
    UnknownAsset(String),
    #[error("number {0} is not a coexistence (WhatsApp Business App) number")]
    NotCoexistence(String),
    #[error("invalid payload: {0}")]
    Payload(String),
    #[error("could not start the simulator: {0}")]
    Start(#[from] std::io::Error),
}
