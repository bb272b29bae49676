//! `SimHandle`: what tests and `inbox demo` hold to drive the simulator — addresses, journals (recorded
//! requests, webhooks, sent messages), fault injection, the clock, templates, status emission and the
//! simulated customers.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::oneshot;

use crate::config::{InstagramAccount, PageAsset, SimConfig, StatusPolicy, WhatsAppNumber};
use crate::customers::{SocialCustomer, WhatsAppCustomer};
use crate::error::SimError;
use crate::faults::Fault;
use crate::graph::GRAPH_VERSION;
use crate::ids;
use crate::journal::{SentMessage, WebhookRecord};
use crate::payloads::{self, HistoryThread, SocialPlatform, WaBusiness, WaStatusKind};
use crate::phones;
use crate::record::RecordedRequest;
use crate::state::{lock, SimState};
use crate::templates::{Template, TemplateStatus};
use crate::webhook::Delivery;

/// A running simulator. Cloning shares it; [`SimHandle::shutdown`] stops it.
#[derive(Debug, Clone)]
pub struct SimHandle {
    state: Arc<SimState>,
    addr: SocketAddr,
    shutdown: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

impl SimHandle {
    pub(crate) fn new(
        state: Arc<SimState>,
        addr: SocketAddr,
        shutdown: Arc<Mutex<Option<oneshot::Sender<()>>>>,
    ) -> Self {
        Self { state, addr, shutdown }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// `http://127.0.0.1:PORT/v24.0`: what the inbox's `INBOX_GRAPH_API_BASE` should be.
    pub fn graph_base(&self) -> String {
        format!("{}/{GRAPH_VERSION}", self.state.base_url)
    }

    /// The configuration the simulator started with (assets added later with [`SimHandle::add_page`] and
    /// the like are not in it).
    pub fn config(&self) -> &SimConfig {
        &self.state.config
    }

    pub fn app_secret(&self) -> &str {
        &self.state.config.app_secret
    }

    /// Stops the server (in-flight requests finish).
    pub fn shutdown(&self) {
        if let Some(tx) = lock(&self.shutdown).take() {
            let _ = tx.send(());
        }
    }

    pub fn set_webhook_url(&self, url: impl Into<String>) {
        *lock(&self.state.webhook_url) = Some(url.into());
    }

    pub fn webhook_url(&self) -> Option<String> {
        lock(&self.state.webhook_url).clone()
    }

    pub fn set_status_policy(&self, policy: StatusPolicy) {
        *lock(&self.state.statuses) = policy;
    }

    // --- journals ---

    /// Every Graph request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// The requests whose path ends with `suffix` (e.g. `"/messages"`, `"106540352242922/media"`).
    pub fn requests_to(&self, suffix: &str) -> Vec<RecordedRequest> {
        self.requests().into_iter().filter(|r| r.path.ends_with(suffix)).collect()
    }

    pub fn clear_requests(&self) {
        lock(&self.state.requests).clear();
    }

    /// Every webhook POSTed, oldest first.
    pub fn webhooks(&self) -> Vec<WebhookRecord> {
        lock(&self.state.webhooks).clone()
    }

    pub fn clear_webhooks(&self) {
        lock(&self.state.webhooks).clear();
    }

    /// Waits (polling) until at least `count` webhooks were POSTed, or the timeout passes.
    pub async fn wait_for_webhooks(&self, count: usize, timeout: Duration) -> Vec<WebhookRecord> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let webhooks = self.webhooks();
            if webhooks.len() >= count || tokio::time::Instant::now() >= deadline {
                return webhooks;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until no Graph request is being handled — every one received was answered, or abandoned by a
    /// client that gave up — or the timeout passes; returns whether it got there. After a client timed
    /// out on a held request, this says the simulator is done with it (and did whatever it was going to).
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.state.in_flight.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits until every status webhook (and echo) scheduled after the sends so far has been POSTed, or
    /// the timeout passes; returns whether it got there.
    pub async fn wait_statuses_posted(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.state.statuses_pending.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The furthest status webhook POSTed about a message (`sent` < `delivered` < `read` < `played` <
    /// `failed`; Messenger's `delivery` counts as delivered, a read watermark or Instagram `read` as read),
    /// or `None` when none was: Meta's verdict on it, as far as it went.
    pub fn final_status(&self, message_id: &str) -> Option<WaStatusKind> {
        lock(&self.state.emitted_statuses).get(message_id).copied()
    }

    /// Messages accepted by the send endpoints, oldest first.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        lock(&self.state.sent).clone()
    }

    // --- faults, clock, templates ---

    /// The next `n` send calls fail with `fault`.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        lock(&self.state.faults).extend(std::iter::repeat_n(fault, n));
    }

    /// The next `n` User Profile API lookups (`GET /{PSID}`, `GET /{IGSID}`) fail with `fault`.
    pub fn fail_next_profile_lookups(&self, n: usize, fault: Fault) {
        lock(&self.state.profile_faults).extend(std::iter::repeat_n(fault, n));
    }

    /// The next `n` lookups of business assets (`GET /{WABA_ID}/phone_numbers`, `GET /{ID}` of a number,
    /// WABA, Page, Instagram account, unknown id or `me` — what checking a channel's token calls) fail
    /// with `fault`. A [`Fault::Timeout`] holds the answer that long.
    pub fn fail_next_asset_lookups(&self, n: usize, fault: Fault) {
        lock(&self.state.asset_faults).extend(std::iter::repeat_n(fault, n));
    }

    // --- assets and tokens ---

    /// Meta now has this number (a business added it to a WABA); replaces the number with the same id.
    /// Its token covers its WABA, like a system user's.
    pub fn add_whatsapp_number(&self, number: WhatsAppNumber) {
        self.state.put_number(number);
    }

    /// Meta now has this Page, with this Page token; replaces the Page with the same id.
    pub fn add_page(&self, page: PageAsset) {
        self.state.put_page(page);
    }

    /// Meta now has this Instagram account; replaces the account with the same id.
    pub fn add_instagram(&self, account: InstagramAccount) {
        self.state.put_instagram(account);
    }

    /// Meta stops accepting this token (its user changed their password, removed the app, or the
    /// system user's token was regenerated): every call with it is answered 190 (subcode 460).
    pub fn revoke_token(&self, token: &str) {
        self.state.revoke_token(token);
    }

    pub fn now(&self) -> OffsetDateTime {
        self.state.clock.now()
    }

    /// Moves the simulator's clock forward (windows, media URL expiry).
    pub fn advance_clock(&self, by: Duration) {
        self.state.clock.advance(time::Duration::try_from(by).unwrap_or(time::Duration::MAX));
    }

    /// Adds (or replaces, by name and language) a template of a WABA.
    pub fn upsert_template(&self, waba_id: &str, template: Template) {
        let mut templates = lock(&self.state.templates);
        let list = templates.entry(waba_id.to_string()).or_default();
        list.retain(|t| !(t.name == template.name && t.language == template.language));
        list.push(template);
    }

    /// Changes a template's status (e.g. Meta pauses it); false when there is no such template.
    pub fn set_template_status(&self, waba_id: &str, name: &str, language: &str, status: TemplateStatus) -> bool {
        let mut templates = lock(&self.state.templates);
        let found =
            templates.get_mut(waba_id).and_then(|ts| ts.iter_mut().find(|t| t.name == name && t.language == language));
        match found {
            Some(t) => {
                t.status = status;
                true
            }
            None => false,
        }
    }

    // --- webhooks ---

    /// Signs and POSTs any payload (e.g. built with `payloads::*`) to the webhook URL.
    pub async fn post_webhook(&self, payload: Value) -> Result<Delivery, SimError> {
        self.state.deliver(payload, None).await
    }

    /// Emits one status webhook for a message the simulator accepted (sent/delivered/read/played, or
    /// failed with the error Meta decided for it).
    pub async fn emit_status(&self, message_id: &str, status: WaStatusKind) -> Result<Delivery, SimError> {
        self.state.emit_status(message_id, status).await
    }

    /// Shares past chats of a coexistence number (one `history` chunk: phase 0, chunk 1, 100 %).
    pub async fn share_history(&self, phone_number_id: &str, threads: &[HistoryThread]) -> Result<Delivery, SimError> {
        let number = self.number(phone_number_id)?;
        if !number.coexistence {
            return Err(SimError::NotCoexistence(number.phone_number_id));
        }
        let payload = payloads::whatsapp_history(&WaBusiness::from(&number), 0, 1, 100, threads);
        self.state.deliver(payload, None).await
    }

    // --- customers ---

    /// The webhook metadata of a number.
    pub fn business(&self, phone_number_id: &str) -> Option<WaBusiness> {
        self.state.number(phone_number_id).as_ref().map(WaBusiness::from)
    }

    /// A WhatsApp customer known by phone (`wa_id`); Meta also gives them a BSUID.
    pub fn whatsapp_customer(&self, phone_number_id: &str, wa_id: &str) -> Result<WhatsAppCustomer, SimError> {
        let number = self.number(phone_number_id)?;
        let record = self.state.ensure_phone_customer(&phones::digits(wa_id), None);
        Ok(WhatsAppCustomer::new(Arc::clone(&self.state), number, record.user_id))
    }

    /// A WhatsApp customer with a username and no phone: a BSUID (`US.…`) made up from the username.
    pub fn username_customer(&self, phone_number_id: &str, username: &str) -> Result<WhatsAppCustomer, SimError> {
        self.bsuid_customer(phone_number_id, &ids::bsuid("US", username), Some(username))
    }

    /// A WhatsApp customer known by this BSUID (and username, if any), with no phone.
    pub fn bsuid_customer(
        &self,
        phone_number_id: &str,
        bsuid: &str,
        username: Option<&str>,
    ) -> Result<WhatsAppCustomer, SimError> {
        let number = self.number(phone_number_id)?;
        if !phones::is_bsuid(bsuid) {
            return Err(SimError::Payload(format!("{bsuid} is not a BSUID")));
        }
        let record = self.state.ensure_bsuid_customer(bsuid, username, None);
        Ok(WhatsAppCustomer::new(Arc::clone(&self.state), number, record.user_id))
    }

    /// A new Messenger user of a Page (fresh PSID).
    pub fn messenger_customer(&self, page_id: &str) -> Result<SocialCustomer, SimError> {
        self.messenger_customer_with_id(page_id, &ids::psid())
    }

    pub fn messenger_customer_with_id(&self, page_id: &str, psid: &str) -> Result<SocialCustomer, SimError> {
        self.state.page(page_id).ok_or_else(|| SimError::UnknownAsset(page_id.to_string()))?;
        self.register_social(page_id, psid);
        Ok(SocialCustomer::new(Arc::clone(&self.state), SocialPlatform::Messenger, page_id.into(), psid.into()))
    }

    /// A new Instagram user of an account (fresh IGSID).
    pub fn instagram_customer(&self, ig_id: &str) -> Result<SocialCustomer, SimError> {
        self.instagram_customer_with_id(ig_id, &ids::igsid())
    }

    pub fn instagram_customer_with_id(&self, ig_id: &str, igsid: &str) -> Result<SocialCustomer, SimError> {
        self.state.instagram(ig_id).ok_or_else(|| SimError::UnknownAsset(ig_id.to_string()))?;
        self.register_social(ig_id, igsid);
        Ok(SocialCustomer::new(Arc::clone(&self.state), SocialPlatform::Instagram, ig_id.into(), igsid.into()))
    }

    fn register_social(&self, asset_id: &str, user: &str) {
        lock(&self.state.social_customers).entry((asset_id.to_string(), user.to_string())).or_default();
    }

    fn number(&self, phone_number_id: &str) -> Result<crate::config::WhatsAppNumber, SimError> {
        self.state.number(phone_number_id).ok_or_else(|| SimError::UnknownAsset(phone_number_id.to_string()))
    }
}
