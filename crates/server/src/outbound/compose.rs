//! Turning an agent's send request into a queued outbound message, or a refusal before anything is
//! stored or sent (docs/api.md, "Sending": refusals are `422` with a stable code and nothing is half-written).

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use domain::ids::{ConversationId, MessageId, QuickReplyId, UploadId};
use domain::media_rules::MediaKind;
use domain::outbound::{OutboundRequest, StoredFile};
use domain::permissions::{Action, ConversationScope};
use domain::personalize::{self, PersonalizeContext};
use domain::template::{
    render_body, requires_phone_recipient, to_graph_components, validate_parameters, HeaderParameter, MediaSource,
    Template, TemplateParameters,
};
use domain::window::{check_send, SendKind, Window};
use serde::Deserialize;
use serde_json::json;
use store::{ConversationRecord, MessageRecord, NewOutbound, OutboundAttachment};

/// The body of `POST /api/v1/conversations/{id}/messages`.
#[derive(Deserialize, utoipa::ToSchema, Debug)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SendRequest {
    /// Free-form text; `{{contact.first_name}}`-style placeholders are rendered at send time.
    Text { text: String, reply_to: Option<MessageId> },
    /// A reaction to a message of the conversation; an empty `emoji` removes it.
    Reaction { message_id: MessageId, emoji: String },
    /// WhatsApp: ask a customer (e.g. one known only by username) to share their phone number.
    ContactRequest { text: String },
    /// A saved quick reply: its text personalised, with its file if it has one.
    QuickReply { quick_reply_id: QuickReplyId, reply_to: Option<MessageId> },
    /// A file from `POST /api/v1/uploads`, checked against the channel's formats and size limits.
    Attachment { upload_id: UploadId, caption: Option<String>, reply_to: Option<MessageId> },
    /// A microphone recording from `POST /api/v1/uploads`, sent as a voice note.
    Audio { upload_id: UploadId },
    /// WhatsApp: an approved template with its parameters — the only send allowed outside the window.
    Template {
        template: TemplateRef,
        #[serde(default)]
        parameters: TemplateParameters,
    },
}

#[derive(Deserialize, utoipa::ToSchema, Debug, Clone)]
pub struct TemplateRef {
    pub name: String,
    /// Meta's language code, e.g. `es_MX`.
    pub language: String,
}

/// Who a template goes to, as far as its checks and cost estimate need.
pub struct TemplateRecipient {
    pub channel: domain::ids::ChannelId,
    /// Whether the phone is known (else the customer is addressed by BSUID).
    pub has_phone: bool,
    /// The customer's market (country), for the cost estimate.
    pub market: Option<String>,
    pub window: Window,
    /// Since when the customer refuses marketing templates (their handle or their CRM contact).
    pub marketing_opt_out_at: Option<i64>,
}

impl TemplateRecipient {
    pub fn of(state: &AppState, c: &ConversationRecord) -> Self {
        TemplateRecipient {
            channel: c.channel_id,
            has_phone: c.handle.wa_id.is_some(),
            market: c.handle.wa_id.as_deref().and_then(domain::phone::country_of),
            window: window_of(state, c),
            marketing_opt_out_at: c
                .handle
                .marketing_opt_out_at
                .or(c.contact.as_ref().and_then(|contact| contact.marketing_opt_out_at)),
        }
    }
}

