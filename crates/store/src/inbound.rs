//! Writing what Meta tells us: messages (from customers, echoes from the business's own apps,
//! imported history), statuses, reactions, edits and deletions. Each write is idempotent by Meta's
//! message id, so a re-delivered webhook changes nothing, and statuses only move forwards.
//!
//! The decisions (does this message open the window, count as unread, reopen the conversation) are
//! made by the caller from the domain rules and passed in; this module only persists them.

use crate::db::{in_transaction, on_reader, on_writer};
use crate::error::StoreResult;
use crate::rows::parse_id;
use crate::Store;
use domain::ids::{AccountId, ChannelId, ConversationId, MessageId, UserId};
use domain::media_rules::MediaKind;
use domain::message::{Direction, MessageStatus, Origin};
use domain::permissions::ConversationScope;

/// [`MessageStatus::advances_to`] in SQL, for a message row moving to the status whose rank is `$3`:
/// `$8` says whether that status is `failed`, `$9` is the rank of `delivered`. Both values are bound
/// from the enum, so the rule is written once; `tests/lifecycle.rs` checks the two agree.
pub(crate) const ADVANCES: &str = "status_rank < $3 AND NOT ($8 AND status_rank >= $9)";

/// Who the customer is, as far as this event tells.
#[derive(Clone, Debug, Default)]
pub struct CustomerIdentity {
    pub wa_id: Option<String>,
    pub bsuid: Option<String>,
    pub parent_bsuid: Option<String>,
    pub scoped_id: Option<String>,
    pub username: Option<String>,
    pub profile_name: Option<String>,
    /// Match keys of `wa_id` (domain::phone::match_keys), to find the CRM contact with this number.
    pub phone_keys: Vec<String>,
    /// A new handle of this customer gets its profile (name) fetched from Meta later (Messenger and
    /// Instagram, whose webhooks carry no name).
    pub fetch_profile: bool,
}

#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub kind: MediaKind,
    pub declared_mime: Option<String>,
    pub filename: Option<String>,
    /// Where to fetch the bytes from (a WhatsApp media id or a URL), as JSON.
    pub source: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct NewMessage {
    pub external_id: String,
    /// Decides the direction and the status the message is stored with ([`Origin::initial_status`]).
    pub origin: Origin,
    pub kind: String,
    pub text: Option<String>,
    pub content: serde_json::Value,
    pub reply_to_external_id: Option<String>,
    pub sent_at: i64,
    pub attachments: Vec<NewAttachment>,
    /// The customer's message: it anchors the messaging window.
    pub anchors_window: bool,
    pub counts_as_unread: bool,
    /// Reopens a resolved conversation.
    pub reopens: bool,
}

/// One message of a batch for [`Store::ingest_messages`].
#[derive(Clone, Debug)]
pub struct IngestItem {
    pub account: AccountId,
    pub channel: ChannelId,
    pub who: CustomerIdentity,
    pub msg: NewMessage,
}

#[derive(Clone, Debug)]
pub enum IngestOutcome {
    /// A new message; `record` is it as [`Store::get_message`] would read it now, built from what was
    /// written (a worker publishes a batch's messages without reading them back).
    Created {
        message_id: MessageId,
        conversation_id: ConversationId,
        new_conversation: bool,
        record: Box<crate::messages::MessageRecord>,
        /// The round-robin's `system` notice, when the message opened a conversation that the
        /// round-robin gave to someone: stored in the same transaction, to be published after it.
        notice: Option<Box<crate::messages::MessageRecord>>,
    },
    Duplicate {
        message_id: MessageId,
        conversation_id: ConversationId,
        /// Set when a worker batch stored it and has not announced it yet — a crash came between
        /// the two, or another process is between them now (see [`Store::forget_announced`]).
        unannounced: Option<Unannounced>,
    },
}

/// What announcing a message stored by a worker batch, and not announced yet, takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unannounced {
    /// Whether it opened its conversation.
    pub new_conversation: bool,
    /// The round-robin's notice of that conversation, stored with it (see [`IngestOutcome::Created`]).
    pub notice: Option<MessageId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied {
        message_id: MessageId,
        conversation_id: ConversationId,
    },
    /// The message exists but the event changes nothing (an older status, a repeated edit).
    Unchanged {
        message_id: MessageId,
        conversation_id: ConversationId,
    },
    /// No such message yet: the caller keeps the event until it appears.
    UnknownMessage,
}

/// A handle the customer match found, with what resolving the customer compares and may write.
#[derive(sqlx::FromRow)]
pub(crate) struct HandleHit {
    pub(crate) id: String,
    pub(crate) contact_id: Option<String>,
    pub(crate) wa_id: Option<String>,
    pub(crate) bsuid: Option<String>,
    pub(crate) parent_bsuid: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) profile_name: Option<String>,
    /// The handle's conversation (one per handle), read with it.
    pub(crate) conversation_id: Option<String>,
    /// When its names were given (see [`HandleHit::names_current`]).
    pub(crate) names_at: Option<i64>,
}

/// Whether a value an event gives would replace the stored one (an event that omits it keeps it).
fn replaces(given: &Option<String>, stored: &Option<String>) -> bool {
    given.is_some() && given != stored
}

impl HandleHit {
    /// Whether storing `who` on this handle changes it (the rules of the UPDATE in
    /// `resolve_conversation`): most messages repeat what the handle already says, and are then spared
    /// a write (and its search-index trigger).
    /// `at` is when the event happened (Meta's timestamp).
    pub(crate) fn changed_by(&self, who: &CustomerIdentity, join: bool, at: i64) -> bool {
        (join && replaces(&who.wa_id, &self.wa_id))
            || (join && self.bsuid.is_none() && who.bsuid.is_some())
            || replaces(&who.parent_bsuid, &self.parent_bsuid)
            || self.renamed_by(who, at)
    }

    /// Whether an event of `at` may set the names: it is not older than the one that gave those the
    /// handle has (a retried delivery or late history would put back a name since changed).
    pub(crate) fn names_current(&self, at: i64) -> bool {
        self.names_at.is_none_or(|given| at >= given)
    }

    /// Whether `who`, at `at`, changes a name the search key is made of.
    fn renamed_by(&self, who: &CustomerIdentity, at: i64) -> bool {
        self.names_current(at)
            && (replaces(&who.username, &self.username) || replaces(&who.profile_name, &self.profile_name))
    }
}

#[derive(sqlx::FromRow)]
struct MessageHit {
    id: String,
    conversation_id: String,
}

/// A message already stored, and whether it waits to be announced ([`IngestOutcome::Duplicate`]).
#[derive(sqlx::FromRow)]
struct DuplicateHit {
    id: String,
    conversation_id: String,
    new_conversation: Option<i64>,
    notice_id: Option<String>,
}

impl MessageHit {
    fn ids(&self) -> StoreResult<(MessageId, ConversationId)> {
        Ok((parse_id(&self.id, "message")?, parse_id(&self.conversation_id, "conversation")?))
    }
}

