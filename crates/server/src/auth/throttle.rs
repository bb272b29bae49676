//! Login throttling: guessing passwords, or flooding the login with random e-mails to burn CPU and
//! memory on password hashes (argon2id takes ~19 MiB and tens of milliseconds each), is slowed down
//! per client address and per e-mail before any hash is computed.
//!
//! Fixed windows kept in memory: a restart forgets them, which only gives an attacker a fresh
//! window (the limits are per process). Time is passed in, so the rule is tested without waiting.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many login attempts one address may make per window, whatever their outcome.
pub const ATTEMPTS_PER_ADDRESS: u32 = 100;
/// How many failed attempts one e-mail may take per window, from anywhere.
pub const FAILURES_PER_EMAIL: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Entries kept before expired ones are swept (bounds the memory a flood of addresses can take).
const SWEEP_ABOVE: usize = 50_000;

#[derive(Clone, Copy, Debug)]
struct Count {
    started: Instant,
    n: u32,
}

/// How long a login may wait for a free hashing slot before it is answered `503` (retry).
pub const HASH_QUEUE_WAIT: Duration = Duration::from_secs(10);

pub struct LoginThrottle {
    by_address: Mutex<HashMap<IpAddr, Count>>,
    by_email: Mutex<HashMap<String, Count>>,
    /// Password checks running at once: as many as the machine has cores, so a flood of logins
    /// waits in line instead of taking ~19 MiB each at once.
    hashing: tokio::sync::Semaphore,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Self { by_address: Mutex::default(), by_email: Mutex::default(), hashing: tokio::sync::Semaphore::new(cores) }
    }
}

/// The client's address: the connection's peer, or — when the peer is a proxy on this machine
/// (loopback) — the address that proxy reports last in `X-Forwarded-For`. Without this, every user
/// behind a local reverse proxy would share one address's attempts.
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
    if !peer.is_loopback() {
        return peer;
    }
    forwarded_for.and_then(|v| v.rsplit(',').next()).and_then(|last| last.trim().parse::<IpAddr>().ok()).unwrap_or(peer)
}

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

fn current(map: &mut HashMap<impl std::hash::Hash + Eq, Count>, now: Instant) {
    if map.len() > SWEEP_ABOVE {
        map.retain(|_, c| now.duration_since(c.started) < WINDOW);
    }
}

fn retry_after(c: &Count, now: Instant) -> RetryAfter {
    RetryAfter(WINDOW.saturating_sub(now.duration_since(c.started)).max(Duration::from_secs(1)))
}

impl LoginThrottle {
    /// A turn to check a password, or `None` when none came free within [`HASH_QUEUE_WAIT`].
    pub async fn hashing_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        tokio::time::timeout(HASH_QUEUE_WAIT, self.hashing.acquire()).await.ok()?.ok()
    }

    /// Counts an attempt from `address` for `email`; refuses it when either limit is reached.
    pub fn attempt(&self, address: IpAddr, email: &str, now: Instant) -> Result<(), RetryAfter> {
        let email = email.trim().to_lowercase();
        if let Some(c) = self.by_email.lock().unwrap_or_else(|e| e.into_inner()).get(&email) {
            if now.duration_since(c.started) < WINDOW && c.n >= FAILURES_PER_EMAIL {
                return Err(retry_after(c, now));
            }
        }
        let mut by_address = self.by_address.lock().unwrap_or_else(|e| e.into_inner());
        current(&mut by_address, now);
        let c = by_address.entry(address).or_insert(Count { started: now, n: 0 });
        if now.duration_since(c.started) >= WINDOW {
            *c = Count { started: now, n: 0 };
        }
        if c.n >= ATTEMPTS_PER_ADDRESS {
            return Err(retry_after(c, now));
        }
        c.n += 1;
        Ok(())
    }

    /// A wrong password (or an unknown e-mail) for `email`.
    pub fn failed(&self, email: &str, now: Instant) {
        let mut by_email = self.by_email.lock().unwrap_or_else(|e| e.into_inner());
        current(&mut by_email, now);
        let c = by_email.entry(email.trim().to_lowercase()).or_insert(Count { started: now, n: 0 });
        if now.duration_since(c.started) >= WINDOW {
            *c = Count { started: now, n: 0 };
        }
        c.n += 1;
    }

    /// A successful login clears the e-mail's failures.
    pub fn succeeded(&self, email: &str) {
        self.by_email.lock().unwrap_or_else(|e| e.into_inner()).remove(&email.trim().to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn an_email_is_locked_after_its_failures_until_the_window_ends() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..FAILURES_PER_EMAIL {
            assert!(t.attempt(HOME, "Ana@x.com", now).is_ok());
            t.failed("ana@x.com", now);
        }
        // From any address, with any case.
        assert!(t.attempt(OTHER, "ANA@x.com", now).is_err());
        assert!(t.attempt(OTHER, "bruno@x.com", now).is_ok(), "other e-mails are not affected");
        let later = now + WINDOW;
        assert!(t.attempt(OTHER, "ana@x.com", later).is_ok());
    }

    #[test]
    fn a_local_proxy_reports_the_client() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(
            client_address(loopback, Some("203.0.113.9, 198.51.100.7")),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_address(loopback, None), loopback);
        assert_eq!(client_address(loopback, Some("garbage")), loopback);
        // A remote peer cannot choose the address it is counted by.
        assert_eq!(client_address(HOME, Some("198.51.100.7")), HOME);
    }

    #[test]
    fn success_clears_the_failures() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..FAILURES_PER_EMAIL - 1 {
            t.failed("ana@x.com", now);
        }
        t.succeeded("ana@x.com");
        t.failed("ana@x.com", now);
        assert!(t.attempt(HOME, "ana@x.com", now).is_ok());
    }

    #[test]
    fn an_address_gets_a_bounded_number_of_attempts_whatever_the_emails() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..ATTEMPTS_PER_ADDRESS {
            assert!(t.attempt(HOME, &format!("random{i}@x.com"), now).is_ok());
        }
        let RetryAfter(wait) = t.attempt(HOME, "another@x.com", now + Duration::from_secs(60)).unwrap_err();
        assert_eq!(wait, WINDOW - Duration::from_secs(60));
        assert!(t.attempt(OTHER, "another@x.com", now).is_ok());
        assert!(t.attempt(HOME, "another@x.com", now + WINDOW).is_ok());
    }
}
