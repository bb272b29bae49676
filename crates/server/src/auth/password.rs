//! Password hashing with argon2id (default OWASP-grade parameters). Hashing is CPU-heavy, so it runs
//! on the blocking pool and never stalls the async workers. It is also memory-heavy (~19 MiB each):
//! the login, the one place anyone can make the server hash, bounds how many run at once
//! (`auth::throttle`).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use secrecy::{ExposeSecret, SecretString};

pub const MIN_PASSWORD_LEN: usize = 8;

pub async fn hash(password: SecretString) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await?
}

/// Whether `password` matches `stored`. A malformed stored hash counts as a mismatch (and is logged).
pub async fn verify(password: SecretString, stored: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&stored) {
        Ok(parsed) => Ok(Argon2::default().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok()),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is malformed");
            Ok(false)
        }
    })
    .await?
}

/// A fixed hash verified against when the e-mail is unknown, so that a login for an unknown
/// address takes as long as one with a wrong password (no user enumeration by timing).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(b"decoy-password", &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_the_right_password_only() {
        let h = hash(SecretString::from("correct horse")).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(SecretString::from("correct horse"), h.clone()).await.unwrap());
        assert!(!verify(SecretString::from("wrong"), h).await.unwrap());
        assert!(!verify(SecretString::from("x"), "garbage".into()).await.unwrap());
    }
}
