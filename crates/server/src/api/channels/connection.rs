//! Proving that a channel's access token controls its Meta asset (the number, Page or Instagram
//! account), with `meta::graph::GraphClient::verify_ownership`: before a channel is connected, before its
//! token is replaced, and as `POST /api/v1/channels/{id}/test` ("test connection") with the stored token.
//!
//! Ownership is checked before anything else about the id: whether it is connected elsewhere is told
//! (`409`) only to whoever proved they control it, so nobody learns from the API which ids another
//! account has connected.

use crate::audit::record;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use domain::channel::ChannelAddress;
use domain::ids::ChannelId;
use domain::permissions::Action;
use meta::graph::{AccessToken, ChannelAsset, OwnershipError, VerifiedAsset};
use serde::Serialize;

/// The Meta asset a channel's address names.
fn asset(address: &ChannelAddress) -> ChannelAsset<'_> {
    match address {
        ChannelAddress::Whatsapp { phone_number_id, waba_id, .. } => {
            ChannelAsset::WhatsAppNumber { waba_id, phone_number_id }
        }
        ChannelAddress::Messenger { page_id } => ChannelAsset::Page { page_id },
        ChannelAddress::Instagram { instagram_account_id } => {
            ChannelAsset::Instagram { account_id: instagram_account_id }
        }
    }
}

/// The token controls the address's asset, or the answer to give: `422 channel_not_verified` saying
/// what Meta refused, or `502 meta_unavailable` when Meta could not be asked (retry; nothing written).
pub(super) async fn require_ownership(
    state: &AppState,
    address: &ChannelAddress,
    token: &(impl AccessToken + ?Sized),
) -> ApiResult<VerifiedAsset> {
    state.graph.verify_ownership(asset(address), token).await.map_err(|e| {
        if e.is_transient() {
            tracing::warn!(error = %e, "Meta could not be asked to verify a channel's token");
            ApiError::BadGateway { code: "meta_unavailable", message: e.reason() }
        } else {
            ApiError::unprocessable("channel_not_verified", e.reason())
        }
    })
}

/// The outcome of a connection test. A refusal by Meta is a result (`ok: false`), not an HTTP error:
/// the test worked, and tells what is wrong.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConnectionTest {
    /// Whether the stored token controls the channel's number, Page or Instagram account.
    pub ok: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub checked_at: time::OffsetDateTime,
    pub detail: ConnectionDetail,
    /// Whether testing again later may give another answer (Meta could not be asked).
    pub retryable: bool,
    /// WhatsApp: the number as Meta shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_phone_number: Option<String>,
    /// WhatsApp: the business name approved for the number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_name: Option<String>,
    /// WhatsApp: `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality_rating: Option<String>,
    /// Messenger: the Page's name; Instagram: the account's username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConnectionDetail {
    /// `ok`, `token_invalid`, `permission_denied`, `not_found`, `not_page_token`, `meta_unavailable` or
    /// `meta_error`.
    pub code: String,
    /// What Meta said, for the admin.
    pub message: String,
}

impl ConnectionTest {
    fn from_outcome(outcome: Result<VerifiedAsset, OwnershipError>, checked_at: time::OffsetDateTime) -> Self {
        match outcome {
            Ok(found) => ConnectionTest {
                ok: true,
                checked_at,
                detail: ConnectionDetail {
                    code: "ok".into(),
                    message: "The access token works and controls this channel at Meta".into(),
                },
                retryable: false,
                display_phone_number: found.display_phone_number,
                verified_name: found.verified_name,
                quality_rating: found.quality_rating,
                name: found.name,
            },
            Err(e) => ConnectionTest {
                ok: false,
                checked_at,
                detail: ConnectionDetail { code: e.code().into(), message: e.reason() },
                retryable: e.is_transient(),
                display_phone_number: None,
                verified_name: None,
                quality_rating: None,
                name: None,
            },
        }
    }
}

/// Test connection: checks the stored token against Meta, as when the channel was connected (needs
/// `manage_channels`). Answers `200` whatever Meta says; `ok` and `detail` tell.
#[utoipa::path(post, path = "/api/v1/channels/{id}/test", tag = "channels", params(("id" = ChannelId, Path)),
    responses((status = 200, body = ConnectionTest), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub(super) async fn test_channel(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<ChannelId>,
) -> ApiResult<Json<ConnectionTest>> {
    me.require(Action::ManageChannels)?;
    me.require_inbox()?;
    // A channel outside a channel-scoped role does not exist for it.
    if !me.permissions.may_use_channel(id) {
        return Err(ApiError::NotFound);
    }
    let stored = state.store.get_channel(me.account_id(), id).await?;
    let token = state.secrets.open(&stored.access_token_enc).map_err(|e| ApiError::Internal(e.into()))?;
    let outcome = state.graph.verify_ownership(asset(&stored.channel.address), &token).await;
    let result = ConnectionTest::from_outcome(outcome, domain::time_util::from_millis(state.now_ms()));
    record(
        &state,
        me.account_id(),
        Some(me.user_id()),
        "channel.tested",
        Some(("channel", id.to_string())),
        serde_json::json!({"ok": result.ok, "code": result.detail.code}),
    )
    .await;
    Ok(Json(result))
}
