//! A few telling refusals per key and hour.
//!
//! Some refusals cannot be made to look like success, because success would create something the
//! caller then has: an e-mail address used by another account (addresses are the login, unique across
//! the installation), a number that is another user's customer (one conversation per customer and
//! channel). Each such answer tells the caller one fact it may not see. Counting them — per account,
//! per user — and answering `429` to every such request once the allowance is spent, whatever its
//! outcome would have been, keeps them from being used to enumerate.
//!
//! Fixed windows in memory, like the login throttle: a restart forgets them. Time is passed in, so
//! the rule is tested without waiting.

use crate::auth::throttle::RetryAfter;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept before expired ones are swept (keys are account or user ids: few).
const SWEEP_ABOVE: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Spent {
    since: Instant,
    n: u32,
}

pub struct RefusalBudget {
    limit: u32,
    window: Duration,
    spent: Mutex<HashMap<String, Spent>>,
}

impl RefusalBudget {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self { limit, window, spent: Mutex::default() }
    }

    /// Refused (retry after the returned wait) when `key` spent its allowance in the current window.
    /// Called before the request's outcome is known, so the refusal says nothing about it.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), RetryAfter> {
        let spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        match spent.get(key) {
            Some(s) if now.duration_since(s.since) < self.window && s.n >= self.limit => {
                Err(RetryAfter(self.window.saturating_sub(now.duration_since(s.since)).max(Duration::from_secs(1))))
            }
            _ => Ok(()),
        }
    }

    /// One more telling refusal for `key`.
    pub fn spend(&self, key: &str, now: Instant) {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        if spent.len() > SWEEP_ABOVE {
            spent.retain(|_, s| now.duration_since(s.since) < self.window);
        }
        let s = spent.entry(key.to_string()).or_insert(Spent { since: now, n: 0 });
        if now.duration_since(s.since) >= self.window {
            *s = Spent { since: now, n: 0 };
        }
        s.n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_is_per_key_and_comes_back_after_the_window() {
        let budget = RefusalBudget::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(budget.check("a", t0).is_ok());
        budget.spend("a", t0);
        budget.spend("a", t0 + Duration::from_secs(10));
        let RetryAfter(wait) = budget.check("a", t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        assert!(budget.check("b", t0 + Duration::from_secs(20)).is_ok(), "another key is not affected");
        assert!(budget.check("a", t0 + Duration::from_secs(60)).is_ok(), "a new window");
        budget.spend("a", t0 + Duration::from_secs(61));
        assert!(budget.check("a", t0 + Duration::from_secs(62)).is_ok(), "counting starts over");
    }
}
