//! Roles and permissions: what a user may see and what they may do.
//!
//! Visibility is turned into a [`ConversationScope`] that the store compiles into its queries, so a
//! conversation a user may not see is never read, rather than read and filtered afterwards.

use crate::ids::{ChannelId, RoleId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    SendMessages,
    SendTemplates,
    Assign,
    ManageContacts,
    ManageQuickReplies,
    ManageChannels,
    ManageUsers,
    /// Create, rename, recolour and delete the account's labels (putting a label on a conversation
    /// needs only to see it).
    ManageLabels,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::SendMessages,
        Action::SendTemplates,
        Action::Assign,
        Action::ManageContacts,
        Action::ManageQuickReplies,
        Action::ManageChannels,
        Action::ManageUsers,
        Action::ManageLabels,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Every conversation of every channel.
    All,
    /// Every conversation of the listed channels.
    Channels,
    /// Only conversations assigned to the user (plus unassigned ones when `unassigned`).
    Assigned,
}

/// A role's grant, exactly as the API carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Permissions {
    pub visibility: Visibility,
    #[serde(default)]
    pub channel_ids: Vec<ChannelId>,
    #[serde(default)]
    pub unassigned: bool,
    #[serde(default)]
    pub actions: BTreeSet<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPermissions {
    #[error("visibility \"channels\" needs at least one channel in channel_ids")]
    ChannelsWithoutChannels,
}

impl Permissions {
    pub fn admin() -> Self {
        Self {
            visibility: Visibility::All,
            channel_ids: vec![],
            unassigned: true,
            actions: Action::ALL.into_iter().collect(),
        }
    }

    pub fn seller() -> Self {
        Self {
            visibility: Visibility::Assigned,
            channel_ids: vec![],
            unassigned: false,
            actions: [Action::SendMessages, Action::SendTemplates, Action::ManageContacts].into_iter().collect(),
        }
    }

    /// Checks a custom role's grant for coherence before it is stored.
    pub fn validate(self) -> Result<Self, InvalidPermissions> {
        if self.visibility == Visibility::Channels && self.channel_ids.is_empty() {
            return Err(InvalidPermissions::ChannelsWithoutChannels);
        }
        Ok(self)
    }

    pub fn allows(&self, action: Action) -> bool {
        self.actions.contains(&action)
    }

    /// The conversations `user` may see under this grant.
    pub fn scope(&self, user: UserId) -> ConversationScope {
        match self.visibility {
            Visibility::All => ConversationScope::All,
            Visibility::Channels => ConversationScope::Channels(self.channel_ids.clone()),
            Visibility::Assigned => ConversationScope::Assigned {
                user,
                unassigned: match (self.unassigned, self.channel_ids.is_empty()) {
                    (false, _) => UnassignedAccess::None,
                    (true, true) => UnassignedAccess::AllChannels,
                    (true, false) => UnassignedAccess::Channels(self.channel_ids.clone()),
                },
            },
        }
    }

    /// Whether the grant may work with `channel` at all (its templates, its files, its name in
    /// lists): a role scoped to some channels knows nothing of the others. A role that sees what is
    /// assigned to it may be assigned a conversation of any channel, so it may use any.
    pub fn may_use_channel(&self, channel: ChannelId) -> bool {
        self.visibility != Visibility::Channels || self.channel_ids.contains(&channel)
    }

    /// Whether this grant is no wider than `holder`'s: every action it allows, `holder` allows, and
    /// every conversation it may see, `holder` may see. Nobody may hand out more than they hold.
    ///
    /// "Assigned to me" without unassigned access is the narrowest visibility: its user sees only
    /// what someone who could see it assigned to them.
    pub fn within(&self, holder: &Permissions) -> bool {
        if !self.actions.is_subset(&holder.actions) {
            return false;
        }
        let subset = |mine: &[ChannelId], theirs: &[ChannelId]| mine.iter().all(|c| theirs.contains(c));
        match (holder.visibility, self.visibility) {
            (Visibility::All, _) => true,
            (_, Visibility::All) => false,
            (Visibility::Channels, Visibility::Channels) => subset(&self.channel_ids, &holder.channel_ids),
            (Visibility::Assigned, Visibility::Channels) => false,
            (_, Visibility::Assigned) if !self.unassigned => true,
            // Unassigned conversations of every channel (no list) or of the listed ones.
            (Visibility::Channels, Visibility::Assigned) => {
                !self.channel_ids.is_empty() && subset(&self.channel_ids, &holder.channel_ids)
            }
            (Visibility::Assigned, Visibility::Assigned) => {
                holder.unassigned
                    && (holder.channel_ids.is_empty()
                        || !self.channel_ids.is_empty() && subset(&self.channel_ids, &holder.channel_ids))
            }
        }
    }

