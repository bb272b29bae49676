//! Where media downloads may go. A media URL comes from Meta's answer or from a webhook body, so it
//! is treated as untrusted: it must be HTTPS to one of Meta's CDN hosts, every address its host
//! resolves to must be public (never loopback, private, link-local or unspecified), and redirects
//! are followed by hand, at most [`MediaPolicy::max_redirects`], each hop checked like the first.
//!
//! The address check sits in the HTTP client's DNS resolver ([`CheckedResolver`]), so the addresses
//! checked are the ones connected to: a host that answers a public address to a first lookup and a
//! private one to a second (DNS rebinding) gains nothing. Hosts given as IP literals never reach a
//! resolver; [`MediaPolicy::check_url`] checks them.
//!
//! The simulator (tests, `inbox demo`) serves media over plain HTTP on loopback: a policy with
//! [`MediaPolicy::allow_local`] permits that, and is never meant for production.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Meta's media hosts: WhatsApp media and Instagram attachments (`lookaside.fbsbx.com`), Messenger
/// files (`cdn.fbsbx.com`), Messenger images and videos (`scontent*.fbcdn.net`), Instagram CDN
/// (`scontent*.cdninstagram.com`) and WhatsApp's own media servers (`mmg.whatsapp.net`).
pub const META_MEDIA_HOSTS: &str = "*.fbsbx.com, *.fbcdn.net, *.cdninstagram.com, *.whatsapp.net";

/// Which URLs media may be downloaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPolicy {
    hosts: Vec<HostPattern>,
    /// Plain HTTP and loopback/private addresses allowed (the simulator only).
    pub allow_local: bool,
    /// Redirects followed before the download is refused.
    pub max_redirects: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// `lookaside.fbsbx.com`, `127.0.0.1`.
    Exact(String),
    /// `*.fbcdn.net`: any subdomain (stored as `.fbcdn.net`), not the domain itself.
    Subdomains(String),
}

impl HostPattern {
    fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        let (wild, host) = match text.strip_prefix("*.") {
            Some(rest) => (true, rest.to_string()),
            None => (false, text.clone()),
        };
        let ok = !host.is_empty()
            && host.len() <= 253
            && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            && !host.starts_with('.')
            && !host.ends_with('.');
        if !ok {
            return Err(format!("{text:?} is not a host name (e.g. lookaside.fbsbx.com or *.fbcdn.net)"));
        }
        Ok(if wild { HostPattern::Subdomains(format!(".{host}")) } else { HostPattern::Exact(host) })
    }

    fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(h) => h == host,
            HostPattern::Subdomains(suffix) => host.len() > suffix.len() && host.ends_with(suffix.as_str()),
        }
    }
}

impl Default for MediaPolicy {
    fn default() -> Self {
        Self::meta()
    }
}

impl MediaPolicy {
    /// Meta's CDN hosts over HTTPS, public addresses only, at most three redirects.
    pub fn meta() -> Self {
        Self::with_hosts(META_MEDIA_HOSTS).unwrap_or_else(|_| Self {
            hosts: vec![],
            allow_local: false,
            max_redirects: 3,
        })
    }

    /// A policy for these hosts (comma-separated; `*.example.com` for any subdomain), HTTPS and public
    /// addresses only.
    pub fn with_hosts(list: &str) -> Result<Self, String> {
        let hosts =
            list.split(',').filter(|h| !h.trim().is_empty()).map(HostPattern::parse).collect::<Result<Vec<_>, _>>()?;
        if hosts.is_empty() {
            return Err("no host given".into());
        }
        Ok(Self { hosts, allow_local: false, max_redirects: 3 })
    }

    /// The simulator's policy: these hosts, over plain HTTP, on loopback.
    pub fn local(list: &str) -> Result<Self, String> {
        Ok(Self { allow_local: true, ..Self::with_hosts(list)? })
    }

    /// Whether `host` (lower case, as a URL gives it) is on the allow-list.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.hosts.iter().any(|p| p.matches(&host))
    }

    /// Whether a connection to `ip` is allowed.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.allow_local || is_public(ip)
    }

    /// Checks what can be checked without resolving: the scheme, the host against the list, and a
    /// host given as an IP address. Returns why the URL is refused.
    pub fn check_url(&self, url: &Url) -> Result<(), String> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_local => {}
            other => return Err(format!("media must be fetched over HTTPS, not {other}")),
        }
        let host = url.host_str().ok_or_else(|| "the media URL has no host".to_string())?;
        if !self.allows_host(host) {
            return Err(format!("{host} is not one of Meta's media hosts"));
        }
        let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        if let Some(ip) = literal.filter(|ip| !self.allows_ip(*ip)) {
            return Err(format!("{ip} is not a public address"));
        }
        Ok(())
    }
}

/// Whether `ip` is a public unicast address: not loopback, private (RFC 1918, unique-local),
/// link-local, shared (CGNAT), documentation, benchmarking, multicast, broadcast or unspecified.
/// An IPv4 address mapped into IPv6 is judged as the IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64, may reach IPv4 private space
}

/// The refusal a [`CheckedResolver`] answers with, found again in the client's error chain.
#[derive(Debug)]
pub(crate) struct RefusedAddress(pub String);

impl std::fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RefusedAddress {}

