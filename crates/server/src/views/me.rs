//! The signed-in user, their role and the account's plan, as `GET /api/v1/me` and the login answer
//! show them.

use crate::auth::CurrentUser;
use domain::account::{Addon, Plan};
use domain::ids::{AccountId, UserId};
use domain::permissions::Permissions;
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeView {
    pub user: MeUser,
    pub account: MeAccount,
    /// `admin`, `seller`, or the custom role's id.
    pub role: String,
    pub permissions: Permissions,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub available: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeAccount {
    pub id: AccountId,
    pub name: String,
    pub plan: Plan,
    pub addons: Vec<Addon>,
    /// Whether the plan includes the inbox (Pro).
    pub inbox_enabled: bool,
    /// Whether WhatsApp channels may be connected (the WhatsApp add-on).
    pub whatsapp_enabled: bool,
    /// Where to talk to an advisor about the plan (`INBOX_ADVISOR_URL`), for the UI's upsell page.
    pub advisor_url: String,
}

pub fn me_view(me: &CurrentUser, advisor_url: &str) -> MeView {
    MeView {
        user: MeUser {
            id: me.user.id,
            email: me.user.email.clone(),
            name: me.user.name.clone(),
            available: me.user.available,
        },
        account: MeAccount {
            id: me.account.id,
            name: me.account.name.clone(),
            plan: me.account.plan,
            addons: me.account.addons.iter().copied().collect(),
            inbox_enabled: me.account.check_inbox().is_ok(),
            whatsapp_enabled: me.account.check_channel_kind(domain::channel::ChannelKind::WhatsappCloud).is_ok(),
            advisor_url: advisor_url.to_string(),
        },
        role: me.user.role.api_value(),
        permissions: me.permissions.clone(),
    }
}
