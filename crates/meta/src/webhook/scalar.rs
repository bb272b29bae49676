//! Meta's loosely typed scalars: timestamps, ids and counters that arrive as strings or as numbers.
//!
//! Meta's two clocks: WhatsApp sends Unix **seconds** as a string (`"timestamp":"1739321024"`, docs/meta.md §2);
//! Messenger and Instagram send Unix **milliseconds** as a number (`"timestamp":1739321024000`, §9).
//!
//! Both readers accept either a string or a number, because Meta has been inconsistent across versions and
//! a timestamp in the "wrong" JSON type must not cost us the message. A value outside `time`'s range is
//! an error: the item it belongs to is then reported as malformed.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use time::OffsetDateTime;

/// Below this, a "milliseconds" value is really seconds: 10^11 ms is March 1973, while 10^11 s is the
/// year 5138. Some Instagram payloads have been seen with seconds; this keeps them right.
const SECONDS_CEILING: i64 = 100_000_000_000;

/// A string or a number holding an integer.
pub(super) fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// WhatsApp: Unix seconds.
pub(super) fn from_seconds(value: &Value) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(integer(value)?).ok()
}

/// Messenger/Instagram: Unix milliseconds (or seconds, see [`SECONDS_CEILING`]).
pub(super) fn from_millis(value: &Value) -> Option<OffsetDateTime> {
    let n = integer(value)?;
    let nanos = if n.abs() < SECONDS_CEILING { i128::from(n) * 1_000_000_000 } else { i128::from(n) * 1_000_000 };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

/// `#[serde(deserialize_with)]` for a required WhatsApp timestamp.
pub(super) fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    let value = Value::deserialize(d)?;
    from_seconds(&value).ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp {value}")))
}

/// `#[serde(deserialize_with)]` for an optional WhatsApp timestamp: unreadable counts as absent, since
/// nothing depends on it.
pub(super) fn opt_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
    Ok(from_seconds(&Value::deserialize(d)?))
}

/// `#[serde(deserialize_with)]` for ids and counters Meta sends sometimes as strings, sometimes as
/// numbers (`message_template_id`, `phase`, …): always read as a string.
pub(super) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    #[test]
    fn whatsapp_seconds_as_string_or_number() {
        let expected = datetime!(2025-02-12 00:43:44 UTC);
        assert_eq!(from_seconds(&json!("1739321024")), Some(expected));
        assert_eq!(from_seconds(&json!(1739321024)), Some(expected));
        assert_eq!(from_seconds(&json!("soon")), None);
        assert_eq!(from_seconds(&json!(i64::MAX)), None);
    }

    #[test]
    fn messenger_millis_keep_their_milliseconds() {
        let expected = datetime!(2025-02-12 00:43:44.123 UTC);
        assert_eq!(from_millis(&json!(1739321024123_i64)), Some(expected));
        assert_eq!(from_millis(&json!("1739321024123")), Some(expected));
    }

    #[test]
    fn seconds_sent_where_millis_are_expected_are_read_as_seconds() {
        assert_eq!(from_millis(&json!(1739321024)), Some(datetime!(2025-02-12 00:43:44 UTC)));
    }

    #[test]
    fn out_of_range_millis_are_refused() {
        assert_eq!(from_millis(&json!(i64::MAX)), None);
        assert_eq!(from_millis(&json!(null)), None);
    }
}
