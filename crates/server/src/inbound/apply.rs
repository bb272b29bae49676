//! Applying one parsed Meta event to the store, then telling the users who may see it.
//!
//! Idempotent throughout: a message is stored once per Meta id, statuses only move forwards, a
//! repeated edit or reaction changes nothing. An event about a message we have not stored yet (a
//! status before its message, an edit before its original) is kept as a [`Deferred`] and applied when
//! the message arrives.

use crate::inbound::mapping::{map_message, Mapped};
use crate::realtime::publish::{self, Change};
use crate::realtime::Event as RealtimeEvent;
use crate::state::AppState;
use domain::channel::Channel;
use domain::ids::{ConversationId, MessageId};
use domain::message::{Direction, MessageStatus};
use domain::permissions::ConversationScope;
use domain::time_util::to_millis;
use meta::webhook::{
    Call, CallDirection, CallEvent, CustomerRef, Event, EventKind, InboundMessage, MarketingChoice,
    MarketingPreference, MessageContent, Origin, RoutingKind, SyncAction,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{ApplyOutcome, CustomerIdentity, IngestOutcome, NewMessage, Revision, StoreError};

/// An event kept until its message exists (stored as JSON in `deferred_events`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Deferred {
    /// Rows kept before statuses were typed also carry a `rank`: it is ignored, the status has its own.
    Status {
        status: MessageStatus,
        error: Option<(Option<String>, Option<String>, Option<String>)>,
        pricing: Option<serde_json::Value>,
    },
    Reaction {
        actor: String,
        emoji: Option<String>,
    },
    Edit {
        kind: String,
        text: Option<String>,
        content: serde_json::Value,
        at: i64,
    },
    Revoke {
        at: i64,
    },
}

fn route_object(kind: RoutingKind) -> Option<&'static str> {
    match kind {
        RoutingKind::WhatsAppPhoneNumber => Some("whatsapp"),
        RoutingKind::Page => Some("page"),
        RoutingKind::Instagram => Some("instagram"),
        RoutingKind::WhatsAppBusinessAccount => None,
    }
}

pub fn identity(c: &CustomerRef, is_whatsapp: bool) -> CustomerIdentity {
    if is_whatsapp {
        CustomerIdentity {
            wa_id: c.wa_id.clone(),
            bsuid: c.user_id.clone(),
            parent_bsuid: c.parent_user_id.clone(),
            scoped_id: None,
            username: c.username.clone(),
            profile_name: c.profile_name.clone(),
            phone_keys: c.wa_id.as_deref().map(domain::phone::match_keys).unwrap_or_default(),
            fetch_profile: false,
        }
    } else {
        CustomerIdentity {
            scoped_id: Some(c.external_id.clone()),
            profile_name: c.profile_name.clone(),
            // Messenger/Instagram webhooks carry no name: a new customer's profile is fetched later.
            fetch_profile: true,
            ..Default::default()
        }
    }
}

pub struct Applier<'a> {
    pub state: &'a AppState,
}