/// Checks a template send and builds its queued message (no I/O beyond reading the synced template).
pub async fn template_outbound(
    state: &AppState,
    me: &CurrentUser,
    to: &TemplateRecipient,
    tref: &TemplateRef,
    params: &TemplateParameters,
) -> ApiResult<NewOutbound> {
    let TemplateRecipient { channel, has_phone, market, window, marketing_opt_out_at } = to;
    let (channel, has_phone) = (*channel, *has_phone);
    me.require(Action::SendTemplates)?;
    let stored =
        state.store.get_template(me.account_id(), channel, &tref.name, &tref.language).await?.ok_or_else(|| {
            ApiError::unprocessable(
                "template_not_found",
                format!("no template {} in {} on this channel; sync the templates", tref.name, tref.language),
            )
        })?;
    let template: Template = serde_json::from_value(stored.definition).map_err(|e| ApiError::Internal(e.into()))?;
    if template.category == domain::template::TemplateCategory::Marketing && marketing_opt_out_at.is_some() {
        // Meta would accept the send and fail it with 131050; refusing here saves a paid, doomed call.
        return Err(ApiError::unprocessable(
            "marketing_opted_out",
            "this customer stopped marketing messages from the business; utility and authentication templates and replies inside the window are still allowed",
        ));
    }
    let refusal = |e: domain::template::TemplateRefusal| ApiError::unprocessable(e.code(), e.to_string());
    validate_parameters(&template, params).map_err(refusal)?;
    if !has_phone && requires_phone_recipient(&template) {
        return Err(ApiError::unprocessable(
            "template_requires_phone",
            "authentication templates with one-tap, zero-tap or copy-code buttons need the customer's phone number; this customer is known only by username (Meta error 131062)",
        ));
    }
    let header_file = header_upload(state, me, params).await?;
    let graph_params = header_file.as_ref().map(|f| &f.params).unwrap_or(params);
    let components = to_graph_components(&template, graph_params).map_err(refusal)?;
    let body = render_body(&template, params);
    let request = OutboundRequest::Template {
        name: template.name.clone(),
        language: template.language.clone(),
        components,
        // The outbox uploads the file to WhatsApp and puts its media id into the header.
        header_media: header_file.as_ref().map(|f| StoredFile {
            storage_key: f.attachment.storage_key.clone(),
            mime: f.attachment.mime.clone(),
            filename: f.attachment.filename.clone(),
        }),
    };
    let rates = state.store.rate_card(me.account_id()).await?;
    let cost = domain::pricing::estimate(&rates, template.category.as_str(), market.as_deref(), window);
    let content = json!({"template": {"name": template.name, "language": template.language, "category": template.category.as_str(), "parameters": params, "estimated_cost": cost}});
    Ok(NewOutbound {
        kind: "template".into(),
        text: Some(body),
        content,
        reply_to_external_id: None,
        sender: Some(me.user_id()),
        request,
        // The header file is shown with the message, as the customer sees it.
        attachments: header_file.map(|f| vec![f.attachment]).unwrap_or_default(),
    })
}

/// A template header file given as an inbox upload.
struct HeaderFile {
    /// The parameters with the header as a WhatsApp media id still to be filled in (a placeholder).
    params: TemplateParameters,
    attachment: OutboundAttachment,
}

