//! Where media bytes are kept: `INBOX_MEDIA_STORE=local` (the default, `INBOX_DATA_DIR/media`) or
//! `s3` with the `INBOX_S3_*` settings (docs/operations.md, "Media storage").

use super::ConfigError;
use media::store::{S3Config, S3Credentials};
use secrecy::SecretString;

#[derive(Clone, Debug, Default)]
pub enum MediaStoreConfig {
    /// A directory in the data directory: one server, or servers sharing a file system.
    #[default]
    Local,
    /// An S3-compatible bucket, which any number of servers can share.
    S3(S3Config),
}

/// Every `INBOX_S3_*` setting: all refused unless the store is `s3`, so that a forgotten
/// `INBOX_MEDIA_STORE=s3` cannot send media to the local disk unnoticed.
const S3_VARS: [&str; 8] = [
    "INBOX_S3_BUCKET",
    "INBOX_S3_REGION",
    "INBOX_S3_ENDPOINT",
    "INBOX_S3_ACCESS_KEY_ID",
    "INBOX_S3_SECRET_ACCESS_KEY",
    "INBOX_S3_PATH_STYLE",
    "INBOX_S3_ALLOW_HTTP",
    "INBOX_S3_PREFIX",
];

const DEFAULT_REGION: &str = "us-east-1";

pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<MediaStoreConfig, ConfigError> {
    let value = |name: &str| get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    match value("INBOX_MEDIA_STORE").as_deref() {
        None | Some("local") => {
            if let Some(name) = S3_VARS.into_iter().find(|name| value(name).is_some()) {
                return Err(invalid(name, "is set but INBOX_MEDIA_STORE is not s3".into()));
            }
            Ok(MediaStoreConfig::Local)
        }
        Some("s3") => s3(&value).map(MediaStoreConfig::S3),
        Some(other) => Err(invalid("INBOX_MEDIA_STORE", format!("{other:?} is not local or s3"))),
    }
}

fn s3(value: &impl Fn(&str) -> Option<String>) -> Result<S3Config, ConfigError> {
    let bucket = value("INBOX_S3_BUCKET")
        .ok_or_else(|| invalid("INBOX_S3_BUCKET", "is required when INBOX_MEDIA_STORE=s3".into()))?;
    let mut config = S3Config::new(bucket, value("INBOX_S3_REGION").unwrap_or_else(|| DEFAULT_REGION.into()));
    config.allow_http = flag(value, "INBOX_S3_ALLOW_HTTP")?.unwrap_or(false);
    if let Some(endpoint) = value("INBOX_S3_ENDPOINT") {
        let plain = endpoint.starts_with("http://");
        if !(plain || endpoint.starts_with("https://")) || endpoint.contains(char::is_whitespace) {
            return Err(invalid("INBOX_S3_ENDPOINT", format!("{endpoint:?} is not an http(s) URL")));
        }
        if plain && !config.allow_http {
            return Err(invalid(
                "INBOX_S3_ENDPOINT",
                format!("{endpoint:?} is plain HTTP: set INBOX_S3_ALLOW_HTTP=1 if the server is on this host or a private network"),
            ));
        }
        config.endpoint = Some(endpoint.trim_end_matches('/').to_string());
    }
    // Self-hosted servers want the bucket in the path; AWS, in the host name.
    config.path_style = flag(value, "INBOX_S3_PATH_STYLE")?.unwrap_or(config.endpoint.is_some());
    config.credentials = match (value("INBOX_S3_ACCESS_KEY_ID"), value("INBOX_S3_SECRET_ACCESS_KEY")) {
        (Some(access_key_id), Some(secret)) => {
            Some(S3Credentials { access_key_id, secret_access_key: SecretString::from(secret) })
        }
        (None, None) => None,
        (Some(_), None) => {
            return Err(invalid("INBOX_S3_SECRET_ACCESS_KEY", "is required with INBOX_S3_ACCESS_KEY_ID".into()))
        }
        (None, Some(_)) => {
            return Err(invalid("INBOX_S3_ACCESS_KEY_ID", "is required with INBOX_S3_SECRET_ACCESS_KEY".into()))
        }
    };
    if let Some(prefix) = value("INBOX_S3_PREFIX") {
        let trimmed = prefix.trim_matches('/');
        if !media::store::valid_key(trimmed) {
            return Err(invalid(
                "INBOX_S3_PREFIX",
                format!("{prefix:?}: use /-separated names of letters, digits, '-', '_' and '.'"),
            ));
        }
        config.prefix = Some(trimmed.to_string());
    }
    Ok(config)
}

