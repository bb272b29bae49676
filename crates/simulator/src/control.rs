//! The control API under `/_sim` (not part of Meta): lets `inbox demo`, a browser user or a script drive
//! customers and inspect the simulator over HTTP. All bodies and answers are JSON.
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET /_sim` | the assets (ids, tokens), webhook URL, clock, and this list |
//! | `GET`/`DELETE /_sim/requests` | recorded Graph requests / clear them |
//! | `GET`/`DELETE /_sim/webhooks` | webhooks POSTed (with the receiver's status) / clear them |
//! | `GET /_sim/sent` | messages accepted by the send endpoints and their fate |
//! | `PUT /_sim/webhook_url` `{"url"}` | where webhooks go |
//! | `GET /_sim/clock` · `POST /_sim/clock/advance` `{"seconds"}` | the simulated clock |
//! | `POST /_sim/faults` `{"count", "kind": "http500"\|"rate_limit"\|"timeout"\|"timeout_after_delivery"\|"graph_error", "timeout_ms", "code", "http_status", "target": "sends"\|"profile_lookups"\|"asset_lookups"}` | fail the next sends (or profile / asset lookups; `timeout_after_delivery`: delivered, then the answer is lost) |
//! | `POST /_sim/assets/whatsapp_numbers` `{"phone_number_id", "waba_id", "display_phone_number", "access_token", "verified_name"?, "coexistence"?}` | Meta gets another number |
//! | `POST /_sim/assets/pages` `{"page_id", "name", "access_token"}` | Meta gets another Page |
//! | `POST /_sim/assets/instagram_accounts` `{"ig_id", "username", "access_token", "page_id"?}` | Meta gets another Instagram account |
//! | `POST /_sim/tokens/revoke` `{"token"}` | Meta stops accepting a token (190) |
//! | `POST /_sim/statuses/{message_id}` `{"status": "sent"\|"delivered"\|"read"\|"played"\|"failed"}` | emit one status webhook |
//! | `POST /_sim/whatsapp/{phone_number_id}/customers/{wa_id or BSUID}/messages` | a WhatsApp customer writes (body below) |
//! | `POST /_sim/whatsapp/{phone_number_id}/customers/{wa_id or BSUID}/echoes` | the business writes from the phone app (coexistence) |
//! | `POST /_sim/whatsapp/{phone_number_id}/customers/{wa_id or BSUID}/preferences` `{"value": "stop"\|"resume"}` | the customer stops/resumes marketing messages (`user_preferences`) |
//! | `POST /_sim/whatsapp/{phone_number_id}/customers/{wa_id or BSUID}/calls` (call body below) | the customer calls, or one step of a call (`calls`) |
//! | `POST /_sim/messenger/{page_id}/customers/{psid}/messages` | a Messenger customer acts |
//! | `POST /_sim/messenger/{page_id}/customers/{psid}/calls` (call body below) | a Messenger call (`calls`) |
//! | `POST /_sim/instagram/{ig_id}/customers/{igsid}/messages` | an Instagram customer acts |
//! | `POST /_sim/webhooks` (any JSON) | sign and POST that payload as is |
//!
//! Customer bodies: `{"text": "Hola"}` is a text; otherwise `{"type": …}` with
//! WhatsApp `text`, `image`/`video`/`audio`/`voice`/`document`/`sticker` (sample files; `caption`),
//! `location` (`latitude`, `longitude`, `title`, `address`), `contacts` (`title`, `phone`), `share_phone`
//! (`phone`: answers a contact request), `reaction` (`message_id`, `emoji`), `reply` (`message_id`,
//! `text`), `unsupported`, `edit` (`message_id`, `text`), `revoke` (`message_id`), `button` (`payload`,
//! `text`); Messenger/Instagram `text`, `image`/`video`/`audio`/`file`, `reply`, `reaction`, `unreact`,
//! `read` (`message_id` on Instagram), `postback` (`title`, `payload`), `unsend`, `unsupported`, `echo`.
//! Optional `name` sets the profile name (WhatsApp webhooks; Messenger/Instagram User Profile API) and
//! `username` the WhatsApp username of a BSUID customer or the Instagram username.
//! Call bodies: `{}` or `{"duration": 125}` is a whole call from the customer (`connect`, then `terminate`;
//! no duration is a missed call); `{"event": "connect"|"terminate", "call_id", "direction":
//! "user_initiated"|"business_initiated", "status", "duration"}` is one step.
//! Answers `{"status": <webhook receiver's HTTP status>, "message_id", "payload"}`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::{InstagramAccount, PageAsset, WhatsAppNumber};
use crate::error::SimError;
use crate::faults::Fault;
use crate::handle::SimHandle;
use crate::payloads::WaStatusKind;
use crate::state::{lock, SimState};
use crate::webhook::Delivery;

mod customers;

use customers::{
    instagram_message, messenger_call, messenger_message, whatsapp_call, whatsapp_echo, whatsapp_message,
    whatsapp_preference,
};

pub(crate) fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/", get(index))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/webhooks", get(webhooks).delete(clear_webhooks).post(raw_webhook))
        .route("/sent", get(sent))
        .route("/webhook_url", put(set_webhook_url))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance_clock))
        .route("/faults", post(faults))
        .route("/assets/whatsapp_numbers", post(add_number))
        .route("/assets/pages", post(add_page))
        .route("/assets/instagram_accounts", post(add_instagram))
        .route("/tokens/revoke", post(revoke_token))
        .route("/statuses/{message_id}", post(status))
        .route("/whatsapp/{phone_number_id}/customers/{who}/messages", post(whatsapp_message))
        .route("/whatsapp/{phone_number_id}/customers/{who}/echoes", post(whatsapp_echo))
        .route("/whatsapp/{phone_number_id}/customers/{who}/preferences", post(whatsapp_preference))
        .route("/whatsapp/{phone_number_id}/customers/{who}/calls", post(whatsapp_call))
        .route("/messenger/{page_id}/customers/{psid}/messages", post(messenger_message))
        .route("/messenger/{page_id}/customers/{psid}/calls", post(messenger_call))
        .route("/instagram/{ig_id}/customers/{igsid}/messages", post(instagram_message))
}

