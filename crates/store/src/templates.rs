//! WhatsApp templates synced from a channel's WABA. A sync replaces the channel's set: templates
//! deleted at Meta disappear here too.

use crate::db::{in_transaction, on_reader};
use crate::error::StoreResult;
use crate::rows::parse_json;
use crate::Store;
use domain::ids::{AccountId, ChannelId};

/// A template as stored: Meta's definition (domain::template::Template JSON) and when it was synced.
#[derive(Clone, Debug)]
pub struct StoredTemplate {
    pub definition: serde_json::Value,
    pub synced_at: i64,
}

impl Store {
    /// Replaces the channel's templates with `templates` (name, language, status, category, definition).
    pub async fn replace_templates(
        &self,
        account: AccountId,
        channel: ChannelId,
        templates: &[(String, String, String, String, serde_json::Value)],
        now_ms: i64,
    ) -> StoreResult<()> {
        in_transaction!(self, tx => {
            sqlx::query("DELETE FROM templates WHERE account_id = $1 AND channel_id = $2")
                .bind(account.to_string()).bind(channel.to_string()).execute(&mut *tx).await?;
            for (name, language, status, category, definition) in templates {
                sqlx::query(
                    "INSERT INTO templates (id, account_id, channel_id, name, language, status, category, definition, synced_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING")
                    .bind(domain::ids::TemplateId::new().to_string()).bind(account.to_string()).bind(channel.to_string())
                    .bind(name).bind(language).bind(status).bind(category).bind(definition.to_string()).bind(now_ms)
                    .execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    pub async fn list_templates(&self, account: AccountId, channel: ChannelId) -> StoreResult<Vec<StoredTemplate>> {
        let rows: Vec<(String, i64)> = on_reader!(self, p => sqlx::query_as(
            "SELECT definition, synced_at FROM templates WHERE account_id = $1 AND channel_id = $2 ORDER BY name, language")
            .bind(account.to_string()).bind(channel.to_string()).fetch_all(p).await)?;
        rows.into_iter()
            .map(|(d, s)| Ok(StoredTemplate { definition: parse_json(&d, "template")?, synced_at: s }))
            .collect()
    }

    pub async fn get_template(
        &self,
        account: AccountId,
        channel: ChannelId,
        name: &str,
        language: &str,
    ) -> StoreResult<Option<StoredTemplate>> {
        let row: Option<(String, i64)> = on_reader!(self, p => sqlx::query_as(
            "SELECT definition, synced_at FROM templates WHERE account_id = $1 AND channel_id = $2 AND name = $3 AND language = $4")
            .bind(account.to_string()).bind(channel.to_string()).bind(name).bind(language).fetch_optional(p).await)?;
        row.map(|(d, s)| Ok(StoredTemplate { definition: parse_json(&d, "template")?, synced_at: s })).transpose()
    }
}

impl Store {
    /// Replaces the account's rate card.
    pub async fn replace_rate_card(&self, account: AccountId, rates: &[domain::pricing::Rate]) -> StoreResult<()> {
        in_transaction!(self, tx => {
            sqlx::query("DELETE FROM rate_cards WHERE account_id = $1").bind(account.to_string()).execute(&mut *tx).await?;
            for r in rates {
                sqlx::query("INSERT INTO rate_cards (account_id, market, category, price, currency) VALUES ($1, $2, $3, $4, $5)")
                    .bind(account.to_string()).bind(&r.market).bind(&r.category).bind(&r.price).bind(&r.currency)
                    .execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    pub async fn rate_card(&self, account: AccountId) -> StoreResult<Vec<domain::pricing::Rate>> {
        let rows: Vec<(String, String, String, String)> = on_reader!(self, p => sqlx::query_as(
            "SELECT market, category, price, currency FROM rate_cards WHERE account_id = $1 ORDER BY market, category")
            .bind(account.to_string()).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(market, category, price, currency)| domain::pricing::Rate { market, category, price, currency })
            .collect())
    }
}
