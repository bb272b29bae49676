//! `CurrentUser`: the authenticated caller, as a handler argument. A route that forgets to take it
//! cannot read account data, because every store query needs the account id it carries.

use super::credentials::{hash_secret, session_from_cookie_header};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use domain::account::Account;
use domain::ids::{AccountId, UserId};
use domain::permissions::{Action, ConversationScope, Permissions};
use store::{Principal, User};

#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub account: Account,
    pub permissions: Permissions,
    /// How the caller authenticated; cookie-authenticated writes get CSRF checks.
    pub via_cookie: bool,
}

impl CurrentUser {
    pub fn from_principal(p: Principal, via_cookie: bool) -> Self {
        let permissions = p.user.role.permissions();
        Self { user: p.user, account: p.account, permissions, via_cookie }
    }

    pub fn account_id(&self) -> AccountId {
        self.account.id
    }

    pub fn user_id(&self) -> UserId {
        self.user.id
    }

    /// `403 forbidden` unless the role grants `action`.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.permissions.allows(action) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("your role does not allow this action"))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.user.role.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("only administrators may do this"))
        }
    }

    /// `403 plan_required` unless the account's plan includes the inbox.
    pub fn require_inbox(&self) -> Result<(), ApiError> {
        self.account.check_inbox().map_err(ApiError::from)
    }

    pub fn scope(&self) -> ConversationScope {
        self.permissions.scope(self.user.id)
    }
}

/// How a request proves who it is, in the stored (hashed) form: kept by long-lived connections
/// (the events WebSocket) so they can check again later that it still holds.
#[derive(Clone, Debug)]
pub enum Credential {
    Session(String),
    Token(String),
}

impl Credential {
    /// The credential a request carries: a bearer token first, else the session cookie.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Result<Self, ApiError> {
        if let Some(auth) = headers.get(AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .ok_or(ApiError::Unauthorized)?;
            return Ok(Credential::Token(hash_secret(token)));
        }
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(session_from_cookie_header)
            .map(|session| Credential::Session(hash_secret(session)))
            .ok_or(ApiError::Unauthorized)
    }

    /// Who the credential belongs to now: `None` once it is revoked, expired or its user deactivated.
    pub async fn current_user(&self, state: &AppState) -> Result<Option<CurrentUser>, ApiError> {
        Ok(match self {
            Credential::Token(hash) => {
                state.store.principal_by_api_token(hash).await?.map(|p| CurrentUser::from_principal(p, false))
            }
            Credential::Session(hash) => state
                .store
                .principal_by_session(hash, state.clock.now_ms())
                .await?
                .map(|p| CurrentUser::from_principal(p, true)),
        })
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Credential::from_headers(&parts.headers)?.current_user(state).await?.ok_or(ApiError::Unauthorized)
    }
}