/// A handle over the shared state, so control routes use the same API as tests.
fn handle(state: &Arc<SimState>) -> SimHandle {
    let addr = state.base_url.trim_start_matches("http://").parse().unwrap_or_else(|_| ([127, 0, 0, 1], 0).into());
    SimHandle::new(Arc::clone(state), addr, Arc::default())
}

fn error(status: StatusCode, message: impl ToString) -> Response {
    (status, Json(json!({"error": message.to_string()}))).into_response()
}

fn sim_error(e: SimError) -> Response {
    let status = match e {
        SimError::UnknownAsset(_) => StatusCode::NOT_FOUND,
        SimError::NoWebhookUrl | SimError::NotCoexistence(_) | SimError::Payload(_) => StatusCode::BAD_REQUEST,
        SimError::WebhookUnreachable(_) | SimError::Start(_) => StatusCode::BAD_GATEWAY,
    };
    error(status, e)
}

fn delivered(result: Result<Delivery, SimError>) -> Response {
    match result {
        Ok(d) => Json(json!({"status": d.status, "message_id": d.message_id, "payload": d.payload})).into_response(),
        Err(e) => sim_error(e),
    }
}

async fn index(State(state): State<Arc<SimState>>) -> Json<Value> {
    let c = lock(&state.assets).clone();
    Json(json!({
        "graph_base": handle(&state).graph_base(),
        "webhook_url": lock(&state.webhook_url).clone(),
        "now": state.clock.now().unix_timestamp(),
        "whatsapp_numbers": c.whatsapp_numbers.iter().map(|n| json!({
            "phone_number_id": n.phone_number_id, "waba_id": n.waba_id,
            "display_phone_number": n.display_phone_number, "access_token": n.access_token,
            "coexistence": n.coexistence,
        })).collect::<Vec<_>>(),
        "pages": c.pages.iter().map(|p| json!({"page_id": p.page_id, "name": p.name, "access_token": p.access_token})).collect::<Vec<_>>(),
        "instagram_accounts": c.instagram_accounts.iter().map(|a| json!({
            "ig_id": a.ig_id, "username": a.username, "access_token": a.access_token, "page_id": a.page_id,
        })).collect::<Vec<_>>(),
        "endpoints": [
            "GET /_sim", "GET|DELETE /_sim/requests", "GET|DELETE|POST /_sim/webhooks", "GET /_sim/sent",
            "PUT /_sim/webhook_url", "GET /_sim/clock", "POST /_sim/clock/advance", "POST /_sim/faults",
            "POST /_sim/assets/whatsapp_numbers", "POST /_sim/assets/pages", "POST /_sim/assets/instagram_accounts",
            "POST /_sim/tokens/revoke",
            "POST /_sim/statuses/{message_id}",
            "POST /_sim/whatsapp/{phone_number_id}/customers/{wa_id_or_bsuid}/messages",
            "POST /_sim/whatsapp/{phone_number_id}/customers/{wa_id_or_bsuid}/echoes",
            "POST /_sim/whatsapp/{phone_number_id}/customers/{wa_id_or_bsuid}/preferences",
            "POST /_sim/whatsapp/{phone_number_id}/customers/{wa_id_or_bsuid}/calls",
            "POST /_sim/messenger/{page_id}/customers/{psid}/messages",
            "POST /_sim/messenger/{page_id}/customers/{psid}/calls",
            "POST /_sim/instagram/{ig_id}/customers/{igsid}/messages",
        ],
    }))
}

async fn requests(State(state): State<Arc<SimState>>) -> Json<Value> {
    Json(json!(lock(&state.requests).clone()))
}

async fn clear_requests(State(state): State<Arc<SimState>>) -> StatusCode {
    lock(&state.requests).clear();
    StatusCode::NO_CONTENT
}

