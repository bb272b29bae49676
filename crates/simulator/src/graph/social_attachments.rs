//! `POST /{PAGE_ID}/message_attachments` (Messenger Attachment Upload API): a reusable attachment from a
//! `url` or a multipart `filedata`, answered `{"attachment_id"}`; sends then use `payload.attachment_id`.
//! The file must be one the platform takes (`social_files`: Instagram's list, 25 MB; 100/2018047
//! otherwise); a Page uploads for its Instagram account with `"platform": "instagram"`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};

use super::social_send::parse_body;
use super::{access_token, answer, authenticate, resolve, Sender};
use crate::graph_error::{GraphError, GraphResult};
use crate::ids;
use crate::payloads::SocialPlatform;
use crate::state::{lock, PageAttachment, SimState};

pub(super) async fn upload(
    State(state): State<Arc<SimState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(upload_inner(&state, &id, query.as_deref(), &headers, &body))
}

fn upload_inner(
    state: &SimState,
    id: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
) -> GraphResult<Value> {
    let token = authenticate(state, access_token(headers, query))?;
    let (owner_id, instagram) = match resolve(state, &Method::POST, id, &token)? {
        Sender::Page(p) => (p.page_id, false),
        Sender::Instagram(a) => (a.ig_id, true),
        Sender::WhatsApp(_) => return Err(GraphError::unsupported("post", id)),
    };
    let (request, file) = parse_body(headers, body)?;
    let has_file = file.is_some();
    let attachment = &request["message"]["attachment"];
    let kind = attachment["type"].as_str().unwrap_or_default();
    if !["image", "video", "audio", "file"].contains(&kind) {
        return Err(GraphError::messenger(
            100,
            &format!("Param message[attachment][type] must be one of {{image, video, audio, file}} - got \"{kind}\""),
        ));
    }
    let platform = if instagram || request["platform"] == "instagram" {
        SocialPlatform::Instagram
    } else {
        SocialPlatform::Messenger
    };
    super::social_files::check(platform, kind, file.as_ref())?;
    let url = attachment["payload"]["url"].as_str();
    if url.is_none() && !has_file {
        return Err(GraphError::messenger(100, "An attachment upload needs a payload url or filedata"));
    }
    let attachment_id = ids::numeric_id();
    lock(&state.attachments).insert(attachment_id.clone(), PageAttachment { owner_id });
    Ok(json!({"attachment_id": attachment_id}))
}