/// A message [`ingest_in_tx`] just stored, as a read would give it: nothing about it has changed yet
/// (no reaction, edit or status), and an inbound message has no sending user.
fn just_stored(
    id: MessageId,
    conversation_id: ConversationId,
    channel_id: ChannelId,
    msg: &NewMessage,
    quoted: Option<crate::messages::QuotedRow>,
    attachments: &[(domain::ids::AttachmentId, &NewAttachment)],
) -> StoreResult<crate::messages::MessageRecord> {
    Ok(crate::messages::MessageRecord {
        id,
        conversation_id,
        channel_id,
        external_id: Some(msg.external_id.clone()),
        direction: msg.origin.direction(),
        origin: msg.origin,
        kind: msg.kind.clone(),
        text: msg.text.clone(),
        content: msg.content.clone(),
        reply_to_external_id: msg.reply_to_external_id.clone(),
        reply_to: quoted.map(crate::messages::QuotedRow::into_quoted).transpose()?,
        status: msg.origin.initial_status(),
        error: None,
        pricing: None,
        sender: None,
        edited_at: None,
        deleted: false,
        sent_at: msg.sent_at,
        reactions: vec![],
        attachments: attachments
            .iter()
            .map(|(attachment_id, a)| crate::messages::AttachmentRecord {
                id: *attachment_id,
                message_id: id,
                kind: a.kind,
                mime: a.declared_mime.clone(),
                size: None,
                sha256: None,
                filename: a.filename.clone(),
                storage_key: None,
                status: "pending".to_string(),
                error: None,
            })
            .collect(),
    })
}

/// Appends the condition "handle `h` of `channel` is this customer": any of their ids, a phone in any
/// equivalent form of itself (Mexico's `52 1`, Argentina's `54 9`, Brazil's ninth digit) — WhatsApp
/// may name the same customer either way across webhooks and send answers, and a person may type
/// either. The first such handle (oldest) is the customer's.
fn push_customer_match(q: &mut crate::sql::SqlBuilder, channel: ChannelId, who: &CustomerIdentity) {
    q.push("h.channel_id = ").bind_text(channel.to_string()).push(" AND (h.bsuid = ");
    q.bind(who.bsuid.clone().map(crate::sql::Bind::Text).unwrap_or(crate::sql::Bind::Null));
    q.push(" OR h.scoped_id = ");
    q.bind(who.scoped_id.clone().map(crate::sql::Bind::Text).unwrap_or(crate::sql::Bind::Null));
    let wa_forms = crate::known_handles::wa_forms_of(who);
    if !wa_forms.is_empty() {
        q.push(" OR ").in_list("h.wa_id", wa_forms);
    }
    q.push(")");
}

/// Resolves (or creates) the handle and conversation of a customer inside a transaction, evaluating
/// to `(handle_id, conversation_id, new_conversation)`. One body for both backends' connections.
macro_rules! resolve_conversation {
    ($tx:expr, $account:expr, $channel:expr, $who:expr, $at:expr, $now:expr) => {{
        let who: &CustomerIdentity = $who;
        let mut q = crate::sql::SqlBuilder::new("SELECT h.id, h.contact_id, h.wa_id, h.bsuid, h.parent_bsuid, h.username, h.profile_name, c.id AS conversation_id, \
               h.names_at FROM handles h LEFT JOIN conversations c ON c.handle_id = h.id WHERE ");
        push_customer_match(&mut q, $channel, who);
        q.push(" ORDER BY h.created_at, h.id LIMIT 2");
        // Run for every message, and its only sensible plan is the channel's unique id indexes
        // whatever the statistics: planning it each time cost more than running it.
        q.keep_prepared();
        let hits: Vec<HandleHit> = crate::sql::bind_all!(sqlx::query_as(&q.sql), q).fetch_all(&mut *$tx).await?;
        match hits.first() {
            // A new customer: their handle (linked to the CRM contact that has this number, when
            // exactly one does) and their conversation.
            None => {
                let new = crate::new_customers::NewCustomer::new($account, $channel, who, $at);
                crate::new_customers::create!($tx, std::slice::from_ref(&new), $now);
                (new.handle_id, new.conversation_id, true)
            }
            Some(hit) => {
                // One customer, one handle: a webhook naming both the phone and the BSUID joins them on
                // the handle found; the phone WhatsApp names is kept as given (it may be another form of
                // the one we had, e.g. Mexico's `52 1`). When they already belong to two handles, that is an identity conflict
                // for a person to resolve; only the names are refreshed then.
                let join = hits.len() == 1;
                let at: i64 = $at;
                if hit.changed_by(who, join, at) {
                    // The names only from an event not older than the one that gave the current ones.
                    let names = hit.names_current(at) && (who.username.is_some() || who.profile_name.is_some());
                    sqlx::query(
                        "UPDATE handles SET \
                           wa_id = CASE WHEN $2 THEN COALESCE($3, wa_id) ELSE wa_id END, \
                           bsuid = CASE WHEN $2 THEN COALESCE(bsuid, $4) ELSE bsuid END, \
                           parent_bsuid = COALESCE($5, parent_bsuid), \
                           username = CASE WHEN $9 THEN COALESCE($6, username) ELSE username END, \
                           profile_name = CASE WHEN $9 THEN COALESCE($7, profile_name) ELSE profile_name END, \
                           names_at = CASE WHEN $9 THEN $10 ELSE names_at END, \
                           updated_at = $8 \
                         WHERE id = $1",
                    )
                    .bind(&hit.id)
                    .bind(join)
                    .bind(who.wa_id.as_deref())
                    .bind(who.bsuid.as_deref())
                    .bind(who.parent_bsuid.as_deref())
                    .bind(who.username.as_deref())
                    .bind(who.profile_name.as_deref())
                    .bind($now)
                    .bind(names)
                    .bind(at)
                    .execute(&mut *$tx)
                    .await?;
                }
                if join && hit.contact_id.is_some() {
                    if let Some(wa) = who.wa_id.as_deref() {
                        sqlx::query("UPDATE contacts SET phone_whatsapp = $2, updated_at = $3 WHERE id = $1 AND phone_whatsapp IS NULL")
                            .bind(hit.contact_id.as_deref())
                            .bind(format!("+{wa}"))
                            .bind($now)
                            .execute(&mut *$tx)
                            .await?;
                    }
                }
                // The search key is made of the names: recomputed only when one of them changes (most
                // messages repeat the profile name the handle already has).
                if hit.renamed_by(who, at) {
                    crate::search_keys::refresh_handle_keys!(&mut *$tx, "id = $1", &hit.id);
                }
                // Read with the handle.
                match hit.conversation_id.clone() {
                    Some(id) => (hit.id.clone(), id, false),
                    None => {
                        let id = ConversationId::new().to_string();
                        sqlx::query(
                            "INSERT INTO conversations (id, account_id, channel_id, handle_id, status, unread_count, last_activity_at, \
                               created_at, updated_at) VALUES ($1, $2, $3, $4, 'open', 0, $5, $6, $6)",
                        )
                        .bind(&id)
                        .bind($account.to_string())
                        .bind($channel.to_string())
                        .bind(&hit.id)
                        .bind($at)
                        .bind($now)
                        .execute(&mut *$tx)
                        .await?;
                        (hit.id.clone(), id, true)
                    }
                }
            }
        }
    }};
}

