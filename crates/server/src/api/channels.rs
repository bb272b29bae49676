//! Channels: `GET/POST /api/v1/channels`, `PATCH /api/v1/channels/{id}`, `POST /api/v1/channels/{id}/test`.
//! A token must prove it controls the channel's Meta asset before it is stored (`connection`); it is
//! encrypted before it is stored and is never part of any answer.

mod connection;

use crate::audit::record;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use domain::channel::{valid_meta_id, Channel, ChannelAddress, ChannelKind};
use domain::ids::ChannelId;
use domain::permissions::Action;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use store::{ChannelPatch, NewChannel};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(update_channel))
        .routes(routes!(connection::test_channel))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    pub id: ChannelId,
    pub kind: ChannelKind,
    pub name: String,
    pub enabled: bool,
    pub auto_assign: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instagram_account_id: Option<String>,
}

impl From<&Channel> for ChannelView {
    fn from(c: &Channel) -> Self {
        let mut v = ChannelView {
            id: c.id,
            kind: c.kind,
            name: c.name.clone(),
            enabled: c.enabled,
            auto_assign: c.auto_assign,
            phone_number_id: None,
            waba_id: None,
            display_phone_number: None,
            page_id: None,
            instagram_account_id: None,
        };
        match &c.address {
            ChannelAddress::Whatsapp { phone_number_id, waba_id, display_phone_number } => {
                v.phone_number_id = Some(phone_number_id.clone());
                v.waba_id = Some(waba_id.clone());
                v.display_phone_number = Some(display_phone_number.clone());
            }
            ChannelAddress::Messenger { page_id } => v.page_id = Some(page_id.clone()),
            ChannelAddress::Instagram { instagram_account_id } => {
                v.instagram_account_id = Some(instagram_account_id.clone())
            }
        }
        v
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChannelList {
    pub items: Vec<ChannelView>,
}

/// The fields each kind needs: WhatsApp `phone_number_id`, `waba_id`, `display_phone_number`;
/// Messenger `page_id`; Instagram `instagram_account_id`. Always `access_token`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateChannel {
    kind: ChannelKind,
    name: String,
    #[schema(value_type = String, format = Password)]
    access_token: SecretString,
    phone_number_id: Option<String>,
    waba_id: Option<String>,
    display_phone_number: Option<String>,
    page_id: Option<String>,
    instagram_account_id: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateChannel {
    name: Option<String>,
    enabled: Option<bool>,
    auto_assign: Option<bool>,
    /// A new access token (e.g. after Meta expired the old one); checked against Meta like a new channel's.
    #[schema(value_type = Option<String>, format = Password)]
    access_token: Option<SecretString>,
}

fn meta_id(field: &'static str, value: Option<String>) -> ApiResult<String> {
    let value = value.map(|v| v.trim().to_string()).unwrap_or_default();
    if valid_meta_id(&value) {
        Ok(value)
    } else {
        Err(ApiError::unprocessable("invalid_channel", format!("{field} is required and must be Meta's numeric id")))
    }
}

fn address_for(req: &mut CreateChannel) -> ApiResult<ChannelAddress> {
    Ok(match req.kind {
        ChannelKind::WhatsappCloud | ChannelKind::WhatsappBusinessApp => {
            let display = req.display_phone_number.take().map(|d| d.trim().to_string()).unwrap_or_default();
            if display.is_empty() || !display.chars().any(|c| c.is_ascii_digit()) {
                return Err(ApiError::unprocessable("invalid_channel", "display_phone_number is required"));
            }
            ChannelAddress::Whatsapp {
                phone_number_id: meta_id("phone_number_id", req.phone_number_id.take())?,
                waba_id: meta_id("waba_id", req.waba_id.take())?,
                display_phone_number: display,
            }
        }
        ChannelKind::Messenger => ChannelAddress::Messenger { page_id: meta_id("page_id", req.page_id.take())? },
        ChannelKind::Instagram => ChannelAddress::Instagram {
            instagram_account_id: meta_id("instagram_account_id", req.instagram_account_id.take())?,
        },
    })
}

/// The account's channels (every user sees the list, to filter conversations by channel).
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels", responses((status = 200, body = ChannelList), (status = 403, body = crate::error::ErrorBody)))]
async fn list_channels(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Json<ChannelList>> {
    me.require_inbox()?;
    let channels = state.store.list_channels(me.account_id()).await?;
    let items = channels.iter().filter(|c| me.permissions.may_use_channel(c.id)).map(ChannelView::from).collect();
    Ok(Json(ChannelList { items }))
}

/// Connect a channel (needs `manage_channels`; WhatsApp kinds need the WhatsApp add-on). The token must
/// control the number, Page or Instagram account at Meta (`422 channel_not_verified` otherwise,
/// `502 meta_unavailable` when Meta cannot be asked); only then is `409 channel_exists` possible.
#[utoipa::path(post, path = "/api/v1/channels", tag = "channels", request_body = CreateChannel,
    responses((status = 201, body = ChannelView), (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
async fn create_channel(
    State(state): State<AppState>,
    me: CurrentUser,
    Json(mut req): Json<CreateChannel>,
) -> ApiResult<(StatusCode, Json<ChannelView>)> {
    me.require(Action::ManageChannels)?;
    me.account.check_channel_kind(req.kind)?;
    let name = req.name.trim().to_string();
    if name.is_empty() {
        return Err(ApiError::unprocessable("invalid_name", "name must not be empty"));
    }
    let token = req.access_token.expose_secret().trim().to_string();
    if token.is_empty() {
        return Err(ApiError::unprocessable("invalid_channel", "access_token is required"));
    }
    let address = address_for(&mut req)?;
    // Before the uniqueness check: someone who cannot prove control must not learn whether the id is
    // connected to another account.
    connection::require_ownership(&state, &address, token.as_str()).await?;
    let new = NewChannel { kind: req.kind, name, address, access_token_enc: state.secrets.seal(&token) };
    let channel = state.store.create_channel(me.account_id(), new, state.now_ms()).await.map_err(|e| match e {
        e if e.is_conflict_on("route") => {
            ApiError::conflict("channel_exists", "this Meta number, page or account is already connected")
        }
        other => other.into(),
    })?;
    record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "channel.created",
        Some(("channel", channel.id.to_string())),
        serde_json::json!({"kind": channel.kind}),
    )
    .await;
    Ok((StatusCode::CREATED, Json(ChannelView::from(&channel))))
}

/// Rename, enable/disable, switch automatic round-robin assignment, or replace the access token (which
/// must control the channel's asset at Meta, as when connecting).
#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "channels", request_body = UpdateChannel, params(("id" = ChannelId, Path)),
    responses((status = 200, body = ChannelView), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
async fn update_channel(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ChannelId>,
    Json(req): Json<UpdateChannel>,
) -> ApiResult<Json<ChannelView>> {
    me.require(Action::ManageChannels)?;
    me.require_inbox()?;
    // A channel outside a channel-scoped role does not exist for it: not to change, not to look up at
    // Meta with a new token.
    if !me.permissions.may_use_channel(id) {
        return Err(ApiError::NotFound);
    }
    let name = match req.name.map(|n| n.trim().to_string()) {
        Some(n) if n.is_empty() => return Err(ApiError::unprocessable("invalid_name", "name must not be empty")),
        other => other,
    };
    let access_token_enc = match req.access_token {
        None => None,
        Some(token) => {
            let token = token.expose_secret().trim().to_string();
            if token.is_empty() {
                return Err(ApiError::unprocessable("invalid_channel", "access_token must not be empty"));
            }
            let current = state.store.get_channel(me.account_id(), id).await?;
            connection::require_ownership(&state, &current.channel.address, token.as_str()).await?;
            Some(state.secrets.seal(&token))
        }
    };
    let token_replaced = access_token_enc.is_some();
    let patch = ChannelPatch { name, enabled: req.enabled, auto_assign: req.auto_assign, access_token_enc };
    let channel = state.store.update_channel(me.account_id(), id, patch).await?;
    record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "channel.updated",
        Some(("channel", id.to_string())),
        serde_json::json!({"enabled": channel.enabled, "auto_assign": channel.auto_assign, "token_replaced": token_replaced}),
    )
    .await;
    Ok(Json(ChannelView::from(&channel)))
}
