//! The customer routes of the control API: one JSON action becomes one simulated customer webhook.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::{delivered, error, handle, sim_error};
use crate::customers::{SocialCustomer, WhatsAppCustomer};
use crate::error::SimError;
use crate::payloads::{CallStep, ContactCard, ContactPhone, WaContent};
use crate::phones;
use crate::samples;
use crate::state::SimState;
use crate::webhook::Delivery;

/// A customer action from the control API.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Action {
    #[serde(rename = "type")]
    kind: Option<String>,
    text: Option<String>,
    caption: Option<String>,
    name: Option<String>,
    username: Option<String>,
    message_id: Option<String>,
    emoji: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    address: Option<String>,
    phone: Option<String>,
    payload: Option<String>,
    title: Option<String>,
    filename: Option<String>,
}

impl Action {
    fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or(if self.text.is_some() { "text" } else { "" })
    }

    fn required<'a>(&self, value: &'a Option<String>, field: &str) -> Result<&'a str, BadRequest> {
        value.as_deref().ok_or_else(|| BadRequest(format!("{} needs {field}", self.kind())))
    }
}

/// A control request that cannot be carried out as asked.
struct BadRequest(String);

impl From<SimError> for BadRequest {
    fn from(e: SimError) -> Self {
        Self(e.to_string())
    }
}

/// Runs a customer action: a bad request is 400, a failed delivery is mapped by `delivered`.
fn outcome(result: Result<Result<Delivery, SimError>, BadRequest>) -> Response {
    match result {
        Ok(delivery) => delivered(delivery),
        Err(BadRequest(message)) => error(StatusCode::BAD_REQUEST, message),
    }
}

fn wa_customer(state: &Arc<SimState>, number: &str, who: &str, action: &Action) -> Result<WhatsAppCustomer, SimError> {
    let h = handle(state);
    let customer = if phones::is_bsuid(who) {
        h.bsuid_customer(number, who, action.username.as_deref())?
    } else {
        h.whatsapp_customer(number, who)?
    };
    Ok(match &action.name {
        Some(name) => customer.named(name),
        None => customer,
    })
}

pub(super) async fn whatsapp_message(
    State(state): State<Arc<SimState>>,
    Path((number, who)): Path<(String, String)>,
    Json(action): Json<Action>,
) -> Response {
    match wa_customer(&state, &number, &who, &action) {
        Ok(customer) => outcome(whatsapp_action(&customer, &action).await),
        Err(e) => sim_error(e),
    }
}

async fn whatsapp_action(
    customer: &WhatsAppCustomer,
    action: &Action,
) -> Result<Result<Delivery, SimError>, BadRequest> {
    let a = action;
    Ok(match a.kind() {
        "text" => customer.text(a.required(&a.text, "text")?).await,
        kind @ ("image" | "video" | "audio" | "voice" | "document" | "sticker") => {
            let (bytes, mime, ext) = samples::for_kind(kind);
            let caption = a.caption.as_deref();
            match kind {
                "image" => customer.image(bytes, mime, caption).await,
                "video" => customer.video(bytes, mime, caption).await,
                "audio" | "voice" => customer.audio(bytes, mime, kind == "voice").await,
                "sticker" => customer.sticker(bytes, false).await,
                _ => {
                    let filename = a.filename.clone().unwrap_or_else(|| format!("documento.{ext}"));
                    customer.document(bytes, mime, &filename, caption).await
                }
            }
        }
        "location" => {
            let (Some(lat), Some(lng)) = (a.latitude, a.longitude) else {
                return Err(BadRequest("location needs latitude and longitude".into()));
            };
            customer.location(lat, lng, a.title.as_deref(), a.address.as_deref()).await
        }
        "contacts" => {
            let name = a.required(&a.title, "title")?.to_string();
            let phone = a.required(&a.phone, "phone")?.to_string();
            let card = ContactCard {
                formatted_name: name.clone(),
                first_name: Some(name),
                last_name: None,
                phones: vec![ContactPhone { wa_id: Some(phones::digits(&phone)), phone, kind: "CELL".into() }],
                emails: Vec::new(),
                vcard: None,
            };
            customer.contacts(vec![card]).await
        }
        "share_phone" => customer.share_own_phone(a.required(&a.phone, "phone")?).await,
        "reaction" => customer.react(a.required(&a.message_id, "message_id")?, a.emoji.as_deref().unwrap_or("")).await,
        "reply" => customer.reply(a.required(&a.message_id, "message_id")?, a.required(&a.text, "text")?).await,
        "edit" => customer.edit(a.required(&a.message_id, "message_id")?, a.required(&a.text, "text")?).await,
        "revoke" => customer.revoke(a.required(&a.message_id, "message_id")?).await,
        "unsupported" => customer.unsupported().await,
        "button" => {
            let payload = a.payload.clone().unwrap_or_default();
            customer.template_button(&payload, a.text.as_deref().unwrap_or(&payload)).await
        }
        other => return Err(BadRequest(format!("unknown WhatsApp message type '{other}'"))),
    })
}

