//! # inbox-bench — the figures of issue 14 and their references
//!
//! Binaries run by `scripts/bench` (which starts the receivers and writes `docs/benchmarks.md`):
//! - `bare-receiver`: the smallest honest webhook receiver — axum, the same `X-Hub-Signature-256`
//!   check, a JSON parse and a group-committed SQLite (WAL) insert — the ceiling the inbox is compared to;
//! - `load`: signed WhatsApp text webhooks (Meta's payload shape, built by the simulator) from many
//!   senders over many connections; acknowledgement rate and latency;
//! - `apply-wait`: how fast the inbox's worker turns the journal into visible messages, and how long a
//!   message takes from its POST to being visible;
//! - `seed`: an account, sellers, channels and (optionally) a large inbox written straight into a
//!   database of the product;
//! - `reads`: latency of the list, message page and search endpoints for an admin and a seller;
//! - `ws-latency`: from a webhook's POST to its `message.created` event at the WebSocket of every
//!   connected agent who may see it, at a fixed rate.
//!
//! Every binary prints one JSON object on stdout, so the script can put figures side by side.

pub mod corpus;
pub mod rawdb;
pub mod stats;
pub mod webhooks;