/// Checks a header image, video or document given as `upload_id` (it exists and its bytes are the
/// header's kind within WhatsApp's limits) so a refusal comes before anything is queued; the outbox
/// uploads it to WhatsApp when sending. Headers given as a link or a media id need nothing.
async fn header_upload(
    state: &AppState,
    me: &CurrentUser,
    params: &TemplateParameters,
) -> ApiResult<Option<HeaderFile>> {
    let (expected, source) = match &params.header {
        Some(HeaderParameter::Image { source }) => (MediaKind::Image, source),
        Some(HeaderParameter::Video { source }) => (MediaKind::Video, source),
        Some(HeaderParameter::Document { source, .. }) => (MediaKind::Document, source),
        _ => return Ok(None),
    };
    let MediaSource::UploadId(raw) = source else { return Ok(None) };
    let not_found = || ApiError::unprocessable("upload_not_found", "no such upload");
    let id: UploadId = raw.parse().map_err(|_| not_found())?;
    let u = state.store.get_upload(me.account_id(), id).await.map_err(|e| match e {
        store::StoreError::NotFound => not_found(),
        other => other.into(),
    })?;
    // Template headers follow WhatsApp's media rules, the same for Cloud API and Business App numbers.
    let kind =
        domain::media_rules::check_attachment(domain::channel::ChannelKind::WhatsappCloud, &u.mime, u.size as u64)
            .map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    if kind != expected {
        return Err(ApiError::unprocessable(
            "template_parameters",
            format!(
                "the template's header needs a {} file; this one is {} ({})",
                expected.as_str(),
                kind.as_str(),
                u.mime
            ),
        ));
    }
    let filename = match &params.header {
        Some(HeaderParameter::Document { filename: Some(f), .. }) => Some(f.clone()),
        _ => u.filename.clone(),
    };
    // A placeholder until the outbox has uploaded the file (`set_header_media_id`).
    let pending = MediaSource::MediaId(id.to_string());
    let header = match expected {
        MediaKind::Image => HeaderParameter::Image { source: pending },
        MediaKind::Video => HeaderParameter::Video { source: pending },
        _ => HeaderParameter::Document { source: pending, filename: filename.clone() },
    };
    Ok(Some(HeaderFile {
        params: TemplateParameters { header: Some(header), ..params.clone() },
        attachment: OutboundAttachment {
            kind: expected,
            mime: u.mime,
            size: u.size,
            sha256: u.sha256,
            filename,
            storage_key: u.storage_key,
        },
    }))
}

fn refuse(e: domain::window::SendRefusal) -> ApiError {
    ApiError::unprocessable(e.code(), e.to_string())
}

/// The window of a conversation now.
pub fn window_of(state: &AppState, c: &ConversationRecord) -> Window {
    Window::compute(c.channel_kind, c.last_inbound_at.map(domain::time_util::from_millis), state.clock.now())
}

async fn personalize_context(
    state: &AppState,
    me: &CurrentUser,
    c: &ConversationRecord,
) -> ApiResult<PersonalizeContext> {
    let mut ctx = PersonalizeContext { agent_name: Some(me.user.name.clone()), ..Default::default() };
    if let Some(summary) = &c.contact {
        let contact = state.store.get_contact(me.account_id(), &ConversationScope::All, summary.id).await?;
        let f = contact.fields;
        ctx.custom = f.custom_fields.clone();
        ctx.contact = Some(personalize::ContactFields {
            first_name: f.first_name,
            last_name: f.last_name,
            email: f.email,
            phone_primary: f.phone_primary,
            phone_whatsapp: f.phone_whatsapp,
            whatsapp_username: f.whatsapp_username.or(c.handle.username.clone()),
        });
    }
    Ok(ctx)
}

/// The Meta id of a message of this conversation (to quote or react to it).
async fn target_external_id(
    state: &AppState,
    me: &CurrentUser,
    c: &ConversationRecord,
    id: MessageId,
) -> ApiResult<String> {
    let m = state.store.get_message(me.account_id(), &me.scope(), id).await.map_err(|e| match e {
        store::StoreError::NotFound => {
            ApiError::unprocessable("invalid_target", "the message does not exist in this conversation")
        }
        other => other.into(),
    })?;
    if m.conversation_id != c.id {
        return Err(ApiError::unprocessable("invalid_target", "the message does not exist in this conversation"));
    }
    m.external_id.ok_or_else(|| ApiError::unprocessable("invalid_target", "the message has not reached Meta yet"))
}

