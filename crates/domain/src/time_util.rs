//! Time helpers shared by the layers. All instants are UTC.

use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, the unit the store persists.
pub fn to_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The instant `ms` milliseconds after the Unix epoch (clamped to the representable range).
pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip() {
        let t = time::macros::datetime!(2026-03-17 12:34:56.789 UTC);
        assert_eq!(from_millis(to_millis(t)), t);
    }
}
