//! Random bearer secrets (session cookies, API tokens) and the hashes under which they are stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "inbox_session";
pub const API_TOKEN_PREFIX: &str = "inbox_";

/// 256 random bits, URL-safe.
fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn new_session_token() -> String {
    random_secret()
}

/// API tokens carry a prefix so that secret scanners and people recognise them.
pub fn new_api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_secret())
}

/// The stored form of a secret. SHA-256 suffices: the secret has 256 bits of entropy, so there is
/// nothing for a slow hash to protect against.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The session token from a `Cookie` header, if present.
pub fn session_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hashes_stable() {
        let (a, b) = (new_api_token(), new_api_token());
        assert_ne!(a, b);
        assert!(a.starts_with(API_TOKEN_PREFIX));
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
    }

    #[test]
    fn finds_the_session_among_other_cookies() {
        assert_eq!(session_from_cookie_header("theme=dark; inbox_session=abc; x=1"), Some("abc"));
        assert_eq!(session_from_cookie_header("inbox_session="), None);
        assert_eq!(session_from_cookie_header("other=abc"), None);
    }
}
