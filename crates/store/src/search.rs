//! Message search: texts and captions are stored folded (`domain::search::fold`) in
//! `messages.search_text`, written with every insert and edit, and searched with `LIKE`, so a search
//! ignores case and accents identically on both backends. Visibility is compiled into the query like
//! every conversation query: a message of a conversation the caller may not see is never read.

use crate::conversations::{push_scope, ConversationRecord};
use crate::db::{on_reader, on_writer};
use crate::error::StoreResult;
use crate::messages::{MessageRecord, MessageRow, MESSAGE_SELECT};
use crate::sql::{bind_all, SqlBuilder};
use crate::Store;
use domain::ids::{AccountId, MessageId};
use domain::permissions::ConversationScope;

/// The stored search form of a message's text or caption.
pub(crate) fn searchable(text: Option<&str>) -> Option<String> {
    text.map(domain::search::fold)
}

/// What to search for.
#[derive(Clone, Debug, Default)]
pub struct MessageSearch {
    /// Folded words (`domain::search::terms`); a message must contain every one.
    pub terms: Vec<String>,
    /// Keyset cursor: (sent at, id) of the last message of the previous page.
    pub before: Option<(i64, MessageId)>,
    pub limit: i64,
}

/// A message found, with its conversation.
#[derive(Clone, Debug)]
pub struct SearchHit {
    pub message: MessageRecord,
    pub conversation: ConversationRecord,
}

impl Store {
    /// Messages of the conversations the caller may see whose text or caption contains every term,
    /// newest first. Deleted messages and the records of sent reactions are never found.
    pub async fn search_messages(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        search: &MessageSearch,
    ) -> StoreResult<Vec<SearchHit>> {
        if search.terms.is_empty() {
            return Ok(vec![]);
        }
        let mut q = SqlBuilder::new(MESSAGE_SELECT);
        q.push("WHERE m.account_id = ").bind_text(account.to_string());
        q.push(" AND m.deleted = FALSE AND m.kind <> 'reaction'");
        for term in &search.terms {
            q.push(" AND ").contains("m.search_text", term);
        }
        push_scope(&mut q, scope);
        if let Some((at, id)) = &search.before {
            q.push(" AND (m.sent_at < ").bind_int(*at).push(" OR (m.sent_at = ").bind_int(*at);
            q.push(" AND m.id < ").bind_text(id.to_string()).push("))");
        }
        q.push(" ORDER BY m.sent_at DESC, m.id DESC LIMIT ").bind_int(search.limit);
        let rows: Vec<MessageRow> = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        let mut messages: Vec<MessageRecord> =
            rows.into_iter().map(MessageRow::into_record).collect::<StoreResult<_>>()?;
        self.attach_details(&mut messages).await?;
        let ids: Vec<_> = messages.iter().map(|m| m.conversation_id).collect();
        let conversations = self.conversations_by_ids(account, scope, &ids).await?;
        Ok(messages
            .into_iter()
            .filter_map(|message| {
                let conversation = conversations.iter().find(|c| c.id == message.conversation_id)?.clone();
                Some(SearchHit { message, conversation })
            })
            .collect())
    }

    /// Fills `search_text` for messages stored before it existed, in batches; returns how many.
    pub(crate) async fn backfill_search_text(&self) -> StoreResult<u64> {
        let mut done = 0;
        loop {
            let batch: Vec<(String, String)> = on_writer!(self, p => sqlx::query_as(
                "SELECT id, text FROM messages WHERE search_text IS NULL AND text IS NOT NULL ORDER BY id LIMIT 500")
                .fetch_all(p).await)?;
            if batch.is_empty() {
                return Ok(done);
            }
            for (id, text) in batch {
                on_writer!(self, p => sqlx::query("UPDATE messages SET search_text = $2 WHERE id = $1")
                    .bind(&id).bind(domain::search::fold(&text)).execute(p).await.map(|r| r.rows_affected()))?;
                done += 1;
            }
        }
    }
}