/// What a new message does to its conversation, in SQL: it becomes the last message unless a later
/// one is already there (history arriving late), moves the activity time forwards, anchors the
/// window, counts as unread and reopens, as the message says. The message's values are `$2` (sent
/// at), `$3` (its id), `$4` (window anchor or NULL), `$5` (unread, 0 or 1), `$6` ('open' or NULL) and
/// `$7` (now) for one conversation (`$1`); [`conversation_changes_sql`] applies it to many.
const CONVERSATION_CHANGE: &str = "\
    last_message_id = CASE WHEN last_message_id IS NULL OR $2 >= last_activity_at THEN $3 ELSE last_message_id END, \
    last_activity_at = CASE WHEN $2 > last_activity_at THEN $2 ELSE last_activity_at END, \
    last_inbound_at = CASE WHEN $4 IS NOT NULL AND (last_inbound_at IS NULL OR $4 > last_inbound_at) THEN $4 ELSE last_inbound_at END, \
    unread_count = unread_count + $5, \
    status = COALESCE($6, status), \
    updated_at = $7";

/// [`CONVERSATION_CHANGE`] for many conversations, each changed by one message, in one statement:
/// the changes are bound as one JSON array (`$1`, [`ConversationChange`]s) read as the rows of `v`;
/// `$2` is now.
fn conversation_changes_sql(backend: crate::db::Backend) -> String {
    let set = CONVERSATION_CHANGE
        .replace("$2", "v.sent_at")
        .replace("$3", "v.message_id")
        .replace("$4", "v.anchor")
        .replace("$5", "v.unread")
        .replace("$6", "v.reopen")
        .replace("$7", "$2");
    let from = match backend {
        crate::db::Backend::Sqlite => {
            "(SELECT value->>'conversation' AS conversation, value->>'message_id' AS message_id, \
               value->>'sent_at' AS sent_at, value->>'anchor' AS anchor, value->>'unread' AS unread, \
               value->>'reopen' AS reopen FROM json_each($1)) AS v"
        }
        crate::db::Backend::Postgres => {
            "jsonb_to_recordset($1::jsonb) AS v(conversation text, message_id text, sent_at bigint, anchor bigint, \
               unread bigint, reopen text)"
        }
    };
    format!("UPDATE conversations SET {set} FROM {from} WHERE conversations.id = v.conversation")
}

/// One message's [`CONVERSATION_CHANGE`].
#[derive(serde::Serialize)]
struct ConversationChange<'a> {
    conversation: &'a str,
    message_id: &'a str,
    sent_at: i64,
    anchor: Option<i64>,
    unread: i64,
    reopen: Option<&'static str>,
}

impl<'a> ConversationChange<'a> {
    fn of(conversation: &'a str, message_id: &'a str, msg: &NewMessage) -> Self {
        ConversationChange {
            conversation,
            message_id,
            sent_at: msg.sent_at,
            anchor: msg.anchors_window.then_some(msg.sent_at),
            unread: i64::from(msg.counts_as_unread),
            reopen: msg.reopens.then_some("open"),
        }
    }
}

/// The columns of a `messages` row a customer's webhook brings; [`push_message_row`] appends the
/// values of one. One definition for the single insert and the batch's multi-row one.
const MESSAGE_INSERT_COLUMNS: &str =
    "id, account_id, channel_id, conversation_id, external_id, direction, origin, kind, \
    text, content, reply_to_external_id, status, status_rank, sent_at, created_at, updated_at, search_text";

/// Appends `(…)`, the values of [`MESSAGE_INSERT_COLUMNS`] for `msg`, to an `INSERT … VALUES` being built.
fn push_message_row(
    q: &mut crate::sql::SqlBuilder,
    id: &str,
    item: (AccountId, ChannelId),
    conversation: &str,
    msg: &NewMessage,
    now_ms: i64,
) {
    use crate::sql::Bind;
    let (account, channel) = item;
    let optional = |v: Option<String>| v.map(Bind::Text).unwrap_or(Bind::Null);
    let status = msg.origin.initial_status();
    q.push("(").bind_text(id).push(", ").bind_text(account.to_string()).push(", ").bind_text(channel.to_string());
    q.push(", ").bind_text(conversation).push(", ").bind_text(msg.external_id.as_str());
    q.push(", ").bind_text(msg.origin.direction().as_str()).push(", ").bind_text(msg.origin.as_str());
    q.push(", ").bind_text(msg.kind.as_str()).push(", ").bind(optional(msg.text.clone()));
    q.push(", ").bind_text(msg.content.to_string()).push(", ").bind(optional(msg.reply_to_external_id.clone()));
    q.push(", ").bind_text(status.as_str()).push(", ").bind_int(status.rank());
    q.push(", ").bind_int(msg.sent_at).push(", ").bind_int(now_ms).push(", ").bind_int(now_ms);
    q.push(", ").bind(optional(crate::search::searchable(msg.text.as_deref()))).push(")");
}

/// What a message just inserted (row id `$message_id`) does to its conversation — its attachments
/// recorded for fetching, the conversation's last message, activity, window anchor, unread count and
/// status — evaluating to its [`IngestOutcome::Created`]. One body for both backends, one message or
/// a batch.
macro_rules! after_insert {
    ($tx:expr, $channel:expr, $account:expr, $conversation:expr, $new_conversation:expr, $msg:expr, $message_id:expr, $now:expr) => {{
        after_insert!($tx, $channel, $account, $conversation, $new_conversation, $msg, $message_id, $now, update_conversation = true)
    }};
    ($tx:expr, $channel:expr, $account:expr, $conversation:expr, $new_conversation:expr, $msg:expr, $message_id:expr, $now:expr, update_conversation = $update:expr) => {{
        let (account, channel, conversation, msg, message_id, now_ms): (AccountId, ChannelId, &str, &NewMessage, &str, i64) =
            ($account, $channel, $conversation, $msg, $message_id, $now);
        let mut attachments = Vec::with_capacity(msg.attachments.len());
        for a in &msg.attachments {
            let attachment_id = domain::ids::AttachmentId::new();
            sqlx::query(
                "INSERT INTO attachments (id, account_id, message_id, kind, mime, filename, source, status, next_attempt_at, \
                   created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8, $8)",
            )
            .bind(attachment_id.to_string())
            .bind(account.to_string())
            .bind(message_id)
            .bind(a.kind.as_str())
            .bind(a.declared_mime.as_deref())
            .bind(a.filename.as_deref())
            .bind(a.source.to_string())
            .bind(now_ms)
            .execute(&mut *$tx)
            .await?;
            attachments.push((attachment_id, a));
        }
        // The quoted message, as MESSAGE_SELECT joins it: only a reply needs this read.
        let quoted: Option<crate::messages::QuotedRow> = match msg.reply_to_external_id.as_deref() {
            Some(external_id) => sqlx::query_as("SELECT id, kind, text, deleted FROM messages WHERE channel_id = $1 AND external_id = $2")
                .bind(channel.to_string())
                .bind(external_id)
                .fetch_optional(&mut *$tx)
                .await?,
            None => None,
        };
        if $update {
            let change = ConversationChange::of(conversation, message_id, msg);
            sqlx::query(&format!("UPDATE conversations SET {CONVERSATION_CHANGE} WHERE id = $1"))
                .bind(conversation)
                .bind(change.sent_at)
                .bind(message_id)
                .bind(change.anchor)
                .bind(change.unread)
                .bind(change.reopen)
                .bind(now_ms)
                .execute(&mut *$tx)
                .await?;
        }
        let message_id = parse_id(message_id, "message")?;
        let conversation_id = parse_id(conversation, "conversation")?;
        let record = just_stored(message_id, conversation_id, channel, msg, quoted, &attachments)?;
        IngestOutcome::Created {
            message_id,
            conversation_id,
            new_conversation: $new_conversation,
            record: Box::new(record),
            notice: None,
        }
    }};
}

