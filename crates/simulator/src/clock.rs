//! The simulator's notion of "now". Meta's rules that depend on time (the 24 h customer service window,
//! Messenger's 7-day human-agent tag, 5-minute media URLs) read this clock, so tests move it instead of
//! sleeping.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

use crate::config::ClockStart;

#[derive(Debug)]
pub(crate) struct SimClock {
    state: Mutex<ClockState>,
}

#[derive(Debug, Clone, Copy)]
enum ClockState {
    System { offset: Duration },
    Frozen { at: OffsetDateTime },
}

impl SimClock {
    pub(crate) fn new(start: ClockStart) -> Self {
        let state = match start {
            ClockStart::System => ClockState::System { offset: Duration::ZERO },
            ClockStart::Frozen(at) => ClockState::Frozen { at },
        };
        Self { state: Mutex::new(state) }
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        match *self.lock() {
            ClockState::System { offset } => OffsetDateTime::now_utc() + offset,
            ClockState::Frozen { at } => at,
        }
    }

    pub(crate) fn advance(&self, by: Duration) {
        let mut state = self.lock();
        *state = match *state {
            ClockState::System { offset } => ClockState::System { offset: offset + by },
            ClockState::Frozen { at } => ClockState::Frozen { at: at + by },
        };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        // A poisoned clock still holds a valid instant.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Unix milliseconds as Messenger and Instagram webhooks carry.
pub(crate) fn unix_millis(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let clock = SimClock::new(ClockStart::Frozen(datetime!(2026-01-01 00:00 UTC)));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00 UTC));
        clock.advance(Duration::hours(24));
        assert_eq!(clock.now(), datetime!(2026-01-02 00:00 UTC));
    }

    #[test]
    fn system_clock_adds_the_offset() {
        let clock = SimClock::new(ClockStart::System);
        clock.advance(Duration::days(3));
        assert!(clock.now() - OffsetDateTime::now_utc() > Duration::days(2));
    }
}
