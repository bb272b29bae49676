//! Meta platform adapter: everything Escala Inbox knows about Meta's wire formats.
//!
//! - [`signature`]: checks `X-Hub-Signature-256` on webhook deliveries (docs/meta.md §1).
//! - [`webhook`]: parses a delivery's bytes into typed [`webhook::Event`]s for WhatsApp (Cloud API and
//!   Business App coexistence), Messenger and Instagram — pure functions, no database, no I/O.
//!
//! The server's webhook endpoint is: verify the signature on the raw body, then
//! [`webhook::parse_delivery`], then store and apply the events.

pub mod graph;
pub mod signature;
pub mod webhook;

pub use signature::{sign, verify_signature, SignatureError, SIGNATURE_HEADER};
pub use webhook::{parse_delivery, Delivery, Event, EventKind, ParseError};