/// Checks and queues a send; returns the stored message as queued (`pending`).
pub async fn send(
    state: &AppState,
    me: &CurrentUser,
    conversation: ConversationId,
    req: SendRequest,
) -> ApiResult<MessageRecord> {
    me.require_inbox()?;
    me.require(Action::SendMessages)?;
    let c = state.store.get_conversation(me.account_id(), &me.scope(), conversation).await?;
    let window = window_of(state, &c);
    let kind = c.channel_kind;
    let (outbound, audit) = match req {
        SendRequest::QuickReply { quick_reply_id, reply_to } => {
            check_send(kind, &window, SendKind::FreeForm).map_err(refuse)?;
            // One or two messages, queued by `quick_reply` itself.
            return quick_reply(state, me, &c, quick_reply_id, reply_to).await;
        }
        SendRequest::Text { text, reply_to } => {
            check_send(kind, &window, SendKind::FreeForm).map_err(refuse)?;
            let ctx = personalize_context(state, me, &c).await?;
            let rendered =
                personalize::render(&text, &ctx).map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
            domain::media_rules::check_text(kind, &rendered)
                .map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
            let quoted = match reply_to {
                Some(id) => Some(target_external_id(state, me, &c, id).await?),
                None => None,
            };
            let request = OutboundRequest::Text { text: rendered.clone(), reply_to: quoted.clone() };
            (
                NewOutbound {
                    kind: "text".into(),
                    text: Some(rendered),
                    content: json!({}),
                    reply_to_external_id: quoted,
                    sender: Some(me.user_id()),
                    request,
                    attachments: vec![],
                },
                "message.sent",
            )
        }
        SendRequest::Reaction { message_id, emoji } => {
            check_send(kind, &window, SendKind::Reaction).map_err(refuse)?;
            // Only what the channel delivers: the agent must see what the customer sees.
            domain::reactions::check_reaction(kind, &emoji)
                .map_err(|e| ApiError::unprocessable("unsupported_by_channel", e.to_string()))?;
            let target = target_external_id(state, me, &c, message_id).await?;
            // Shown on its target at once; the hidden `reaction` row below is the send's own record.
            let shown = Some(emoji.as_str()).filter(|e| !e.is_empty());
            state.store.apply_reaction(c.channel_id, &target, "business", shown, state.now_ms()).await?;
            let request = OutboundRequest::Reaction { message_id: target.clone(), emoji: emoji.clone() };
            // A reaction is shown on its target, not as a row of its own; the row here is the send's
            // record (kind `reaction`), which the message list folds into its target.
            (
                NewOutbound {
                    kind: "reaction".into(),
                    text: Some(emoji.clone()),
                    content: json!({"reaction": {"message_id": message_id, "emoji": emoji}}),
                    reply_to_external_id: Some(target),
                    sender: Some(me.user_id()),
                    request,
                    attachments: vec![],
                },
                "message.reaction",
            )
        }
        SendRequest::Attachment { upload_id, caption, reply_to } => {
            check_send(kind, &window, SendKind::FreeForm).map_err(refuse)?;
            let quoted = match reply_to {
                Some(id) => Some(target_external_id(state, me, &c, id).await?),
                None => None,
            };
            (
                crate::outbound::attachments::attachment(state, me, kind, upload_id, caption, quoted).await?,
                "message.attachment",
            )
        }
        SendRequest::Audio { upload_id } => {
            check_send(kind, &window, SendKind::FreeForm).map_err(refuse)?;
            (crate::outbound::attachments::voice_note(state, me, kind, upload_id).await?, "message.audio")
        }
        SendRequest::Template { template, parameters } => {
            check_send(kind, &window, SendKind::Template).map_err(refuse)?;
            (
                template_outbound(state, me, &TemplateRecipient::of(state, &c), &template, &parameters).await?,
                "message.template",
            )
        }
        SendRequest::ContactRequest { text } => {
            check_send(kind, &window, SendKind::ContactRequest).map_err(refuse)?;
            let text = text.trim().to_string();
            domain::media_rules::check_text(kind, &text)
                .map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
            let request = OutboundRequest::ContactRequest { text: text.clone() };
            (
                NewOutbound {
                    kind: "interactive".into(),
                    text: Some(text.clone()),
                    content: json!({"interactive": {"type": "request_contact_info"}}),
                    reply_to_external_id: None,
                    sender: Some(me.user_id()),
                    request,
                    attachments: vec![],
                },
                "message.contact_request",
            )
        }
    };
    enqueue(state, me, &c, outbound, audit).await
}

