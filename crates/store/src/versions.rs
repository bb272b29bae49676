//! Earlier texts of messages the customer edited, so an agent can see what a message said before.
//! Deletions ("revoke") are not listed: a message the customer deleted shows no content at all.

use crate::db::{on_reader, Store};
use crate::error::StoreResult;
use domain::ids::{AccountId, MessageId};
use domain::permissions::ConversationScope;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageVersion {
    pub text: Option<String>,
    /// When the edit replaced this text (UTC milliseconds).
    pub replaced_at: i64,
}

impl Store {
    /// The texts a visible message had before each edit, oldest first; `NotFound` when the message
    /// is not visible to `scope`, or has been deleted.
    pub async fn message_versions(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        id: MessageId,
    ) -> StoreResult<Vec<MessageVersion>> {
        let message = self.get_message(account, scope, id).await?;
        if message.deleted {
            return Err(crate::error::StoreError::NotFound);
        }
        let rows: Vec<MessageVersion> = on_reader!(self, p => sqlx::query_as(
            "SELECT text, replaced_at FROM message_versions WHERE message_id = $1 AND reason = 'edit' ORDER BY replaced_at, id",
        )
        .bind(id.to_string())
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }
}
