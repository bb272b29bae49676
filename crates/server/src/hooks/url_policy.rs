//! Which URLs an outgoing webhook may POST to. A URL given by a user of an account must not let them
//! reach the server's own network (its loopback, the cloud's metadata address, private services):
//! HTTPS to public addresses only, unless `INBOX_WEBHOOK_ALLOW_PRIVATE` (tests, the demo, a receiver
//! on the same private network) allows plain HTTP and any address.
//!
//! [`check`] runs when a URL is saved and resolves its host, so a refusal is immediate and clear. At
//! delivery the HTTP client's resolver (`meta::graph::CheckedResolver`, the one media downloads use)
//! checks the addresses actually connected to — a host that resolved publicly at creation and
//! privately later (DNS rebinding) is refused then — and [`check_literal`] covers hosts written as IP
//! addresses, which never reach a resolver.

use meta::graph::CheckedResolver;
use reqwest::Url;
use std::net::IpAddr;

/// The longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("{0}")]
    Invalid(String),
    #[error("webhook URLs must use HTTPS")]
    NotHttps,
    #[error("{0}; webhooks may only reach public addresses")]
    NotPublic(String),
}

impl UrlProblem {
    /// The API's error code for this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            UrlProblem::Invalid(_) => "invalid_webhook_url",
            UrlProblem::NotHttps => "webhook_url_not_https",
            UrlProblem::NotPublic(_) => "webhook_url_not_public",
        }
    }
}

/// Checks a URL as it is saved: its form, its scheme, and every address its host resolves to.
pub async fn check(raw: &str, allow_private: bool) -> Result<Url, UrlProblem> {
    let url = check_literal(raw, allow_private)?;
    let host = url.host_str().unwrap_or_default();
    if literal_ip(host).is_none() {
        CheckedResolver::new(allow_private).lookup(host).await.map_err(UrlProblem::NotPublic)?;
    }
    Ok(url)
}

/// What can be checked without resolving: the form, the scheme, and a host written as an IP address.
pub fn check_literal(raw: &str, allow_private: bool) -> Result<Url, UrlProblem> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(UrlProblem::Invalid(format!("the URL is longer than {MAX_URL_LEN} characters")));
    }
    let url = Url::parse(raw).map_err(|e| UrlProblem::Invalid(format!("not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err(UrlProblem::NotHttps),
        other => return Err(UrlProblem::Invalid(format!("{other}: is not an http(s) URL"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Invalid(
            "credentials in the URL are not supported; verify the signature instead".into(),
        ));
    }
    let host =
        url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| UrlProblem::Invalid("the URL has no host".into()))?;
    if let Some(ip) = literal_ip(host) {
        if !CheckedResolver::new(allow_private).allows_ip(ip) {
            return Err(UrlProblem::NotPublic(format!("{ip} is not a public address")));
        }
    }
    Ok(url)
}

fn literal_ip(host: &str) -> Option<IpAddr> {
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_to_public_addresses_only_by_default() {
        assert!(check_literal("https://hooks.example.com/inbox?k=1", false).is_ok());
        assert!(check_literal("https://8.8.8.8/x", false).is_ok());
        assert_eq!(check_literal("http://hooks.example.com/x", false), Err(UrlProblem::NotHttps));
        for private in [
            "https://127.0.0.1/x",
            "https://10.0.0.8/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]:8443/x",
            "https://0.0.0.0/x",
            "https://[::ffff:192.168.1.1]/x",
        ] {
            let err = check_literal(private, false).expect_err(private);
            assert_eq!(err.code(), "webhook_url_not_public", "{private}");
        }
        for bad in
            ["", "hooks.example.com", "ftp://example.com/x", "https://user:pw@example.com/x", "mailto:a@example.com"]
        {
            let err = check_literal(bad, false).expect_err(bad);
            assert_eq!(err.code(), "invalid_webhook_url", "{bad}: {err}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(check_literal(&long, false).expect_err("long").code(), "invalid_webhook_url");
    }

    #[test]
    fn allowing_private_addresses_also_allows_plain_http() {
        assert!(check_literal("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_literal("https://[::1]/hook", true).is_ok());
        assert_eq!(check_literal("ftp://127.0.0.1/x", true).expect_err("ftp").code(), "invalid_webhook_url");
    }

    #[tokio::test]
    async fn a_host_resolving_to_loopback_is_refused() {
        let err = check("https://localhost/hook", false).await.expect_err("localhost");
        assert_eq!(err.code(), "webhook_url_not_public", "{err}");
        assert!(check("http://localhost:9/hook", true).await.is_ok());
    }
}
