//! The JSON API under `/api/v1`. Each area is a module exporting `router()`; handlers extract,
//! call one store or service function, and map the result.

pub mod audit_log;
pub mod channels;
pub mod contact_fields;
pub mod contacts;
pub mod contacts_csv;
pub mod conversations;
pub mod labels;
pub mod me;
pub mod mentions;
pub mod message_versions;
pub mod messages;
pub mod meta_setup;
pub mod notes;
pub mod outgoing_webhooks;
pub mod personalize;
pub mod quick_replies;
pub mod rate_card;
pub mod refusal_budget;
pub mod roles;
pub mod scheduled;
pub mod templates;
pub mod uploads;
pub mod users;

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(crate::auth::routes::router())
        .merge(me::router())
        .merge(users::router())
        .merge(roles::router())
        .merge(channels::router())
        .merge(meta_setup::router())
        .merge(conversations::router())
        .merge(contacts::router())
        .merge(contact_fields::router())
        .merge(messages::router())
        .merge(labels::router())
        .merge(notes::router())
        .merge(mentions::router())
        .merge(message_versions::router())
        .merge(personalize::router())
        .merge(quick_replies::router())
        .merge(rate_card::router())
        .merge(templates::router())
        .merge(audit_log::router())
        .merge(scheduled::router())
        .merge(outgoing_webhooks::router())
}