    /// Whether a user with this grant takes part in the automatic (round-robin) assignment of new
    /// conversations of `channel`: they must be able to answer (`send_messages`) and the channel must
    /// be theirs. `all` covers every channel; `channels` its list; `assigned` (the seller) sees what it
    /// is given, so it takes part on every channel — or, when it lists channels (its unassigned pool),
    /// on those only.
    pub fn takes_auto_assignment(&self, channel: ChannelId) -> bool {
        self.allows(Action::SendMessages)
            && match self.visibility {
                Visibility::All => true,
                Visibility::Channels => self.channel_ids.contains(&channel),
                Visibility::Assigned => self.channel_ids.is_empty() || self.channel_ids.contains(&channel),
            }
    }

    /// Whether the grant can see a conversation whose channel is `channel` and assignee `assignee`.
    /// The store enforces the same rule in SQL; this form serves realtime event fan-out.
    pub fn can_see(&self, user: UserId, channel: ChannelId, assignee: Option<UserId>) -> bool {
        self.scope(user).includes(channel, assignee)
    }
}

/// Which unassigned conversations an `assigned`-visibility user may also see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnassignedAccess {
    None,
    AllChannels,
    Channels(Vec<ChannelId>),
}

/// The set of conversations a user may see, in a form a query builder can translate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConversationScope {
    All,
    Channels(Vec<ChannelId>),
    Assigned { user: UserId, unassigned: UnassignedAccess },
}

impl ConversationScope {
    pub fn includes(&self, channel: ChannelId, assignee: Option<UserId>) -> bool {
        match self {
            ConversationScope::All => true,
            ConversationScope::Channels(ids) => ids.contains(&channel),
            ConversationScope::Assigned { user, unassigned } => match assignee {
                Some(a) => a == *user,
                None => match unassigned {
                    UnassignedAccess::None => false,
                    UnassignedAccess::AllChannels => true,
                    UnassignedAccess::Channels(ids) => ids.contains(&channel),
                },
            },
        }
    }
}

/// A user's role: the two built-in ones or a custom role of the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Seller,
    Custom { id: RoleId, name: String, permissions: Permissions },
}

impl Role {
    pub fn permissions(&self) -> Permissions {
        match self {
            Role::Admin => Permissions::admin(),
            Role::Seller => Permissions::seller(),
            Role::Custom { permissions, .. } => permissions.clone(),
        }
    }

    /// Administration of the account itself (roles, audit, outgoing webhooks) is for admins only.
    pub fn is_admin(&self) -> bool {
        matches!(self, Role::Admin)
    }

