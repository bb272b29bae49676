//! Channels: an account's connected Meta inboxes. The access token is stored encrypted by the
//! server (this layer only sees ciphertext) and is read back only by the code that calls Meta.

use crate::db::{on_reader, on_writer};
use crate::error::{StoreError, StoreResult};
use crate::rows::parse_id;
use crate::Store;
use domain::channel::{Channel, ChannelAddress, ChannelKind};
use domain::ids::{AccountId, ChannelId};

pub struct NewChannel {
    pub kind: ChannelKind,
    pub name: String,
    pub address: ChannelAddress,
    pub access_token_enc: String,
}

#[derive(Default)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub auto_assign: Option<bool>,
    /// A replacement access token, already encrypted (and proven to control the channel's asset).
    pub access_token_enc: Option<String>,
}

/// A channel with its encrypted token, for the code that talks to Meta on its behalf.
#[derive(Clone, Debug)]
pub struct StoredChannel {
    pub channel: Channel,
    pub access_token_enc: String,
}

/// The webhook object that routes to a channel kind (docs/meta.md §2, §9, §10).
pub fn route_object(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::WhatsappCloud | ChannelKind::WhatsappBusinessApp => "whatsapp",
        ChannelKind::Messenger => "page",
        ChannelKind::Instagram => "instagram",
    }
}

const CHANNEL_COLUMNS: &str = "id, account_id, kind, name, phone_number_id, waba_id, display_phone_number, page_id, \
     instagram_account_id, access_token_enc, enabled, auto_assign";

#[derive(sqlx::FromRow)]
struct ChannelRow {
    id: String,
    account_id: String,
    kind: String,
    name: String,
    phone_number_id: Option<String>,
    waba_id: Option<String>,
    display_phone_number: Option<String>,
    page_id: Option<String>,
    instagram_account_id: Option<String>,
    access_token_enc: String,
    enabled: bool,
    auto_assign: bool,
}

impl ChannelRow {
    fn into_domain(self) -> StoreResult<StoredChannel> {
        let kind = ChannelKind::parse(&self.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("channel kind {:?}", self.kind)))?;
        let missing = || StoreError::Corrupt(format!("channel {} lacks its Meta ids", self.id));
        let address = match kind {
            ChannelKind::WhatsappCloud | ChannelKind::WhatsappBusinessApp => ChannelAddress::Whatsapp {
                phone_number_id: self.phone_number_id.clone().ok_or_else(missing)?,
                waba_id: self.waba_id.clone().unwrap_or_default(),
                display_phone_number: self.display_phone_number.clone().unwrap_or_default(),
            },
            ChannelKind::Messenger => ChannelAddress::Messenger { page_id: self.page_id.clone().ok_or_else(missing)? },
            ChannelKind::Instagram => ChannelAddress::Instagram {
                instagram_account_id: self.instagram_account_id.clone().ok_or_else(missing)?,
            },
        };
        Ok(StoredChannel {
            channel: Channel {
                id: parse_id(&self.id, "channel")?,
                account_id: parse_id(&self.account_id, "account")?,
                kind,
                name: self.name,
                address,
                enabled: self.enabled,
                auto_assign: self.auto_assign,
            },
            access_token_enc: self.access_token_enc,
        })
    }
}

impl Store {
    /// Connects a channel. Two channels (of any accounts) can never claim the same Meta id, or
    /// webhooks could not be routed: that is a [`StoreError::Conflict`] on `route`.
    pub async fn create_channel(&self, account: AccountId, new: NewChannel, now_ms: i64) -> StoreResult<Channel> {
        let id = ChannelId::new();
        let (phone_number_id, waba_id, display, page_id, ig_id) = match &new.address {
            ChannelAddress::Whatsapp { phone_number_id, waba_id, display_phone_number } => (
                Some(phone_number_id.as_str()),
                Some(waba_id.as_str()),
                Some(display_phone_number.as_str()),
                None,
                None,
            ),
            ChannelAddress::Messenger { page_id } => (None, None, None, Some(page_id.as_str()), None),
            ChannelAddress::Instagram { instagram_account_id } => {
                (None, None, None, None, Some(instagram_account_id.as_str()))
            }
        };
        on_writer!(self, p => sqlx::query(
            "INSERT INTO channels (id, account_id, kind, name, route_object, route_id, phone_number_id, waba_id, \
               display_phone_number, page_id, instagram_account_id, access_token_enc, enabled, auto_assign, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, TRUE, FALSE, $13)")
            .bind(id.to_string())
            .bind(account.to_string())
            .bind(new.kind.as_str())
            .bind(&new.name)
            .bind(route_object(new.kind))
            .bind(new.address.routing_id())
            .bind(phone_number_id)
            .bind(waba_id)
            .bind(display)
            .bind(page_id)
            .bind(ig_id)
            .bind(&new.access_token_enc)
            .bind(now_ms)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(Channel {
            id,
            account_id: account,
            kind: new.kind,
            name: new.name,
            address: new.address,
            enabled: true,
            auto_assign: false,
        })
    }

    pub async fn list_channels(&self, account: AccountId) -> StoreResult<Vec<Channel>> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE account_id = $1 ORDER BY created_at, id");
        let rows: Vec<ChannelRow> =
            on_reader!(self, p => sqlx::query_as(&sql).bind(account.to_string()).fetch_all(p).await)?;
        rows.into_iter().map(|r| r.into_domain().map(|s| s.channel)).collect()
    }

    pub async fn get_channel(&self, account: AccountId, id: ChannelId) -> StoreResult<StoredChannel> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE account_id = $1 AND id = $2");
        let row: ChannelRow = on_reader!(self, p => sqlx::query_as(&sql).bind(account.to_string()).bind(id.to_string()).fetch_one(p).await)?;
        row.into_domain()
    }

    /// The channel a webhook addresses, by object (`whatsapp`, `page`, `instagram`) and Meta id.
    /// Not scoped by account: the webhook does not know the account, the channel tells it.
    pub async fn find_channel_by_route(&self, object: &str, route_id: &str) -> StoreResult<Option<StoredChannel>> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE route_object = $1 AND route_id = $2");
        let row: Option<ChannelRow> =
            on_reader!(self, p => sqlx::query_as(&sql).bind(object).bind(route_id).fetch_optional(p).await)?;
        row.map(ChannelRow::into_domain).transpose()
    }

    /// A channel by id, any account (for workers acting on stored events, which carry the channel id).
    pub async fn channel_by_id(&self, id: ChannelId) -> StoreResult<Option<StoredChannel>> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM channels WHERE id = $1");
        let row: Option<ChannelRow> =
            on_reader!(self, p => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(p).await)?;
        row.map(ChannelRow::into_domain).transpose()
    }

    pub async fn update_channel(&self, account: AccountId, id: ChannelId, patch: ChannelPatch) -> StoreResult<Channel> {
        let done = on_writer!(self, p => sqlx::query(
            "UPDATE channels SET name = COALESCE($3, name), enabled = COALESCE($4, enabled), auto_assign = COALESCE($5, auto_assign), \
               access_token_enc = COALESCE($6, access_token_enc) \
             WHERE account_id = $1 AND id = $2")
            .bind(account.to_string()).bind(id.to_string()).bind(patch.name).bind(patch.enabled).bind(patch.auto_assign)
            .bind(patch.access_token_enc)
            .execute(p).await.map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(self.get_channel(account, id).await?.channel)
    }
}
