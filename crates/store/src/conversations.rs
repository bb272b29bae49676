//! Conversations as the inbox lists them. The caller's visibility scope is compiled into every query
//! here: a conversation the caller may not see is never read.

use crate::db::on_reader;
use crate::error::{StoreError, StoreResult};
use crate::labels::LabelRecord;
use crate::rows::{parse_id, parse_stored};
use crate::search_keys::COMMON_MATCHES;
use crate::sql::{bind_all, SqlBuilder};
use crate::{Backend, Store};
use domain::channel::ChannelKind;
use domain::ids::{AccountId, ChannelId, ContactId, ConversationId, HandleId, LabelId, MessageId, UserId};
use domain::message::{Direction, MessageStatus, Origin};
use domain::permissions::{ConversationScope, UnassignedAccess};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversationStatus {
    Open,
    Resolved,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "resolved" => Some(Self::Resolved),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssigneeFilter {
    Me,
    Unassigned,
    User(UserId),
}

#[derive(Clone, Debug, Default)]
pub struct ConversationFilter {
    /// Any of these kinds (empty: every kind), e.g. both WhatsApp kinds for "WhatsApp".
    pub channel_kinds: Vec<ChannelKind>,
    pub channel_id: Option<ChannelId>,
    pub assignee: Option<AssigneeFilter>,
    /// `None`: any status.
    pub status: Option<ConversationStatus>,
    pub unread_only: bool,
    /// Only conversations carrying this label.
    pub label: Option<LabelId>,
    /// Name, username or phone digits.
    pub query: Option<String>,
    /// Phone match keys of `query` when it looks like a number (domain::phone), matched against contacts.
    pub phone_keys: Vec<String>,
    /// Keyset cursor: (last activity, id) of the last row of the previous page.
    pub after: Option<(i64, ConversationId)>,
    pub limit: i64,
}

#[derive(Clone, Debug)]
pub struct HandleRecord {
    pub id: HandleId,
    pub wa_id: Option<String>,
    pub bsuid: Option<String>,
    pub parent_bsuid: Option<String>,
    pub scoped_id: Option<String>,
    pub username: Option<String>,
    pub profile_name: Option<String>,
    /// The name the business saved for this number in the WhatsApp Business App (coexistence).
    pub saved_name: Option<String>,
    /// Since when this customer refuses marketing templates on this number (`None`: they accept them).
    pub marketing_opt_out_at: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct ContactSummary {
    pub id: ContactId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_primary: Option<String>,
    pub phone_alternate: Option<String>,
    pub phone_whatsapp: Option<String>,
    pub whatsapp_user_id: Option<String>,
    pub whatsapp_username: Option<String>,
    pub marketing_opt_out_at: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct LastMessage {
    pub id: MessageId,
    pub direction: Direction,
    pub kind: String,
    pub text: Option<String>,
    pub status: MessageStatus,
    pub deleted: bool,
    pub sent_at: i64,
    /// For a notice of the inbox (kind `system`): what happened (`{"type": "call", …}`).
    pub system: Option<serde_json::Value>,
}

#[derive(Clone, Debug)]
pub struct ConversationRecord {
    pub id: ConversationId,
    pub account_id: AccountId,
    pub channel_id: ChannelId,
    pub channel_kind: ChannelKind,
    pub channel_name: String,
    pub handle: HandleRecord,
    pub contact: Option<ContactSummary>,
    pub assignee: Option<(UserId, String)>,
    pub status: ConversationStatus,
    pub unread_count: i64,
    pub last_message: Option<LastMessage>,
    /// Its labels, by name.
    pub labels: Vec<LabelRecord>,
    pub last_inbound_at: Option<i64>,
    pub last_activity_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT c.id, c.account_id, c.channel_id, ch.kind AS channel_kind, ch.name AS channel_name, \
       h.id AS h_id, h.wa_id, h.bsuid, h.parent_bsuid, h.scoped_id, h.username, h.profile_name, h.saved_name, h.marketing_opt_out_at AS h_marketing_opt_out_at, \
       ct.id AS ct_id, ct.first_name, ct.last_name, ct.email, ct.phone_primary, ct.phone_alternate, ct.phone_whatsapp, \
       ct.whatsapp_user_id, ct.whatsapp_username, ct.marketing_opt_out_at AS ct_marketing_opt_out_at, \
       c.assignee_id, u.name AS assignee_name, c.status, c.unread_count, \
       m.id AS m_id, m.direction AS m_direction, m.kind AS m_kind, m.text AS m_text, m.status AS m_status, m.deleted AS m_deleted, m.sent_at AS m_sent_at, \
       CASE WHEN m.kind = 'system' THEN m.content END AS m_notice, \
       c.last_inbound_at, c.last_activity_at, c.created_at, c.updated_at \
     FROM conversations c \
     JOIN channels ch ON ch.id = c.channel_id \
     JOIN handles h ON h.id = c.handle_id \
     LEFT JOIN contacts ct ON ct.id = h.contact_id \
     LEFT JOIN users u ON u.id = c.assignee_id \
     LEFT JOIN messages m ON m.id = c.last_message_id ";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    account_id: String,
    channel_id: String,
    channel_kind: String,
    channel_name: String,
    h_id: String,
    wa_id: Option<String>,
    bsuid: Option<String>,
    parent_bsuid: Option<String>,
    scoped_id: Option<String>,
    username: Option<String>,
    profile_name: Option<String>,
    saved_name: Option<String>,
    h_marketing_opt_out_at: Option<i64>,
    ct_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    phone_primary: Option<String>,
    phone_alternate: Option<String>,
    phone_whatsapp: Option<String>,
    whatsapp_user_id: Option<String>,
    whatsapp_username: Option<String>,
    ct_marketing_opt_out_at: Option<i64>,
    assignee_id: Option<String>,
    assignee_name: Option<String>,
    status: String,
    unread_count: i64,
    m_id: Option<String>,
    m_direction: Option<String>,
    m_kind: Option<String>,
    m_text: Option<String>,
    m_status: Option<String>,
    m_deleted: Option<bool>,
    m_sent_at: Option<i64>,
    /// The content of a `system` notice (small), so previews can word it.
    m_notice: Option<String>,
    last_inbound_at: Option<i64>,
    last_activity_at: i64,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_record(self) -> StoreResult<ConversationRecord> {
        let contact = match self.ct_id {
            Some(id) => Some(ContactSummary {
                id: parse_id(&id, "contact")?,
                first_name: self.first_name,
                last_name: self.last_name,
                email: self.email,
                phone_primary: self.phone_primary,
                phone_alternate: self.phone_alternate,
                phone_whatsapp: self.phone_whatsapp,
                whatsapp_user_id: self.whatsapp_user_id,
                whatsapp_username: self.whatsapp_username,
                marketing_opt_out_at: self.ct_marketing_opt_out_at,
            }),
            None => None,
        };
        let last_message = match self.m_id {
            Some(id) => {
                let deleted = self.m_deleted.unwrap_or(false);
                Some(LastMessage {
                    id: parse_id(&id, "message")?,
                    direction: parse_stored(
                        self.m_direction.as_deref().unwrap_or_default(),
                        "message direction",
                        Direction::parse,
                    )?,
                    kind: self.m_kind.unwrap_or_default(),
                    // A message the customer deleted shows no content anywhere, previews included.
                    text: if deleted { None } else { self.m_text },
                    status: parse_stored(
                        self.m_status.as_deref().unwrap_or_default(),
                        "message status",
                        MessageStatus::parse,
                    )?,
                    deleted,
                    sent_at: self.m_sent_at.unwrap_or_default(),
                    system: self
                        .m_notice
                        .as_deref()
                        .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
                        .and_then(|mut c| c.get_mut("system").map(serde_json::Value::take)),
                })
            }
            None => None,
        };
        let assignee = match (self.assignee_id, self.assignee_name) {
            (Some(id), name) => Some((parse_id(&id, "user")?, name.unwrap_or_default())),
            _ => None,
        };
        Ok(ConversationRecord {
            id: parse_id(&self.id, "conversation")?,
            account_id: parse_id(&self.account_id, "account")?,
            channel_id: parse_id(&self.channel_id, "channel")?,
            channel_kind: ChannelKind::parse(&self.channel_kind)
                .ok_or_else(|| StoreError::Corrupt(format!("channel kind {:?}", self.channel_kind)))?,
            channel_name: self.channel_name,
            handle: HandleRecord {
                id: parse_id(&self.h_id, "handle")?,
                wa_id: self.wa_id,
                bsuid: self.bsuid,
                parent_bsuid: self.parent_bsuid,
                scoped_id: self.scoped_id,
                username: self.username,
                profile_name: self.profile_name,
                saved_name: self.saved_name,
                marketing_opt_out_at: self.h_marketing_opt_out_at,
            },
            contact,
            assignee,
            status: ConversationStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("conversation status {:?}", self.status)))?,
            unread_count: self.unread_count,
            last_message,
            labels: vec![],
            last_inbound_at: self.last_inbound_at,
            last_activity_at: self.last_activity_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Appends ` AND <the scope>` for the conversation alias `c`.
pub(crate) fn push_scope(q: &mut SqlBuilder, scope: &ConversationScope) {
    match scope {
        ConversationScope::All => {}
        ConversationScope::Channels(ids) => {
            q.push(" AND ").in_list("c.channel_id", ids.iter().map(|i| i.to_string()));
        }
        ConversationScope::Assigned { user, unassigned } => {
            q.push(" AND (c.assignee_id = ").bind_text(user.to_string());
            match unassigned {
                UnassignedAccess::None => {}
                UnassignedAccess::AllChannels => {
                    q.push(" OR c.assignee_id IS NULL");
                }
                UnassignedAccess::Channels(ids) => {
                    q.push(" OR (c.assignee_id IS NULL AND ")
                        .in_list("c.channel_id", ids.iter().map(|i| i.to_string()))
                        .push(")");
                }
            }
            q.push(")");
        }
    }
}

/// The read of [`Store::conversations_by_ids`]: the conversations of `account` with these ids that
/// `scope` lets the caller see.
fn by_ids_query(backend: Backend, account: AccountId, scope: &ConversationScope, ids: &[ConversationId]) -> SqlBuilder {
    let mut q = SqlBuilder::new(SELECT);
    // SQLite must find the rows by id: it otherwise preferred the account's index and read every
    // conversation of the account for a few ids (the unary `+` keeps it off that index).
    q.push(match backend {
        Backend::Sqlite => "WHERE +c.account_id = ",
        Backend::Postgres => "WHERE c.account_id = ",
    });
    q.bind_text(account.to_string()).push(" AND ");
    // The ids as one bound list: one statement text whatever their number, prepared once. On
    // PostgreSQL an `IN ($a, $b, …)` list was planned at every run — with its six joins, more
    // time than the read (the inbound worker reads its every batch back this way).
    let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    q.in_json_list("c.id", backend, &ids);
    push_scope(&mut q, scope);
    q
}

/// How a conversation search's text narrows the list.
enum TextFilter<'a> {
    /// No text.
    Any,
    /// The customers the text matches, collected through the search indexes: their conversations
    /// are found by id and sorted (the indexes are not read a second time).
    Customers(&'a [String]),
    /// The text itself, tested on each conversation walked newest first: a common text, whose
    /// matches are dense (a page is found soon).
    Tested(&'a str),
}

/// The list's page: the conversations `scope` lets the caller see, through `f` and `text`.
fn list_query(
    backend: Backend,
    account: AccountId,
    me: UserId,
    scope: &ConversationScope,
    f: &ConversationFilter,
    text: &TextFilter,
) -> SqlBuilder {
    let mut q = SqlBuilder::new(SELECT);
    q.push("WHERE c.account_id = ").bind_text(account.to_string());
    push_scope(&mut q, scope);
    if !f.channel_kinds.is_empty() {
        q.push(" AND ").in_list("ch.kind", f.channel_kinds.iter().map(|k| k.as_str().to_string()));
    }
    if let Some(channel) = f.channel_id {
        // Rows already narrowed to one assignee's are walked through the assignee's index in
        // activity order, the channel tested on each. SQLite otherwise took the channel for a
        // constant of the join, read the channel first and every one of the assignee's
        // conversations on it, and sorted them all (3.3 ms against 0.6 for a seller's 500); the
        // unary `+` keeps the condition off the join.
        let one_assignee = matches!(scope, ConversationScope::Assigned { unassigned: UnassignedAccess::None, .. })
            || matches!(f.assignee, Some(AssigneeFilter::Me | AssigneeFilter::User(_)));
        q.push(match backend {
            Backend::Sqlite if one_assignee => " AND +c.channel_id = ",
            _ => " AND c.channel_id = ",
        });
        q.bind_text(channel.to_string());
    }
    match &f.assignee {
        Some(AssigneeFilter::Me) => {
            q.push(" AND c.assignee_id = ").bind_text(me.to_string());
        }
        Some(AssigneeFilter::Unassigned) => {
            q.push(" AND c.assignee_id IS NULL");
        }
        Some(AssigneeFilter::User(u)) => {
            q.push(" AND c.assignee_id = ").bind_text(u.to_string());
        }
        None => {}
    }
    if let Some(status) = f.status {
        q.push(" AND c.status = ").bind_text(status.as_str());
    }
    if f.unread_only {
        q.push(" AND c.unread_count > 0");
    }
    if let Some(label) = f.label {
        q.push(" AND EXISTS (SELECT 1 FROM conversation_labels cl WHERE cl.conversation_id = c.id AND cl.label_id = ")
            .bind_text(label.to_string())
            .push(")");
    }
    match text {
        TextFilter::Any => {}
        TextFilter::Customers(handles) => {
            q.push(" AND ").in_json_list("c.handle_id", backend, handles);
        }
        TextFilter::Tested(text) => {
            q.push(" AND ");
            crate::search_keys::push_conversation_filter(&mut q, &account.to_string(), text, &f.phone_keys);
        }
    }
    if let Some((at, id)) = &f.after {
        q.push(" AND (c.last_activity_at < ").bind_int(*at).push(" OR (c.last_activity_at = ").bind_int(*at);
        q.push(" AND c.id < ").bind_text(id.to_string()).push("))");
    }
    q.push(" ORDER BY c.last_activity_at DESC, c.id DESC LIMIT ").bind_int(f.limit);
    q
}

impl Store {
    /// The customers of the account a conversation search matches, when there are fewer than
    /// `at_most` (found through the search indexes: cheap, and it stops there); `None` for a common
    /// text that matches more.
    async fn customers_matching(
        &self,
        account: &str,
        text: &str,
        phone_keys: &[String],
        at_most: i64,
    ) -> StoreResult<Option<Vec<String>>> {
        let q = crate::search_keys::conversation_matches_query(self.backend(), account, text, phone_keys, at_most);
        self.fewer_matches_than(&q, at_most).await
    }

    /// The caller's page of conversations, newest activity first.
    pub async fn list_conversations(
        &self,
        account: AccountId,
        me: UserId,
        scope: &ConversationScope,
        f: &ConversationFilter,
    ) -> StoreResult<Vec<ConversationRecord>> {
        let account_id = account.to_string();
        let customers;
        let text = match f.query.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => TextFilter::Any,
            Some(text) => match self.customers_matching(&account_id, text, &f.phone_keys, COMMON_MATCHES).await? {
                Some(found) if found.is_empty() => return Ok(vec![]),
                Some(found) => {
                    customers = found;
                    TextFilter::Customers(&customers)
                }
                None => TextFilter::Tested(text),
            },
        };
        let q = list_query(self.backend(), account, me, scope, f, &text);
        let rows: Vec<Row> = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
        self.with_labels(rows.into_iter().map(Row::into_record).collect::<StoreResult<_>>()?).await
    }

    /// The conversations with these ids that the caller may see (in no particular order).
    pub async fn conversations_by_ids(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        ids: &[ConversationId],
    ) -> StoreResult<Vec<ConversationRecord>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut unique: Vec<ConversationId> = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let q = by_ids_query(self.backend(), account, scope, &unique);
        // The ids are known, so their labels are read at the same time as the conversations (two
        // connections): the inbound worker reads its batch's conversations back this way before
        // telling the agents, and waits for one round trip instead of two. Labels of a conversation
        // the scope hides are read for nothing and dropped.
        let conversations = async {
            let rows: Vec<Row> = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_all(p).await)?;
            rows.into_iter().map(Row::into_record).collect::<StoreResult<Vec<_>>>()
        };
        let (mut records, labels) = futures::try_join!(conversations, self.labels_of(&unique))?;
        attach_labels(&mut records, labels);
        Ok(records)
    }

    /// One conversation, if the caller may see it; otherwise [`StoreError::NotFound`].
    pub async fn get_conversation(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        id: ConversationId,
    ) -> StoreResult<ConversationRecord> {
        let mut q = SqlBuilder::new(SELECT);
        q.push("WHERE c.account_id = ").bind_text(account.to_string());
        q.push(" AND c.id = ").bind_text(id.to_string());
        push_scope(&mut q, scope);
        let row: Row = on_reader!(self, p => bind_all!(sqlx::query_as(&q.sql), q).fetch_one(p).await)?;
        let mut records = self.with_labels(vec![row.into_record()?]).await?;
        records.pop().ok_or(StoreError::NotFound)
    }

    /// Fills in the labels of conversations read by the queries above (one more query for a page).
    async fn with_labels(&self, mut records: Vec<ConversationRecord>) -> StoreResult<Vec<ConversationRecord>> {
        let ids: Vec<ConversationId> = records.iter().map(|r| r.id).collect();
        let labels = self.labels_of(&ids).await?;
        attach_labels(&mut records, labels);
        Ok(records)
    }
}

/// Gives each record its labels (read in their display order); labels of other conversations are
/// ignored.
fn attach_labels(records: &mut [ConversationRecord], labels: Vec<(ConversationId, LabelRecord)>) {
    for (conversation, label) in labels {
        if let Some(r) = records.iter_mut().find(|r| r.id == conversation) {
            r.labels.push(label);
        }
    }
}

/// A change to a conversation: `assignee: Some(None)` unassigns.
#[derive(Clone, Debug, Default)]
pub struct ConversationPatch {
    pub assignee: Option<Option<UserId>>,
    pub status: Option<ConversationStatus>,
}

impl Store {
    /// Applies `patch` to a conversation the caller can see. The new assignee must be an active
    /// user of the same account ([`StoreError::Conflict`] `"assignee"` otherwise).
    pub async fn update_conversation(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        id: ConversationId,
        patch: &ConversationPatch,
        now_ms: i64,
    ) -> StoreResult<ConversationRecord> {
        self.get_conversation(account, scope, id).await?;
        if let Some(Some(user)) = patch.assignee {
            let active: Option<bool> = on_reader!(self, p => sqlx::query_scalar("SELECT active FROM users WHERE account_id = $1 AND id = $2")
                .bind(account.to_string()).bind(user.to_string()).fetch_optional(p).await)?;
            if active != Some(true) {
                return Err(StoreError::Conflict("assignee".into()));
            }
        }
        let mut q = SqlBuilder::new("UPDATE conversations SET updated_at = ");
        q.bind_int(now_ms);
        if let Some(assignee) = &patch.assignee {
            match assignee {
                Some(u) => q.push(", assignee_id = ").bind_text(u.to_string()),
                None => q.push(", assignee_id = NULL"),
            };
        }
        if let Some(status) = patch.status {
            q.push(", status = ").bind_text(status.as_str());
        }
        q.push(" WHERE account_id = ").bind_text(account.to_string()).push(" AND id = ").bind_text(id.to_string());
        crate::db::on_writer!(self, p => bind_all!(sqlx::query(&q.sql), q).execute(p).await.map(|r| r.rows_affected()))?;
        // Read back unscoped by assignee: the caller may have just assigned it away, and still gets the result.
        self.get_conversation(account, &ConversationScope::All, id).await
    }

    /// Clears the unread count of a conversation the caller can see; returns the newest inbound
    /// message's Meta id (for the channel's read receipt), if any.
    pub async fn mark_conversation_read(
        &self,
        account: AccountId,
        scope: &ConversationScope,
        id: ConversationId,
        now_ms: i64,
    ) -> StoreResult<Option<String>> {
        self.get_conversation(account, scope, id).await?;
        crate::db::on_writer!(self, p => sqlx::query("UPDATE conversations SET unread_count = 0, updated_at = $3 WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        let last: Option<Option<String>> = on_reader!(self, p => sqlx::query_scalar(
            "SELECT external_id FROM messages WHERE conversation_id = $1 AND origin = $2 AND external_id IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1")
            .bind(id.to_string()).bind(Origin::Customer.as_str()).fetch_optional(p).await)?;
        Ok(last.flatten())
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;
    use crate::query_plans::{searches, TempSqlite};

    #[tokio::test]
    async fn conversations_are_read_back_by_their_ids_not_through_the_account() {
        let db = TempSqlite::open().await;
        let ids = [ConversationId::new(), ConversationId::new()];
        for scope in [
            ConversationScope::All,
            ConversationScope::Assigned { user: UserId::new(), unassigned: UnassignedAccess::AllChannels },
        ] {
            let plan = db.plan(&by_ids_query(Backend::Sqlite, AccountId::new(), &scope, &ids)).await;
            assert!(searches(&plan, "c", "sqlite_autoindex_conversations_1"), "{plan:#?}");
        }
    }

    #[tokio::test]
    async fn one_assignees_conversations_on_one_channel_are_walked_in_activity_order() {
        let db = TempSqlite::open().await;
        let me = UserId::new();
        let seller = ConversationScope::Assigned { user: me, unassigned: UnassignedAccess::None };
        let mine = ConversationFilter {
            channel_id: Some(ChannelId::new()),
            assignee: Some(AssigneeFilter::Me),
            status: Some(ConversationStatus::Open),
            limit: 31,
            ..Default::default()
        };
        let sellers_page = ConversationFilter { assignee: None, ..mine.clone() };
        for (scope, filter) in [(&seller, &sellers_page), (&ConversationScope::All, &mine)] {
            let q = list_query(Backend::Sqlite, AccountId::new(), me, scope, filter, &TextFilter::Any);
            let plan = db.plan(&q).await;
            // Through the assignee's index, newest first: no sort of every conversation of theirs.
            assert!(searches(&plan, "c", "conversations_assignee_idx"), "{plan:#?}");
            assert!(!plan.iter().any(|step| step == "USE TEMP B-TREE FOR ORDER BY"), "{plan:#?}");
        }
    }
}
