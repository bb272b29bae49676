//! Persistence for Escala Inbox: one [`Store`] over SQLite (the embedded default) or PostgreSQL.
//!
//! Both backends run the same SQL text wherever the dialects agree (SQLite accepts `$1` placeholders,
//! `RETURNING`, `ON CONFLICT`), so a query is written once and executed on whichever pool the URL chose.
//! Each backend has its own migrations folder with the same meaning. Identifiers are UUIDv7 text,
//! instants are UTC milliseconds, JSON documents are text.
//!
//! SQLite gets a single-connection writer pool (one writer at a time is SQLite's rule; serialising
//! writes in the pool avoids `SQLITE_BUSY`) beside a multi-connection reader pool (WAL lets readers run
//! alongside the writer).
//!
//! Every query of account data takes the account id; queries of conversations take the caller's
//! visibility scope and compile it into their `WHERE` clause.

mod accounts;
mod assignment;
mod audit;
mod auth;
mod channels;
mod contact_bulk;
mod contact_fields;
mod contact_merge;
mod contacts;
mod conversations;
mod db;
mod error;
mod inbound;
mod journal;
mod known_handles;
mod labels;
mod messages;
mod new_customers;
mod notes;
mod notify;
mod outbox;
mod outgoing_webhooks;
mod pacing;
mod preferences;
mod profiles;
#[cfg(test)]
mod query_plans;
mod quick_replies;
mod retention;
mod roles;
mod rows;
mod scheduled;
mod search;
mod search_keys;
mod sql;
mod templates;
mod uploads;
mod users;
mod versions;

pub use accounts::NewAccount;
pub use audit::{AuditEntry, AuditFilter, NewAuditEntry};
pub use auth::Principal;
pub use channels::{route_object, ChannelPatch, NewChannel, StoredChannel};
pub use contact_bulk::ImportWrite;
pub use contact_fields::FieldDefinitionPatch;
pub use contact_merge::MergeOutcome;
pub use contacts::{ContactFields, ContactPatch, ContactRecord, ContactSearch, SharedPhone};
pub use conversations::{
    AssigneeFilter, ContactSummary, ConversationFilter, ConversationPatch, ConversationRecord, ConversationStatus,
    HandleRecord, LastMessage,
};
pub use db::{journal_path, Backend, Store, StoreOptions};
pub use error::{StoreError, StoreResult};
pub use inbound::{
    ApplyOutcome, CustomerIdentity, ExistingConversation, IngestItem, IngestOutcome, NewAttachment, NewMessage,
    Revision, SystemNotice, Unannounced,
};
pub use journal::{JournalEntry, JournalOutcome};
pub use labels::{LabelRecord, LABEL_NAME_TAKEN};
pub use messages::{AttachmentRecord, MessageRecord, QuotedMessage};
pub use notes::{MentionRecord, NewMention, NewNote, NoteRecord};
pub use notify::EventListener;
pub use outbox::{NewOutbound, OutboundAttachment, OutboxItem};
pub use outgoing_webhooks::{ClaimedDelivery, DeliveryRecord, NewDelivery, WebhookPatch, WebhookRecord};
pub use profiles::ProfileFetch;
pub use quick_replies::QuickReply;
pub use roles::RoleDeletion;
pub use scheduled::{NewScheduled, ScheduledFilter, ScheduledRecord};
pub use search::{MessageSearch, SearchHit};
pub use templates::StoredTemplate;
pub use uploads::UploadRecord;
pub use users::{NewUser, RoleRef, User, UserPatch};
pub use versions::MessageVersion;
