//! What the outside world is shown: the JSON views of messages, conversations, labels and the
//! signed-in user. The API handlers answer with them, the events socket publishes them and outgoing
//! webhooks deliver them — one definition each, so the three never drift apart. Views are built from
//! store records and never do I/O.

pub mod contact;
pub mod conversation;
pub mod label;
pub mod me;
pub mod mention;
pub mod message;
pub mod note;