/// The message already stored under `$msg`'s Meta id on `$channel`, as an [`IngestOutcome::Duplicate`].
macro_rules! duplicate_of {
    ($tx:expr, $channel:expr, $msg:expr) => {{
        let hit: DuplicateHit = sqlx::query_as(
            "SELECT m.id, m.conversation_id, u.new_conversation, u.notice_id FROM messages m \
             LEFT JOIN unannounced_messages u ON u.message_id = m.id WHERE m.channel_id = $1 AND m.external_id = $2",
        )
        .bind($channel.to_string())
        .bind(&$msg.external_id)
        .fetch_one(&mut *$tx)
        .await?;
        let notice: Option<MessageId> = hit.notice_id.as_deref().map(|id| parse_id(id, "message")).transpose()?;
        let unannounced = hit.new_conversation.map(|n| Unannounced { new_conversation: n != 0, notice });
        let (message_id, conversation_id) = MessageHit { id: hit.id, conversation_id: hit.conversation_id }.ids()?;
        IngestOutcome::Duplicate { message_id, conversation_id, unannounced }
    }};
}

/// Stores one message inside a transaction (see [`Store::ingest_message`]), evaluating to its
/// [`IngestOutcome`]. One body for both backends' connections.
macro_rules! ingest_in_tx {
    ($tx:expr, $rr:expr, $account:expr, $channel:expr, $who:expr, $msg:expr, $now:expr) => {{
        let (account, channel, who, msg, now_ms): (AccountId, ChannelId, &CustomerIdentity, &NewMessage, i64) =
            ($account, $channel, $who, $msg, $now);
        let (_handle, conversation, new_conversation) =
            resolve_conversation!($tx, account, channel, who, msg.sent_at, now_ms);
        // A conversation the customer starts (a message or call asking for attention, not imported
        // history or an echo) goes round-robin when its channel says so.
        if new_conversation && msg.counts_as_unread {
            crate::assignment::auto_assign!($tx, $rr, account, channel, &conversation, now_ms);
        }
        let message_id = MessageId::new().to_string();
        let mut q = crate::sql::SqlBuilder::new(format!("INSERT INTO messages ({MESSAGE_INSERT_COLUMNS}) VALUES "));
        push_message_row(&mut q, &message_id, (account, channel), &conversation, msg, now_ms);
        q.push(" ON CONFLICT DO NOTHING");
        let inserted = crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(&mut *$tx).await?.rows_affected();
        if inserted == 0 {
            duplicate_of!($tx, channel, msg)
        } else {
            after_insert!($tx, channel, account, &conversation, new_conversation, msg, &message_id, now_ms)
        }
    }};
}

/// Stores a worker's batch of messages inside a transaction (see [`Store::ingest_messages`]),
/// evaluating to their outcomes in order. Each message gets what [`ingest_in_tx`] would give it, with
/// fewer statements: the customers already known are found with one read for the batch
/// ([`crate::known_handles`]; the others, and any whose handle this message changes, are resolved one
/// by one as before), and the messages are inserted with one multi-row statement.
macro_rules! ingest_batch_in_tx {
    ($tx:expr, $rr:expr, $items:expr, $now:expr, $backend:expr) => {{
        let (items, now_ms): (&[IngestItem], i64) = ($items, $now);
        // 1. Each message's conversation.
        let mut known = crate::known_handles::KnownHandles::default();
        let mut channels: Vec<ChannelId> = items.iter().map(|i| i.channel).collect();
        channels.sort_unstable();
        channels.dedup();
        for channel in channels {
            let whos: Vec<&CustomerIdentity> = items.iter().filter(|i| i.channel == channel).map(|i| &i.who).collect();
            let backend = crate::sql::backend_of(&*$tx);
            let mut q = crate::sql::SqlBuilder::for_backend(backend, crate::known_handles::SELECT);
            crate::known_handles::push_any_of(&mut q, backend, channel, &whos);
            let rows: Vec<crate::known_handles::KnownHandle> =
                crate::sql::bind_all!(sqlx::query_as(&q.sql), q).fetch_all(&mut *$tx).await?;
            known.add(channel, rows);
        }
        let mut conversations: Vec<(String, bool)> = Vec::with_capacity(items.len());
        // Customers the read proved new, created together when a resolution needs the handles
        // written so far, and at the end (crate::new_customers).
        let mut new_customers: Vec<crate::new_customers::NewCustomer<'_>> = Vec::new();
        for item in items {
            if let Some(conversation) = known.conversation_of(item.channel, &item.who, item.msg.sent_at) {
                conversations.push((conversation, false));
                continue;
            }
            // What this resolution writes (a new handle, ids joined, names) is about this customer:
            // the later messages of the batch that could be theirs are resolved afresh.
            let new = known.is_new(item.channel, &item.who);
            known.forget(item.channel, &item.who);
            if new {
                let mut customer =
                    crate::new_customers::NewCustomer::new(item.account, item.channel, &item.who, item.msg.sent_at);
                // A conversation the customer starts goes round-robin, as below; in order.
                if item.msg.counts_as_unread {
                    customer.assignee = crate::assignment::pick_assignee!(
                        $tx,
                        $rr,
                        item.account,
                        item.channel,
                        &customer.conversation_id
                    );
                }
                conversations.push((customer.conversation_id.clone(), true));
                new_customers.push(customer);
                continue;
            }
            // The lookup must see the handles made so far.
            crate::new_customers::create!($tx, &new_customers, now_ms);
            new_customers.clear();
            let (_handle, conversation, new_conversation) =
                resolve_conversation!($tx, item.account, item.channel, &item.who, item.msg.sent_at, now_ms);
            if new_conversation && item.msg.counts_as_unread {
                crate::assignment::auto_assign!($tx, $rr, item.account, item.channel, &conversation, now_ms);
            }
            conversations.push((conversation, new_conversation));
        }
        crate::new_customers::create!($tx, &new_customers, now_ms);
        // 2. The messages, in one statement; a Meta id already stored (or twice in the batch) is
        // left out by the unique index, and RETURNING names those inserted.
        let ids: Vec<String> = items.iter().map(|_| MessageId::new().to_string()).collect();
        let mut inserted: std::collections::HashSet<String> = std::collections::HashSet::new();
        let rows = crate::sql::ROWS_PER_INSERT;
        for ((items, ids), conversations) in items.chunks(rows).zip(ids.chunks(rows)).zip(conversations.chunks(rows)) {
            let mut q = crate::sql::SqlBuilder::for_backend(
                crate::sql::backend_of(&*$tx),
                format!("INSERT INTO messages ({MESSAGE_INSERT_COLUMNS}) VALUES "),
            );
            for (i, ((item, id), (conversation, _))) in items.iter().zip(ids).zip(conversations).enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                push_message_row(&mut q, id, (item.account, item.channel), conversation, &item.msg, now_ms);
            }
            q.push(" ON CONFLICT DO NOTHING RETURNING id");
            // Kept prepared although its text changes with the batch's size: a campaign's batches are
            // full (the worker's batch size), and SQLite's parser looks each `$n` up among those already
            // seen, so preparing a thousand-parameter statement for every batch cost more than running it.
            let rows: Vec<String> = crate::sql::bind_all!(sqlx::query_scalar(&q.sql), q).fetch_all(&mut *$tx).await?;
            inserted.extend(rows);
        }
        // 3. What each message does to its conversation. The conversations only one new message of
        // the batch changes (a campaign's usual case) are changed together in one statement; one
        // that several change gets their changes one by one, in order.
        let mut new_per_conversation: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, (conversation, _)) in conversations.iter().enumerate() {
            if inserted.contains(&ids[i]) {
                *new_per_conversation.entry(conversation.as_str()).or_default() += 1;
            }
        }
        let mut outcomes = Vec::with_capacity(items.len());
        let mut changes = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let (conversation, new_conversation) = &conversations[i];
            outcomes.push(if inserted.contains(&ids[i]) {
                let alone = new_per_conversation.get(conversation.as_str()) == Some(&1);
                if alone {
                    changes.push(ConversationChange::of(conversation, &ids[i], &item.msg));
                }
                after_insert!(
                    $tx,
                    item.channel,
                    item.account,
                    conversation,
                    *new_conversation,
                    &item.msg,
                    &ids[i],
                    now_ms,
                    update_conversation = !alone
                )
            } else {
                duplicate_of!($tx, item.channel, item.msg)
            });
        }
        if !changes.is_empty() {
            let changes =
                serde_json::to_string(&changes).map_err(|e| crate::error::StoreError::Corrupt(e.to_string()))?;
            sqlx::query(&conversation_changes_sql($backend)).bind(changes).bind(now_ms).execute(&mut *$tx).await?;
        }
        outcomes
    }};
}

