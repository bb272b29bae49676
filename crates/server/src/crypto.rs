//! Encryption of secrets at rest (channel access tokens) with XChaCha20-Poly1305.
//!
//! The 32-byte key comes from `INBOX_SECRET_KEY` (any string; hashed to 32 bytes) or from
//! `secret.key` in the data directory, generated on first start with owner-only permissions.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::path::Path;

const FORMAT_PREFIX: &str = "v1.";

pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("stored secret is not in a known format")]
    Format,
    #[error("stored secret cannot be decrypted with this INBOX_SECRET_KEY")]
    Decrypt,
    #[error("secret key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
}

impl SecretBox {
    pub fn from_passphrase(key: &SecretString) -> Self {
        let digest = Sha256::digest(key.expose_secret().as_bytes());
        Self { cipher: XChaCha20Poly1305::new(&digest) }
    }

    /// The configured key, or the data directory's generated one.
    pub fn load(configured: Option<&SecretString>, data_dir: &Path) -> Result<Self, CryptoError> {
        if let Some(key) = configured {
            return Ok(Self::from_passphrase(key));
        }
        let path = data_dir.join("secret.key");
        let io = |source| CryptoError::KeyFile { path: path.display().to_string(), source };
        let key = match std::fs::read_to_string(&path) {
            Ok(k) => k.trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(io)?;
                let k = URL_SAFE_NO_PAD.encode(XChaCha20Poly1305::generate_key(&mut OsRng));
                write_private(&path, &k).map_err(io)?;
                k
            }
            Err(e) => return Err(io(e)),
        };
        Ok(Self::from_passphrase(&SecretString::from(key)))
    }

    pub fn seal(&self, plaintext: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption with a valid key and nonce has no failure mode for in-memory buffers.
        let ct = self.cipher.encrypt(&nonce, plaintext.as_bytes()).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        format!("{FORMAT_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<SecretString, CryptoError> {
        let raw = sealed.strip_prefix(FORMAT_PREFIX).ok_or(CryptoError::Format)?;
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| CryptoError::Format)?;
        if bytes.len() < 24 {
            return Err(CryptoError::Format);
        }
        let (nonce, ct) = bytes.split_at(24);
        let pt = self.cipher.decrypt(XNonce::from_slice(nonce), ct).map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(pt).map(SecretString::from).map_err(|_| CryptoError::Format)
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_with_the_same_key_only() {
        let a = SecretBox::from_passphrase(&SecretString::from("one"));
        let b = SecretBox::from_passphrase(&SecretString::from("two"));
        let sealed = a.seal("EAAG-token");
        assert!(!sealed.contains("EAAG"));
        assert_eq!(a.open(&sealed).unwrap().expose_secret(), "EAAG-token");
        assert!(matches!(b.open(&sealed), Err(CryptoError::Decrypt)));
        assert!(matches!(a.open("plain"), Err(CryptoError::Format)));
    }

    #[test]
    fn generated_key_is_kept_in_the_data_dir() {
        let dir = std::env::temp_dir().join(format!("inbox-key-{}", uuid::Uuid::now_v7()));
        let first = SecretBox::load(None, &dir).unwrap();
        let sealed = first.seal("x");
        let again = SecretBox::load(None, &dir).unwrap();
        assert_eq!(again.open(&sealed).unwrap().expose_secret(), "x");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
