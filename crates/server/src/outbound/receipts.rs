//! Read receipts: when an agent opens a conversation the customer sees their messages as read
//! (WhatsApp blue ticks via `status: read`; Messenger/Instagram `mark_seen`, only inside the 24 h
//! standard window, where sender actions are allowed).

use crate::outbound::compose::window_of;
use crate::state::AppState;
use domain::channel::ChannelAddress;
use domain::window::{check_send, SendKind};
use meta::graph::{messenger, SenderAction};
use store::ConversationRecord;

pub async fn send_read_receipt(state: AppState, conversation: ConversationRecord, last_inbound_external_id: String) {
    let window = window_of(&state, &conversation);
    if check_send(conversation.channel_kind, &window, SendKind::MarkRead).is_err() {
        return;
    }
    let Ok(Some(stored)) = state.store.channel_by_id(conversation.channel_id).await else { return };
    let Ok(token) = state.secrets.open(&stored.access_token_enc) else { return };
    let result = match &stored.channel.address {
        ChannelAddress::Whatsapp { phone_number_id, .. } => {
            state.graph.whatsapp().mark_read(phone_number_id, &token, &last_inbound_external_id, false).await
        }
        ChannelAddress::Messenger { page_id: id } | ChannelAddress::Instagram { instagram_account_id: id } => {
            let Some(psid) = conversation.handle.scoped_id.as_deref() else { return };
            state
                .graph
                .messenger()
                .send_action(id, &token, &messenger::sender_action(psid, SenderAction::MarkSeen))
                .await
        }
    };
    if let Err(e) = result {
        tracing::info!(error = %e, conversation = %conversation.id, "read receipt not delivered");
    }
}
