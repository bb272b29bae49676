//! What follows an accepted send: the status webhooks Meta emits. WhatsApp: `sent` → `delivered` → `read`
//! (→ `played` for voice notes) with pricing, or a lone `failed` carrying the error (e.g. 131047 outside
//! the customer service window — the Cloud API accepts such a send with a message id and fails it
//! asynchronously). Messenger: `delivery` then `read` (watermark) events; Instagram: `read` only. Optional
//! Messenger/Instagram echoes of API sends. Delays come from the status policy; `SimHandle::emit_status`
//! plays any single step by hand.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{unix_millis, SimClock};
use crate::config::StatusPolicy;
use crate::error::SimError;
use crate::journal::SendOutcome;
use crate::payloads::{self, Pricing, SocialMessage, SocialPlatform, WaBusiness, WaStatus, WaStatusKind};
use crate::state::{lock, SimState};
use crate::webhook::Delivery;

/// Everything needed to emit the status webhooks of one accepted message.
#[derive(Debug, Clone)]
pub(crate) enum StatusPlan {
    WhatsApp {
        business: WaBusiness,
        message_id: String,
        recipient_id: Option<String>,
        recipient_user_id: Option<String>,
        pricing: Pricing,
        voice: bool,
        outcome: SendOutcome,
    },
    Social {
        platform: SocialPlatform,
        asset_id: String,
        customer: String,
        message_id: String,
        /// The message as an echo, when echoes of API sends are on.
        echo: Option<SocialMessage>,
    },
}

impl StatusPlan {
    /// The payload of one status step, or `None` when the product has no such step.
    fn payload(&self, kind: WaStatusKind, clock: &SimClock) -> Option<serde_json::Value> {
        let now = clock.now();
        match self {
            Self::WhatsApp { business, message_id, recipient_id, recipient_user_id, pricing, outcome, .. } => {
                let mut status = WaStatus::new(message_id.clone(), kind, now.unix_timestamp());
                status.recipient_id = recipient_id.clone();
                status.recipient_user_id = recipient_user_id.clone();
                match kind {
                    WaStatusKind::Failed => {
                        let code = match outcome {
                            SendOutcome::Failed { code } => *code,
                            SendOutcome::Delivered => 131026,
                        };
                        status = status.failed_with(code);
                    }
                    WaStatusKind::Sent | WaStatusKind::Delivered => status.pricing = Some(pricing.clone()),
                    WaStatusKind::Read | WaStatusKind::Played => {}
                }
                Some(payloads::whatsapp_status(business, &status))
            }
            Self::Social { platform, asset_id, customer, message_id, .. } => {
                let ms = unix_millis(now);
                match (kind, platform) {
                    (WaStatusKind::Delivered, SocialPlatform::Messenger) => {
                        Some(payloads::social_delivery(asset_id, customer, ms, std::slice::from_ref(message_id), ms))
                    }
                    (WaStatusKind::Read, _) => {
                        Some(payloads::social_read(*platform, asset_id, customer, ms, ms, Some(message_id)))
                    }
                    _ => None,
                }
            }
        }
    }
}

/// The status steps of a send and the delay before each.
fn steps(policy: &StatusPolicy, failed: bool, voice: bool) -> Vec<(Duration, WaStatusKind)> {
    if failed {
        return vec![(policy.sent_after, WaStatusKind::Failed)];
    }
    let mut steps = vec![(policy.sent_after, WaStatusKind::Sent)];
    if let Some(delivered) = policy.delivered_after {
        steps.push((delivered, WaStatusKind::Delivered));
        if let Some(read) = policy.read_after {
            steps.push((read, WaStatusKind::Read));
            if voice && policy.played_after_read {
                steps.push((read, WaStatusKind::Played));
            }
        }
    }
    steps
}

impl SimState {
    /// Remembers the plan of an accepted message and, unless the policy is off, plays it in the background.
    pub(crate) fn schedule_statuses(self: &Arc<Self>, plan: StatusPlan) {
        let id = match &plan {
            StatusPlan::WhatsApp { message_id, .. } | StatusPlan::Social { message_id, .. } => message_id.clone(),
        };
        lock(&self.status_plans).insert(id.clone(), plan.clone());
        let policy = lock(&self.statuses).clone();
        let state = Arc::clone(self);
        let echo = match &plan {
            StatusPlan::Social { echo: Some(echo), platform, asset_id, customer, .. } if self.config.echo_api_sends => {
                Some(payloads::social_message(*platform, asset_id, customer, unix_millis(self.clock.now()), echo))
            }
            _ => None,
        };
        if !policy.enabled && echo.is_none() {
            return;
        }
        let failed = matches!(&plan, StatusPlan::WhatsApp { outcome: SendOutcome::Failed { .. }, .. });
        let voice = matches!(&plan, StatusPlan::WhatsApp { voice: true, .. });
        let steps = if policy.enabled { steps(&policy, failed, voice) } else { Vec::new() };
        // Counted before the answer goes back, so a test that saw the answer can wait for all of them.
        let pending = steps.len() + usize::from(echo.is_some());
        self.statuses_pending.fetch_add(pending, Ordering::SeqCst);
        tokio::spawn(async move {
            if let Some(echo) = echo {
                state.deliver_quietly(echo).await;
                state.statuses_pending.fetch_sub(1, Ordering::SeqCst);
            }
            for (delay, step) in steps {
                tokio::time::sleep(delay).await;
                if let Some(payload) = plan.payload(step, &state.clock) {
                    state.deliver_quietly(payload).await;
                    state.note_status(&id, step);
                }
                state.statuses_pending.fetch_sub(1, Ordering::SeqCst);
            }
        });
    }

    /// Remembers the furthest status emitted for a message (`failed` is the furthest).
    fn note_status(&self, message_id: &str, kind: WaStatusKind) {
        let mut emitted = lock(&self.emitted_statuses);
        let furthest = emitted.entry(message_id.to_string()).or_insert(kind);
        *furthest = (*furthest).max(kind);
    }

    /// Emits one status webhook for a message the simulator accepted.
    pub(crate) async fn emit_status(&self, message_id: &str, kind: WaStatusKind) -> Result<Delivery, SimError> {
        let plan = lock(&self.status_plans)
            .get(message_id)
            .cloned()
            .ok_or_else(|| SimError::UnknownAsset(format!("message {message_id}")))?;
        let payload = plan
            .payload(kind, &self.clock)
            .ok_or_else(|| SimError::Payload(format!("no {} status on this channel", kind.as_str())))?;
        let delivery = self.deliver(payload, Some(message_id.to_string())).await;
        self.note_status(message_id, kind);
        delivery
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(policy: &StatusPolicy, failed: bool, voice: bool) -> Vec<WaStatusKind> {
        steps(policy, failed, voice).into_iter().map(|(_, k)| k).collect()
    }

    #[test]
    fn the_policy_decides_the_steps() {
        use WaStatusKind::*;
        let all = StatusPolicy::default();
        assert_eq!(kinds(&all, false, false), [Sent, Delivered, Read]);
        assert_eq!(kinds(&all, false, true), [Sent, Delivered, Read, Played]);
        assert_eq!(kinds(&all, true, true), [Failed]);
        let no_read = StatusPolicy { read_after: None, ..all };
        assert_eq!(kinds(&no_read, false, true), [Sent, Delivered]);
    }
}
