//! The business vocabulary of Escala Inbox and the rules that govern it.
//!
//! Nothing in this crate performs I/O: time is passed in as `now`, data is passed in as values.
//! That keeps every rule testable at its exact boundary (24 h, 7 days, …).

pub mod account;
pub mod assignment;
pub mod call;
pub mod channel;
pub mod contact_fields;
pub mod contact_merge;
pub mod email;
pub mod ids;
pub mod label;
pub mod media_rules;
pub mod message;
pub mod note;
pub mod outbound;
pub mod outgoing_webhook;
pub mod permissions;
pub mod personalize;
pub mod phone;
pub mod pricing;
pub mod reactions;
pub mod scheduled;
pub mod search;
pub mod template;
pub mod time_util;
pub mod window;
