//! Configuration from the environment (DESIGN.md §4). Every setting has a working default except the
//! Meta secrets, without which webhooks are refused.

use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: SocketAddr,
    pub public_url: String,
    pub meta_app_secret: Option<SecretString>,
    pub meta_verify_token: Option<SecretString>,
    pub graph_api_base: String,
    pub retry_base: Duration,
    /// `None`: read or generate `secret.key` in the data directory.
    pub secret_key: Option<SecretString>,
    pub session_ttl: Duration,
    /// Largest request body accepted by the JSON API and the webhook endpoint.
    pub max_body_bytes: usize,
    /// Sends per second per channel (phone number, page); Meta's default for a number is 80.
    pub messages_per_second: u32,
    /// Where the UI's upsell page sends an account whose plan lacks the inbox ("Hablar con un asesor").
    pub advisor_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {problem}")]
    Invalid { name: &'static str, problem: String },
}

pub const DEFAULT_ADVISOR_URL: &str = "https://escala.com/contacto";
pub const DEFAULT_GRAPH_API_BASE: &str = "https://graph.facebook.com/v24.0";

impl Config {
    /// Defaults for a data directory, as `inbox serve` would use with an empty environment.
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        let listen: SocketAddr = ([127, 0, 0, 1], 8080).into();
        Self {
            database_url: sqlite_url(&data_dir),
            public_url: format!("http://{listen}"),
            listen,
            data_dir,
            meta_app_secret: None,
            meta_verify_token: None,
            graph_api_base: DEFAULT_GRAPH_API_BASE.to_string(),
            retry_base: Duration::from_millis(1000),
            secret_key: None,
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            max_body_bytes: 2 * 1024 * 1024,
            messages_per_second: 80,
            advisor_url: DEFAULT_ADVISOR_URL.to_string(),
        }
    }

    /// Reads the `INBOX_*` variables through `get` (the process environment in production).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_dir = get("INBOX_DATA_DIR").filter(|s| !s.is_empty()).unwrap_or_else(|| "./data".into());
        let mut c = Self::for_data_dir(data_dir);
        if let Some(url) = get("INBOX_DATABASE_URL").filter(|s| !s.is_empty()) {
            c.database_url = url;
        }
        if let Some(listen) = get("INBOX_LISTEN").filter(|s| !s.is_empty()) {
            c.listen = listen
                .parse()
                .map_err(|e| ConfigError::Invalid { name: "INBOX_LISTEN", problem: format!("{listen:?}: {e}") })?;
        }
        c.public_url = get("INBOX_PUBLIC_URL")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("http://{}", c.listen))
            .trim_end_matches('/')
            .to_string();
        c.meta_app_secret = get("INBOX_META_APP_SECRET").filter(|s| !s.is_empty()).map(SecretString::from);
        c.meta_verify_token = get("INBOX_META_VERIFY_TOKEN").filter(|s| !s.is_empty()).map(SecretString::from);
        if let Some(base) = get("INBOX_GRAPH_API_BASE").filter(|s| !s.is_empty()) {
            c.graph_api_base = base.trim_end_matches('/').to_string();
        }
        if let Some(ms) = get("INBOX_RETRY_BASE_MS").filter(|s| !s.is_empty()) {
            let ms: u64 = ms
                .parse()
                .map_err(|e| ConfigError::Invalid { name: "INBOX_RETRY_BASE_MS", problem: format!("{ms:?}: {e}") })?;
            c.retry_base = Duration::from_millis(ms);
        }
        c.secret_key = get("INBOX_SECRET_KEY").filter(|s| !s.is_empty()).map(SecretString::from);
        if let Some(rate) = get("INBOX_MESSAGES_PER_SECOND").filter(|s| !s.is_empty()) {
            c.messages_per_second = rate.parse().ok().filter(|r: &u32| *r > 0).ok_or_else(|| ConfigError::Invalid {
                name: "INBOX_MESSAGES_PER_SECOND",
                problem: format!("{rate:?} is not a positive whole number"),
            })?;
        }
        if let Some(url) = get("INBOX_ADVISOR_URL").filter(|s| !s.is_empty()) {
            if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("mailto:")) {
                return Err(ConfigError::Invalid {
                    name: "INBOX_ADVISOR_URL",
                    problem: format!("{url:?} is not an http(s) or mailto: URL"),
                });
            }
            c.advisor_url = url;
        }
        Ok(c)
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Whether cookies must carry `Secure` (the public URL is HTTPS).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

fn sqlite_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}/inbox.db", data_dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = Config::from_lookup(lookup(&[])).unwrap();
        assert_eq!(c.database_url, "sqlite://./data/inbox.db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.graph_api_base, DEFAULT_GRAPH_API_BASE);
        assert_eq!(c.retry_base, Duration::from_secs(1));
        assert!(c.meta_app_secret.is_none());
    }

    #[test]
    fn data_dir_moves_the_database_and_listen_moves_the_public_url() {
        let c =
            Config::from_lookup(lookup(&[("INBOX_DATA_DIR", "/srv/inbox"), ("INBOX_LISTEN", "0.0.0.0:9000")])).unwrap();
        assert_eq!(c.database_url, "sqlite:///srv/inbox/inbox.db");
        assert_eq!(c.public_url, "http://0.0.0.0:9000");
    }

    #[test]
    fn bad_values_are_named_in_the_error() {
        let err = Config::from_lookup(lookup(&[("INBOX_LISTEN", "nowhere")])).unwrap_err();
        assert!(err.to_string().starts_with("INBOX_LISTEN"));
        let err = Config::from_lookup(lookup(&[("INBOX_RETRY_BASE_MS", "soon")])).unwrap_err();
        assert!(err.to_string().starts_with("INBOX_RETRY_BASE_MS"));
        let err = Config::from_lookup(lookup(&[("INBOX_MESSAGES_PER_SECOND", "0")])).unwrap_err();
        assert!(err.to_string().starts_with("INBOX_MESSAGES_PER_SECOND"));
        let c = Config::from_lookup(lookup(&[("INBOX_MESSAGES_PER_SECOND", "250")])).unwrap();
        assert_eq!(c.messages_per_second, 250);
    }
}