/// The channels looked up by route while applying one batch: a batch of a campaign's replies names
/// the same few numbers again and again. Kept no longer than the batch, so a channel connected,
/// changed or removed meanwhile is seen by the next one.
#[derive(Default)]
pub struct ChannelCache(std::collections::HashMap<(&'static str, String), Option<Channel>>);

impl Applier<'_> {
    /// The channel an event is for, through `cache`; `None` for an event of no channel (noted here:
    /// a WABA-level event is logged, one for a channel not connected is kept in `unrouted_events`).
    pub async fn route(&self, event: &Event, cache: &mut ChannelCache) -> Result<Option<Channel>, StoreError> {
        let Some(object) = route_object(event.routing.kind) else {
            tracing::info!(kind = ?event.kind, "WABA-level event noted (template status and similar)");
            return Ok(None);
        };
        let key = (object, event.routing.id.clone());
        let found = match cache.0.get(&key) {
            Some(found) => found.clone(),
            None => {
                let found = self.state.store.find_channel_by_route(object, &event.routing.id).await?.map(|s| s.channel);
                cache.0.insert(key, found.clone());
                found
            }
        };
        if found.is_none() {
            tracing::warn!(object, id = %event.routing.id, "webhook for no connected channel: kept in unrouted_events");
            self.state.store.record_unrouted(object, &event.routing.id, &event.raw, self.state.now_ms()).await?;
        }
        Ok(found)
    }

    /// Applies one event to the channel it was routed to. Errors are store errors only (the delivery
    /// is then retried); anything about the event itself (an unknown type) is handled here and logged.
    pub async fn apply_routed(&self, channel: &Channel, event: &Event) -> Result<(), StoreError> {
        let now = self.state.now_ms();
        match &event.kind {
            EventKind::Message(m) => self.message(channel, m, false).await,
            EventKind::History(h) => self.message(channel, &h.message, true).await,
            EventKind::Status(s) => {
                let status = s.status.status();
                if let Some(r) = &s.recipient {
                    if let (Some(wa), Some(bsuid)) = (r.wa_id.as_deref(), r.user_id.as_deref()) {
                        self.state.store.join_identity(channel.id, wa, bsuid, now).await?;
                    }
                }
                let error = s.errors.first().map(|e| (e.code.map(|c| c.to_string()), e.title.clone(), e.reason()));
                let pricing = s.pricing.as_ref().map(|p| {
                    serde_json::json!({"billable": p.billable, "pricing_model": p.pricing_model, "category": p.category, "type": p.kind})
                });
                let d = Deferred::Status { status, error, pricing };
                self.apply_or_defer(channel, &s.message_external_id, d).await
            }
            EventKind::Reaction(r) => {
                // Whoever reacted for the business (its apps, an agent here) shows as the business.
                let actor = match r.origin.direction() {
                    Direction::Inbound => "customer",
                    Direction::Outbound => "business",
                };
                let emoji = r.emoji.clone().filter(|e| !e.is_empty());
                self.apply_or_defer(channel, &r.target_external_id, Deferred::Reaction { actor: actor.into(), emoji })
                    .await
            }
            EventKind::Edit(e) => {
                let Mapped { kind, text, content, .. } = map_message(&e.new_content, &[]);
                let d = Deferred::Edit { kind: kind.into(), text, content, at: to_millis(e.timestamp) };
                self.apply_or_defer(channel, &e.original_external_id, d).await
            }
            EventKind::Revoke(r) => {
                self.apply_or_defer(channel, &r.original_external_id, Deferred::Revoke { at: to_millis(r.timestamp) })
                    .await
            }
            EventKind::ReadWatermark(w) => {
                if let Some(mid) = &w.mid {
                    self.apply_or_defer(
                        channel,
                        mid,
                        Deferred::Status { status: MessageStatus::Read, error: None, pricing: None },
                    )
                    .await?;
                }
                if let Some(at) = w.watermark {
                    let changed = self
                        .state
                        .store
                        .apply_watermark(channel.id, &w.customer.external_id, MessageStatus::Read, to_millis(at), now)
                        .await?;
                    for (m, c) in changed {
                        publish::message(self.state, channel.account_id, m, c, Change::Updated).await?;
                    }
                }
                Ok(())
            }
            EventKind::DeliveryWatermark(w) => {
                for mid in &w.mids {
                    self.apply_or_defer(
                        channel,
                        mid,
                        Deferred::Status { status: MessageStatus::Delivered, error: None, pricing: None },
                    )
                    .await?;
                }
                if let Some(at) = w.watermark {
                    let changed = self
                        .state
                        .store
                        .apply_watermark(
                            channel.id,
                            &w.customer.external_id,
                            MessageStatus::Delivered,
                            to_millis(at),
                            now,
                        )
                        .await?;
                    for (m, c) in changed {
                        publish::message(self.state, channel.account_id, m, c, Change::Updated).await?;
                    }
                }
                Ok(())
            }
            EventKind::ContactSync(c) => {
                if let Some(phone) = c.phone_number.as_deref() {
                    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
                    let name = match c.action {
                        SyncAction::Remove => None,
                        _ => c.full_name.as_deref().or(c.first_name.as_deref()),
                    };
                    self.state.store.save_contact_name(channel.id, &digits, name, now).await?;
                }
                Ok(())
            }
            EventKind::TemplateStatus(t) => {
                tracing::info!(name = ?t.name, status = %t.status, "template status update");
                Ok(())
            }
            EventKind::MarketingPreference(p) => self.marketing_preference(channel, p).await,
            EventKind::Call(c) => self.call(channel, c).await,
            EventKind::Ignored(i) => {
                tracing::debug!(reason = ?i.reason, "webhook item ignored");
                Ok(())
            }
        }
    }

    /// Stores a notice that is not a message (a marketing preference, a call) once per `external_id`,
    /// creating the customer's handle and conversation when they had none, and tells the agents.
    /// Returns the notice, its conversation, and whether it is new.
    async fn notice(
        &self,
        channel: &Channel,
        customer: &CustomerRef,
        notice: NewMessage,
    ) -> Result<(MessageId, ConversationId, bool), StoreError> {
        let now = self.state.now_ms();
        let who = identity(customer, channel.kind.is_whatsapp());
        match self.state.store.ingest_message(channel.account_id, channel.id, &who, &notice, now).await? {
            IngestOutcome::Created { message_id, conversation_id, new_conversation, notice, .. } => {
                if new_conversation {
                    self.conversation_created(channel, conversation_id, notice.as_deref()).await?;
                }
                publish::message_and_conversation(
                    self.state,
                    channel.account_id,
                    message_id,
                    conversation_id,
                    Change::Created,
                )
                .await?;
                Ok((message_id, conversation_id, true))
            }
            IngestOutcome::Duplicate { message_id, conversation_id, .. } => Ok((message_id, conversation_id, false)),
        }
    }

    /// `user_preferences`: the customer stopped or resumed marketing messages. Recorded on the handle and
    /// its contact (ordered by Meta's timestamp) and shown once as a notice.
    async fn marketing_preference(&self, channel: &Channel, p: &MarketingPreference) -> Result<(), StoreError> {
        let stop = p.choice == MarketingChoice::Stop;
        let value = if stop { "stop" } else { "resume" };
        let at = to_millis(p.timestamp);
        let notice = system_notice(
            // Meta's timestamp makes a redelivered preference the same notice, not a second one.
            format!("marketing_preference.{}.{value}.{}", p.customer.external_id, p.timestamp.unix_timestamp()),
            json!({"type": "marketing_preference", "value": value, "opted_out": stop, "source": "customer",
                   "detail": p.detail, "at": rfc3339(at)}),
            at,
        );
        let (_, conversation, _) = self.notice(channel, &p.customer, notice).await?;
        if self.state.store.apply_marketing_preference(conversation, stop, at, self.state.now_ms()).await? {
            publish::conversation(self.state, channel.account_id, conversation, Change::Updated).await?;
        }
        Ok(())
    }

    /// Meta refused a marketing template because the customer stopped marketing messages (131050): that
    /// is the final word on their preference even when no `user_preferences` webhook told us.
    pub async fn opted_out_by_meta(
        &self,
        channel: &Channel,
        conversation: ConversationId,
        at: i64,
    ) -> Result<(), StoreError> {
        let content = json!({"system": {"type": "marketing_preference", "value": "stop", "opted_out": true,
            "source": "meta_error_131050", "detail": null, "at": rfc3339(at)}});
        let notice =
            store::SystemNotice { account: channel.account_id, channel: channel.id, conversation, content: &content };
        let store = &self.state.store;
        // The preference and its notice in one transaction: nobody sees one without the other.
        match store
            .apply_marketing_preference_with_notice(conversation, true, at, self.state.now_ms(), Some(&notice))
            .await?
        {
            (true, Some(id)) => {
                publish::message_and_conversation(self.state, channel.account_id, id, conversation, Change::Created)
                    .await
            }
            _ => Ok(()),
        }
    }

    /// `calls`: one notice per call id, showing the latest step seen (a `terminate` updates the notice a
    /// `connect` created; a late `connect` changes nothing).
    async fn call(&self, channel: &Channel, c: &Call) -> Result<(), StoreError> {
        use domain::call::{self, Step};
        let direction = match c.direction {
            CallDirection::UserInitiated => Direction::Inbound,
            CallDirection::BusinessInitiated => Direction::Outbound,
        };
        let step = match c.event {
            CallEvent::Connect => Step::Connect,
            CallEvent::Terminate => Step::Terminate,
        };
        let outcome = call::outcome(step, direction, c.status.as_deref(), c.duration_seconds);
        let rank = call::stage_rank(step);
        let started = to_millis(c.started_at.unwrap_or(c.timestamp));
        let content = json!({"type": "call", "call_id": c.call_id, "direction": direction.as_str(),
            "outcome": outcome.as_str(), "duration_seconds": if step == Step::Terminate { c.duration_seconds } else { None },
            "meta_status": c.status, "started_at": rfc3339(started), "ended_at": c.ended_at.map(|t| rfc3339(to_millis(t))),
            "stage": if step == Step::Terminate { "terminate" } else { "connect" }, "stage_rank": rank});
        let opens = call::opens_window(channel.kind, direction, outcome);
        let from_customer = direction == Direction::Inbound;
        let mut notice = system_notice(c.call_id.clone(), content.clone(), started);
        notice.anchors_window = opens;
        // A call from the customer asks for attention like a message does (a missed call most of all).
        notice.counts_as_unread = from_customer;
        notice.reopens = from_customer;
        let (message, conversation, created) = self.notice(channel, &c.customer, notice).await?;
        if !created {
            let anchor = opens.then_some(started);
            let changed = self
                .state
                .store
                .revise_call_notice(message, &json!({"system": content}), rank, anchor, self.state.now_ms())
                .await?;
            if changed {
                publish::message_and_conversation(
                    self.state,
                    channel.account_id,
                    message,
                    conversation,
                    Change::Updated,
                )
                .await?;
            }
        }
        Ok(())
    }

    pub(super) async fn message(&self, channel: &Channel, m: &InboundMessage, history: bool) -> Result<(), StoreError> {
        let now = self.state.now_ms();
        let msg = new_message(m, history);
        let from_customer = m.origin == Origin::Customer;
        let who = identity(&m.customer, channel.kind.is_whatsapp());
        let outcome = self.state.store.ingest_message(channel.account_id, channel.id, &who, &msg, now).await?;
        if let IngestOutcome::Created { message_id, conversation_id, new_conversation, notice, .. } = outcome {
            metrics::counter!("inbox_messages_ingested_total", "channel_kind" => channel.kind.as_str()).increment(1);
            if new_conversation {
                self.conversation_created(channel, conversation_id, notice.as_deref()).await?;
                if !channel.kind.is_whatsapp() {
                    self.state.profile_wakeup.notify_one();
                }
            }
            let shared = (from_customer && channel.kind.is_whatsapp()).then(|| own_number_share(&m.content)).flatten();
            if let Some(shared) = shared {
                publish::message(self.state, channel.account_id, message_id, conversation_id, Change::Created).await?;
                self.own_number_shared(channel, conversation_id, shared, to_millis(m.timestamp)).await?;
                publish::conversation(self.state, channel.account_id, conversation_id, Change::Updated).await?;
            } else {
                publish::message_and_conversation(
                    self.state,
                    channel.account_id,
                    message_id,
                    conversation_id,
                    Change::Created,
                )
                .await?;
            }
            if !msg.attachments.is_empty() {
                self.state.media_wakeup.notify_one();
            }
        }
        // Also on a duplicate: a crash may have come between storing the message and applying what waited for it.
        self.apply_waiting(channel, &m.external_id).await
    }

    /// The customer answered a contact request: their number fills the contact's WhatsApp phone (the
    /// contact is created when none is linked) and a notice is added to the conversation.
    pub(super) async fn own_number_shared(
        &self,
        channel: &Channel,
        conversation: ConversationId,
        n: SharedNumber,
        at: i64,
    ) -> Result<(), StoreError> {
        let shared = store::SharedPhone {
            e164: n.phone.as_str().to_string(),
            wa_id: Some(n.wa_id.unwrap_or_else(|| n.phone.digits().to_string())),
            phone_keys: n.phone.match_keys(),
            first_name: n.first_name,
            last_name: n.last_name,
        };
        let now = self.state.now_ms();
        let (contact, created) =
            self.state.store.record_shared_phone(channel.account_id, conversation, &shared, now).await?;
        let hook =
            if created { crate::hooks::HookEvent::ContactCreated } else { crate::hooks::HookEvent::ContactUpdated };
        crate::hooks::emit_contact(self.state, channel.account_id, hook, contact).await;
        let notice = serde_json::json!({"system": {"type": "phone_shared", "phone": shared.e164, "contact_id": contact, "contact_created": created}});
        let id = self
            .state
            .store
            .insert_system_notice(channel.account_id, channel.id, conversation, &notice, at + 1)
            .await?;
        publish::message(self.state, channel.account_id, id, conversation, Change::Created).await
    }

    /// Applies the events that waited for `external_id` (e.g. a status that beat the send's answer).
    pub async fn apply_waiting(&self, channel: &Channel, external_id: &str) -> Result<(), StoreError> {
        for (id, event) in self.state.store.deferred_events(channel.id, external_id).await? {
            match serde_json::from_value::<Deferred>(event) {
                Ok(d) => {
                    self.apply_deferred(channel, external_id, &d).await?;
                }
                Err(e) => tracing::error!(error = %e, "unreadable deferred event dropped"),
            }
            self.state.store.delete_deferred(&id).await?;
        }
        Ok(())
    }

    async fn apply_or_defer(&self, channel: &Channel, external_id: &str, d: Deferred) -> Result<(), StoreError> {
        if self.apply_deferred(channel, external_id, &d).await? == ApplyOutcome::UnknownMessage {
            let json = serde_json::to_value(&d).unwrap_or_default();
            self.state.store.defer_event(channel.id, external_id, &json, self.state.now_ms()).await?;
            // The message may have been stored by another processor in between: apply what waits now.
            if self.state.store.find_message(channel.id, external_id).await?.is_some() {
                self.apply_waiting(channel, external_id).await?;
            }
        }
        Ok(())
    }

    async fn apply_deferred(
        &self,
        channel: &Channel,
        external_id: &str,
        d: &Deferred,
    ) -> Result<ApplyOutcome, StoreError> {
        let now = self.state.now_ms();
        let store = &self.state.store;
        let outcome = match d {
            Deferred::Status { status, error, pricing } => {
                store.apply_status(channel.id, external_id, *status, error.clone(), pricing.as_ref(), now).await?
            }
            Deferred::Reaction { actor, emoji } => {
                store.apply_reaction(channel.id, external_id, actor, emoji.as_deref(), now).await?
            }
            Deferred::Edit { kind, text, content, at } => {
                let revision = Revision::Edit { kind, text: text.as_deref(), content: content.clone(), at: *at };
                store.revise_message(channel.id, external_id, revision, now).await?
            }
            Deferred::Revoke { at } => {
                store.revise_message(channel.id, external_id, Revision::Delete { at: *at }, now).await?
            }
        };
        if let ApplyOutcome::Applied { message_id, conversation_id } = outcome {
            if let Deferred::Status { error: Some((Some(code), _, _)), .. } = d {
                if code == MARKETING_OPT_OUT_CODE {
                    self.opted_out_by_meta(channel, conversation_id, now).await?;
                }
            }
            publish::message(self.state, channel.account_id, message_id, conversation_id, Change::Updated).await?;
            if matches!(d, Deferred::Edit { .. } | Deferred::Revoke { .. }) {
                publish::conversation(self.state, channel.account_id, conversation_id, Change::Updated).await?;
            }
        }
        Ok(outcome)
    }

    /// A conversation the customer just started: everyone who may see it is told, and so is the user
    /// the round-robin gave it to (the store assigned it, and stored its `notice`, in the transaction
    /// that created it).
    async fn conversation_created(
        &self,
        channel: &Channel,
        conversation: ConversationId,
        notice: Option<&store::MessageRecord>,
    ) -> Result<(), StoreError> {
        let record =
            self.state.store.get_conversation(channel.account_id, &ConversationScope::All, conversation).await?;
        let views = self.conversations_created_to_sockets(&[&record]);
        crate::hooks::emit_all(self.state, channel.account_id, crate::hooks::HookEvent::ConversationCreated, &views)
            .await;
        let assigned = crate::assignment::Automatic { conversation: &record, notice };
        crate::assignment::announce_automatic(self.state, channel.account_id, std::slice::from_ref(&assigned)).await;
        Ok(())
    }

    /// Tells the sockets about new conversations (`conversation.created`); gives back their views for
    /// the webhooks.
    pub(super) fn conversations_created_to_sockets(
        &self,
        records: &[&store::ConversationRecord],
    ) -> Vec<crate::views::conversation::ConversationView> {
        let now = self.state.clock.now();
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            self.state.events.publish(RealtimeEvent::conversation_created(record, now));
            views.push(crate::views::conversation::conversation_view((*record).clone(), now));
        }
        views
    }
}

