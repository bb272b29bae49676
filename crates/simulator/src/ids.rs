//! Identifiers shaped like Meta's: `wamid.…` message ids, numeric media/attachment/object ids, `m_…`
//! Messenger mids, base64 Instagram mids, PSIDs/IGSIDs, BSUIDs and `fbtrace_id`s. Only their shape is
//! imitated; they are random (BSUIDs are derived from a seed so a customer keeps theirs).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn random_bytes() -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    out[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    out
}

fn digits(count: usize) -> String {
    let bytes = random_bytes();
    let mut s: String = bytes.iter().map(|b| char::from(b'0' + b % 10)).take(count).collect();
    if s.starts_with('0') {
        s.replace_range(0..1, "1");
    }
    s
}

/// A WhatsApp message id, e.g. `wamid.HBgNNTIxNTUx…`.
pub fn wamid() -> String {
    let bytes = random_bytes();
    format!("wamid.HBgN{}", STANDARD.encode(&bytes[..27]))
}

/// A numeric Graph object id (media, templates, attachments).
pub fn numeric_id() -> String {
    digits(16)
}

/// A Messenger message id.
pub fn messenger_mid() -> String {
    format!("m_{}", URL_SAFE_NO_PAD.encode(&random_bytes()[..30]))
}

/// An Instagram message id (base64 of `ig_item:1:IGMessage:…`, like Meta's).
pub fn instagram_mid() -> String {
    let raw = format!("ig_item:1:IGMessage:{}:{}", digits(17), digits(39));
    URL_SAFE_NO_PAD.encode(raw)
}

/// A Page-scoped id (Messenger).
pub fn psid() -> String {
    digits(16)
}

/// An Instagram-scoped id.
pub fn igsid() -> String {
    digits(17)
}

/// A business-scoped user id: `CC.` and 20 digits, stable for a given seed.
pub fn bsuid(country: &str, seed: &str) -> String {
    let hash = Sha256::digest(seed.as_bytes());
    let digits: String = hash.iter().map(|b| char::from(b'0' + b % 10)).take(20).collect();
    format!("{country}.{digits}")
}

/// The `fbtrace_id` of an error answer.
pub fn fbtrace_id() -> String {
    format!("A{}", &URL_SAFE_NO_PAD.encode(&random_bytes()[..16])[..22])
}

/// A random opaque token (media URL hashes).
pub fn token() -> String {
    hex::encode(&random_bytes()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_meta_shapes() {
        assert!(wamid().starts_with("wamid."));
        let id = numeric_id();
        assert_eq!(id.len(), 16);
        assert!(id.chars().all(|c| c.is_ascii_digit()) && !id.starts_with('0'));
        assert!(messenger_mid().starts_with("m_"));
        assert_eq!(igsid().len(), 17);
        assert_eq!(bsuid("MX", "a"), bsuid("MX", "a"));
        assert_ne!(bsuid("MX", "a"), bsuid("MX", "b"));
        assert_eq!(bsuid("US", "x").len(), 23);
    }
}
