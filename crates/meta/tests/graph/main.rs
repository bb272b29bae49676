//! The Graph API client against the Meta simulator: what Meta receives, what the client reads back,
//! and how failures are classified. One test binary (link once), one module per area.

mod errors;
mod media;
mod messenger;
mod ownership;
mod support;
mod templates;
mod whatsapp;
