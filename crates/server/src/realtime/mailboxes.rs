//! Who is listening: the open sockets of each account, each with a mailbox and the rights of its
//! user, so that an event is handed only to the sockets that may see it, when it is published.
//!
//! A broadcast to every socket would wake each socket's task for every event of every account, to
//! throw most of them away: at 1 000 customer messages a second (three events each) and 200 agents
//! connected, 600 000 wake-ups a second, nearly all for a seller who may not see the conversation.
//! Here an event wakes only the administrators and the one seller it is for.
//!
//! A mailbox holds at most [`BACKLOG`] events. A socket that falls that far behind (a stalled
//! browser) loses what does not fit and is told to reload what it shows (`resync`), as are all
//! sockets when events may have been missed for another reason (another process's could not reach
//! this one).

use super::{Audience, Published};
use domain::ids::{AccountId, UserId};
use domain::permissions::Permissions;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use tokio::sync::mpsc;

/// Events a socket may have waiting; beyond, it has fallen behind and will reload.
pub const BACKLOG: usize = 4096;

/// The user whose rights decide what a socket receives.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user_id: UserId,
    pub permissions: Permissions,
}

impl Viewer {
    pub(crate) fn may_see(&self, audience: &Audience) -> bool {
        audience.includes(self.user_id, &self.permissions)
    }
}

/// What a subscription receives.
#[derive(Debug)]
pub enum Received {
    Event(Arc<Published>),
    /// Events were lost on the way (the mailbox was full, or they could not reach this process):
    /// what is shown must be reloaded.
    Missed,
}

struct Mailbox {
    /// `None`: every event of every account (a tap, for tests and diagnostics).
    account_id: Option<AccountId>,
    viewer: RwLock<Option<Viewer>>,
    tx: mpsc::Sender<Arc<Published>>,
    /// Set when an event did not fit: the next receive reports `Missed`.
    missed: AtomicBool,
}

impl Mailbox {
    fn wants(&self, event: &Published) -> bool {
        match self.viewer.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
            Some(viewer) => viewer.may_see(&event.audience),
            None => true,
        }
    }

    fn put(&self, event: &Arc<Published>) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(event.clone()) {
            self.missed.store(true, Ordering::Release);
        }
    }
}

/// The mailboxes of this process's open sockets.
#[derive(Default)]
pub struct Mailboxes {
    by_account: RwLock<HashMap<AccountId, Vec<Arc<Mailbox>>>>,
    taps: RwLock<Vec<Arc<Mailbox>>>,
    /// Held while an event is numbered and handed out, so that every socket receives events in the
    /// order of their sequence numbers, whichever task published them.
    order: Mutex<u64>,
}

impl Mailboxes {
    /// Numbers an event (`make` builds it from its sequence number) and hands it to every socket
    /// that may see it.
    pub(crate) fn deliver(&self, make: impl FnOnce(u64) -> Published) {
        let mut last = self.order.lock().unwrap_or_else(PoisonError::into_inner);
        *last += 1;
        let event = Arc::new(make(*last));
        if let Some(mailboxes) = self.by_account.read().unwrap_or_else(PoisonError::into_inner).get(&event.account_id) {
            for mailbox in mailboxes.iter().filter(|m| m.wants(&event)) {
                mailbox.put(&event);
            }
        }
        for tap in self.taps.read().unwrap_or_else(PoisonError::into_inner).iter() {
            tap.put(&event);
        }
    }

    /// Tells every socket to reload what it shows.
    pub(crate) fn resync_everyone(&self, marker: Published) {
        let marker = Arc::new(marker);
        let _order = self.order.lock().unwrap_or_else(PoisonError::into_inner);
        for mailboxes in self.by_account.read().unwrap_or_else(PoisonError::into_inner).values() {
            for mailbox in mailboxes {
                mailbox.put(&marker);
            }
        }
        for tap in self.taps.read().unwrap_or_else(PoisonError::into_inner).iter() {
            tap.put(&marker);
        }
    }

