//! `POST /{PAGE_ID}/messages`, `/me/messages` and `/{IG_ID}/messages` — the Messenger Send API and
//! Instagram messaging (docs/meta.md §9, §10).
//!
//! Rules imitated: the recipient must have written to the Page/account (else 100/2018001 "No matching
//! user found"); `RESPONSE`/`UPDATE` (and sender actions) only within 24 h of the customer's last message,
//! `MESSAGE_TAG` + `HUMAN_AGENT` within 7 days, otherwise code 10 subcode 2018278; other tags are
//! Messenger-only; text ≤ 2000 characters (Messenger) or 1000 UTF-8 bytes (Instagram); attachments by
//! `url`, `attachment_id` or multipart `filedata`, whose type and size follow each platform's list
//! (`social_files`). Answers `{"recipient_id","message_id"}`.
//! A message without `messaging_type` is refused (100): Meta requires it on every message send since
//! 2018; sender actions need none.

use std::sync::Arc;

use axum::http::{header, HeaderMap};
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::Sender;
use crate::directory::{within, HUMAN_AGENT_WINDOW, STANDARD_WINDOW};
use crate::graph_error::{GraphError, GraphResult, Product};
use crate::journal::{SendOutcome, SentChannel, SentMessage};
use crate::lifecycle::StatusPlan;
use crate::payloads::{SocialAttachment, SocialMessage, SocialPlatform};
use crate::state::{lock, SimState};
use crate::{ids, multipart};

const MESSENGER_TEXT_MAX_CHARS: usize = 2000;
const INSTAGRAM_TEXT_MAX_BYTES: usize = 1000;
const ATTACHMENT_TYPES: &[&str] = &["image", "video", "audio", "file", "template"];
const MESSENGER_ONLY_TAGS: &[&str] = &["CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"];

fn invalid(message: &str) -> GraphError {
    GraphError::messenger(100, message)
}

fn outside_window() -> GraphError {
    GraphError::messenger(
        10,
        "This message is sent outside of allowed window. Learn more about the new policy here: \
         https://developers.facebook.com/docs/messenger-platform/policy-overview",
    )
    .with_subcode(2018278)
}

/// The body as JSON: a JSON request, or multipart fields (JSON-decoded when they are JSON) plus the
/// `filedata` file when one came along.
pub(super) fn parse_body(headers: &HeaderMap, body: &Bytes) -> GraphResult<(Value, Option<multipart::Part>)> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Some(boundary) = multipart::boundary(content_type) {
        let parts = multipart::parse(body, &boundary).ok_or_else(|| invalid("Invalid multipart body"))?;
        let mut obj = Map::new();
        let mut file = None;
        for part in parts {
            if part.file_name.is_some() || part.name == "filedata" {
                if part.name == "filedata" {
                    file = Some(part);
                }
                continue;
            }
            let text = part.text().unwrap_or_default();
            let value = serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()));
            obj.insert(part.name.clone(), value);
        }
        return Ok((Value::Object(obj), file));
    }
    let value = serde_json::from_slice(body).map_err(|_| invalid("Request body is not valid JSON"))?;
    Ok((value, None))
}

/// The platform and the Page/account whose customer `recipient` is.
fn target(state: &SimState, sender: &Sender, recipient: &str) -> GraphResult<(SocialPlatform, String)> {
    match sender {
        Sender::Page(page) => {
            if state.social_customer(&page.page_id, recipient).is_none() {
                if let Some(ig) = state.instagram_of_page(&page.page_id) {
                    if state.social_customer(&ig.ig_id, recipient).is_some() {
                        return Ok((SocialPlatform::Instagram, ig.ig_id.clone()));
                    }
                }
            }
            Ok((SocialPlatform::Messenger, page.page_id.clone()))
        }
        Sender::Instagram(account) => Ok((SocialPlatform::Instagram, account.ig_id.clone())),
        Sender::WhatsApp(n) => Err(GraphError::unsupported("post", &n.phone_number_id)),
    }
}

