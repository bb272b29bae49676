//! Simulated customers: each helper builds the Meta-faithful webhook (see `payloads`), updates what
//! Meta would remember (media, the customer's last message that opens the service window, a phone shared
//! on request) and POSTs it signed to the webhook URL, returning the receiver's answer.

mod social;
mod whatsapp;

pub use social::SocialCustomer;
pub(crate) use whatsapp::call_steps;
pub use whatsapp::WhatsAppCustomer;