/// What is stored for an inbound message: a customer's, an echo of the business's own apps, or
/// imported history (`history`), with the window and unread decisions (docs/architecture.md, "The flow of an inbound message").
pub(super) fn new_message(m: &InboundMessage, history: bool) -> NewMessage {
    let Mapped { kind, text, mut content, attachments } = map_message(&m.content, &m.additional);
    if m.forwarded || m.frequently_forwarded {
        content["forwarded"] = true.into();
        content["frequently_forwarded"] = m.frequently_forwarded.into();
    }
    if let Some(r) = &m.referral {
        content["referral"] = serde_json::json!({
            "source_url": r.source_url, "source_type": r.source_type, "source_id": r.source_id, "headline": r.headline,
            "body": r.body, "media_type": r.media_type, "ctwa_clid": r.ctwa_clid,
        });
    }
    if let Some(story) = &m.reply_to_story {
        content["reply_to_story"] = serde_json::json!({"id": story.id, "url": story.url});
    }
    let from_customer = m.origin == Origin::Customer;
    NewMessage {
        external_id: m.external_id.clone(),
        // Meta tells the customer's messages from echoes of the business's own apps (which have left
        // already: stored `sent`).
        origin: m.origin,
        kind: kind.to_string(),
        text,
        content,
        reply_to_external_id: m.reply_to.clone(),
        sent_at: to_millis(m.timestamp),
        attachments,
        // Only the customer's own messages open the window (`domain::window`); echoes never do.
        anchors_window: from_customer,
        counts_as_unread: from_customer && !history,
        reopens: from_customer && !history,
    }
}

