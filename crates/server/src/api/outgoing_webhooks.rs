//! Outgoing webhooks, for administrators: `GET/POST /api/v1/webhooks`, `PATCH/DELETE
//! /api/v1/webhooks/{id}`, `POST …/{id}/rotate_secret`, `POST …/{id}/test` (a `ping`), and the delivery
//! log `GET …/{id}/deliveries` with `POST …/{id}/deliveries/{delivery_id}/retry`.
//!
//! The signing secret is shown once, when it is made (creation, rotation); it is stored sealed with
//! the server's key. Another account's webhooks answer 404.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::hooks::url_policy;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{EventId, WebhookId};
use domain::outgoing_webhook::{DeliveryStatus, HookEvent};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use store::{DeliveryRecord, StoreError, WebhookPatch, WebhookRecord};
use time::OffsetDateTime;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Webhooks one account may have.
pub const MAX_WEBHOOKS: usize = 20;
const PAGE: i64 = 50;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(send_test))
        .routes(routes!(list_deliveries))
        .routes(routes!(retry_delivery))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: WebhookId,
    pub url: String,
    /// The events it receives.
    pub events: Vec<HookEvent>,
    pub enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<WebhookRecord> for WebhookView {
    fn from(w: WebhookRecord) -> Self {
        Self {
            id: w.id,
            url: w.url,
            events: w.events.into_iter().collect(),
            enabled: w.enabled,
            created_at: domain::time_util::from_millis(w.created_at),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

/// A webhook with its signing secret: answered only when the secret is made (shown once).
#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookWithSecret {
    pub webhook: WebhookView,
    /// Signs every delivery: `X-Inbox-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`.
    pub secret: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateWebhook {
    /// `https://…` (plain HTTP and private addresses only where the server allows them).
    url: String,
    /// Any of `message.created`, `message.updated`, `conversation.created`, `conversation.assigned`,
    /// `conversation.status_changed`, `contact.created`, `contact.updated`; at least one.
    events: Vec<String>,
    /// Defaults to `true`.
    enabled: Option<bool>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateWebhook {
    url: Option<String>,
    events: Option<Vec<String>>,
    enabled: Option<bool>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// The event id: the body's `id` and the `X-Inbox-Delivery` header, the same on every attempt.
    pub id: EventId,
    pub event: HookEvent,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// When it is tried next (pending deliveries only).
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
    /// The HTTP status of the receiver's last answer, if it answered.
    pub last_response_status: Option<i64>,
    /// What went wrong last, if anything did.
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(d: DeliveryRecord) -> Self {
        Self {
            id: d.id,
            event: d.event,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: (d.status == DeliveryStatus::Pending)
                .then(|| domain::time_util::from_millis(d.next_attempt_at)),
            last_response_status: d.last_status,
            last_error: d.last_error,
            created_at: domain::time_util::from_millis(d.created_at),
            updated_at: domain::time_util::from_millis(d.updated_at),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    /// Pass as `cursor` for the next (older) page; `null` on the last one.
    pub next_cursor: Option<EventId>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeliveryQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<EventId>,
}

/// The subscribed events, checked: known names, no `ping`, at least one.
fn events(names: &[String]) -> ApiResult<BTreeSet<HookEvent>> {
    let mut set = BTreeSet::new();
    for name in names {
        match HookEvent::parse(name.trim()).filter(|e| *e != HookEvent::Ping) {
            Some(e) => set.insert(e),
            None => return Err(ApiError::unprocessable("invalid_event", format!("{name:?} is not a webhook event"))),
        };
    }
    if set.is_empty() {
        return Err(ApiError::unprocessable("invalid_event", "subscribe to at least one event"));
    }
    Ok(set)
}

async fn checked_url(state: &AppState, raw: &str) -> ApiResult<String> {
    url_policy::check(raw, state.config.webhook_allow_private)
        .await
        .map(|u| u.to_string())
        .map_err(|p| ApiError::unprocessable(p.code(), p.to_string()))
}

/// A new signing secret: 32 random bytes, hex.
fn new_secret() -> String {
    format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()))
}

/// The account's webhooks (administrators).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = WebhookList), (status = 403, body = crate::error::ErrorBody)))]
async fn list_webhooks(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<WebhookList>> {
    me.require_inbox()?;
    me.require_admin()?;
    let items = state.store.list_webhooks(me.account_id()).await?.into_iter().map(WebhookView::from).collect();
    Ok(Json(WebhookList { items }))
}

/// Create a webhook (administrators). Answers its signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, body = WebhookWithSecret), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_webhook(
    State(state): State<AppState>,
    me: CurrentUser,
    Json(req): Json<CreateWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookWithSecret>)> {
    me.require_inbox()?;
    me.require_admin()?;
    let events = events(&req.events)?;
    let url = checked_url(&state, &req.url).await?;
    if state.store.list_webhooks(me.account_id()).await?.len() >= MAX_WEBHOOKS {
        return Err(ApiError::unprocessable(
            "too_many_webhooks",
            format!("an account may have {MAX_WEBHOOKS} webhooks"),
        ));
    }
    let secret = new_secret();
    let now = state.now_ms();
    let record = WebhookRecord {
        id: WebhookId::new(),
        account_id: me.account_id(),
        url,
        events,
        secret_enc: state.secrets.seal(&secret),
        enabled: req.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
    };
    state.store.create_webhook(&record).await?;
    let view = WebhookView::from(record);
    audit(&state, &me, "webhook.created", &view).await;
    Ok((StatusCode::CREATED, Json(WebhookWithSecret { webhook: view, secret })))
}

/// Change a webhook's URL, events or whether it is enabled (administrators). Deliveries already
/// queued go to the new URL; a disabled webhook's pending deliveries wait until it is enabled again.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = WebhookId, Path)), request_body = UpdateWebhook,
    responses((status = 200, body = WebhookView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_webhook(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<WebhookId>,
    Json(req): Json<UpdateWebhook>,
) -> ApiResult<Json<WebhookView>> {
    me.require_inbox()?;
    me.require_admin()?;
    state.store.get_webhook(me.account_id(), id).await?;
    let patch = WebhookPatch {
        events: req.events.as_deref().map(events).transpose()?,
        url: match req.url.as_deref() {
            Some(raw) => Some(checked_url(&state, raw).await?),
            None => None,
        },
        enabled: req.enabled,
    };
    let record = state.store.update_webhook(me.account_id(), id, &patch, state.now_ms()).await?;
    let view = WebhookView::from(record);
    audit(&state, &me, "webhook.updated", &view).await;
    if view.enabled {
        state.hooks_wakeup.notify_one();
    }
    Ok(Json(view))
}

/// Delete a webhook and its delivery log (administrators).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = WebhookId, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn delete_webhook(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<WebhookId>,
) -> ApiResult<StatusCode> {
    me.require_inbox()?;
    me.require_admin()?;
    let record = state.store.get_webhook(me.account_id(), id).await?;
    state.store.delete_webhook(me.account_id(), id).await?;
    audit(&state, &me, "webhook.deleted", &WebhookView::from(record)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace a webhook's signing secret (administrators); answers the new one, shown this once. Every
/// attempt from now on, including retries of earlier events, is signed with it.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate_secret", tag = "webhooks", params(("id" = WebhookId, Path)),
    responses((status = 200, body = WebhookWithSecret), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn rotate_secret(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<WebhookId>,
) -> ApiResult<Json<WebhookWithSecret>> {
    me.require_inbox()?;
    me.require_admin()?;
    let secret = new_secret();
    state.store.set_webhook_secret(me.account_id(), id, &state.secrets.seal(&secret), state.now_ms()).await?;
    let view = WebhookView::from(state.store.get_webhook(me.account_id(), id).await?);
    audit(&state, &me, "webhook.secret_rotated", &view).await;
    Ok(Json(WebhookWithSecret { webhook: view, secret }))
}

/// Queue a `ping` to the webhook (administrators); answers its delivery, which the log then follows.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = WebhookId, Path)),
    responses((status = 202, body = DeliveryView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn send_test(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<WebhookId>,
) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
    me.require_inbox()?;
    me.require_admin()?;
    let hook = state.store.get_webhook(me.account_id(), id).await?;
    if !hook.enabled {
        return Err(ApiError::conflict("webhook_disabled", "enable the webhook to send it a test"));
    }
    let data = serde_json::json!({"webhook_id": id, "url": hook.url});
    let ids = crate::hooks::emit::queue(&state, me.account_id(), HookEvent::Ping, &data, [id].into_iter()).await?;
    let delivery = ids.first().copied().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no ping queued")))?;
    let record = state.store.get_delivery(me.account_id(), id, delivery).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryView::from(record))))
}

/// A webhook's delivery log, newest first, 50 a page (administrators).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = WebhookId, Path), DeliveryQuery),
    responses((status = 200, body = DeliveryPage), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<WebhookId>,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<DeliveryPage>> {
    me.require_inbox()?;
    me.require_admin()?;
    state.store.get_webhook(me.account_id(), id).await?;
    let mut rows = state.store.list_deliveries(me.account_id(), id, q.cursor, PAGE + 1).await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let next_cursor = if more { rows.last().map(|d| d.id) } else { None };
    Ok(Json(DeliveryPage { items: rows.into_iter().map(DeliveryView::from).collect(), next_cursor }))
}

/// Send a delivered or failed delivery again (administrators): same event id and body, a fresh set of
/// attempts. A pending one answers `409 delivery_pending`.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    params(("id" = WebhookId, Path), ("delivery_id" = EventId, Path)),
    responses((status = 200, body = DeliveryView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn retry_delivery(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, delivery)): Path<(WebhookId, EventId)>,
) -> ApiResult<Json<DeliveryView>> {
    me.require_inbox()?;
    me.require_admin()?;
    let record =
        state.store.requeue_delivery(me.account_id(), id, delivery, state.now_ms()).await.map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::conflict("delivery_pending", "this delivery is still being attempted"),
            other => other.into(),
        })?;
    state.hooks_wakeup.notify_one();
    Ok(Json(DeliveryView::from(record)))
}

async fn audit(state: &AppState, me: &CurrentUser, action: &str, view: &WebhookView) {
    crate::audit::record(
        state,
        me.account_id(),
        Some(me.user_id()),
        action,
        Some(("webhook", view.id.to_string())),
        serde_json::json!({"url": view.url, "events": view.events, "enabled": view.enabled}),
    )
    .await;
}
