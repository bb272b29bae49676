//! Configuration from the environment (README.md, "Configuration"). Every setting has a working default except the
//! Meta secrets, without which webhooks are refused.

mod media_store;

pub use media_store::MediaStoreConfig;
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
    /// How long a Graph API call may take before it counts as unanswered (Meta's client default, 30 s;
    /// tests shorten it to reach the uncertain case quickly).
    pub graph_timeout: Duration,
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
    /// Longest a request may take (body included) before it is answered `503 timeout`; uploads and
    /// the events socket are exempt.
    pub request_timeout: Duration,
    /// Requests served at once; more wait for a slot up to `queue_timeout`, then get `503 overloaded`.
    pub max_concurrent_requests: usize,
    pub queue_timeout: Duration,
    /// How old events waiting for a message that never appeared (statuses of messages another app
    /// sent on the same number) may grow before they are dropped.
    pub deferred_event_ttl: Duration,
    /// How long processed or failed webhook deliveries (and unrouted events) are kept.
    pub journal_retention: Duration,
    /// How long an upload no message or quick reply uses is kept (its row and its file).
    pub upload_retention: Duration,
    /// Where inbound media may be downloaded from.
    pub media_policy: meta::graph::MediaPolicy,
    /// Where media bytes are kept: the data directory, or an S3-compatible bucket.
    pub media_store: MediaStoreConfig,
    /// Outgoing webhooks may use plain HTTP and loopback/private addresses (tests, the demo, a
    /// receiver on the same private network). Off by default: HTTPS to public addresses only.
    pub webhook_allow_private: bool,
    /// The first wait before an outgoing webhook delivery is retried (the schedule grows from it).
    pub webhook_retry_base: Duration,
    /// How long a receiver may take to answer one delivery.
    pub webhook_timeout: Duration,
    /// How long delivered or failed outgoing webhook deliveries stay in the log.
    pub webhook_delivery_retention: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {problem}")]
    Invalid { name: &'static str, problem: String },
}