/// Meta's error for a marketing template to a customer who stopped marketing messages.
pub const MARKETING_OPT_OUT_CODE: &str = "131050";

/// A notice of the inbox (kind and origin `system`) with `system` as its structured content. It opens no
/// window, counts as no unread and reopens nothing unless the caller says so.
fn system_notice(external_id: String, system: serde_json::Value, at: i64) -> NewMessage {
    NewMessage {
        external_id,
        origin: Origin::System,
        kind: "system".into(),
        text: None,
        content: json!({"system": system}),
        reply_to_external_id: None,
        sent_at: at,
        attachments: vec![],
        anchors_window: false,
        counts_as_unread: false,
        reopens: false,
    }
}

fn rfc3339(ms: i64) -> Option<String> {
    domain::time_util::from_millis(ms).format(&time::format_description::well_known::Rfc3339).ok()
}

pub struct SharedNumber {
    pub phone: domain::phone::PhoneE164,
    /// The id WhatsApp gave, kept exactly (it may differ from the E.164 digits, e.g. Mexico's `52 1`).
    pub wa_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// The number in a message that is the customer sharing their own phone after a contact request
/// (docs/meta.md §12). A card of somebody else (any other origin) gives nothing: it must not be
/// linked to the customer.
pub fn own_number_share(content: &MessageContent) -> Option<SharedNumber> {
    let MessageContent::Contacts { cards, shared_origin: Some(origin) } = content else { return None };
    if origin != "contact_request" {
        return None;
    }
    let card = cards.first()?;
    card.phones.iter().find_map(|p| {
        let raw = p.wa_id.as_deref().map(|w| format!("+{w}")).or_else(|| p.phone.clone())?;
        let phone = domain::phone::PhoneE164::parse(&raw, None).ok()?;
        Some(SharedNumber {
            phone,
            wa_id: p.wa_id.clone(),
            first_name: card.first_name.clone(),
            last_name: card.last_name.clone(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_deferred_before_the_typed_lifecycle_are_still_applied() {
        // As `deferred_events` rows were written before: with a rank beside the status.
        let old = json!({"type": "status", "status": "read", "rank": 3, "error": null, "pricing": null});
        let d: Deferred = serde_json::from_value(old).expect("an old deferred status reads");
        assert_eq!(d, Deferred::Status { status: MessageStatus::Read, error: None, pricing: None });
        let failed = json!({"type": "status", "status": "failed", "rank": 5,
            "error": ["131050", "Marketing opt out", null], "pricing": null});
        let Deferred::Status { status, error, .. } = serde_json::from_value(failed).expect("reads") else {
            panic!("a status")
        };
        assert_eq!(status, MessageStatus::Failed);
        assert_eq!(error, Some((Some("131050".into()), Some("Marketing opt out".into()), None)));
    }

    #[test]
    fn deferred_statuses_are_stored_by_their_name() {
        let d = Deferred::Status { status: MessageStatus::Delivered, error: None, pricing: None };
        let stored = serde_json::to_value(&d).expect("json");
        assert_eq!(stored, json!({"type": "status", "status": "delivered", "error": null, "pricing": null}));
        assert_eq!(serde_json::from_value::<Deferred>(stored).expect("round trip"), d);
        assert!(serde_json::from_value::<Deferred>(json!({"type": "status", "status": "seen"})).is_err());
    }
}
