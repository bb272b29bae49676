//! Webhook authenticity: the `X-Hub-Signature-256` header Meta puts on every `POST`.
//!
//! Meta signs the **raw request body** with the app secret: `sha256=<hex of HMAC-SHA256(app_secret, body)>`
//! (docs/meta.md §1). The server must check it before parsing anything, on the exact bytes received
//! (re-serialising the JSON would change them), and in constant time so the comparison leaks nothing about
//! the expected value. The older SHA-1 `X-Hub-Signature` header is deliberately not supported.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header Meta signs webhook deliveries with.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

const ALGORITHM_PREFIX: &str = "sha256=";
/// A SHA-256 digest is 32 bytes, 64 hex digits.
const HEX_DIGEST_LEN: usize = 64;

/// Why a delivery's signature was refused. All three mean `401` and nothing stored; they are told apart
/// only for logs and metrics (a `Missing` burst is a misconfigured proxy, a `Mismatch` burst a wrong secret).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {SIGNATURE_HEADER} header is missing")]
    Missing,
    #[error("the {SIGNATURE_HEADER} header is not `sha256=` followed by 64 hex digits")]
    Malformed,
    #[error("the {SIGNATURE_HEADER} header does not match the body")]
    Mismatch,
}

/// Checks `header` (the value of `X-Hub-Signature-256`, if the request had one) against `raw_body`.
pub fn verify_signature(app_secret: &[u8], raw_body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    let header = header.map(str::trim).unwrap_or_default();
    if header.is_empty() {
        return Err(SignatureError::Missing);
    }
    let expected = decode_header(header).ok_or(SignatureError::Malformed)?;
    // `verify_slice` compares in constant time (it goes through `subtle`).
    mac_of(app_secret, raw_body).verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
}

/// The header value Meta would send for `body`: used by the simulator and by tests.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let digest = mac_of(app_secret, body).finalize().into_bytes();
    format!("{ALGORITHM_PREFIX}{}", hex::encode(digest))
}

fn mac_of(app_secret: &[u8], body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length (long ones are hashed first), so this `new_from_slice` cannot fail;
    // the fallback keeps the function total without an `expect`.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(app_secret)
        .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()));
    mac.update(body);
    mac
}

/// `sha256=<64 hex digits>` → the 32 digest bytes. The algorithm name is matched case-insensitively
/// (proxies have been seen upper-casing it); the length is checked so a truncated digest is `Malformed`
/// rather than a confusing `Mismatch`.
fn decode_header(header: &str) -> Option<Vec<u8>> {
    let (algorithm, digest) = header.split_at_checked(ALGORITHM_PREFIX.len())?;
    if !algorithm.eq_ignore_ascii_case(ALGORITHM_PREFIX) || digest.len() != HEX_DIGEST_LEN {
        return None;
    }
    hex::decode(digest).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"app-secret";
    const BODY: &[u8] = br#"{"object":"page","entry":[]}"#;

    #[test]
    fn accepts_the_signature_sign_produces() {
        let header = sign(SECRET, BODY);
        assert!(header.starts_with("sha256="));
        assert_eq!(header.len(), 7 + 64);
        assert_eq!(verify_signature(SECRET, BODY, Some(&header)), Ok(()));
    }

    #[test]
    fn matches_a_known_hmac_sha256_vector() {
        // RFC 4231 test case 2.
        let header = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(header, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn missing_or_empty_header_is_missing() {
        assert_eq!(verify_signature(SECRET, BODY, None), Err(SignatureError::Missing));
        assert_eq!(verify_signature(SECRET, BODY, Some("  ")), Err(SignatureError::Missing));
    }

    #[test]
    fn wrong_algorithm_bad_hex_or_wrong_length_is_malformed() {
        let good = sign(SECRET, BODY);
        let digest = &good[7..];
        for header in [
            format!("sha1={digest}"),
            digest.to_string(),
            format!("sha256={}", &digest[..62]),
            format!("sha256={digest}00"),
            format!("sha256={}zz", &digest[..62]),
            "sha256=".to_string(),
        ] {
            assert_eq!(verify_signature(SECRET, BODY, Some(&header)), Err(SignatureError::Malformed), "{header}");
        }
    }

    #[test]
    fn tolerates_surrounding_whitespace_and_upper_case() {
        let header = sign(SECRET, BODY).to_uppercase();
        assert_eq!(verify_signature(SECRET, BODY, Some(&format!(" {header} "))), Ok(()));
    }

    #[test]
    fn other_body_or_secret_is_a_mismatch() {
        let header = sign(SECRET, BODY);
        assert_eq!(verify_signature(SECRET, b"{}", Some(&header)), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(b"other", BODY, Some(&header)), Err(SignatureError::Mismatch));
    }

    proptest! {
        #[test]
        fn verify_accepts_exactly_what_sign_produces(
            secret in proptest::collection::vec(any::<u8>(), 0..80),
            body in proptest::collection::vec(any::<u8>(), 0..512),
            other in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let header = sign(&secret, &body);
            prop_assert_eq!(verify_signature(&secret, &body, Some(&header)), Ok(()));
            if other != body {
                prop_assert_eq!(
                    verify_signature(&secret, &other, Some(&header)),
                    Err(SignatureError::Mismatch)
                );
            }
        }

        #[test]
        fn verify_never_panics_on_arbitrary_headers(header in ".{0,100}", body in ".{0,50}") {
            let _ = verify_signature(SECRET, body.as_bytes(), Some(&header));
        }
    }
}
