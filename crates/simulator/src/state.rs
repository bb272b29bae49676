//! The simulator's shared state: the configured assets, the clock, and everything Meta would remember
//! (uploaded media, customers and their last inbound message per number/Page, sent messages), plus the
//! test-facing journals (recorded requests, delivered webhooks) and pending faults.
//!
//! Locks are `std::sync::Mutex`es held only for short, non-async sections.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use time::OffsetDateTime;

use crate::clock::SimClock;
use crate::config::{InstagramAccount, PageAsset, SimConfig, StatusPolicy, WhatsAppNumber};
use crate::faults::Fault;
use crate::journal::{SentMessage, WebhookRecord};
use crate::lifecycle::StatusPlan;
use crate::record::RecordedRequest;
use crate::templates::Template;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every section under these locks leaves the data consistent, so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Media held for a WhatsApp number (uploaded by the business or sent by a customer).
#[derive(Debug, Clone)]
pub(crate) struct StoredMedia {
    pub id: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub mime_type: String,
    pub bytes: Bytes,
    pub sha256_hex: String,
}

/// A file served on the simulator's "CDN" (Messenger/Instagram attachment URLs).
#[derive(Debug, Clone)]
pub(crate) struct CdnFile {
    pub mime_type: String,
    pub bytes: Bytes,
}

/// A reusable attachment uploaded to a Page (`/message_attachments`).
#[derive(Debug, Clone)]
pub(crate) struct PageAttachment {
    pub owner_id: String,
}

/// A WhatsApp user as Meta knows them for this business portfolio.
#[derive(Debug, Clone)]
pub(crate) struct WaCustomerRecord {
    pub user_id: String,
    pub parent_user_id: Option<String>,
    pub wa_id: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    /// Last inbound message per phone_number_id: the customer service window.
    pub last_inbound: HashMap<String, OffsetDateTime>,
    /// Phone number ids whose marketing messages this user stopped: marketing templates from them fail
    /// with 131050.
    pub marketing_stopped: std::collections::HashSet<String>,
}

/// A Messenger/Instagram user of one Page or Instagram account.
#[derive(Debug, Clone, Default)]
pub(crate) struct SocialCustomerRecord {
    /// The name the User Profile API answers (a made-up one when none was set).
    pub name: Option<String>,
    /// Instagram: the `@username` the User Profile API answers.
    pub username: Option<String>,
    pub last_inbound: Option<OffsetDateTime>,
}

/// The business assets Meta knows now: those the configuration declared, plus any a test or the control
/// API added later (a business connecting another number or Page), and the tokens Meta stopped accepting.
#[derive(Debug, Clone, Default)]
pub(crate) struct Assets {
    pub whatsapp_numbers: Vec<WhatsAppNumber>,
    pub pages: Vec<PageAsset>,
    pub instagram_accounts: Vec<InstagramAccount>,
    /// Revoked (or expired) tokens: every call with one is answered 190, whatever asset it had.
    pub revoked_tokens: HashSet<String>,
}

#[derive(Debug)]
pub(crate) struct SimState {
    /// The configuration the simulator started with; the assets as they are now live in `assets`.
    pub config: SimConfig,
    pub assets: Mutex<Assets>,
    pub base_url: String,
    pub clock: SimClock,
    pub http: reqwest::Client,
    pub webhook_url: Mutex<Option<String>>,
    pub statuses: Mutex<StatusPolicy>,
    pub templates: Mutex<BTreeMap<String, Vec<Template>>>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub webhooks: Mutex<Vec<WebhookRecord>>,
    pub faults: Mutex<VecDeque<Fault>>,
    /// Faults for the next User Profile API lookups (`GET /{PSID}`, `GET /{IGSID}`).
    pub profile_faults: Mutex<VecDeque<Fault>>,
    /// Faults for the next lookups of business assets (`GET /{WABA_ID}/phone_numbers`, `GET /{ID}` of a
    /// number, WABA, Page, Instagram account or `me`): what an inbox checking a channel's token calls.
    pub asset_faults: Mutex<VecDeque<Fault>>,
    pub media: Mutex<HashMap<String, StoredMedia>>,
    /// Short-lived download URLs: hash → (media id, expiry).
    pub media_urls: Mutex<HashMap<String, (String, OffsetDateTime)>>,
    pub cdn: Mutex<HashMap<String, CdnFile>>,
    pub attachments: Mutex<HashMap<String, PageAttachment>>,
    pub wa_customers: Mutex<Vec<WaCustomerRecord>>,
    /// (page or Instagram account id, PSID/IGSID) → customer.
    pub social_customers: Mutex<HashMap<(String, String), SocialCustomerRecord>>,
    pub sent: Mutex<Vec<SentMessage>>,
    /// What each accepted message's status webhooks will say, by message id.
    pub status_plans: Mutex<HashMap<String, StatusPlan>>,
    /// Graph requests received whose handling has not ended yet (held by a timeout fault, say).
    pub in_flight: AtomicUsize,
    /// Status webhooks (and echoes) scheduled after accepted sends and not yet POSTed.
    pub statuses_pending: AtomicUsize,
    /// The furthest status POSTed for each message, by message id.
    pub emitted_statuses: Mutex<HashMap<String, crate::payloads::WaStatusKind>>,
}