pub(super) async fn whatsapp_echo(
    State(state): State<Arc<SimState>>,
    Path((number, who)): Path<(String, String)>,
    Json(action): Json<Action>,
) -> Response {
    let customer = match wa_customer(&state, &number, &who, &action) {
        Ok(c) => c,
        Err(e) => return sim_error(e),
    };
    let text = match action.required(&action.text, "text") {
        Ok(t) => t.to_string(),
        Err(bad) => return outcome(Err(bad)),
    };
    delivered(customer.echo(WaContent::Text(text)).await)
}

pub(super) async fn messenger_message(
    State(state): State<Arc<SimState>>,
    Path((page, psid)): Path<(String, String)>,
    Json(action): Json<Action>,
) -> Response {
    match handle(&state).messenger_customer_with_id(&page, &psid) {
        Ok(c) => outcome(social_action(c, &action).await),
        Err(e) => sim_error(e),
    }
}

pub(super) async fn instagram_message(
    State(state): State<Arc<SimState>>,
    Path((ig, igsid)): Path<(String, String)>,
    Json(action): Json<Action>,
) -> Response {
    match handle(&state).instagram_customer_with_id(&ig, &igsid) {
        Ok(c) => outcome(social_action(c, &action).await),
        Err(e) => sim_error(e),
    }
}

async fn social_action(customer: SocialCustomer, a: &Action) -> Result<Result<Delivery, SimError>, BadRequest> {
    let customer = match &a.name {
        Some(name) => customer.named(name),
        None => customer,
    };
    let customer = match &a.username {
        Some(username) => customer.with_username(username),
        None => customer,
    };
    Ok(match a.kind() {
        "text" => customer.text(a.required(&a.text, "text")?).await,
        "echo" => customer.page_echo(a.required(&a.text, "text")?).await,
        "reply" => customer.reply(a.required(&a.message_id, "message_id")?, a.required(&a.text, "text")?).await,
        kind @ ("image" | "video" | "audio" | "file") => {
            let (bytes, mime, _) = samples::for_kind(kind);
            customer.attachment(kind, bytes, mime).await
        }
        "reaction" => {
            customer.react(a.required(&a.message_id, "message_id")?, a.emoji.as_deref().unwrap_or("❤️")).await
        }
        "unreact" => customer.unreact(a.required(&a.message_id, "message_id")?).await,
        "read" => customer.read(a.message_id.as_deref()).await,
        "postback" => {
            let title = a.title.clone().unwrap_or_else(|| "Empezar".into());
            customer.postback(&title, a.payload.as_deref().unwrap_or("GET_STARTED")).await
        }
        "unsend" => customer.unsend(a.required(&a.message_id, "message_id")?).await,
        "unsupported" => customer.unsupported().await,
        other => return Err(BadRequest(format!("unknown Messenger/Instagram action '{other}'"))),
    })
}

