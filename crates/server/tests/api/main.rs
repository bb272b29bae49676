//! Black-box tests: the real server on a random port, a fresh database per test, spoken to over HTTP.
//! Every test runs twice, on SQLite and on PostgreSQL (see `harness::on_both_stores!`).

extern crate inbox_server as server;

mod harness;

mod accounts_and_auth;
mod admin_setup;
mod assignees;
mod assignment;
mod attachments;
mod channels;
mod contact_search;
mod contacts_crm;
mod csv;
mod identity_and_history;
mod inbound;
mod indexed_search;
mod labels_and_notes;
mod matrix;
mod media_s3;
mod outbound;
mod outgoing_webhooks;
mod personalize;
mod preferences_and_calls;
mod profiles;
mod quick_replies;
mod realtime;
mod resources;
mod retention;
mod scheduled_sends;
mod search;
mod templates;
mod tenancy;
mod users_and_roles;
mod verdicts;
mod voice_notes;
mod web_ui;

/// Waits until an outbound message leaves `pending`; returns it.
pub async fn outbound_wait(
    app: &harness::TestApp,
    token: &str,
    conversation: &str,
    message: &str,
) -> serde_json::Value {
    for _ in 0..400 {
        let msgs = app.messages(token, conversation).await;
        if let Some(m) = msgs.iter().find(|m| m["id"] == message) {
            if m["status"] != "pending" {
                return m.clone();
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("message {message} still pending");
}
