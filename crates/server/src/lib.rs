//! The `inbox` server: the HTTP API, the Meta webhooks, the realtime stream, the workers and the web UI.
//!
//! [`startup::Application`] builds everything from a [`config::Config`]; `main` and the tests use it
//! identically.

pub mod api;
pub mod assignment;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod content_disposition;
pub mod crypto;
pub mod csv_contacts;
pub mod error;
pub mod extract;
pub mod hooks;
pub mod inbound;
pub mod lease;
pub mod limits;
pub mod media_store;
pub mod openapi;
pub mod ops;
pub mod outbound;
pub mod provisioning;
pub mod realtime;
pub mod retention;
pub mod scheduled;
pub mod startup;
pub mod state;
pub mod supervisor;
pub mod views;
pub mod wal_checkpoint;
pub mod web;
pub mod webhooks;