    /// A mailbox for a socket of `viewer` in `account_id`, open until the subscription is dropped.
    pub(crate) fn open(self: &Arc<Self>, account_id: AccountId, viewer: Viewer) -> Subscription {
        let (mailbox, rx) = new_mailbox(Some(account_id), Some(viewer));
        self.by_account
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(account_id)
            .or_default()
            .push(mailbox.clone());
        Subscription { mailbox, rx, mailboxes: self.clone() }
    }

    /// A mailbox receiving every event of every account.
    pub(crate) fn tap(self: &Arc<Self>) -> Subscription {
        let (mailbox, rx) = new_mailbox(None, None);
        self.taps.write().unwrap_or_else(PoisonError::into_inner).push(mailbox.clone());
        Subscription { mailbox, rx, mailboxes: self.clone() }
    }

    fn close(&self, mailbox: &Arc<Mailbox>) {
        match mailbox.account_id {
            Some(account) => {
                let mut by_account = self.by_account.write().unwrap_or_else(PoisonError::into_inner);
                if let Some(list) = by_account.get_mut(&account) {
                    list.retain(|m| !Arc::ptr_eq(m, mailbox));
                    if list.is_empty() {
                        by_account.remove(&account);
                    }
                }
            }
            None => self.taps.write().unwrap_or_else(PoisonError::into_inner).retain(|m| !Arc::ptr_eq(m, mailbox)),
        }
    }

