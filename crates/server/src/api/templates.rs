//! WhatsApp templates of a channel: the synced list and the sync from the WABA.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use domain::channel::ChannelAddress;
use domain::ids::{ChannelId, ConversationId};
use domain::permissions::Action;
use domain::pricing::{estimate, CostEstimate};
use domain::template::{required_parameters, ParameterSpec, Template};
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_templates)).routes(routes!(sync_templates))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    #[serde(flatten)]
    pub template: Template,
    /// What a send must fill in: header, body parameters (positional or named), button parameters.
    pub parameters: ParameterSpec,
    /// Whether it can be sent now (only APPROVED templates can).
    pub sendable: bool,
    /// With `conversation_id`: what sending it to that customer is expected to cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_cost: Option<CostEstimate>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TemplateList {
    pub items: Vec<TemplateView>,
    /// Templates Meta returned that the inbox could not read (kept out of the list).
    pub unreadable: usize,
}

async fn whatsapp_channel(state: &AppState, me: &CurrentUser, id: ChannelId) -> ApiResult<store::StoredChannel> {
    // A channel outside a channel-scoped role does not exist for it.
    if !me.permissions.may_use_channel(id) {
        return Err(ApiError::NotFound);
    }
    let stored = state.store.get_channel(me.account_id(), id).await?;
    if !stored.channel.kind.is_whatsapp() {
        return Err(ApiError::unprocessable("templates_not_supported", "templates exist only on WhatsApp channels"));
    }
    Ok(stored)
}

fn views(stored: Vec<store::StoredTemplate>) -> TemplateList {
    let mut unreadable = 0;
    let items = stored
        .into_iter()
        .filter_map(|s| match serde_json::from_value::<Template>(s.definition) {
            Ok(t) => Some(TemplateView {
                parameters: required_parameters(&t),
                sendable: t.is_approved(),
                estimated_cost: None,
                template: t,
            }),
            Err(_) => {
                unreadable += 1;
                None
            }
        })
        .collect();
    TemplateList { items, unreadable }
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Estimate each template's cost for this conversation's customer (market and window).
    conversation_id: Option<ConversationId>,
}

/// The channel's templates as last synced, with their estimated cost for a conversation when asked.
#[utoipa::path(get, path = "/api/v1/channels/{id}/templates", tag = "channels", params(("id" = ChannelId, Path), ListQuery),
    responses((status = 200, body = TemplateList), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn list_templates(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ChannelId>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<TemplateList>> {
    me.require_inbox()?;
    whatsapp_channel(&state, &me, id).await?;
    let mut list = views(state.store.list_templates(me.account_id(), id).await?);
    if let Some(conversation) = q.conversation_id {
        let c = state.store.get_conversation(me.account_id(), &me.scope(), conversation).await?;
        let rates = state.store.rate_card(me.account_id()).await?;
        let market = c.handle.wa_id.as_deref().and_then(domain::phone::country_of);
        let window = crate::outbound::compose::window_of(&state, &c);
        for t in &mut list.items {
            t.estimated_cost = Some(estimate(&rates, t.template.category.as_str(), market.as_deref(), &window));
        }
    }
    Ok(Json(list))
}

/// Fetch every template of the channel's WABA from Meta and replace the stored set.
#[utoipa::path(post, path = "/api/v1/channels/{id}/templates/sync", tag = "channels", params(("id" = ChannelId, Path)),
    responses((status = 200, body = TemplateList), (status = 403, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
async fn sync_templates(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ChannelId>,
) -> ApiResult<Json<TemplateList>> {
    me.require_inbox()?;
    if !(me.permissions.allows(Action::ManageChannels) || me.permissions.allows(Action::SendTemplates)) {
        return Err(ApiError::Forbidden("your role does not allow this action"));
    }
    let stored = whatsapp_channel(&state, &me, id).await?;
    let ChannelAddress::Whatsapp { waba_id, .. } = &stored.channel.address else { return Err(ApiError::NotFound) };
    let token = state.secrets.open(&stored.access_token_enc).map_err(|e| ApiError::Internal(e.into()))?;
    let raw = state.graph.whatsapp().list_templates(waba_id, &token).await.map_err(|e| ApiError::BadGateway {
        code: "meta_error",
        message: format!("Meta refused the template list: {}", e.reason()),
    })?;
    let (templates, _unreadable) = meta::graph::parse_templates(raw);
    let rows: Vec<_> = templates
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.language.clone(),
                t.status.as_str().to_string(),
                t.category.as_str().to_string(),
                serde_json::to_value(t).unwrap_or_default(),
            )
        })
        .collect();
    state.store.replace_templates(me.account_id(), id, &rows, state.now_ms()).await?;
    crate::audit::record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "templates.synced",
        Some(("channel", id.to_string())),
        serde_json::json!({"count": rows.len()}),
    )
    .await;
    Ok(Json(views(state.store.list_templates(me.account_id(), id).await?)))
}