    /// The API value: `admin`, `seller`, or the custom role's id.
    pub fn api_value(&self) -> String {
        match self {
            Role::Admin => "admin".into(),
            Role::Seller => "seller".into(),
            Role::Custom { id, .. } => id.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_scoped_role_knows_only_its_channels() {
        let (a, b) = (ChannelId::new(), ChannelId::new());
        let scoped = Permissions {
            visibility: Visibility::Channels,
            channel_ids: vec![a],
            unassigned: false,
            actions: BTreeSet::new(),
        };
        assert!(scoped.may_use_channel(a));
        assert!(!scoped.may_use_channel(b));
        assert!(Permissions::seller().may_use_channel(b));
        assert!(Permissions::admin().may_use_channel(b));
    }

    #[test]
    fn nobody_grants_more_than_they_hold() {
        let a = ChannelId::new();
        let b = ChannelId::new();
        let grant = |visibility, channel_ids: Vec<ChannelId>, unassigned, actions: &[Action]| Permissions {
            visibility,
            channel_ids,
            unassigned,
            actions: actions.iter().copied().collect(),
        };
        let manager = grant(Visibility::Channels, vec![a], false, &[Action::ManageUsers, Action::SendMessages]);
        // Narrower or equal: allowed.
        assert!(manager.within(&manager));
        assert!(Permissions::seller().within(&Permissions::admin()));
        assert!(grant(Visibility::Assigned, vec![], false, &[Action::SendMessages]).within(&manager));
        assert!(grant(Visibility::Assigned, vec![a], true, &[]).within(&manager));
        // Wider visibility: refused.
        assert!(!grant(Visibility::All, vec![], false, &[]).within(&manager));
        assert!(!grant(Visibility::Channels, vec![a, b], false, &[]).within(&manager));
        assert!(!grant(Visibility::Assigned, vec![], true, &[]).within(&manager), "unassigned of every channel");
        assert!(!grant(Visibility::Assigned, vec![b], true, &[]).within(&manager));
        // More actions: refused.
        assert!(!grant(Visibility::Channels, vec![a], false, &[Action::ManageChannels]).within(&manager));
        assert!(!Permissions::seller().within(&manager), "the seller role may send templates; this manager may not");
        // An assigned-only holder cannot hand out channel-wide visibility.
        let assigned = grant(Visibility::Assigned, vec![a], true, &[Action::ManageUsers]);
        assert!(!grant(Visibility::Channels, vec![a], false, &[]).within(&assigned));
        assert!(grant(Visibility::Assigned, vec![a], true, &[]).within(&assigned));
        assert!(!grant(Visibility::Assigned, vec![], true, &[]).within(&assigned));
    }

    #[test]
    fn admin_sees_and_does_everything() {
        let p = Role::Admin.permissions();
        let me = UserId::new();
        assert!(Action::ALL.iter().all(|a| p.allows(*a)));
        assert!(p.can_see(me, ChannelId::new(), None));
        assert!(p.can_see(me, ChannelId::new(), Some(UserId::new())));
    }

    #[test]
    fn seller_sees_only_what_is_assigned_to_them() {
        let p = Role::Seller.permissions();
        let (me, other, ch) = (UserId::new(), UserId::new(), ChannelId::new());
        assert!(p.can_see(me, ch, Some(me)));
        assert!(!p.can_see(me, ch, Some(other)));
        assert!(!p.can_see(me, ch, None));
        assert!(p.allows(Action::SendTemplates));
        assert!(!p.allows(Action::ManageChannels));
        assert!(!p.allows(Action::Assign));
    }

    #[test]
    fn channel_scoped_role_sees_every_conversation_of_its_channels_only() {
        let (mine, theirs, me) = (ChannelId::new(), ChannelId::new(), UserId::new());
        let p = Permissions {
            visibility: Visibility::Channels,
            channel_ids: vec![mine],
            unassigned: false,
            actions: BTreeSet::new(),
        };
        assert!(p.can_see(me, mine, None));
        assert!(p.can_see(me, mine, Some(UserId::new())));
        assert!(!p.can_see(me, theirs, None));
        assert!(!p.can_see(me, theirs, Some(me)));
    }

    #[test]
    fn assigned_with_unassigned_sees_the_pool_of_its_channels() {
        let (mine, theirs, me) = (ChannelId::new(), ChannelId::new(), UserId::new());
        let scoped = Permissions {
            visibility: Visibility::Assigned,
            channel_ids: vec![mine],
            unassigned: true,
            actions: BTreeSet::new(),
        };
        assert!(scoped.can_see(me, mine, None));
        assert!(!scoped.can_see(me, theirs, None));
        assert!(scoped.can_see(me, theirs, Some(me)), "what is assigned to me is visible on any channel");
        assert!(!scoped.can_see(me, mine, Some(UserId::new())));
        let everywhere = Permissions { channel_ids: vec![], ..scoped };
        assert!(everywhere.can_see(me, theirs, None));
    }

    #[test]
    fn who_takes_auto_assignment() {
        let (mine, theirs) = (ChannelId::new(), ChannelId::new());
        let grant = |visibility, channel_ids: Vec<ChannelId>, actions: &[Action]| Permissions {
            visibility,
            channel_ids,
            unassigned: false,
            actions: actions.iter().copied().collect(),
        };
        assert!(Permissions::seller().takes_auto_assignment(mine), "a seller takes any channel's");
        assert!(Permissions::admin().takes_auto_assignment(theirs));
        let scoped = grant(Visibility::Channels, vec![mine], &[Action::SendMessages]);
        assert!(scoped.takes_auto_assignment(mine));
        assert!(!scoped.takes_auto_assignment(theirs), "not a channel it cannot see");
        let pool = grant(Visibility::Assigned, vec![mine], &[Action::SendMessages]);
        assert!(pool.takes_auto_assignment(mine));
        assert!(!pool.takes_auto_assignment(theirs), "an assigned role listing channels takes only those");
        let mute = grant(Visibility::All, vec![], &[Action::Assign]);
        assert!(!mute.takes_auto_assignment(mine), "who cannot answer gets no conversation");
    }

    #[test]
    fn channels_visibility_needs_channels() {
        let p = Permissions {
            visibility: Visibility::Channels,
            channel_ids: vec![],
            unassigned: false,
            actions: BTreeSet::new(),
        };
        assert_eq!(p.validate(), Err(InvalidPermissions::ChannelsWithoutChannels));
    }

    #[test]
    fn permissions_json_matches_the_contract() {
        let json = serde_json::json!({"visibility": "channels", "channel_ids": ["0190b3a0-0000-7000-8000-000000000001"], "unassigned": false, "actions": ["send_templates", "assign"]});
        let p: Permissions = serde_json::from_value(json).unwrap();
        assert_eq!(p.visibility, Visibility::Channels);
        assert!(p.allows(Action::Assign));
        assert!(serde_json::from_value::<Permissions>(serde_json::json!({"visibility": "some"})).is_err());
    }
}
