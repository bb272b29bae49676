//! Applying a worker's whole batch of deliveries at once. A campaign's replies arrive as thousands of
//! deliveries each holding one customer message; applied one by one, every message costs its own
//! commit (and sync) and half a dozen reads to publish it. Here the batch's channels are looked up
//! once, its messages are stored in one transaction (`Store::ingest_messages`) and published as the
//! store gives them back, with their conversations read in one query, and only the other events
//! (statuses, reactions, edits, calls…) are applied one at a time after them.
//!
//! Applying a message before a status, reaction or edit of the same batch that came earlier only
//! spares that event a stay in `deferred_events`: each of them is idempotent and orders itself (a
//! status only moves forwards, an edit carries its time), so the outcome is the one the delivery
//! order would have given.
//!
//! A batch is applied in two stages, [`store`] and [`finish`], so that the worker can store the next
//! batch's messages while this one is published: see `worker::Pipeline` for the order that keeps.

use super::apply::{identity, new_message, own_number_share, Applier, ChannelCache};
use crate::realtime::publish::{self, Change, CreatedMessages};
use domain::channel::Channel;
use domain::ids::{AccountId, ConversationId, MessageId};
use domain::message::Origin;
use domain::time_util::to_millis;
use meta::webhook::{Delivery, EventKind, InboundMessage};
use std::collections::HashMap;
use store::{IngestItem, IngestOutcome, StoreError};

/// What happened to each delivery of the batch: `None` when all its events applied, otherwise the
/// first error (the delivery is then retried, and applying again changes nothing).
pub type Failures = Vec<Option<StoreError>>;

/// A message of the batch, with the delivery it came in.
struct Incoming<'d> {
    delivery: usize,
    channel: Channel,
    message: &'d InboundMessage,
    history: bool,
}

/// Where a routed event sits in the batch: its delivery, its place among that delivery's events,
/// and its channel.
struct Routed {
    delivery: usize,
    event: usize,
    channel: Channel,
}

/// A batch after its first stage ([`store`]): its messages are stored; what is left for the
/// second ([`finish`]) is telling about them and applying the other events. The worker runs the
/// second stage of one batch while the next batch's messages are stored.
pub struct Stored {
    deliveries: Vec<Delivery>,
    messages: Vec<Routed>,
    others: Vec<Routed>,
    /// What storing each of `messages` gave, in their order; `None` for one that failed (its
    /// delivery's failure is in `failures`).
    outcomes: Vec<Option<IngestOutcome>>,
    failures: Failures,
}

impl Stored {
    fn incoming(&self) -> Vec<Incoming<'_>> {
        incoming(&self.deliveries, &self.messages)
    }

    /// The messages this batch created, which its second stage announces.
    pub fn created(&self) -> Vec<MessageId> {
        self.outcomes
            .iter()
            .filter_map(|o| match o {
                Some(IngestOutcome::Created { message_id, .. }) => Some(*message_id),
                _ => None,
            })
            .collect()
    }
}

/// Messages a batch of this process is announcing now (its second stage runs beside the next
/// batch's first): the next batch, meeting them again (Meta delivered one twice), leaves them to it.
pub type Announcing = std::collections::HashSet<MessageId>;

/// The messages routed to `messages`, each with what storing and telling about it needs.
fn incoming<'d>(deliveries: &'d [Delivery], messages: &[Routed]) -> Vec<Incoming<'d>> {
    messages
        .iter()
        .filter_map(|r| {
            let (message, history) = match &deliveries[r.delivery].events[r.event].kind {
                EventKind::Message(m) => (m, false),
                EventKind::History(h) => (&h.message, true),
                _ => return None,
            };
            Some(Incoming { delivery: r.delivery, channel: r.channel.clone(), message, history })
        })
        .collect()
}

