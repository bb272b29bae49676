//! Inbound: from a journaled Meta delivery to stored messages, statuses, reactions and edits, and
//! realtime events for the users who may see them.
//!
//! - [`mapping`] turns Meta's typed message content into what the inbox stores and shows;
//! - [`apply`] applies one parsed event to the store (deferring events about unknown messages);
//! - [`batch`] applies a worker's batch of deliveries: its messages in one transaction, then the rest
//!   through `apply`;
//! - [`worker`] claims journaled deliveries and runs them through `batch`; [`media_fetch`] fetches media
//!   and [`profile_fetch`] the names of new Messenger/Instagram customers.

pub mod apply;
pub mod batch;
pub mod journal_writer;
pub mod mapping;
pub mod media_fetch;
pub mod profile_fetch;
pub mod worker;
