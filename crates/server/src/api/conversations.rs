//! Conversations: the list with its filters, one conversation with its window, assignment and status,
//! and marking as read. Visibility is enforced by the store's scoped queries.

use crate::api::refusal_budget::RefusalBudget;
use crate::auth::throttle::RetryAfter;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::realtime::Event;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::channel::ChannelKind;
use domain::ids::{ChannelId, ContactId, ConversationId, LabelId, UserId};
use domain::permissions::Action;
use domain::window::Window;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{AssigneeFilter, ConversationFilter, ConversationPatch, ConversationStatus};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::views::conversation::{conversation_view, ConversationView, MarketingOptOut, UserRef};

/// How often a user may be told that a number is someone else's customer, per window (see
/// [`RefusalBudget`]).
pub const HIDDEN_CUSTOMERS_PER_WINDOW: u32 = 10;
pub const HIDDEN_CUSTOMERS_WINDOW: Duration = Duration::from_secs(3600);

pub fn router() -> OpenApiRouter<AppState> {
    // One allowance per application (each test server has its own).
    let hidden_customers = Arc::new(RefusalBudget::new(HIDDEN_CUSTOMERS_PER_WINDOW, HIDDEN_CUSTOMERS_WINDOW));
    OpenApiRouter::new()
        .routes(routes!(list_conversations, start_conversation))
        .layer(axum::Extension(hidden_customers))
        .routes(routes!(get_conversation, update_conversation))
        .routes(routes!(mark_read))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// A channel kind: `whatsapp_cloud`, `whatsapp_business_app`, `messenger`, `instagram`, or
    /// `whatsapp` for both WhatsApp kinds (Cloud API and Business App numbers together).
    channel: Option<String>,
    channel_id: Option<String>,
    /// `me`, `unassigned` or a user id.
    assignee: Option<String>,
    /// `open` (default), `resolved` or `all`.
    status: Option<String>,
    unread: Option<bool>,
    /// A label id: only conversations carrying it.
    label: Option<String>,
    /// Name, username or phone number in any format.
    q: Option<String>,
    cursor: Option<String>,
    /// Page size 1–100 (default 30).
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationPage {
    pub items: Vec<ConversationView>,
    pub next_cursor: Option<String>,
}

fn invalid(field: &str, msg: &str) -> ApiError {
    ApiError::bad_request("invalid_query", format!("{field}: {msg}"))
}

fn parse_filter(q: ListQuery) -> ApiResult<ConversationFilter> {
    let channel_kinds = match q.channel.as_deref() {
        None | Some("") => vec![],
        Some("whatsapp") => vec![ChannelKind::WhatsappCloud, ChannelKind::WhatsappBusinessApp],
        Some(k) => vec![ChannelKind::parse(k).ok_or_else(|| invalid("channel", "unknown channel kind"))?],
    };
    let channel_id = q
        .channel_id
        .as_deref()
        .map(|c| c.parse::<ChannelId>().map_err(|_| invalid("channel_id", "not an id")))
        .transpose()?;
    let assignee = match q.assignee.as_deref() {
        None | Some("") | Some("all") => None,
        Some("me") => Some(AssigneeFilter::Me),
        Some("unassigned") => Some(AssigneeFilter::Unassigned),
        Some(id) => {
            Some(AssigneeFilter::User(id.parse().map_err(|_| invalid("assignee", "me, unassigned or a user id"))?))
        }
    };
    let status = match q.status.as_deref() {
        None | Some("") | Some("open") => Some(ConversationStatus::Open),
        Some("resolved") => Some(ConversationStatus::Resolved),
        Some("all") => None,
        Some(_) => return Err(invalid("status", "open, resolved or all")),
    };
    let label = q
        .label
        .as_deref()
        .filter(|l| !l.is_empty())
        .map(|l| l.parse::<LabelId>().map_err(|_| invalid("label", "not an id")))
        .transpose()?;
    let after = q.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;
    let query = q.q.filter(|s| !s.trim().is_empty());
    // A query with enough digits may be a phone number: match contacts by its canonical keys
    // (LatAm equivalences included), whatever format the agent typed.
    let phone_keys = query.as_deref().map(crate::api::contacts::search_keys).unwrap_or_default();
    Ok(ConversationFilter {
        channel_kinds,
        channel_id,
        assignee,
        status,
        unread_only: q.unread.unwrap_or(false),
        label,
        query,
        phone_keys,
        after,
        limit: q.limit.unwrap_or(30).clamp(1, 100),
    })
}

fn decode_cursor(c: &str) -> ApiResult<(i64, ConversationId)> {
    let (at, id) = c.split_once('_').ok_or_else(|| invalid("cursor", "malformed"))?;
    Ok((
        at.parse().map_err(|_| invalid("cursor", "malformed"))?,
        id.parse().map_err(|_| invalid("cursor", "malformed"))?,
    ))
}

/// The conversations the caller may see, newest activity first.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ListQuery),
    responses((status = 200, body = ConversationPage), (status = 403, body = crate::error::ErrorBody)))]
