//! Fault injection: the next n send calls (`POST …/messages`, WhatsApp and Messenger/Instagram) fail the
//! way Meta fails, so tests can exercise the outbox's retries and error mapping.
//!
//! Most faults strike before anything is sent. [`Fault::TimeoutAfterDelivery`] is the uncertain case: Meta
//! delivers the message (and its status webhooks follow) but the answer never comes, so a client that
//! resends delivers it twice.

use std::time::Duration;

use axum::http::StatusCode;

use crate::graph_error::{GraphError, Product};

/// How one send call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500 with Meta's transient error (WhatsApp 131000, Messenger code 2).
    Http500,
    /// The simulator holds the request this long, then answers 504 without sending anything: the client
    /// should have timed out first.
    Timeout(Duration),
    /// Any Graph error code with this HTTP status, titled from Meta's catalogue.
    GraphError { code: i64, http_status: u16 },
    /// Meta's throughput limit (WhatsApp 130429, Messenger 613), HTTP 400 like Graph.
    RateLimit,
    /// The message is accepted and delivered to the customer, then the simulator holds the request this
    /// long and answers a bare HTTP 504 (a gateway's answer, no Meta error body): the client times out
    /// or sees the 504, never the message id. A send that does not validate fails as usual instead.
    TimeoutAfterDelivery(Duration),
}

impl Fault {
    pub(crate) fn to_error(self, product: Product) -> GraphError {
        match self {
            Self::Http500 => GraphError::transient(product),
            Self::Timeout(_) => GraphError::transient(product).with_status(StatusCode::GATEWAY_TIMEOUT),
            Self::GraphError { code, http_status } => {
                let status = StatusCode::from_u16(http_status).unwrap_or(StatusCode::BAD_REQUEST);
                let error = match product {
                    Product::WhatsApp => GraphError::whatsapp_code(code),
                    _ => GraphError::messenger_code(code),
                };
                error.with_status(status)
            }
            Self::RateLimit => GraphError::rate_limited(product),
            Self::TimeoutAfterDelivery(_) => GraphError::gateway_timeout(product),
        }
    }

    /// Whether the fault strikes after the message was delivered (the send goes ahead first).
    pub(crate) fn after_delivery(self) -> bool {
        matches!(self, Self::TimeoutAfterDelivery(_))
    }

    /// Applies the fault: waits when it is a timeout, then gives the error to answer.
    pub(crate) async fn strike(self, product: Product) -> GraphError {
        if let Self::Timeout(after) | Self::TimeoutAfterDelivery(after) = self {
            tokio::time::sleep(after).await;
        }
        self.to_error(product)
    }
}