    /// Open sockets (taps included).
    #[cfg(test)]
    fn len(&self) -> usize {
        let by_account = self.by_account.read().unwrap_or_else(PoisonError::into_inner);
        by_account.values().map(Vec::len).sum::<usize>()
            + self.taps.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}

fn new_mailbox(
    account_id: Option<AccountId>,
    viewer: Option<Viewer>,
) -> (Arc<Mailbox>, mpsc::Receiver<Arc<Published>>) {
    let (tx, rx) = mpsc::channel(BACKLOG);
    (Arc::new(Mailbox { account_id, viewer: RwLock::new(viewer), tx, missed: AtomicBool::new(false) }), rx)
}

/// One socket's end of its mailbox; the mailbox closes when this is dropped.
pub struct Subscription {
    mailbox: Arc<Mailbox>,
    rx: mpsc::Receiver<Arc<Published>>,
    mailboxes: Arc<Mailboxes>,
}

impl Subscription {
    /// The next event, waiting for one.
    pub async fn recv(&mut self) -> Received {
        match self.rx.recv().await {
            Some(event) => self.received(event),
            // The mailbox holds the sender as long as this exists: not reached.
            None => Received::Missed,
        }
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<Received> {
        self.rx.try_recv().ok().map(|event| self.received(event))
    }

    /// From now on, receive what `viewer` may see (their role or permissions changed).
    pub fn set_viewer(&self, viewer: Viewer) {
        *self.mailbox.viewer.write().unwrap_or_else(PoisonError::into_inner) = Some(viewer);
    }

    fn received(&mut self, event: Arc<Published>) -> Received {
        if event.resync || self.mailbox.missed.swap(false, Ordering::AcqRel) {
            // What is still waiting is older than the reload the client is about to do: drop it.
            while self.rx.try_recv().is_ok() {}
            return Received::Missed;
        }
        Received::Event(event)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.mailboxes.close(&self.mailbox);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ids::ChannelId;
    use domain::permissions::Visibility;

    fn event(account_id: AccountId, audience: Audience, seq: u64) -> Published {
        Published { account_id, audience, seq, text: Arc::from(format!("{seq}")), resync: false }
    }

    fn seller(user_id: UserId) -> Viewer {
        Viewer {
            user_id,
            permissions: Permissions {
                visibility: Visibility::Assigned,
                channel_ids: vec![],
                unassigned: false,
                actions: Default::default(),
            },
        }
    }

    fn admin(user_id: UserId) -> Viewer {
        Viewer {
            user_id,
            permissions: Permissions {
                visibility: Visibility::All,
                channel_ids: vec![],
                unassigned: true,
                actions: Default::default(),
            },
        }
    }

    fn seq_of(received: Option<Received>) -> Option<u64> {
        match received {
            Some(Received::Event(e)) => Some(e.seq),
            _ => None,
        }
    }

    #[tokio::test]
    async fn an_event_reaches_only_the_sockets_of_its_account_that_may_see_it() {
        let hub = Arc::new(Mailboxes::default());
        let (account, other_account) = (AccountId::new(), AccountId::new());
        let (ana, bruno) = (UserId::new(), UserId::new());
        let mut ana_socket = hub.open(account, seller(ana));
        let mut bruno_socket = hub.open(account, seller(bruno));
        let mut admin_socket = hub.open(account, admin(UserId::new()));
        let mut elsewhere = hub.open(other_account, admin(UserId::new()));
        let channel = ChannelId::new();
        hub.deliver(|seq| event(account, Audience::Conversation { channel_id: channel, assignee: Some(ana) }, seq));
        hub.deliver(|seq| event(account, Audience::User(bruno), seq));

        assert_eq!(seq_of(ana_socket.try_recv()), Some(1));
        assert_eq!(seq_of(ana_socket.try_recv()), None, "not Bruno's own event");
        assert_eq!(seq_of(bruno_socket.try_recv()), Some(2), "not Ana's conversation");
        assert_eq!(seq_of(admin_socket.try_recv()), Some(1));
        assert_eq!(seq_of(admin_socket.try_recv()), None);
        assert!(elsewhere.try_recv().is_none(), "another account hears nothing");

        // Ana loses her seller rights (say, her role now sees one other channel only): from now on
        // her socket is not handed that conversation's events.
        let mut narrowed = seller(ana);
        narrowed.permissions.visibility = Visibility::Channels;
        narrowed.permissions.channel_ids = vec![ChannelId::new()];
        ana_socket.set_viewer(narrowed);
        hub.deliver(|seq| event(account, Audience::Conversation { channel_id: channel, assignee: Some(ana) }, seq));
        assert!(ana_socket.try_recv().is_none());
        assert_eq!(seq_of(admin_socket.try_recv()), Some(3));
    }

    #[tokio::test]
    async fn a_socket_that_falls_behind_loses_its_backlog_and_is_told_to_reload() {
        let hub = Arc::new(Mailboxes::default());
        let account = AccountId::new();
        let mut slow = hub.open(account, admin(UserId::new()));
        let mut tap = hub.tap();
        for _ in 0..BACKLOG + 10 {
            hub.deliver(|seq| event(account, Audience::Account, seq));
        }
        assert!(matches!(slow.recv().await, Received::Missed), "the first thing read says it missed events");
        assert!(slow.try_recv().is_none(), "the stale backlog was dropped");
        hub.deliver(|seq| event(account, Audience::Account, seq));
        assert_eq!(seq_of(slow.try_recv()), Some(BACKLOG as u64 + 11), "then events flow again");
        assert!(matches!(tap.recv().await, Received::Missed));

        hub.resync_everyone(Published {
            account_id: AccountId::new(),
            audience: Audience::Account,
            seq: 0,
            text: Arc::from(""),
            resync: true,
        });
        assert!(matches!(slow.recv().await, Received::Missed), "a resync for everyone reaches every socket");
    }

    #[tokio::test]
    async fn a_closed_socket_leaves_the_registry() {
        let hub = Arc::new(Mailboxes::default());
        let account = AccountId::new();
        let first = hub.open(account, admin(UserId::new()));
        let second = hub.open(account, admin(UserId::new()));
        let tap = hub.tap();
        assert_eq!(hub.len(), 3);
        drop(first);
        drop(tap);
        assert_eq!(hub.len(), 1);
        drop(second);
        assert_eq!(hub.len(), 0);
        assert!(hub.by_account.read().unwrap().is_empty(), "no empty list left behind per account");
    }
}
