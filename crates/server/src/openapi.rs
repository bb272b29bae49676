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
        (name = "webhooks", description = "Outgoing webhooks: events posted to the account's automations"),
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

#[cfg(test)]
mod tests {
    /// The web UI's TypeScript types are generated from `crates/server/openapi.json`
    /// (`npm run gen:api` in `web/`). This keeps that file equal to what the routes describe:
    /// run with `UPDATE_OPENAPI=1` to rewrite it after changing the API, then regenerate the types.
    #[test]
    fn committed_openapi_description_matches_the_routes() {
        let (_, doc) = crate::startup::api_router(1024, std::time::Duration::from_secs(30));
        let generated = doc.to_pretty_json().expect("the OpenAPI document serialises") + "\n";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &generated).expect("openapi.json is writable");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "crates/server/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p inbox-server --lib openapi` \
             and `npm run gen:api` in web/"
        );
    }
}