pub(super) async fn send(
    state: &Arc<SimState>,
    sender: &Sender,
    headers: &HeaderMap,
    body: &Bytes,
) -> GraphResult<Value> {
    let (request, file) = parse_body(headers, body)?;
    let has_file = file.is_some();
    let obj = request.as_object().ok_or_else(|| invalid("Request body must be an object"))?;
    let recipient = obj
        .get("recipient")
        .and_then(|r| r.get("id"))
        .and_then(|id| id.as_str().map(str::to_string).or_else(|| id.as_u64().map(|n| n.to_string())))
        .ok_or_else(|| invalid("The parameter recipient is required"))?;
    let (platform, asset_id) = target(state, sender, &recipient)?;
    let customer = state
        .social_customer(&asset_id, &recipient)
        .ok_or_else(|| invalid("No matching user found").with_subcode(2018001))?;
    let now = state.clock.now();

    if let Some(action) = obj.get("sender_action") {
        if obj.contains_key("message") {
            return Err(invalid("sender_action cannot be sent with message"));
        }
        sender_action(action, obj)?;
        if !within(customer.last_inbound, now, STANDARD_WINDOW) {
            return Err(outside_window());
        }
        return Ok(json!({"recipient_id": recipient}));
    }
    let message = obj
        .get("message")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("Must send either message or sender_action"))?;
    let messaging_type = obj
        .get("messaging_type")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("The parameter messaging_type is required"))?;
    let window = match messaging_type {
        "RESPONSE" | "UPDATE" => Some(STANDARD_WINDOW),
        "MESSAGE_TAG" => match obj.get("tag").and_then(Value::as_str) {
            Some("HUMAN_AGENT") => Some(HUMAN_AGENT_WINDOW),
            Some(tag) if MESSENGER_ONLY_TAGS.contains(&tag) && platform == SocialPlatform::Messenger => None,
            Some(tag) => return Err(invalid(&format!("Param tag is not a valid message tag: {tag}"))),
            None => return Err(invalid("Param tag is required when messaging_type is MESSAGE_TAG")),
        },
        other => {
            return Err(invalid(&format!(
                "Param messaging_type must be one of {{RESPONSE, UPDATE, MESSAGE_TAG}} - got \"{other}\""
            )))
        }
    };
    if window.is_some_and(|w| !within(customer.last_inbound, now, w)) {
        return Err(outside_window());
    }
    let fault = state.next_fault();
    if let Some(fault) = fault.filter(|f| !f.after_delivery()) {
        return Err(fault.strike(Product::Messenger).await);
    }
    let kind = message.get("attachment").and_then(|a| a["type"].as_str()).unwrap_or_default();
    super::social_files::check(platform, kind, file.as_ref())?;
    let echo = content(state, platform, &asset_id, message, has_file)?;

    let mid = match platform {
        SocialPlatform::Messenger => ids::messenger_mid(),
        SocialPlatform::Instagram => ids::instagram_mid(),
    };
    let channel = match platform {
        SocialPlatform::Messenger => SentChannel::Messenger { page_id: asset_id.clone() },
        SocialPlatform::Instagram => SentChannel::Instagram { ig_id: asset_id.clone() },
    };
    lock(&state.sent).push(SentMessage {
        id: mid.clone(),
        channel,
        recipient: recipient.clone(),
        kind: if message.contains_key("attachment") || has_file { "attachment" } else { "text" }.into(),
        body: request.clone(),
        outcome: SendOutcome::Delivered,
        at: now,
    });
    state.schedule_statuses(StatusPlan::Social {
        platform,
        asset_id,
        customer: recipient.clone(),
        message_id: mid.clone(),
        echo: Some(SocialMessage { mid: mid.clone(), is_echo: true, ..echo }),
    });
    if let Some(fault) = fault {
        // Delivered, but the answer is lost: the uncertain case.
        return Err(fault.strike(Product::Messenger).await);
    }
    Ok(json!({"recipient_id": recipient, "message_id": mid}))
}