/// Resolves with the system resolver and keeps only the addresses allowed (public ones, or any with
/// `allow_local`); when none is left the connection is refused with [`RefusedAddress`]. Media
/// downloads use it, and so does the server's outgoing-webhook client (the same rule for every URL
/// the server fetches on someone else's word).
#[derive(Debug, Clone)]
pub struct CheckedResolver {
    allow_local: bool,
}

impl CheckedResolver {
    /// Public addresses only, unless `allow_local` (tests, the demo).
    pub fn new(allow_local: bool) -> Self {
        Self { allow_local }
    }

    /// Whether a connection to `ip` is allowed.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.allow_local || is_public(ip)
    }

    /// The allowed addresses of `host`, or why there are none (it does not resolve, or only to
    /// addresses that are not public).
    pub async fn lookup(&self, host: &str) -> Result<Vec<SocketAddr>, String> {
        let found: Vec<SocketAddr> =
            tokio::net::lookup_host((host, 0)).await.map_err(|e| format!("{host} does not resolve: {e}"))?.collect();
        self.keep_allowed(host, found)
    }

    fn keep_allowed(&self, host: &str, found: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, String> {
        let allowed: Vec<SocketAddr> = found.iter().copied().filter(|a| self.allows_ip(a.ip())).collect();
        if allowed.is_empty() {
            let shown = found.first().map(|a| a.ip().to_string()).unwrap_or_else(|| "no address".into());
            return Err(format!("{host} resolves to {shown}, not a public address"));
        }
        Ok(allowed)
    }
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            // A failed lookup stays an I/O error (worth retrying), not a refusal.
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            match resolver.keep_allowed(&host, found) {
                Ok(allowed) => Ok(Box::new(allowed.into_iter()) as Addrs),
                Err(refusal) => Err(Box::new(RefusedAddress(refusal)) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// The [`RefusedAddress`] somewhere in `e`'s causes, if the resolver refused the host.
pub fn refused_in(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(r) = c.downcast_ref::<RefusedAddress>() {
            return Some(r.0.clone());
        }
        cause = c.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn meta_hosts_over_https_only() {
        let p = MediaPolicy::meta();
        for ok in [
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",
            "https://cdn.fbsbx.com/v/t59/file.pdf",
            "https://scontent.xx.fbcdn.net/v/t1/photo.jpg",
            "https://scontent-mia3-1.cdninstagram.com/v/t51/x.jpg",
            "https://mmg.whatsapp.net/d/f/abc.enc",
            "https://LOOKASIDE.FBSBX.COM/x",
        ] {
            assert_eq!(p.check_url(&url(ok)), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("http://lookaside.fbsbx.com/x", "HTTPS"),
            ("ftp://lookaside.fbsbx.com/x", "HTTPS"),
            ("https://fbsbx.com/x", "not one of"),
            ("https://lookaside.fbsbx.com.evil.example/x", "not one of"),
            ("https://evilfbcdn.net/x", "not one of"),
            ("https://127.0.0.1/x", "not one of"),
            ("https://example.com/x", "not one of"),
        ] {
            let err = p.check_url(&url(bad)).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn private_loopback_link_local_and_unspecified_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(!is_public(ip), "{ip} counted as public");
            assert!(!MediaPolicy::meta().allows_ip(ip), "{ip}");
        }
        for ip in ["157.240.22.35", "31.13.65.36", "2a03:2880:f12f:83:face:b00c:0:25de", "8.8.8.8"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn an_allowed_host_given_as_a_private_literal_is_still_refused() {
        let p = MediaPolicy::with_hosts("127.0.0.1, 10.0.0.5").expect("policy");
        let err = p.check_url(&url("https://127.0.0.1/x")).expect_err("loopback");
        assert!(err.contains("not a public address"), "{err}");
        assert!(p.check_url(&url("http://10.0.0.5/x")).is_err(), "plain HTTP");
        let local = MediaPolicy::local("127.0.0.1").expect("policy");
        assert_eq!(local.check_url(&url("http://127.0.0.1:8123/media/x")), Ok(()));
        assert!(local.check_url(&url("http://localhost:8123/media/x")).is_err(), "a host not listed");
    }

    #[test]
    fn host_lists_are_checked() {
        assert!(MediaPolicy::with_hosts("").is_err());
        assert!(MediaPolicy::with_hosts("https://x.example/").is_err());
        assert!(MediaPolicy::with_hosts("*.").is_err());
        let p = MediaPolicy::with_hosts(" cdn.example.com , *.example.org").expect("policy");
        assert!(p.allows_host("cdn.example.com"));
        assert!(p.allows_host("a.b.example.org"));
        assert!(!p.allows_host("example.org"));
        assert!(!p.allows_host("cdn.example.com.evil"));
    }

    #[tokio::test]
    async fn the_resolver_keeps_public_addresses_only() {
        let strict = CheckedResolver::new(false);
        let name: Name = "localhost".parse().expect("name");
        let err = match strict.resolve(name).await {
            Ok(_) => panic!("localhost resolved under the strict policy"),
            Err(e) => e,
        };
        assert!(refused_in(err.as_ref()).is_some_and(|r| r.contains("not a public address")), "{err}");
        let local = CheckedResolver::new(true);
        let addrs: Vec<SocketAddr> =
            local.resolve("localhost".parse().expect("name")).await.expect("resolved").collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }
}