/// The first stage of a batch: routes every event of `deliveries` and stores their messages in one
/// transaction, in which it forgets that the messages of an earlier batch, `announced` since, wait
/// to be announced (a write transaction of their own, in the second stage that announced them,
/// waited for SQLite's one writer, held by the next batch's first stage). A store that is
/// unavailable stops the batch (`Err`: nothing forgotten either); any other error is the failure of
/// the delivery it belongs to. `Ok` once `announced` are forgotten — or their forgetting failed, which
/// is logged: they are then announced again if their deliveries are applied again (at least once).
pub async fn store(
    applier: &Applier<'_>,
    deliveries: Vec<Delivery>,
    announcing: &Announcing,
    announced: &[MessageId],
) -> Result<Stored, StoreError> {
    let mut failures: Failures = deliveries.iter().map(|_| None).collect();
    let mut channels = ChannelCache::default();
    let mut messages = Vec::new();
    let mut others = Vec::new();
    for (i, delivery) in deliveries.iter().enumerate() {
        for (j, event) in delivery.events.iter().enumerate() {
            let channel = match applier.route(event, &mut channels).await {
                Ok(Some(channel)) => channel,
                Ok(None) => continue,
                Err(e) => {
                    fail(&mut failures, i, e)?;
                    continue;
                }
            };
            let routed = Routed { delivery: i, event: j, channel };
            match &event.kind {
                EventKind::Message(_) | EventKind::History(_) => messages.push(routed),
                _ => others.push(routed),
            }
        }
    }
    let outcomes = ingest(applier, &incoming(&deliveries, &messages), announcing, announced, &mut failures).await?;
    Ok(Stored { deliveries, messages, others, outcomes, failures })
}