fn sender_action(action: &Value, obj: &Map<String, Value>) -> GraphResult<()> {
    match action.as_str() {
        Some("mark_seen" | "typing_on" | "typing_off" | "unreact") => Ok(()),
        Some("react") => {
            let payload = obj.get("payload");
            let ok = payload.and_then(|p| p.get("message_id")).is_some_and(Value::is_string)
                && payload.and_then(|p| p.get("reaction")).is_some_and(Value::is_string);
            if ok {
                Ok(())
            } else {
                Err(invalid("Param payload must have message_id and reaction for sender_action react"))
            }
        }
        _ => Err(invalid("Param sender_action must be one of {mark_seen, typing_on, typing_off, react, unreact}")),
    }
}

/// Checks text/attachment rules and returns what an echo of the message would carry.
fn content(
    state: &SimState,
    platform: SocialPlatform,
    asset_id: &str,
    message: &Map<String, Value>,
    has_file: bool,
) -> GraphResult<SocialMessage> {
    let text = message.get("text").and_then(Value::as_str);
    let attachment = message.get("attachment");
    let mut echo = SocialMessage {
        reply_to: message.get("reply_to").and_then(|r| r["mid"].as_str()).map(str::to_string),
        ..SocialMessage::default()
    };
    match (text, attachment) {
        (Some(_), Some(_)) => Err(invalid("Only one of message[text] or message[attachment] may be set")),
        (None, None) => Err(invalid("Message cannot be empty, must provide valid attachment or text")),
        (Some(text), None) => {
            let too_long = match platform {
                SocialPlatform::Messenger => text.chars().count() > MESSENGER_TEXT_MAX_CHARS,
                SocialPlatform::Instagram => text.len() > INSTAGRAM_TEXT_MAX_BYTES,
            };
            if text.is_empty() {
                return Err(invalid("Param message[text] must be a non-empty UTF-8 encoded string"));
            }
            if too_long {
                let max = match platform {
                    SocialPlatform::Messenger => MESSENGER_TEXT_MAX_CHARS,
                    SocialPlatform::Instagram => INSTAGRAM_TEXT_MAX_BYTES,
                };
                return Err(invalid(&format!("Length of param message[text] must be less than or equal to {max}")));
            }
            echo.text = Some(text.to_string());
            Ok(echo)
        }
        (None, Some(attachment)) => {
            let kind = attachment["type"].as_str().unwrap_or_default();
            if !ATTACHMENT_TYPES.contains(&kind) {
                return Err(invalid(&format!(
                    "Param message[attachment][type] must be one of {{image, video, audio, file, template}} - got \"{kind}\""
                )));
            }
            let payload = &attachment["payload"];
            let url = payload["url"].as_str();
            let attachment_id = payload["attachment_id"].as_str();
            if let Some(id) = attachment_id {
                let owned = lock(&state.attachments).get(id).is_some_and(|a| {
                    a.owner_id == asset_id
                        || state.instagram(asset_id).and_then(|i| i.page_id).as_deref() == Some(a.owner_id.as_str())
                });
                if !owned {
                    return Err(invalid(&format!("Attachment {id} does not exist or cannot be used by this Page")));
                }
            } else if let Some(url) = url {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(invalid("Param message[attachment][payload][url] must be a valid URL"));
                }
            } else if !has_file && kind != "template" {
                return Err(invalid("An attachment needs a payload url, an attachment_id or filedata"));
            }
            let url = url.map(str::to_string).unwrap_or_else(|| format!("{}/cdn/v/sent", state.base_url));
            echo.attachments.push(SocialAttachment { kind: kind.to_string(), url, sticker_id: None });
            Ok(echo)
        }
    }
}
