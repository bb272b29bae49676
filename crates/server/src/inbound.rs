//! Inbound: from a journaled Meta delivery to stored messages, statuses, reactions and edits, and
//! realtime events for the users who may see them.
//!
//! - [`mapping`] turns Meta's typed message content into what the inbox stores and shows;
//! - [`apply`] applies one parsed event to the store (deferring events about unknown messages);
//! - [`worker`] claims journaled deliveries and runs them through `apply`, and fetches media.

pub mod apply;
pub mod mapping;
pub mod media_fetch;
pub mod worker;