impl SimState {
    pub(crate) fn new(config: SimConfig, base_url: String) -> Self {
        let http = reqwest::Client::builder()
            .user_agent("facebookexternalua")
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .unwrap_or_default();
        Self {
            clock: SimClock::new(config.clock),
            webhook_url: Mutex::new(config.webhook_url.clone()),
            statuses: Mutex::new(config.statuses.clone()),
            templates: Mutex::new(config.templates.clone()),
            assets: Mutex::new(Assets {
                whatsapp_numbers: config.whatsapp_numbers.clone(),
                pages: config.pages.clone(),
                instagram_accounts: config.instagram_accounts.clone(),
                revoked_tokens: HashSet::new(),
            }),
            config,
            base_url,
            http,
            requests: Mutex::default(),
            webhooks: Mutex::default(),
            faults: Mutex::default(),
            profile_faults: Mutex::default(),
            asset_faults: Mutex::default(),
            media: Mutex::default(),
            media_urls: Mutex::default(),
            cdn: Mutex::default(),
            attachments: Mutex::default(),
            wa_customers: Mutex::default(),
            social_customers: Mutex::default(),
            sent: Mutex::default(),
            status_plans: Mutex::default(),
            in_flight: AtomicUsize::new(0),
            statuses_pending: AtomicUsize::new(0),
            emitted_statuses: Mutex::default(),
        }
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }

    pub(crate) fn next_fault(&self) -> Option<Fault> {
        lock(&self.faults).pop_front()
    }

    pub(crate) fn next_asset_fault(&self) -> Option<Fault> {
        lock(&self.asset_faults).pop_front()
    }

    pub(crate) fn number(&self, phone_number_id: &str) -> Option<WhatsAppNumber> {
        lock(&self.assets).whatsapp_numbers.iter().find(|n| n.phone_number_id == phone_number_id).cloned()
    }

    /// The numbers of a WhatsApp Business Account, in the order they were added.
    pub(crate) fn numbers_of_waba(&self, waba_id: &str) -> Vec<WhatsAppNumber> {
        lock(&self.assets).whatsapp_numbers.iter().filter(|n| n.waba_id == waba_id).cloned().collect()
    }

    pub(crate) fn waba_exists(&self, waba_id: &str) -> bool {
        lock(&self.assets).whatsapp_numbers.iter().any(|n| n.waba_id == waba_id)
    }

    pub(crate) fn page(&self, page_id: &str) -> Option<PageAsset> {
        lock(&self.assets).pages.iter().find(|p| p.page_id == page_id).cloned()
    }

    pub(crate) fn instagram(&self, ig_id: &str) -> Option<InstagramAccount> {
        lock(&self.assets).instagram_accounts.iter().find(|a| a.ig_id == ig_id).cloned()
    }

    /// The Instagram account linked to a Page, if any.
    pub(crate) fn instagram_of_page(&self, page_id: &str) -> Option<InstagramAccount> {
        lock(&self.assets).instagram_accounts.iter().find(|a| a.page_id.as_deref() == Some(page_id)).cloned()
    }

    /// The Pages whose Page token this is.
    pub(crate) fn pages_with_token(&self, token: &str) -> Vec<PageAsset> {
        lock(&self.assets).pages.iter().filter(|p| p.access_token == token).cloned().collect()
    }

    /// The Instagram accounts whose own token this is.
    pub(crate) fn instagram_with_token(&self, token: &str) -> Vec<InstagramAccount> {
        lock(&self.assets).instagram_accounts.iter().filter(|a| a.access_token == token).cloned().collect()
    }

    /// Whether any asset has this token and it was not revoked (else Meta answers 190).
    pub(crate) fn token_is_known(&self, token: &str) -> bool {
        let a = lock(&self.assets);
        !a.revoked_tokens.contains(token)
            && (a.whatsapp_numbers.iter().any(|n| n.access_token == token)
                || a.pages.iter().any(|p| p.access_token == token)
                || a.instagram_accounts.iter().any(|i| i.access_token == token))
    }

    pub(crate) fn token_is_revoked(&self, token: &str) -> bool {
        lock(&self.assets).revoked_tokens.contains(token)
    }

    /// Whether a token may act on a WABA: a system-user token of any number of that WABA may.
    pub(crate) fn token_covers_waba(&self, token: &str, waba_id: &str) -> bool {
        let a = lock(&self.assets);
        !a.revoked_tokens.contains(token)
            && a.whatsapp_numbers.iter().any(|n| n.waba_id == waba_id && n.access_token == token)
    }

    /// Adds an asset, or replaces the one with the same id (its token or name changed).
    pub(crate) fn put_number(&self, number: WhatsAppNumber) {
        let mut a = lock(&self.assets);
        a.whatsapp_numbers.retain(|n| n.phone_number_id != number.phone_number_id);
        a.whatsapp_numbers.push(number);
    }

    pub(crate) fn put_page(&self, page: PageAsset) {
        let mut a = lock(&self.assets);
        a.pages.retain(|p| p.page_id != page.page_id);
        a.pages.push(page);
    }

    pub(crate) fn put_instagram(&self, account: InstagramAccount) {
        let mut a = lock(&self.assets);
        a.instagram_accounts.retain(|i| i.ig_id != account.ig_id);
        a.instagram_accounts.push(account);
    }

    pub(crate) fn revoke_token(&self, token: &str) {
        lock(&self.assets).revoked_tokens.insert(token.to_string());
    }

    pub(crate) fn set_last_social_inbound(&self, asset_id: &str, user: &str, name: Option<&str>, at: OffsetDateTime) {
        let mut customers = lock(&self.social_customers);
        let record = customers.entry((asset_id.to_string(), user.to_string())).or_default();
        // A late (backdated) message does not move the window back.
        record.last_inbound = Some(record.last_inbound.map_or(at, |last| last.max(at)));
        if let Some(name) = name {
            record.name = Some(name.to_string());
        }
    }

    pub(crate) fn social_customer(&self, asset_id: &str, user: &str) -> Option<SocialCustomerRecord> {
        lock(&self.social_customers).get(&(asset_id.to_string(), user.to_string())).cloned()
    }
}
