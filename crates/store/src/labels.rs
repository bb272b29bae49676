//! Labels of an account and the labels put on its conversations. Putting a label on a conversation
//! goes through the caller's visibility scope like every conversation query.

use crate::db::{on_reader, on_writer};
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_id;
use crate::sql::{bind_all, SqlBuilder};
use crate::Store;
use domain::ids::{AccountId, ConversationId, LabelId};
use domain::permissions::ConversationScope;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelRecord {
    pub id: LabelId,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
}

#[derive(sqlx::FromRow)]
struct LabelRow {
    id: String,
    name: String,
    color: String,
}

impl LabelRow {
    fn into_record(self) -> StoreResult<LabelRecord> {
        Ok(LabelRecord { id: parse_id(&self.id, "label")?, name: self.name, color: self.color })
    }
}

/// The conflict a second label with the same (folded) name raises: `is_conflict_on(LABEL_NAME_TAKEN)`.
pub const LABEL_NAME_TAKEN: &str = "name_key";

impl Store {
    /// A new label; `name` and `color` are already normalised (`domain::label`). A name another label
    /// has, ignoring case and accents, is a conflict on [`LABEL_NAME_TAKEN`].
    pub async fn create_label(
        &self,
        account: AccountId,
        name: &str,
        color: &str,
        now_ms: i64,
    ) -> StoreResult<LabelRecord> {
        let id = LabelId::new();
        on_writer!(self, p => sqlx::query(
            "INSERT INTO labels (id, account_id, name, name_key, color, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)")
            .bind(id.to_string()).bind(account.to_string()).bind(name).bind(domain::search::fold(name)).bind(color).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(LabelRecord { id, name: name.to_string(), color: color.to_string() })
    }

    /// The account's labels by name.
    pub async fn list_labels(&self, account: AccountId) -> StoreResult<Vec<LabelRecord>> {
        let rows: Vec<LabelRow> = on_reader!(self, p => sqlx::query_as(
            "SELECT id, name, color FROM labels WHERE account_id = $1 ORDER BY name_key, id")
            .bind(account.to_string()).fetch_all(p).await)?;
        rows.into_iter().map(LabelRow::into_record).collect()
    }

    pub async fn get_label(&self, account: AccountId, id: LabelId) -> StoreResult<LabelRecord> {
        let row: LabelRow = on_reader!(self, p => sqlx::query_as("SELECT id, name, color FROM labels WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).fetch_one(p).await)?;
        row.into_record()
    }

    /// Renames and/or recolours a label.
    pub async fn update_label(
        &self,
        account: AccountId,
        id: LabelId,
        name: Option<&str>,
        color: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<LabelRecord> {
        let changed = on_writer!(self, p => sqlx::query(
            "UPDATE labels SET name = COALESCE($3, name), name_key = COALESCE($4, name_key), color = COALESCE($5, color), updated_at = $6 \
             WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).bind(name).bind(name.map(domain::search::fold)).bind(color).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_label(account, id).await
    }

    /// Deletes a label, taking it off every conversation (the foreign key cascades).
    pub async fn delete_label(&self, account: AccountId, id: LabelId) -> StoreResult<()> {
        let changed = on_writer!(self, p => sqlx::query("DELETE FROM labels WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).execute(p).await.map(|r| r.rows_affected()))?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Puts (`on`) or takes off a label on a conversation the caller may see; whether anything changed.
    /// [`StoreError::NotFound`] when either is not the caller's to see.
    pub async fn set_conversation_label(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        conversation: ConversationId,
        label: LabelId,
        on: bool,
        now_ms: i64,
    ) -> StoreResult<bool> {
        self.get_conversation(account, scope, conversation).await?;
        self.get_label(account, label).await?;
        let changed = on_writer!(self, p => if on {
            sqlx::query("INSERT INTO conversation_labels (conversation_id, label_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(conversation.to_string()).bind(label.to_string()).bind(now_ms).execute(p).await.map(|r| r.rows_affected())
        } else {
            sqlx::query("DELETE FROM conversation_labels WHERE conversation_id = $1 AND label_id = $2")
                .bind(conversation.to_string()).bind(label.to_string()).execute(p).await.map(|r| r.rows_affected())
        })?;
        if changed > 0 {
            on_writer!(self, p => sqlx::query("UPDATE conversations SET updated_at = $2 WHERE id = $1")
                .bind(conversation.to_string()).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        }
        Ok(changed > 0)
    }

    /// The labels of each of these conversations, by name (conversations without labels are absent).
    pub(crate) async fn labels_of(
        &self,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<(ConversationId, LabelRecord)>> {
        if conversations.is_empty() {
            return Ok(vec![]);
        }
        #[derive(sqlx::FromRow)]
        struct Row {
            conversation_id: String,
            #[sqlx(flatten)]
            label: LabelRow,
        }
        let mut q = SqlBuilder::new(
            "SELECT cl.conversation_id, l.id, l.name, l.color FROM conversation_labels cl JOIN labels l ON l.id = cl.label_id WHERE ",
        );
        // One bound list, so the statement is prepared once whatever the number of conversations (the
        // inbound worker reads its every batch's labels).
        let ids: Vec<String> = conversations.iter().map(|c| c.to_string()).collect();
        q.in_json_list("cl.conversation_id", self.backend(), &ids);
        q.push(" ORDER BY l.name_key, l.id");
        let rows: Vec<Row> = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        rows.into_iter().map(|r| Ok((parse_id(&r.conversation_id, "conversation")?, r.label.into_record()?))).collect()
    }
}