async fn webhooks(State(state): State<Arc<SimState>>) -> Json<Value> {
    Json(json!(lock(&state.webhooks).clone()))
}

async fn clear_webhooks(State(state): State<Arc<SimState>>) -> StatusCode {
    lock(&state.webhooks).clear();
    StatusCode::NO_CONTENT
}

async fn raw_webhook(State(state): State<Arc<SimState>>, Json(payload): Json<Value>) -> Response {
    delivered(handle(&state).post_webhook(payload).await)
}

async fn sent(State(state): State<Arc<SimState>>) -> Json<Value> {
    Json(json!(lock(&state.sent).clone()))
}

#[derive(Deserialize)]
struct WebhookUrl {
    url: String,
}

async fn set_webhook_url(State(state): State<Arc<SimState>>, Json(body): Json<WebhookUrl>) -> StatusCode {
    handle(&state).set_webhook_url(body.url);
    StatusCode::NO_CONTENT
}

async fn clock(State(state): State<Arc<SimState>>) -> Json<Value> {
    let now = state.clock.now();
    Json(
        json!({"unix": now.unix_timestamp(), "rfc3339": now.format(&time::format_description::well_known::Rfc3339).ok()}),
    )
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

async fn advance_clock(State(state): State<Arc<SimState>>, Json(body): Json<Advance>) -> Json<Value> {
    handle(&state).advance_clock(Duration::from_secs(body.seconds));
    clock(State(state)).await
}

#[derive(Deserialize)]
struct FaultSpec {
    #[serde(default = "one")]
    count: usize,
    kind: String,
    timeout_ms: Option<u64>,
    code: Option<i64>,
    http_status: Option<u16>,
    /// `sends` (the default), `profile_lookups` or `asset_lookups`.
    target: Option<String>,
}

fn one() -> usize {
    1
}

async fn faults(State(state): State<Arc<SimState>>, Json(spec): Json<FaultSpec>) -> Response {
    let fault = match spec.kind.as_str() {
        "http500" => Fault::Http500,
        "rate_limit" => Fault::RateLimit,
        "timeout" => Fault::Timeout(Duration::from_millis(spec.timeout_ms.unwrap_or(30_000))),
        "timeout_after_delivery" => {
            Fault::TimeoutAfterDelivery(Duration::from_millis(spec.timeout_ms.unwrap_or(30_000)))
        }
        "graph_error" => match spec.code {
            Some(code) => Fault::GraphError { code, http_status: spec.http_status.unwrap_or(400) },
            None => return error(StatusCode::BAD_REQUEST, "graph_error needs a code"),
        },
        other => return error(StatusCode::BAD_REQUEST, format!("unknown fault kind {other}")),
    };
    let sim = handle(&state);
    match spec.target.as_deref().unwrap_or("sends") {
        "sends" => sim.fail_next(spec.count, fault),
        "profile_lookups" => sim.fail_next_profile_lookups(spec.count, fault),
        "asset_lookups" => sim.fail_next_asset_lookups(spec.count, fault),
        other => return error(StatusCode::BAD_REQUEST, format!("unknown fault target {other}")),
    }
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct NewNumber {
    phone_number_id: String,
    waba_id: String,
    display_phone_number: String,
    access_token: String,
    verified_name: Option<String>,
    #[serde(default)]
    coexistence: bool,
}

async fn add_number(State(state): State<Arc<SimState>>, Json(body): Json<NewNumber>) -> StatusCode {
    let mut number =
        WhatsAppNumber::new(body.phone_number_id, body.waba_id, body.display_phone_number, body.access_token);
    if let Some(name) = body.verified_name {
        number.verified_name = name;
    }
    number.coexistence = body.coexistence;
    handle(&state).add_whatsapp_number(number);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct NewPage {
    page_id: String,
    name: String,
    access_token: String,
}

async fn add_page(State(state): State<Arc<SimState>>, Json(body): Json<NewPage>) -> StatusCode {
    handle(&state).add_page(PageAsset::new(body.page_id, body.name, body.access_token));
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct NewInstagram {
    ig_id: String,
    username: String,
    access_token: String,
    page_id: Option<String>,
}

async fn add_instagram(State(state): State<Arc<SimState>>, Json(body): Json<NewInstagram>) -> StatusCode {
    let mut account = InstagramAccount::new(body.ig_id, body.username, body.access_token);
    account.page_id = body.page_id;
    handle(&state).add_instagram(account);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Revoke {
    token: String,
}

async fn revoke_token(State(state): State<Arc<SimState>>, Json(body): Json<Revoke>) -> StatusCode {
    handle(&state).revoke_token(&body.token);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct StatusSpec {
    status: String,
}

async fn status(State(state): State<Arc<SimState>>, Path(id): Path<String>, Json(spec): Json<StatusSpec>) -> Response {
    match WaStatusKind::parse(&spec.status) {
        Some(kind) => delivered(handle(&state).emit_status(&id, kind).await),
        None => error(StatusCode::BAD_REQUEST, format!("unknown status {}", spec.status)),
    }
}