/// `DELETE FROM unannounced_messages` of `messages`, a few hundred a statement.
fn forget_queries(backend: crate::Backend, messages: &[MessageId]) -> Vec<crate::sql::SqlBuilder> {
    messages
        .chunks(crate::sql::ROWS_PER_INSERT)
        .map(|chunk| {
            let mut q = crate::sql::SqlBuilder::for_backend(backend, "DELETE FROM unannounced_messages WHERE ");
            q.in_list("message_id", chunk.iter().map(|m| m.to_string()));
            q
        })
        .collect()
}

/// Gives each message of `outcomes` that opened a conversation the round-robin gave the notice that
/// [`crate::assignment::finish_round_robin`] stored for it.
fn attach_notices(outcomes: &mut [IngestOutcome], mut notices: crate::assignment::Notices) {
    for outcome in outcomes {
        if let IngestOutcome::Created { conversation_id, new_conversation: true, notice, .. } = outcome {
            *notice = notices.remove(conversation_id).map(Box::new);
        }
    }
}

/// Notes, in transaction `$tx`, that the messages a worker batch created (`$outcomes`) wait to be
/// announced, until the worker forgets them ([`Store::forget_announced`]).
macro_rules! note_unannounced {
    ($tx:expr, $outcomes:expr, $backend:expr) => {{
        let outcomes: &[IngestOutcome] = $outcomes;
        let created: Vec<(String, bool, Option<String>)> = outcomes
            .iter()
            .filter_map(|o| match o {
                IngestOutcome::Created { message_id, new_conversation, notice, .. } => {
                    Some((message_id.to_string(), *new_conversation, notice.as_ref().map(|n| n.id.to_string())))
                }
                IngestOutcome::Duplicate { .. } => None,
            })
            .collect();
        for chunk in created.chunks(crate::sql::ROWS_PER_INSERT) {
            let mut q = crate::sql::SqlBuilder::for_backend(
                $backend,
                "INSERT INTO unannounced_messages (message_id, new_conversation, notice_id) VALUES ",
            );
            for (i, (id, new_conversation, notice)) in chunk.iter().enumerate() {
                q.push(if i > 0 { ", (" } else { "(" }).bind_text(id.as_str()).push(", ");
                q.bind_int(i64::from(*new_conversation)).push(", ");
                q.bind(notice.clone().map_or(crate::sql::Bind::Null, crate::sql::Bind::Text)).push(")");
            }
            crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(&mut *$tx).await?;
        }
    }};
}

impl Store {
    /// Stores a message of `who` on `channel` once: a second delivery of the same Meta id is a
    /// [`IngestOutcome::Duplicate`] and changes nothing.
    pub async fn ingest_message(
        &self,
        account: AccountId,
        channel: ChannelId,
        who: &CustomerIdentity,
        msg: &NewMessage,
        now_ms: i64,
    ) -> StoreResult<IngestOutcome> {
        let mut round_robin = crate::assignment::RoundRobin::default();
        let outcome = in_transaction!(self, tx => {
            let mut outcome = [ingest_in_tx!(tx, &mut round_robin, account, channel, who, msg, now_ms)];
            let notices = crate::assignment::finish_round_robin!(tx, &round_robin, now_ms);
            attach_notices(&mut outcome, notices);
            outcome
        });
        let [outcome] = outcome;
        Ok(outcome)
    }

    /// Stores several messages in one transaction (one commit for a worker's batch), in order, each as
    /// [`Store::ingest_message`] would; the outcomes are in the order of `items`. All or nothing: on an
    /// error none is stored, and the caller can retry them one by one to find the one at fault.
    pub async fn ingest_messages(&self, items: &[IngestItem], now_ms: i64) -> StoreResult<Vec<IngestOutcome>> {
        self.forget_and_ingest_messages(&[], items, now_ms).await
    }

    /// [`Store::ingest_messages`], forgetting first, in the same transaction, that the messages
    /// `announced` wait to be announced (as [`Store::forget_announced`] would): the worker forgets
    /// what a batch announced in the transaction of a later batch, not in a transaction of its own
    /// that would wait for the one writer. Nothing is forgotten when `items` is empty.
    pub async fn forget_and_ingest_messages(
        &self,
        announced: &[MessageId],
        items: &[IngestItem],
        now_ms: i64,
    ) -> StoreResult<Vec<IngestOutcome>> {
        if items.is_empty() {
            return Ok(vec![]);
        }
        let backend = self.backend();
        let outcomes = in_transaction!(self, tx => {
            for q in forget_queries(backend, announced) {
                crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(&mut *tx).await?;
            }
            let mut round_robin = crate::assignment::RoundRobin::default();
            let mut outcomes = ingest_batch_in_tx!(tx, &mut round_robin, items, now_ms, backend);
            let notices = crate::assignment::finish_round_robin!(tx, &round_robin, now_ms);
            attach_notices(&mut outcomes, notices);
            note_unannounced!(tx, &outcomes, backend);
            outcomes
        });
        Ok(outcomes)
    }