pub const DEFAULT_ADVISOR_URL: &str = "https://escala.com/contacto";
pub const DEFAULT_GRAPH_API_BASE: &str = "https://graph.facebook.com/v24.0";
const DAY: u64 = 24 * 3600;

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
            graph_timeout: Duration::from_secs(30),
            retry_base: Duration::from_millis(1000),
            secret_key: None,
            session_ttl: Duration::from_secs(14 * 24 * 3600),
            max_body_bytes: 2 * 1024 * 1024,
            messages_per_second: 80,
            advisor_url: DEFAULT_ADVISOR_URL.to_string(),
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 512,
            queue_timeout: Duration::from_secs(5),
            // Meta stops retrying a webhook well within this (36 h at most), so a status still
            // waiting for its message after a week will never find it.
            deferred_event_ttl: Duration::from_secs(7 * DAY),
            journal_retention: Duration::from_secs(30 * DAY),
            upload_retention: Duration::from_secs(7 * DAY),
            media_policy: meta::graph::MediaPolicy::meta(),
            media_store: MediaStoreConfig::Local,
            webhook_allow_private: false,
            webhook_retry_base: Duration::from_secs(10),
            webhook_timeout: Duration::from_secs(10),
            webhook_delivery_retention: Duration::from_secs(30 * DAY),
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
        let positive =
            |name: &'static str| -> Result<Option<u64>, ConfigError> {
                let Some(v) = get(name).filter(|s| !s.is_empty()) else { return Ok(None) };
                v.trim().parse::<u64>().ok().filter(|n| *n > 0).map(Some).ok_or_else(|| ConfigError::Invalid {
                    name,
                    problem: format!("{v:?} is not a positive whole number"),
                })
            };
        if let Some(s) = positive("INBOX_REQUEST_TIMEOUT_SECS")? {
            c.request_timeout = Duration::from_secs(s);
        }
        if let Some(n) = positive("INBOX_MAX_CONCURRENT_REQUESTS")? {
            c.max_concurrent_requests = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(ms) = positive("INBOX_REQUEST_QUEUE_MS")? {
            c.queue_timeout = Duration::from_millis(ms);
        }
        if let Some(h) = positive("INBOX_DEFERRED_EVENT_TTL_HOURS")? {
            c.deferred_event_ttl = Duration::from_secs(h * 3600);
        }
        if let Some(d) = positive("INBOX_JOURNAL_RETENTION_DAYS")? {
            c.journal_retention = Duration::from_secs(d * DAY);
        }
        if let Some(d) = positive("INBOX_UPLOAD_RETENTION_DAYS")? {
            c.upload_retention = Duration::from_secs(d * DAY);
        }
        if let Some(hosts) = get("INBOX_MEDIA_HOSTS").filter(|s| !s.trim().is_empty()) {
            c.media_policy = meta::graph::MediaPolicy::with_hosts(&hosts)
                .map_err(|problem| ConfigError::Invalid { name: "INBOX_MEDIA_HOSTS", problem })?;
        }
        match get("INBOX_MEDIA_ALLOW_LOCAL").as_deref().map(str::trim) {
            None | Some("") | Some("0") | Some("false") => {}
            Some("1") | Some("true") => c.media_policy.allow_local = true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "INBOX_MEDIA_ALLOW_LOCAL",
                    problem: format!("{other:?} is not 1/0 or true/false"),
                })
            }
        }
        c.media_store = media_store::from_lookup(&get)?;
        c.webhook_allow_private = flag(&get, "INBOX_WEBHOOK_ALLOW_PRIVATE")?;
        if let Some(ms) = positive("INBOX_WEBHOOK_RETRY_BASE_MS")? {
            c.webhook_retry_base = Duration::from_millis(ms);
        }
        if let Some(d) = positive("INBOX_WEBHOOK_DELIVERY_RETENTION_DAYS")? {
            c.webhook_delivery_retention = Duration::from_secs(d * DAY);
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

/// A yes/no setting: unset, empty, `0` or `false` is no; `1` or `true` is yes; anything else is refused.
fn flag(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, ConfigError> {
    match get(name).as_deref().map(str::trim) {
        None | Some("") | Some("0") | Some("false") => Ok(false),
        Some("1") | Some("true") => Ok(true),
        Some(other) => Err(ConfigError::Invalid { name, problem: format!("{other:?} is not 1/0 or true/false") }),
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
        for name in [
            "INBOX_REQUEST_TIMEOUT_SECS",
            "INBOX_MAX_CONCURRENT_REQUESTS",
            "INBOX_REQUEST_QUEUE_MS",
            "INBOX_DEFERRED_EVENT_TTL_HOURS",
            "INBOX_JOURNAL_RETENTION_DAYS",
            "INBOX_UPLOAD_RETENTION_DAYS",
        ] {
            let err = Config::from_lookup(lookup(&[(name, "0")])).unwrap_err();
            assert!(err.to_string().starts_with(name), "{err}");
        }
        let err = Config::from_lookup(lookup(&[("INBOX_MEDIA_HOSTS", "https://x.example/")])).unwrap_err();
        assert!(err.to_string().starts_with("INBOX_MEDIA_HOSTS"), "{err}");
        let err = Config::from_lookup(lookup(&[("INBOX_MEDIA_ALLOW_LOCAL", "yes please")])).unwrap_err();
        assert!(err.to_string().starts_with("INBOX_MEDIA_ALLOW_LOCAL"), "{err}");
        let err = Config::from_lookup(lookup(&[("INBOX_WEBHOOK_ALLOW_PRIVATE", "sure")])).unwrap_err();
        assert!(err.to_string().starts_with("INBOX_WEBHOOK_ALLOW_PRIVATE"), "{err}");
        let err = Config::from_lookup(lookup(&[("INBOX_WEBHOOK_RETRY_BASE_MS", "0")])).unwrap_err();
        assert!(err.to_string().starts_with("INBOX_WEBHOOK_RETRY_BASE_MS"), "{err}");
    }

    #[test]
    fn limits_retention_and_media_hosts_are_read() {
        let c = Config::from_lookup(lookup(&[
            ("INBOX_REQUEST_TIMEOUT_SECS", "10"),
            ("INBOX_MAX_CONCURRENT_REQUESTS", "64"),
            ("INBOX_REQUEST_QUEUE_MS", "250"),
            ("INBOX_DEFERRED_EVENT_TTL_HOURS", "48"),
            ("INBOX_JOURNAL_RETENTION_DAYS", "3"),
            ("INBOX_UPLOAD_RETENTION_DAYS", "2"),
            ("INBOX_MEDIA_HOSTS", "127.0.0.1, *.example.com"),
            ("INBOX_MEDIA_ALLOW_LOCAL", "1"),
        ]))
        .unwrap();
        assert_eq!(c.request_timeout, Duration::from_secs(10));
        assert_eq!(c.max_concurrent_requests, 64);
        assert_eq!(c.queue_timeout, Duration::from_millis(250));
        assert_eq!(c.deferred_event_ttl, Duration::from_secs(48 * 3600));
        assert_eq!(c.journal_retention, Duration::from_secs(3 * DAY));
        assert_eq!(c.upload_retention, Duration::from_secs(2 * DAY));
        assert!(c.media_policy.allow_local);
        assert!(c.media_policy.allows_host("cdn.example.com"));
        assert!(!c.media_policy.allows_host("lookaside.fbsbx.com"));
        let d = Config::from_lookup(lookup(&[])).unwrap();
        assert!(d.media_policy.allows_host("lookaside.fbsbx.com") && !d.media_policy.allow_local);
        assert!(!d.webhook_allow_private);
        assert_eq!(d.webhook_retry_base, Duration::from_secs(10));
        let w = Config::from_lookup(lookup(&[
            ("INBOX_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("INBOX_WEBHOOK_RETRY_BASE_MS", "50"),
            ("INBOX_WEBHOOK_DELIVERY_RETENTION_DAYS", "7"),
        ]))
        .unwrap();
        assert!(w.webhook_allow_private);
        assert_eq!(w.webhook_retry_base, Duration::from_millis(50));
        assert_eq!(w.webhook_delivery_retention, Duration::from_secs(7 * DAY));
    }
}