/// A yes/no setting that may be unset (`None`: take the default).
fn flag(value: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<Option<bool>, ConfigError> {
    match value(name).as_deref() {
        None => Ok(None),
        Some("1") | Some("true") => Ok(Some(true)),
        Some("0") | Some("false") => Ok(Some(false)),
        Some(other) => Err(invalid(name, format!("{other:?} is not 1/0 or true/false"))),
    }
}

fn invalid(name: &'static str, problem: String) -> ConfigError {
    ConfigError::Invalid { name, problem }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<MediaStoreConfig, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        from_lookup(&|k: &str| map.get(k).cloned())
    }

    fn s3_of(vars: &[(&str, &str)]) -> S3Config {
        match read(vars) {
            Ok(MediaStoreConfig::S3(c)) => c,
            other => panic!("not an S3 store: {other:?}"),
        }
    }

    fn error_of(vars: &[(&str, &str)]) -> String {
        match read(vars) {
            Err(e) => e.to_string(),
            Ok(c) => panic!("accepted: {c:?}"),
        }
    }

    #[test]
    fn local_is_the_default() {
        assert!(matches!(read(&[]), Ok(MediaStoreConfig::Local)));
        assert!(matches!(read(&[("INBOX_MEDIA_STORE", "local")]), Ok(MediaStoreConfig::Local)));
    }

    #[test]
    fn a_self_hosted_server_gets_path_style_and_the_given_keys() {
        let c = s3_of(&[
            ("INBOX_MEDIA_STORE", "s3"),
            ("INBOX_S3_BUCKET", "inbox-media"),
            ("INBOX_S3_ENDPOINT", "http://127.0.0.1:9000/"),
            ("INBOX_S3_ALLOW_HTTP", "1"),
            ("INBOX_S3_ACCESS_KEY_ID", "AKIA1"),
            ("INBOX_S3_SECRET_ACCESS_KEY", "s3cr3t"),
            ("INBOX_S3_PREFIX", "/prod/inbox/"),
        ]);
        assert_eq!((c.bucket.as_str(), c.region.as_str()), ("inbox-media", DEFAULT_REGION));
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert!(c.path_style && c.allow_http);
        assert_eq!(c.prefix.as_deref(), Some("prod/inbox"));
        let keys = c.credentials.expect("credentials");
        assert_eq!((keys.access_key_id.as_str(), keys.secret_access_key.expose_secret()), ("AKIA1", "s3cr3t"));
    }

    #[test]
    fn aws_gets_virtual_hosted_style_and_the_environment_chain() {
        let c = s3_of(&[("INBOX_MEDIA_STORE", "s3"), ("INBOX_S3_BUCKET", "b"), ("INBOX_S3_REGION", "sa-east-1")]);
        assert_eq!(c.region, "sa-east-1");
        assert!(c.endpoint.is_none() && !c.path_style && !c.allow_http && c.credentials.is_none());
        let forced = s3_of(&[("INBOX_MEDIA_STORE", "s3"), ("INBOX_S3_BUCKET", "b"), ("INBOX_S3_PATH_STYLE", "true")]);
        assert!(forced.path_style);
    }

    #[test]
    fn bad_or_missing_settings_are_named() {
        let s3 = ("INBOX_MEDIA_STORE", "s3");
        let bucket = ("INBOX_S3_BUCKET", "b");
        for (vars, name) in [
            (vec![("INBOX_MEDIA_STORE", "gcs")], "INBOX_MEDIA_STORE"),
            (vec![s3], "INBOX_S3_BUCKET"),
            (vec![s3, bucket, ("INBOX_S3_ENDPOINT", "minio:9000")], "INBOX_S3_ENDPOINT"),
            (vec![s3, bucket, ("INBOX_S3_ENDPOINT", "http://10.0.0.5:9000")], "INBOX_S3_ENDPOINT"),
            (vec![s3, bucket, ("INBOX_S3_ACCESS_KEY_ID", "AKIA1")], "INBOX_S3_SECRET_ACCESS_KEY"),
            (vec![s3, bucket, ("INBOX_S3_SECRET_ACCESS_KEY", "x")], "INBOX_S3_ACCESS_KEY_ID"),
            (vec![s3, bucket, ("INBOX_S3_PATH_STYLE", "yes")], "INBOX_S3_PATH_STYLE"),
            (vec![s3, bucket, ("INBOX_S3_PREFIX", "../other")], "INBOX_S3_PREFIX"),
            (vec![("INBOX_S3_BUCKET", "b")], "INBOX_S3_BUCKET"),
        ] {
            let err = error_of(&vars);
            assert!(err.starts_with(name), "{vars:?}: {err}");
        }
        assert!(error_of(&[s3, bucket, ("INBOX_S3_ENDPOINT", "http://10.0.0.5:9000")]).contains("INBOX_S3_ALLOW_HTTP"));
    }
}