/// `{"value": "stop" | "resume"}`: a marketing preference.
#[derive(Debug, Deserialize)]
pub(super) struct PreferenceAction {
    value: String,
}

pub(super) async fn whatsapp_preference(
    State(state): State<Arc<SimState>>,
    Path((number, who)): Path<(String, String)>,
    Json(action): Json<PreferenceAction>,
) -> Response {
    let stop = match action.value.as_str() {
        "stop" => true,
        "resume" => false,
        other => return error(StatusCode::BAD_REQUEST, format!("value must be stop or resume, not '{other}'")),
    };
    match wa_customer(&state, &number, &who, &Action::default()) {
        Ok(customer) => delivered(customer.set_marketing(stop).await),
        Err(e) => sim_error(e),
    }
}

/// A call: without `event`, a whole call (`connect` then `terminate`, `duration` seconds of talk, 0 or
/// absent for a missed call); with `event`, that one step (`call_id` ties steps together).
#[derive(Debug, Default, Deserialize)]
pub(super) struct CallAction {
    event: Option<String>,
    call_id: Option<String>,
    /// `user_initiated` (the default) or `business_initiated`.
    direction: Option<String>,
    status: Option<String>,
    duration: Option<i64>,
}

impl CallAction {
    fn steps(&self, default_id: String, now: i64) -> Result<Vec<CallStep>, BadRequest> {
        let user_initiated = match self.direction.as_deref() {
            None | Some("user_initiated") => true,
            Some("business_initiated") => false,
            Some(other) => return Err(BadRequest(format!("unknown call direction '{other}'"))),
        };
        let call_id = self.call_id.clone().unwrap_or(default_id);
        let duration = self.duration.unwrap_or(0);
        Ok(match self.event.as_deref() {
            None => crate::customers::call_steps(call_id, user_initiated, now, duration).to_vec(),
            Some(event @ ("connect" | "terminate")) => vec![CallStep {
                call_id,
                event: event.into(),
                user_initiated,
                timestamp: now,
                status: if event == "terminate" {
                    Some(
                        self.status.clone().unwrap_or_else(|| if duration > 0 { "COMPLETED" } else { "FAILED" }.into()),
                    )
                } else {
                    None
                },
                duration: (event == "terminate").then_some(duration),
            }],
            Some(other) => return Err(BadRequest(format!("unknown call event '{other}'"))),
        })
    }
}

pub(super) async fn whatsapp_call(
    State(state): State<Arc<SimState>>,
    Path((number, who)): Path<(String, String)>,
    Json(action): Json<CallAction>,
) -> Response {
    let customer = match wa_customer(&state, &number, &who, &Action::default()) {
        Ok(c) => c,
        Err(e) => return sim_error(e),
    };
    let steps = match action.steps(format!("wacid.{}", crate::ids::token()), state.clock.now().unix_timestamp()) {
        Ok(s) => s,
        Err(bad) => return outcome(Err(bad)),
    };
    let mut last = Err(SimError::Payload("no call step".into()));
    for step in &steps {
        last = customer.call_step(step).await;
        if last.is_err() {
            break;
        }
    }
    delivered(last)
}

pub(super) async fn messenger_call(
    State(state): State<Arc<SimState>>,
    Path((page, psid)): Path<(String, String)>,
    Json(action): Json<CallAction>,
) -> Response {
    let customer = match handle(&state).messenger_customer_with_id(&page, &psid) {
        Ok(c) => c,
        Err(e) => return sim_error(e),
    };
    let steps = match action.steps(format!("c_{}", crate::ids::token()), state.clock.now().unix_timestamp()) {
        Ok(s) => s,
        Err(bad) => return outcome(Err(bad)),
    };
    let mut last = Err(SimError::Payload("no call step".into()));
    for step in &steps {
        last = customer.call_step(step).await;
        if last.is_err() {
            break;
        }
    }
    delivered(last)
}
