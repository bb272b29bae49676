//! The OpenAPI document, generated from the handlers' annotations as the router is built, so the
//! description cannot drift from the routes that exist.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Escala Inbox API", description = "The omnichannel inbox for sales teams: WhatsApp, Messenger and Instagram. Errors are `{\"error\": {\"code\", \"message\"}}`."),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "auth", description = "Browser sessions"),
        (name = "account", description = "The caller and their account"),
        (name = "users", description = "Users and roles"),
        (name = "channels", description = "Connected Meta channels"),
        (name = "conversations", description = "Conversations, their messages and attachments"),
        (name = "contacts", description = "CRM contacts"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components
            .add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("inbox_session"))));
    }
}
