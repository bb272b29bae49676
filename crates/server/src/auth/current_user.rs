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

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts.headers.get(AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .ok_or(ApiError::Unauthorized)?;
            let principal = state.store.principal_by_api_token(&hash_secret(token)).await?;
            return principal.map(|p| CurrentUser::from_principal(p, false)).ok_or(ApiError::Unauthorized);
        }
        let session = parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(session_from_cookie_header)
            .ok_or(ApiError::Unauthorized)?;
        let principal = state.store.principal_by_session(&hash_secret(session), state.clock.now_ms()).await?;
        principal.map(|p| CurrentUser::from_principal(p, true)).ok_or(ApiError::Unauthorized)
    }
}
