//! Marketing opt-outs and call notices: the two things Meta's newer webhooks change besides messages.
//!
//! An opt-out is kept on the WhatsApp handle (the customer on one number) and on its CRM contact, each
//! with the time of the last change applied, so preferences are ordered by when Meta recorded them
//! rather than by when their webhooks happened to arrive.

use crate::db::{in_transaction, on_reader};
use crate::error::StoreResult;
use crate::sql::{bind_all, Bind, SqlBuilder};
use crate::Store;
use domain::ids::{AccountId, ChannelId, ConversationId, MessageId};

impl Store {
    /// Records that the customer of `conversation` stopped (`opted_out`) or resumed marketing messages at
    /// `at_ms`, on the handle and on its contact. Returns whether the handle's preference changed: a
    /// repeated or older preference changes nothing (so its notice is not shown twice).
    pub async fn apply_marketing_preference(
        &self,
        conversation: ConversationId,
        opted_out: bool,
        at_ms: i64,
        now_ms: i64,
    ) -> StoreResult<bool> {
        Ok(self.apply_marketing_preference_with_notice(conversation, opted_out, at_ms, now_ms, None).await?.0)
    }

    /// As [`Store::apply_marketing_preference`], and when the preference changed, stores `notice` in
    /// the same transaction (a reader never sees the preference without the notice that tells of it);
    /// returns whether it changed and the notice's id.
    pub async fn apply_marketing_preference_with_notice(
        &self,
        conversation: ConversationId,
        opted_out: bool,
        at_ms: i64,
        now_ms: i64,
        notice: Option<&crate::inbound::SystemNotice<'_>>,
    ) -> StoreResult<(bool, Option<MessageId>)> {
        let changed = in_transaction!(self, tx => {
            let handle: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT h.id, h.contact_id FROM conversations c JOIN handles h ON h.id = c.handle_id WHERE c.id = $1")
                .bind(conversation.to_string()).fetch_optional(&mut *tx).await?;
            match handle {
                None => (false, None),
                Some((handle, contact)) => {
                    // A stop keeps the earliest "since" of a customer already opted out; a resume clears it.
                    let set = "marketing_opt_out_at = CASE WHEN $2 THEN COALESCE(marketing_opt_out_at, $3) ELSE NULL END, \
                               marketing_pref_at = $3, updated_at = $4 \
                               WHERE id = $1 AND (marketing_pref_at IS NULL OR marketing_pref_at < $3)";
                    let changed = sqlx::query(&format!("UPDATE handles SET {set}"))
                        .bind(&handle).bind(opted_out).bind(at_ms).bind(now_ms)
                        .execute(&mut *tx).await?.rows_affected() > 0;
                    if let Some(contact) = contact {
                        sqlx::query(&format!("UPDATE contacts SET {set}"))
                            .bind(&contact).bind(opted_out).bind(at_ms).bind(now_ms)
                            .execute(&mut *tx).await?;
                    }
                    let notice = match notice {
                        Some(n) if changed => Some(crate::inbound::insert_notice_in_tx!(tx, n, at_ms)),
                        _ => None,
                    };
                    (changed, notice)
                }
            }
        });
        Ok(changed)
    }

    /// Since when the customer refuses marketing templates, as far as `channel` knows them: their handle
    /// on the channel (by any phone form, or BSUID) or a CRM contact with one of their phone keys.
    pub async fn marketing_opt_out_of(
        &self,
        account: AccountId,
        channel: ChannelId,
        wa_forms: &[String],
        bsuid: Option<&str>,
        phone_keys: &[String],
    ) -> StoreResult<Option<i64>> {
        let mut q = SqlBuilder::new("SELECT MIN(marketing_opt_out_at) FROM handles WHERE channel_id = ");
        q.bind_text(channel.to_string()).push(" AND (bsuid = ");
        q.bind(bsuid.map(|b| Bind::Text(b.to_string())).unwrap_or(Bind::Null));
        if !wa_forms.is_empty() {
            q.push(" OR ").in_list("wa_id", wa_forms.iter().cloned());
        }
        q.push(")");
        let on_handle: Option<i64> =
            on_reader!(self, p => bind_all!(sqlx::query_scalar(&q.sql), q).fetch_one(p).await)?;
        if on_handle.is_some() || phone_keys.is_empty() {
            return Ok(on_handle);
        }
        let mut q = SqlBuilder::new(
            "SELECT MIN(ct.marketing_opt_out_at) FROM contacts ct JOIN contact_phone_keys k ON k.contact_id = ct.id \
             WHERE ct.account_id = ",
        );
        q.bind_text(account.to_string()).push(" AND ").in_list("k.phone_key", phone_keys.iter().cloned());
        let on_contact: Option<i64> =
            on_reader!(self, p => bind_all!(sqlx::query_scalar(&q.sql), q).fetch_one(p).await)?;
        Ok(on_contact)
    }

    /// Replaces the content of the call notice `message` when `stage_rank` is newer than the one it shows
    /// (a `terminate` after a `connect`; never the reverse), and moves the window anchor to `anchor_ms`
    /// when given. Returns whether anything changed.
    pub async fn revise_call_notice(
        &self,
        message: MessageId,
        content: &serde_json::Value,
        stage_rank: i64,
        anchor_ms: Option<i64>,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let changed = in_transaction!(self, tx => {
            let row: Option<(String, String)> = sqlx::query_as("SELECT content, conversation_id FROM messages WHERE id = $1")
                .bind(message.to_string()).fetch_optional(&mut *tx).await?;
            match row {
                None => false,
                Some((current, conversation)) => {
                    let shown = serde_json::from_str::<serde_json::Value>(&current)
                        .ok()
                        .and_then(|c| c.pointer("/system/stage_rank").and_then(serde_json::Value::as_i64))
                        .unwrap_or(0);
                    if stage_rank <= shown {
                        false
                    } else {
                        sqlx::query("UPDATE messages SET content = $2, updated_at = $3 WHERE id = $1")
                            .bind(message.to_string()).bind(content.to_string()).bind(now_ms)
                            .execute(&mut *tx).await?;
                        if let Some(anchor) = anchor_ms {
                            sqlx::query(
                                "UPDATE conversations SET last_inbound_at = $2, updated_at = $3 \
                                 WHERE id = $1 AND (last_inbound_at IS NULL OR last_inbound_at < $2)")
                                .bind(&conversation).bind(anchor).bind(now_ms).execute(&mut *tx).await?;
                        }
                        true
                    }
                }
            }
        });
        Ok(changed)
    }
}
