//! Recording who did what. An audit write that fails is logged loudly but does not undo the action
//! it describes (the action already happened).

use crate::state::AppState;
use domain::ids::{AccountId, UserId};
use store::NewAuditEntry;

pub async fn record(
    state: &AppState,
    account: AccountId,
    user: Option<UserId>,
    action: &str,
    target: Option<(&str, String)>,
    details: serde_json::Value,
) {
    let (target_type, target_id) = match target {
        Some((t, id)) => (Some(t), Some(id)),
        None => (None, None),
    };
    let entry = NewAuditEntry { account, user, action, target_type, target_id, details };
    if let Err(e) = state.store.audit(entry, state.now_ms()).await {
        tracing::error!(error = %e, action, "could not write the audit log");
    }
}