async fn list_conversations(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<ConversationPage>> {
    me.require_inbox()?;
    let filter = parse_filter(q)?;
    let records = state.store.list_conversations(me.account_id(), me.user_id(), &me.scope(), &filter).await?;
    let full_page = records.len() as i64 == filter.limit;
    let next_cursor = if full_page { records.last().map(|r| format!("{}_{}", r.last_activity_at, r.id)) } else { None };
    let now = state.clock.now();
    Ok(Json(ConversationPage { items: records.into_iter().map(|r| conversation_view(r, now)).collect(), next_cursor }))
}

/// One conversation with its messaging window.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = ConversationId, Path)),
    responses((status = 200, body = ConversationView), (status = 404, body = crate::error::ErrorBody)))]
async fn get_conversation(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ConversationId>,
) -> ApiResult<Json<ConversationView>> {
    me.require_inbox()?;
    let record = state.store.get_conversation(me.account_id(), &me.scope(), id).await?;
    Ok(Json(conversation_view(record, state.clock.now())))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateConversation {
    /// A user id, or `null` to unassign.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    assignee_id: Option<Option<UserId>>,
    /// `open` or `resolved`.
    status: Option<String>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<UserId>>, D::Error> {
    Option::<UserId>::deserialize(d).map(Some)
}

/// Assign, unassign, resolve or reopen. Changing the assignee needs the `assign` permission.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = ConversationId, Path)), request_body = UpdateConversation,
    responses((status = 200, body = ConversationView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_conversation(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ConversationId>,
    Json(req): Json<UpdateConversation>,
) -> ApiResult<Json<ConversationView>> {
    me.require_inbox()?;
    if req.assignee_id.is_some() {
        me.require(Action::Assign)?;
    }
    let status = req
        .status
        .as_deref()
        .map(|s| {
            ConversationStatus::parse(s)
                .ok_or_else(|| ApiError::unprocessable("invalid_status", "status must be open or resolved"))
        })
        .transpose()?;
    let patch = ConversationPatch { assignee: req.assignee_id, status };
    // Who had it before, for the assignment notice (the update below checks visibility again).
    let before = state.store.get_conversation(me.account_id(), &me.scope(), id).await?;
    let record =
        state.store.update_conversation(me.account_id(), &me.scope(), id, &patch, state.now_ms()).await.map_err(
            |e| match e {
                e if e.is_conflict_on("assignee") => {
                    ApiError::unprocessable("invalid_assignee", "the assignee must be an active user of this account")
                }
                other => other.into(),
            },
        )?;
    if let Some(status) = patch.status {
        crate::audit::record(
            &state,
            me.account_id(),
            Some(me.user_id()),
            "conversation.updated",
            Some(("conversation", id.to_string())),
            serde_json::json!({"status": status.as_str()}),
        )
        .await;
    }
    state.events.publish(Event::conversation_updated(&record, state.clock.now()));
    if record.status != before.status {
        crate::hooks::emit_conversation(&state, crate::hooks::HookEvent::ConversationStatusChanged, &record).await;
    }
    if patch.assignee.is_some() {
        let change = crate::assignment::Assignment {
            conversation: &record,
            previous: before.assignee,
            by: Some((me.user_id(), me.user.name.clone())),
        };
        crate::assignment::announce(&state, change).await?;
    }
    Ok(Json(conversation_view(record, state.clock.now())))
}

/// Mark the conversation as read (clears the unread count).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "conversations", params(("id" = ConversationId, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ConversationId>,
) -> ApiResult<StatusCode> {
    me.require_inbox()?;
    let last_inbound = state.store.mark_conversation_read(me.account_id(), &me.scope(), id, state.now_ms()).await?;
    let record = state.store.get_conversation(me.account_id(), &me.scope(), id).await?;
    state.events.publish(Event::conversation_updated(&record, state.clock.now()));
    if let Some(external_id) = last_inbound {
        // The read receipt is a courtesy to the customer: sent in the background, never failing the request.
        tokio::spawn(crate::outbound::receipts::send_read_receipt(state.clone(), record, external_id));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StartConversation {
    channel_id: ChannelId,
    /// The customer's phone in any common format with its country code…
    phone: Option<String>,
    /// …or a contact with a WhatsApp number or WhatsApp user id.
    contact_id: Option<ContactId>,
    template: crate::outbound::compose::TemplateRef,
    #[serde(default)]
    parameters: domain::template::TemplateParameters,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StartedConversation {
    pub conversation: ConversationView,
    pub message: crate::api::messages::MessageView,
}

/// Start (or continue) a WhatsApp conversation with an approved template — the only way a business
/// may write first. A conversation started by a user who could not otherwise see it is assigned to them.
///
/// Whether the customer already has a conversation the caller may not see (another seller's) is
/// decided before anything about them is read or written: it is then `404`, exactly like anything
/// hidden, and nothing is written or sent. Such answers are few per user and hour (then `429` for
/// every start until the hour ends), since they tell that the number is someone's customer.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", request_body = StartConversation,
    responses((status = 201, body = StartedConversation), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
async fn start_conversation(
    State(state): State<AppState>,
    axum::Extension(hidden_customers): axum::Extension<Arc<RefusalBudget>>,
    me: CurrentUser,
    Json(req): Json<StartConversation>,
) -> ApiResult<(StatusCode, Json<StartedConversation>)> {
    me.require_inbox()?;
    me.require(Action::SendMessages)?;
    me.require(Action::SendTemplates)?;
    let budget_key = me.user_id().to_string();
    hidden_customers
        .check(&budget_key, Instant::now())
        .map_err(|RetryAfter(wait)| ApiError::TooManyRequests { retry_after_secs: wait.as_secs().max(1) })?;
    let no_channel = || ApiError::unprocessable("invalid_channel", "no such channel");
    let stored = state.store.get_channel(me.account_id(), req.channel_id).await.map_err(|e| match e {
        store::StoreError::NotFound => no_channel(),
        other => other.into(),
    })?;
    if !me.scope().includes(stored.channel.id, Some(me.user_id())) {
        // A role limited to other channels cannot write on this one, nor learn anything of it (not even
        // what kind of channel it is): it does not exist for it.
        return Err(no_channel());
    }
    if !stored.channel.kind.can_initiate() {
        return Err(ApiError::unprocessable(
            "channel_cannot_initiate",
            "the business cannot start a conversation on this channel: the customer must write first",
        ));
    }
    me.account.check_channel_kind(stored.channel.kind)?;
    let mut contact_opt_out = None;
    let who = match (req.phone.as_deref(), req.contact_id) {
        (Some(raw), None) => {
            let phone = domain::phone::PhoneE164::parse(raw, None).map_err(|_| {
                ApiError::unprocessable("invalid_phone", "use the international format, e.g. +52 55 1234 5678")
            })?;
            let wa_id = domain::phone::to_wa_recipient(&phone);
            store::CustomerIdentity {
                phone_keys: domain::phone::match_keys(&wa_id),
                wa_id: Some(wa_id),
                ..Default::default()
            }
        }
        (None, Some(contact)) => {
            let contact_record = state.store.get_contact(me.account_id(), &me.scope(), contact).await?;
            let c = contact_record.fields.clone();
            let phone = c.phone_whatsapp.as_deref().and_then(|p| domain::phone::PhoneE164::parse(p, None).ok());
            let wa_id = phone.as_ref().map(domain::phone::to_wa_recipient);
            if wa_id.is_none() && c.whatsapp_user_id.is_none() {
                return Err(ApiError::unprocessable(
                    "contact_has_no_whatsapp",
                    "the contact has neither a WhatsApp number nor a WhatsApp user id",
                ));
            }
            contact_opt_out = contact_record.marketing_opt_out_at;
            store::CustomerIdentity {
                phone_keys: wa_id.as_deref().map(domain::phone::match_keys).unwrap_or_default(),
                wa_id,
                bsuid: c.whatsapp_user_id,
                username: c.whatsapp_username,
                ..Default::default()
            }
        }
        _ => return Err(ApiError::unprocessable("invalid_request", "give exactly one of phone or contact_id")),
    };
    // Someone else's customer does not exist for the caller: not their preferences, not their handle.
    if let Some(existing) = state.store.customer_conversation(stored.channel.id, &who).await? {
        if !me.scope().includes(stored.channel.id, existing.assignee) {
            hidden_customers.spend(&budget_key, Instant::now());
            return Err(ApiError::NotFound);
        }
    }
    let mut wa_forms = who.phone_keys.clone();
    wa_forms.extend(who.wa_id.iter().flat_map(domain::phone::wa_forms));
    let marketing_opt_out_at = match contact_opt_out {
        Some(at) => Some(at),
        None => {
            state
                .store
                .marketing_opt_out_of(
                    me.account_id(),
                    stored.channel.id,
                    &wa_forms,
                    who.bsuid.as_deref(),
                    &who.phone_keys,
                )
                .await?
        }
    };
    // Checked before anything is stored: a refused template leaves no empty conversation behind.
    let outbound = crate::outbound::compose::template_outbound(
        &state,
        &me,
        &crate::outbound::compose::TemplateRecipient {
            channel: stored.channel.id,
            has_phone: who.wa_id.is_some(),
            market: who.wa_id.as_deref().and_then(domain::phone::country_of),
            // A conversation the business starts has no open window yet.
            window: Window::compute(stored.channel.kind, None, state.clock.now()),
            marketing_opt_out_at,
        },
        &req.template,
        &req.parameters,
    )
    .await?;
    let all = domain::permissions::ConversationScope::All;
    // The store checks the scope again where it creates, in one transaction: a conversation that
    // became someone else's meanwhile is refused the same way, still before any write.
    let (id, created) = state
        .store
        .open_conversation(me.account_id(), stored.channel.id, &who, &me.scope(), state.now_ms())
        .await
        .map_err(|e| match e {
            store::StoreError::NotFound => {
                hidden_customers.spend(&budget_key, Instant::now());
                ApiError::NotFound
            }
            other => other.into(),
        })?;
    let mut record = state.store.get_conversation(me.account_id(), &all, id).await?;
    if created {
        crate::hooks::emit_conversation(&state, crate::hooks::HookEvent::ConversationCreated, &record).await;
    }
    if !me.scope().includes(record.channel_id, record.assignee.as_ref().map(|a| a.0)) {
        // A new customer's conversation, which this caller could not otherwise see.
        let patch = ConversationPatch { assignee: Some(Some(me.user_id())), status: None };
        let previous = record.assignee.take();
        record = state.store.update_conversation(me.account_id(), &all, id, &patch, state.now_ms()).await?;
        let change = crate::assignment::Assignment {
            conversation: &record,
            previous,
            by: Some((me.user_id(), me.user.name.clone())),
        };
        crate::assignment::announce(&state, change).await?;
    }
    let m = crate::outbound::compose::enqueue(&state, &me, &record, outbound, "conversation.started").await?;
    let record = state.store.get_conversation(me.account_id(), &all, id).await?;
    state.events.publish(Event::conversation_updated(&record, state.clock.now()));
    state.outbox_wakeup.notify_one();
    Ok((
        StatusCode::CREATED,
        Json(StartedConversation {
            conversation: conversation_view(record, state.clock.now()),
            message: crate::api::messages::message_view(m),
        }),
    ))
}
