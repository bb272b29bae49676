//! Outbound: what an agent sends. [`compose`] checks a send against the rules (window, limits,
//! Personalize, what the message replies or reacts to) and queues it; [`worker`] delivers the queue
//! to Meta exactly once, with retries for transient errors and Meta's reason for permanent ones.

pub mod attachments;
pub mod compose;
pub mod receipts;
pub mod worker;