/// The text of a send, personalised for this conversation and checked against the channel's limits.
async fn rendered_text(state: &AppState, me: &CurrentUser, c: &ConversationRecord, text: &str) -> ApiResult<String> {
    let ctx = personalize_context(state, me, c).await?;
    let rendered = personalize::render(text, &ctx).map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    domain::media_rules::check_text(c.channel_kind, &rendered)
        .map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    Ok(rendered)
}

/// A quick reply: its text (personalised) and its file. On WhatsApp a file that takes a caption
/// carries the text; otherwise the text and the file go as two messages, text first. Everything is
/// checked before either is queued.
async fn quick_reply(
    state: &AppState,
    me: &CurrentUser,
    c: &ConversationRecord,
    id: QuickReplyId,
    reply_to: Option<MessageId>,
) -> ApiResult<MessageRecord> {
    let q = state.store.get_quick_reply(me.account_id(), id).await.map_err(|e| match e {
        store::StoreError::NotFound => ApiError::unprocessable("quick_reply_not_found", "no such quick reply"),
        other => other.into(),
    })?;
    let text = match &q.text {
        Some(t) => Some(rendered_text(state, me, c, t).await?),
        None => None,
    };
    let quoted = match reply_to {
        Some(m) => Some(target_external_id(state, me, c, m).await?),
        None => None,
    };
    let text_message = |text: String, quoted: Option<String>| NewOutbound {
        kind: "text".into(),
        text: Some(text.clone()),
        content: json!({"quick_reply_id": q.id}),
        reply_to_external_id: quoted.clone(),
        sender: Some(me.user_id()),
        request: OutboundRequest::Text { text, reply_to: quoted },
        attachments: vec![],
    };
    let Some(upload) = q.upload_id else {
        let text = text.ok_or_else(|| ApiError::unprocessable("invalid_quick_reply", "the quick reply is empty"))?;
        return enqueue(state, me, c, text_message(text, quoted), "message.quick_reply").await;
    };
    let u = state.store.get_upload(me.account_id(), upload).await?;
    let captioned = c.channel_kind.is_whatsapp() && matches!(u.kind.as_deref(), Some("image" | "video" | "document"));
    if captioned {
        let file = crate::outbound::attachments::attachment(state, me, c.channel_kind, upload, text, quoted).await?;
        return enqueue(state, me, c, file, "message.quick_reply").await;
    }
    let file = crate::outbound::attachments::attachment(state, me, c.channel_kind, upload, None, None).await?;
    let first = match text {
        Some(text) => Some(enqueue(state, me, c, text_message(text, quoted), "message.quick_reply").await?),
        None => None,
    };
    let second = enqueue(state, me, c, file, "message.quick_reply").await?;
    Ok(first.unwrap_or(second))
}

/// Stores and queues a checked send, and records who sent it. Returns the message as the queuing
/// transaction stored it (`pending`) — not as an outbox worker may have moved it since — so the answer
/// never races the send. The caller wakes the outbox worker (`state.outbox_wakeup`).
pub async fn enqueue(
    state: &AppState,
    me: &CurrentUser,
    c: &ConversationRecord,
    outbound: NewOutbound,
    audit: &str,
) -> ApiResult<MessageRecord> {
    let record = state.store.enqueue_outbound(me.account_id(), c.id, c.channel_id, &outbound, state.now_ms()).await?;
    let id = record.id;
    crate::audit::record(
        state,
        me.account_id(),
        Some(me.user_id()),
        audit,
        Some(("message", id.to_string())),
        json!({"conversation_id": c.id, "kind": outbound.kind}),
    )
    .await;
    crate::hooks::emit_message(state, me.account_id(), crate::hooks::HookEvent::MessageCreated, id).await;
    Ok(record)
}