/// The second stage of a batch ([`Stored`]): publishes the messages stored, applies the events that
/// waited for them, then the batch's other events (statuses, reactions, edits, calls…) one at a
/// time. Returns what happened to each delivery.
pub async fn finish(applier: &Applier<'_>, mut stored: Stored) -> Result<Failures, StoreError> {
    let mut failures = std::mem::take(&mut stored.failures);
    let incoming = stored.incoming();
    // A message that could not be stored has nothing to tell about, and what waits for it waits on.
    let (messages, outcomes): (Vec<&Incoming<'_>>, Vec<&IngestOutcome>) =
        incoming.iter().zip(&stored.outcomes).filter_map(|(m, outcome)| Some((m, outcome.as_ref()?))).unzip();
    // Which messages have events waiting is looked up while the new ones are read back and told
    // about. The waiting events are applied after, so their `message.updated` follows the
    // `message.created` of their message.
    let (published, waiting) =
        tokio::join!(publish_created(applier, &messages, &outcomes), waiting_for(applier, &messages));
    published?;
    apply_waiting(applier, waiting?, &mut failures).await?;
    for r in &stored.others {
        if let Err(e) = applier.apply_routed(&r.channel, &stored.deliveries[r.delivery].events[r.event]).await {
            fail(&mut failures, r.delivery, e)?;
        }
    }
    Ok(failures)
}

/// Records `e` as delivery `i`'s failure (its first one is kept), or gives it back when the store is
/// unavailable: then nothing else of the batch can be applied either.
fn fail(failures: &mut Failures, i: usize, e: StoreError) -> Result<(), StoreError> {
    if e.is_unavailable() {
        return Err(e);
    }
    tracing::warn!(error = %e, "webhook event failed; the others still apply");
    failures[i].get_or_insert(e);
    Ok(())
}

/// Stores the batch's messages in one transaction; gives back what storing each gave. When that
/// transaction fails for something else than an unavailable store (a message the database refuses),
/// each message is stored in a transaction of its own, so that the bad one fails only its own
/// delivery. That happens here, in the first stage, like the batch's transaction would have: stored
/// in the second, they could come after the next batch's messages — a customer's first message
/// after their second, told about before the conversation the next batch creates for them.
async fn ingest(
    applier: &Applier<'_>,
    messages: &[Incoming<'_>],
    announcing: &Announcing,
    announced: &[MessageId],
    failures: &mut Failures,
) -> Result<Vec<Option<IngestOutcome>>, StoreError> {
    if messages.is_empty() {
        forget(applier, announced).await;
        return Ok(Vec::new());
    }
    let state = applier.state;
    let items: Vec<IngestItem> = messages
        .iter()
        .map(|m| IngestItem {
            account: m.channel.account_id,
            channel: m.channel.id,
            who: identity(&m.message.customer, m.channel.kind.is_whatsapp()),
            msg: new_message(m.message, m.history),
        })
        .collect();
    let mut outcomes = match state.store.forget_and_ingest_messages(announced, &items, state.now_ms()).await {
        Ok(outcomes) => outcomes.into_iter().map(Some).collect(),
        Err(e) if e.is_unavailable() => return Err(e),
        Err(e) => {
            tracing::warn!(error = %e, count = messages.len(), "a batch of messages failed; storing them one by one");
            forget(applier, announced).await;
            let mut outcomes = Vec::with_capacity(items.len());
            for (m, item) in messages.iter().zip(&items) {
                match state.store.ingest_messages(std::slice::from_ref(item), state.now_ms()).await {
                    Ok(mut one) => outcomes.push(one.pop()),
                    Err(e) => {
                        fail(failures, m.delivery, e)?;
                        outcomes.push(None);
                    }
                }
            }
            outcomes
        }
    };
    recover_unannounced(applier, messages, announcing, &mut outcomes).await?;
    Ok(outcomes)
}

/// Forgets, in a transaction of its own, that the messages `announced` wait to be announced (see
/// [`store`]); a failure is logged.
pub async fn forget(applier: &Applier<'_>, announced: &[MessageId]) {
    if announced.is_empty() {
        return;
    }
    if let Err(e) = applier.state.store.forget_announced(announced).await {
        // Announced again if their deliveries are applied again: at least once.
        tracing::warn!(error = %e, "could not note that messages were announced");
    }
}

/// Turns the duplicates that were stored but never announced (the process that stored them died
/// before its second stage) into messages created, read back, so that this batch announces them:
/// their sockets' and webhooks' events, a new conversation's, the round-robin's notice. Not those
/// the batch before is `announcing`. At least once — a process that died while announcing them, or
/// another one announcing them right now, may have told some of it already.
async fn recover_unannounced(
    applier: &Applier<'_>,
    messages: &[Incoming<'_>],
    announcing: &Announcing,
    outcomes: &mut [Option<IngestOutcome>],
) -> Result<(), StoreError> {
    let mut wanted: std::collections::HashMap<AccountId, Vec<MessageId>> = std::collections::HashMap::new();
    for (m, outcome) in messages.iter().zip(outcomes.iter()) {
        if let Some(IngestOutcome::Duplicate { message_id, unannounced: Some(unannounced), .. }) = outcome {
            if !announcing.contains(message_id) {
                let ids = wanted.entry(m.channel.account_id).or_default();
                ids.push(*message_id);
                // Its conversation's notice, stored with it, is published with it; not stored again.
                ids.extend(unannounced.notice);
            }
        }
    }
    let mut records = std::collections::HashMap::new();
    for (account, ids) in wanted {
        tracing::info!(count = ids.len(), "announcing messages stored before a crash and never announced");
        records.extend(applier.state.store.messages_by_ids(account, &ids).await?.into_iter().map(|r| (r.id, r)));
    }
    for outcome in outcomes.iter_mut() {
        let Some(IngestOutcome::Duplicate { message_id, conversation_id, unannounced: Some(unannounced) }) = outcome
        else {
            continue;
        };
        // Only once in the batch, should Meta have sent it twice.
        if let Some(record) = records.remove(message_id) {
            let notice = unannounced.notice.and_then(|id| records.remove(&id)).map(Box::new);
            *outcome = Some(IngestOutcome::Created {
                message_id: *message_id,
                conversation_id: *conversation_id,
                new_conversation: unannounced.new_conversation,
                record: Box::new(record),
                notice,
            });
        }
    }
    Ok(())
}

/// Tells about the messages the batch created: their new conversations first, then the messages and
/// the conversations as they now are; then what a shared phone number adds.
async fn publish_created(
    applier: &Applier<'_>,
    messages: &[&Incoming<'_>],
    outcomes: &[&IngestOutcome],
) -> Result<(), StoreError> {
    let state = applier.state;
    let mut accounts: Vec<AccountId> = Vec::new();
    for m in messages {
        if !accounts.contains(&m.channel.account_id) {
            accounts.push(m.channel.account_id);
        }
    }
    for account in accounts {
        let mut created: Vec<store::MessageRecord> = Vec::new();
        let mut new_conversations: Vec<ConversationId> = Vec::new();
        let mut notices: HashMap<ConversationId, &store::MessageRecord> = HashMap::new();
        for (m, outcome) in messages.iter().zip(outcomes) {
            if let IngestOutcome::Created { conversation_id, new_conversation, record, notice, .. } = outcome {
                if m.channel.account_id != account {
                    continue;
                }
                metrics::counter!("inbox_messages_ingested_total", "channel_kind" => m.channel.kind.as_str())
                    .increment(1);
                created.push((**record).clone());
                if let Some(notice) = notice {
                    notices.insert(*conversation_id, notice);
                }
                if *new_conversation {
                    new_conversations.push(*conversation_id);
                    if !m.channel.kind.is_whatsapp() {
                        state.profile_wakeup.notify_one();
                    }
                }
            }
        }
        if created.is_empty() {
            continue;
        }
        // Only media have something to fetch: a batch of texts spares the media worker its look.
        if created.iter().any(|m| !m.attachments.is_empty()) {
            state.media_wakeup.notify_one();
        }
        // The messages are stored: a failure to tell about them must not fail their deliveries (applied
        // again, they would be duplicates, and still not told). The agents see them on their next load.
        let count = created.len();
        if let Err(e) = announce(applier, account, created, &new_conversations, &notices).await {
            tracing::warn!(error = %e, count, "new messages stored but not published");
        }
    }
    for (m, outcome) in messages.iter().zip(outcomes) {
        let IngestOutcome::Created { conversation_id, .. } = outcome else { continue };
        let from_customer = m.message.origin == Origin::Customer;
        let shared =
            (from_customer && m.channel.kind.is_whatsapp()).then(|| own_number_share(&m.message.content)).flatten();
        if let Some(shared) = shared {
            let at = to_millis(m.message.timestamp);
            applier.own_number_shared(&m.channel, *conversation_id, shared, at).await?;
            publish::conversation(state, m.channel.account_id, *conversation_id, Change::Updated).await?;
        }
    }
    Ok(())
}

/// Announces the new conversations of one account and publishes its new messages. The sockets
/// first, in the order a client expects (a conversation before its messages): the agents wait for
/// nothing else. Then the webhooks, in the same order, and last the round-robin's assignments with
/// their `notices` (stored with the customer's message, after it: they follow it in the
/// conversation too).
async fn announce(
    applier: &Applier<'_>,
    account: AccountId,
    created: Vec<store::MessageRecord>,
    new_conversations: &[ConversationId],
    notices: &HashMap<ConversationId, &store::MessageRecord>,
) -> Result<(), StoreError> {
    let mut readback = CreatedMessages::read(applier.state, account, created).await?;
    let views = {
        let records: Vec<&store::ConversationRecord> =
            new_conversations.iter().filter_map(|id| readback.conversations.get(id)).collect();
        applier.conversations_created_to_sockets(&records)
    };
    let messages = readback.to_sockets(applier.state);
    let assigned: Vec<crate::assignment::Automatic<'_>> = new_conversations
        .iter()
        .filter_map(|id| readback.conversations.get(id))
        .map(|conversation| crate::assignment::Automatic {
            conversation,
            notice: notices.get(&conversation.id).copied(),
        })
        .collect();
    crate::hooks::emit_all(applier.state, account, crate::hooks::HookEvent::ConversationCreated, &views).await;
    crate::hooks::emit_all(applier.state, account, crate::hooks::HookEvent::MessageCreated, &messages).await;
    crate::assignment::announce_automatic(applier.state, account, &assigned).await;
    Ok(())
}

/// The batch's messages that events are waiting for (a status that beat its message, an edit before
/// its original), with their channel: one query per channel finds them. Duplicates too: a crash may
/// have come between storing a message and applying what waited for it.
async fn waiting_for<'m, 'd>(
    applier: &Applier<'_>,
    messages: &[&'m Incoming<'d>],
) -> Result<Vec<&'m Incoming<'d>>, StoreError> {
    let mut channels: Vec<&Channel> = Vec::new();
    for m in messages {
        if !channels.iter().any(|c| c.id == m.channel.id) {
            channels.push(&m.channel);
        }
    }
    let mut found = Vec::new();
    for channel in channels {
        let ids: Vec<&str> =
            messages.iter().filter(|m| m.channel.id == channel.id).map(|m| m.message.external_id.as_str()).collect();
        let waiting = applier.state.store.external_ids_with_deferred(channel.id, &ids).await?;
        found.extend(
            messages.iter().copied().filter(|m| m.channel.id == channel.id && waiting.contains(&m.message.external_id)),
        );
    }
    Ok(found)
}

/// Applies the events that were waiting for `messages` (see [`waiting_for`]).
async fn apply_waiting(
    applier: &Applier<'_>,
    messages: Vec<&Incoming<'_>>,
    failures: &mut Failures,
) -> Result<(), StoreError> {
    for m in messages {
        if let Err(e) = applier.apply_waiting(&m.channel, &m.message.external_id).await {
            fail(failures, m.delivery, e)?;
        }
    }
    Ok(())
}
