//! Keeping a claim alive while its work runs. Workers claim rows (webhook deliveries, sends) for a
//! short lease so that a crashed process delays them by seconds, not minutes; a `Renewal` extends the
//! lease at a fixed pace for as long as the work takes (a media upload to Meta can take minutes), and
//! stops when dropped — with the work, or with the process.

use std::future::Future;
use std::time::Duration;

pub struct Renewal(tokio::task::JoinHandle<()>);

impl Renewal {
    /// Calls `renew` every `every` until the returned value is dropped.
    pub fn start<F, Fut>(every: Duration, mut renew: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        Renewal(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await; // the first tick is immediate: the claim was just made
            loop {
                ticks.tick().await;
                renew().await;
            }
        }))
    }
}

impl Drop for Renewal {
    fn drop(&mut self) {
        self.0.abort();
    }
}