    /// Forgets that `messages`, stored by [`Store::ingest_messages`], wait to be announced: they
    /// have been. Until then a delivery applied again finds them as unannounced duplicates.
    pub async fn forget_announced(&self, messages: &[MessageId]) -> StoreResult<()> {
        for q in forget_queries(self.backend(), messages) {
            on_writer!(self, p => crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(p).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// The message with Meta id `external_id` on `channel`, if stored.
    pub async fn find_message(
        &self,
        channel: ChannelId,
        external_id: &str,
    ) -> StoreResult<Option<(MessageId, ConversationId)>> {
        let hit: Option<MessageHit> = on_writer!(self, p => sqlx::query_as("SELECT id, conversation_id FROM messages WHERE channel_id = $1 AND external_id = $2")
            .bind(channel.to_string()).bind(external_id).fetch_optional(p).await)?;
        hit.map(|h| h.ids()).transpose()
    }

    /// Moves a message's delivery status as [`MessageStatus::advances_to`] allows: forwards only
    /// (`read` never becomes `delivered`), and a failure does not override a delivery the customer
    /// already got. Pricing is recorded whenever present.
    pub async fn apply_status(
        &self,
        channel: ChannelId,
        external_id: &str,
        status: MessageStatus,
        error: Option<(Option<String>, Option<String>, Option<String>)>,
        pricing: Option<&serde_json::Value>,
        now_ms: i64,
    ) -> StoreResult<ApplyOutcome> {
        let Some((message_id, conversation_id)) = self.find_message(channel, external_id).await? else {
            return Ok(ApplyOutcome::UnknownMessage);
        };
        let (code, title, message) = error.unwrap_or_default();
        let changed = on_writer!(self, p => {
            if let Some(pricing) = pricing {
                sqlx::query("UPDATE messages SET pricing = $2 WHERE id = $1").bind(message_id.to_string()).bind(pricing.to_string()).execute(p).await?;
            }
            sqlx::query(&format!(
                "UPDATE messages SET status = $2, status_rank = $3, error_code = COALESCE($4, error_code), \
                   error_title = COALESCE($5, error_title), error_message = COALESCE($6, error_message), updated_at = $7 \
                 WHERE id = $1 AND {ADVANCES}"))
                .bind(message_id.to_string()).bind(status.as_str()).bind(status.rank()).bind(code).bind(title).bind(message).bind(now_ms)
                .bind(status == MessageStatus::Failed).bind(MessageStatus::Delivered.rank())
                .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(if changed > 0 || pricing.is_some() {
            ApplyOutcome::Applied { message_id, conversation_id }
        } else {
            ApplyOutcome::Unchanged { message_id, conversation_id }
        })
    }

    /// Sets (or, with `emoji: None`, removes) the reaction of `actor` on a message.
    pub async fn apply_reaction(
        &self,
        channel: ChannelId,
        target: &str,
        actor: &str,
        emoji: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<ApplyOutcome> {
        let Some((message_id, conversation_id)) = self.find_message(channel, target).await? else {
            return Ok(ApplyOutcome::UnknownMessage);
        };
        on_writer!(self, p => match emoji {
            Some(e) => sqlx::query(
                "INSERT INTO reactions (message_id, actor, emoji, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (message_id, actor) DO UPDATE SET emoji = excluded.emoji, updated_at = excluded.updated_at")
                .bind(message_id.to_string()).bind(actor).bind(e).bind(now_ms).execute(p).await.map(|r| r.rows_affected()),
            None => sqlx::query("DELETE FROM reactions WHERE message_id = $1 AND actor = $2")
                .bind(message_id.to_string()).bind(actor).execute(p).await.map(|r| r.rows_affected()),
        })?;
        Ok(ApplyOutcome::Applied { message_id, conversation_id })
    }

    /// Replaces a message's shown content (an edit) or hides it (`deleted`), keeping the previous
    /// version for the audit. Never adds a message row.
    pub async fn revise_message(
        &self,
        channel: ChannelId,
        external_id: &str,
        revision: Revision<'_>,
        now_ms: i64,
    ) -> StoreResult<ApplyOutcome> {
        let Some((message_id, conversation_id)) = self.find_message(channel, external_id).await? else {
            return Ok(ApplyOutcome::UnknownMessage);
        };
        let (reason, at) = match &revision {
            Revision::Edit { at, .. } => ("edit", *at),
            Revision::Delete { at } => ("revoke", *at),
        };
        let changed = in_transaction!(self, tx => {
            #[derive(sqlx::FromRow)]
            struct Current { text: Option<String>, content: String, deleted: bool, edited_at: Option<i64> }
            let cur: Current = sqlx::query_as("SELECT text, content, deleted, edited_at FROM messages WHERE id = $1")
                .bind(message_id.to_string()).fetch_one(&mut *tx).await?;
            // Idempotent: a deleted message stays deleted; an edit no newer than the last applied one is a repeat.
            let stale = cur.deleted || matches!(revision, Revision::Edit { .. } if cur.edited_at.is_some_and(|e| e >= at));
            if stale {
                false
            } else {
                sqlx::query("INSERT INTO message_versions (id, message_id, text, content, replaced_at, reason) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(uuid::Uuid::now_v7().to_string()).bind(message_id.to_string()).bind(cur.text.as_deref()).bind(&cur.content)
                    .bind(now_ms).bind(reason).execute(&mut *tx).await?;
                match &revision {
                    Revision::Edit { kind, text, content, at } => {
                        sqlx::query("UPDATE messages SET kind = $2, text = $3, content = $4, edited_at = $5, updated_at = $6, search_text = $7 WHERE id = $1")
                            .bind(message_id.to_string()).bind(*kind).bind(*text).bind(content.to_string()).bind(*at).bind(now_ms)
                            .bind(crate::search::searchable(*text))
                            .execute(&mut *tx).await?;
                    }
                    Revision::Delete { .. } => {
                        sqlx::query("UPDATE messages SET deleted = TRUE, text = NULL, search_text = NULL, content = '{}', updated_at = $2 WHERE id = $1")
                            .bind(message_id.to_string()).bind(now_ms).execute(&mut *tx).await?;
                    }
                }
                true
            }
        });
        Ok(if changed {
            ApplyOutcome::Applied { message_id, conversation_id }
        } else {
            ApplyOutcome::Unchanged { message_id, conversation_id }
        })
    }

    /// Marks the business's messages to this customer up to `watermark_ms` with `status` (Messenger and
    /// Instagram report reads and deliveries as a time watermark). Returns the messages changed.
    pub async fn apply_watermark(
        &self,
        channel: ChannelId,
        scoped_id: &str,
        status: MessageStatus,
        watermark_ms: i64,
        now_ms: i64,
    ) -> StoreResult<Vec<(MessageId, ConversationId)>> {
        let sql = format!(
            "UPDATE messages SET status = $2, status_rank = $3, updated_at = $7 \
             WHERE channel_id = $1 AND direction = $4 AND {ADVANCES} AND external_id IS NOT NULL AND sent_at <= $5 \
               AND conversation_id IN (SELECT c.id FROM conversations c JOIN handles h ON h.id = c.handle_id WHERE h.channel_id = $1 AND h.scoped_id = $6) \
             RETURNING id, conversation_id");
        let hits: Vec<MessageHit> = on_writer!(self, p => sqlx::query_as(&sql)
            .bind(channel.to_string()).bind(status.as_str()).bind(status.rank()).bind(Direction::Outbound.as_str())
            .bind(watermark_ms).bind(scoped_id).bind(now_ms)
            .bind(status == MessageStatus::Failed).bind(MessageStatus::Delivered.rank())
            .fetch_all(p).await)?;
        hits.iter().map(MessageHit::ids).collect()
    }

    /// Keeps an event about a message not stored yet.
    pub async fn defer_event(
        &self,
        channel: ChannelId,
        external_id: &str,
        event: &serde_json::Value,
        now_ms: i64,
    ) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query("INSERT INTO deferred_events (id, channel_id, external_id, event, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(uuid::Uuid::now_v7().to_string()).bind(channel.to_string()).bind(external_id).bind(event.to_string()).bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Events kept for `external_id`, oldest first, as (id, event).
    pub async fn deferred_events(
        &self,
        channel: ChannelId,
        external_id: &str,
    ) -> StoreResult<Vec<(String, serde_json::Value)>> {
        let rows: Vec<(String, String)> = on_writer!(self, p => sqlx::query_as("SELECT id, event FROM deferred_events WHERE channel_id = $1 AND external_id = $2 ORDER BY id")
            .bind(channel.to_string()).bind(external_id).fetch_all(p).await)?;
        rows.into_iter().map(|(id, e)| Ok((id, crate::rows::parse_json(&e, "deferred event")?))).collect()
    }

    /// Which of `external_ids` on `channel` have events waiting for them (one query for a batch).
    pub async fn external_ids_with_deferred(
        &self,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<std::collections::HashSet<String>> {
        if external_ids.is_empty() {
            return Ok(Default::default());
        }
        let mut q = crate::sql::SqlBuilder::new("SELECT DISTINCT external_id FROM deferred_events WHERE channel_id = ");
        q.bind_text(channel.to_string()).push(" AND ");
        q.in_list("external_id", external_ids.iter().map(|e| e.to_string()));
        let found: Vec<String> =
            on_reader!(self, p => crate::sql::bind_all!(sqlx::query_scalar(&q.sql), q).fetch_all(p).await)?;
        Ok(found.into_iter().collect())
    }

    pub async fn delete_deferred(&self, id: &str) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query("DELETE FROM deferred_events WHERE id = $1").bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Keeps the name the business saved in the WhatsApp Business App for a number (coexistence).
    pub async fn save_contact_name(
        &self,
        channel: ChannelId,
        wa_id: &str,
        name: Option<&str>,
        now_ms: i64,
    ) -> StoreResult<u64> {
        let n = on_writer!(self, p => {
            let n = sqlx::query("UPDATE handles SET saved_name = $3, updated_at = $4 WHERE channel_id = $1 AND wa_id = $2")
                .bind(channel.to_string()).bind(wa_id).bind(name).bind(now_ms).execute(p).await?.rows_affected();
            crate::search_keys::refresh_handle_keys!(p, "channel_id = $1 AND wa_id = $2", channel.to_string(), wa_id);
            n
        });
        Ok(n)
    }

    /// Joins a phone and a BSUID on the one handle that has either (a status or echo naming both).
    pub async fn join_identity(&self, channel: ChannelId, wa_id: &str, bsuid: &str, now_ms: i64) -> StoreResult<()> {
        let hits: Vec<String> = on_reader!(self, p => sqlx::query_scalar("SELECT id FROM handles WHERE channel_id = $1 AND (wa_id = $2 OR bsuid = $3) LIMIT 2")
            .bind(channel.to_string()).bind(wa_id).bind(bsuid).fetch_all(p).await)?;
        if let [only] = hits.as_slice() {
            on_writer!(self, p => sqlx::query("UPDATE handles SET wa_id = COALESCE(wa_id, $2), bsuid = COALESCE(bsuid, $3), updated_at = $4 WHERE id = $1")
                .bind(only).bind(wa_id).bind(bsuid).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }
}

/// A change to a message's content requested by Meta.
pub enum Revision<'a> {
    Edit { kind: &'a str, text: Option<&'a str>, content: serde_json::Value, at: i64 },
    Delete { at: i64 },
}

impl Store {
    /// Adds a notice of the inbox itself to a conversation (kind `system`, origin `system`): it does
    /// not open the window, count as unread or reopen anything.
    pub async fn insert_system_notice(
        &self,
        account: AccountId,
        channel: ChannelId,
        conversation: ConversationId,
        content: &serde_json::Value,
        at_ms: i64,
    ) -> StoreResult<MessageId> {
        let notice = SystemNotice { account, channel, conversation, content };
        let id = in_transaction!(self, tx => insert_notice_in_tx!(tx, &notice, at_ms));
        Ok(id)
    }
}

/// Stores a `system` notice (a [`SystemNotice`]) in transaction `$tx`; evaluates to its id.
macro_rules! insert_notice_in_tx {
    ($tx:expr, $notice:expr, $at:expr) => {{
        let n: &crate::inbound::SystemNotice<'_> = $notice;
        let id = domain::ids::MessageId::new();
        let q = crate::inbound::notices_insert(
            crate::sql::backend_of(&*$tx),
            std::slice::from_ref(n),
            std::slice::from_ref(&id),
            $at,
        );
        crate::sql::bind_all!(sqlx::query(&q.sql), q).execute(&mut *$tx).await?;
        id
    }};
}
pub(crate) use insert_notice_in_tx;

/// `INSERT INTO messages …` of `notices` (under `ids`): one row each, kind and origin `system`.
pub(crate) fn notices_insert(
    backend: crate::Backend,
    notices: &[SystemNotice<'_>],
    ids: &[MessageId],
    at_ms: i64,
) -> crate::sql::SqlBuilder {
    let origin = Origin::System;
    let mut q = crate::sql::SqlBuilder::for_backend(
        backend,
        "INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, origin, kind, text, content, \
           status, status_rank, sent_at, created_at, updated_at) VALUES ",
    );
    for (i, (n, id)) in notices.iter().zip(ids).enumerate() {
        q.push(if i == 0 { "(" } else { ", (" }).bind_text(id.to_string());
        q.push(", ").bind_text(n.account.to_string()).push(", ").bind_text(n.channel.to_string());
        q.push(", ").bind_text(n.conversation.to_string()).push(", NULL, ").bind_text(origin.direction().as_str());
        q.push(", ").bind_text(origin.as_str()).push(", 'system', NULL, ").bind_text(n.content.to_string());
        q.push(", ").bind_text(origin.initial_status().as_str()).push(", ").bind_int(origin.initial_status().rank());
        q.push(", ").bind_int(at_ms).push(", ").bind_int(at_ms).push(", ").bind_int(at_ms).push(")");
    }
    q
}

/// A `system` notice to store in a conversation (see [`Store::insert_system_notice`]).
pub struct SystemNotice<'a> {
    pub account: AccountId,
    pub channel: ChannelId,
    pub conversation: ConversationId,
    pub content: &'a serde_json::Value,
}

impl SystemNotice<'_> {
    /// The notice as [`notices_insert`] stored it with `id` at `at_ms`.
    pub(crate) fn record(&self, id: MessageId, at_ms: i64) -> crate::messages::MessageRecord {
        let origin = Origin::System;
        crate::messages::MessageRecord {
            id,
            conversation_id: self.conversation,
            channel_id: self.channel,
            external_id: None,
            direction: origin.direction(),
            origin,
            kind: "system".to_string(),
            text: None,
            content: self.content.clone(),
            reply_to_external_id: None,
            reply_to: None,
            status: origin.initial_status(),
            error: None,
            pricing: None,
            sender: None,
            edited_at: None,
            deleted: false,
            sent_at: at_ms,
            reactions: vec![],
            attachments: vec![],
        }
    }
}

/// The conversation a customer already has on a channel, and who it is assigned to.
#[derive(sqlx::FromRow)]
struct ExistingRow {
    id: String,
    assignee_id: Option<String>,
}

/// The customer's conversation on `$channel` (their first handle's), if they have one, read on `$ex`
/// (a pool or a transaction).
macro_rules! existing_conversation {
    ($ex:expr, $channel:expr, $who:expr) => {{
        let mut q = crate::sql::SqlBuilder::new(
            "SELECT c.id, c.assignee_id FROM handles h JOIN conversations c ON c.handle_id = h.id WHERE ",
        );
        push_customer_match(&mut q, $channel, $who);
        q.push(" ORDER BY h.created_at, h.id LIMIT 1");
        let row: Option<ExistingRow> = crate::sql::bind_all!(sqlx::query_as(&q.sql), q).fetch_optional($ex).await?;
        row
    }};
}

/// A customer's existing conversation on a channel, as a start would find it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingConversation {
    pub id: ConversationId,
    pub assignee: Option<UserId>,
}

impl ExistingRow {
    fn parse(self) -> StoreResult<ExistingConversation> {
        Ok(ExistingConversation {
            id: parse_id(&self.id, "conversation")?,
            assignee: self.assignee_id.as_deref().map(|a| parse_id(a, "user")).transpose()?,
        })
    }
}

impl Store {
    /// The conversation `who` already has on `channel`, whoever may see it: what starting one would
    /// continue. Writes nothing.
    pub async fn customer_conversation(
        &self,
        channel: ChannelId,
        who: &CustomerIdentity,
    ) -> StoreResult<Option<ExistingConversation>> {
        let row = on_reader!(self, p => existing_conversation!(p, channel, who));
        row.map(ExistingRow::parse).transpose()
    }

    /// The conversation with this customer on `channel`, created (with its handle) when there is none:
    /// how a business starts a WhatsApp conversation. An existing one is only found, never changed —
    /// the customer's identity is what WhatsApp says, not what was typed — and one outside `scope` is
    /// [`StoreError::NotFound`](crate::StoreError::NotFound) before anything is written, in the same
    /// transaction as the creation. Returns the conversation and whether it was created.
    pub async fn open_conversation(
        &self,
        account: AccountId,
        channel: ChannelId,
        who: &CustomerIdentity,
        scope: &ConversationScope,
        now_ms: i64,
    ) -> StoreResult<(ConversationId, bool)> {
        let (conversation, created) = in_transaction!(self, tx => {
            match existing_conversation!(&mut *tx, channel, who) {
                Some(existing) => {
                    let existing = existing.parse()?;
                    if !scope.includes(channel, existing.assignee) {
                        return Err(crate::StoreError::NotFound);
                    }
                    (existing.id.to_string(), false)
                }
                None => {
                    let (_handle, conversation, created) = resolve_conversation!(tx, account, channel, who, now_ms, now_ms);
                    (conversation, created)
                }
            }
        });
        Ok((parse_id(&conversation, "conversation")?, created))
    }
}

impl Store {
    /// Keeps the `wa_id` WhatsApp answered for a send when it differs from the one we addressed
    /// (docs/meta.md §4, §11), unless another handle of the channel already has it.
    pub async fn correct_wa_id(&self, conversation: ConversationId, wa_id: &str, now_ms: i64) -> StoreResult<()> {
        on_writer!(self, p => sqlx::query(
            "UPDATE handles SET wa_id = $2, updated_at = $3 WHERE id = (SELECT handle_id FROM conversations WHERE id = $1) \
               AND (wa_id IS NULL OR wa_id <> $2) \
               AND NOT EXISTS (SELECT 1 FROM handles o WHERE o.channel_id = handles.channel_id AND o.wa_id = $2)")
            .bind(conversation.to_string()).bind(wa_id).bind(now_ms).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}

#[cfg(test)]
mod handle_change_tests {
    use super::*;

    /// When the stored names were given.
    const T: i64 = 1_750_000_000_000;

    fn stored() -> HandleHit {
        HandleHit {
            id: "h".into(),
            contact_id: None,
            wa_id: Some("5215511111111".into()),
            bsuid: None,
            parent_bsuid: None,
            username: None,
            profile_name: Some("Ana".into()),
            conversation_id: None,
            names_at: Some(T),
        }
    }

    fn event() -> CustomerIdentity {
        CustomerIdentity { wa_id: Some("5215511111111".into()), profile_name: Some("Ana".into()), ..Default::default() }
    }

    #[test]
    fn an_event_repeating_what_the_handle_says_changes_nothing() {
        assert!(!stored().changed_by(&event(), true, T));
        // An event that omits a value keeps the stored one.
        assert!(!stored().changed_by(&CustomerIdentity::default(), true, T));
    }

    #[test]
    fn a_new_name_username_or_parent_id_changes_the_handle() {
        let renamed = CustomerIdentity { profile_name: Some("Ana María".into()), ..event() };
        assert!(stored().changed_by(&renamed, true, T) && stored().renamed_by(&renamed, T));
        let username = CustomerIdentity { username: Some("ana.mx".into()), ..event() };
        assert!(stored().changed_by(&username, false, T) && stored().renamed_by(&username, T));
        let parent = CustomerIdentity { parent_bsuid: Some("MX.p1".into()), ..event() };
        assert!(stored().changed_by(&parent, false, T) && !stored().renamed_by(&parent, T));
    }

    #[test]
    fn an_event_older_than_the_names_puts_none_of_them_back() {
        let renamed = CustomerIdentity { profile_name: Some("Ana María".into()), ..event() };
        // A retried delivery or late history, from before the name the handle shows.
        assert!(!stored().changed_by(&renamed, true, T - 1) && !stored().renamed_by(&renamed, T - 1));
        let username = CustomerIdentity { username: Some("ana.mx".into()), ..event() };
        assert!(!stored().changed_by(&username, true, T - 1));
        // Its ids still join: they are the same customer's whenever they were sent.
        let bsuid = CustomerIdentity { bsuid: Some("MX.1".into()), ..renamed.clone() };
        assert!(stored().changed_by(&bsuid, true, T - 1) && !stored().renamed_by(&bsuid, T - 1));
        // A handle named before the names' time was kept takes any event's names.
        let unknown = HandleHit { names_at: None, ..stored() };
        assert!(unknown.renamed_by(&renamed, T - 1));
    }

    #[test]
    fn ids_are_joined_only_onto_the_one_handle_found() {
        let other_form = CustomerIdentity { wa_id: Some("525511111111".into()), ..event() };
        assert!(stored().changed_by(&other_form, true, T));
        assert!(!stored().changed_by(&other_form, false, T), "two handles: an identity conflict, ids untouched");
        let bsuid = CustomerIdentity { bsuid: Some("MX.1".into()), ..event() };
        assert!(stored().changed_by(&bsuid, true, T));
        let has_one = HandleHit { bsuid: Some("MX.0".into()), ..stored() };
        assert!(!has_one.changed_by(&bsuid, true, T), "a handle's BSUID is never replaced");
    }
}
