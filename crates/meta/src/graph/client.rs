//! The one HTTP client for the Graph API: base URL (Meta in production, the simulator in tests),
//! timeouts, bearer authentication, Meta's error bodies, and bounded reading of every answer.
//!
//! Tokens are the channel's and are passed per call; they travel only in the `Authorization`
//! header (never in a URL, so no log or error message can carry them; reqwest marks the header
//! sensitive and drops it on redirects to another host).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::{Method, RequestBuilder, Response, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::download::{CheckedResolver, MediaPolicy};
use super::errors::{retry_after, ApiError, GraphError};

/// Meta's Graph API at the version the inbox is written against (the simulator serves the same).
pub const PRODUCTION_BASE_URL: &str = "https://graph.facebook.com/v24.0";

/// The most an error body is read for its JSON (Meta's are a few hundred bytes).
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// An access token as a call takes it: a plain `&str` or a [`SecretString`] from the store.
pub trait AccessToken {
    fn token(&self) -> &str;
}

impl AccessToken for str {
    fn token(&self) -> &str {
        self
    }
}

impl AccessToken for String {
    fn token(&self) -> &str {
        self
    }
}

impl AccessToken for SecretString {
    fn token(&self) -> &str {
        self.expose_secret()
    }
}

/// How the client reaches Meta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphConfig {
    /// `https://graph.facebook.com/v24.0`, or the simulator's `graph_base()`.
    pub base_url: String,
    pub connect_timeout: Duration,
    /// Whole-call limit for API calls (sends, media info, template pages).
    pub request_timeout: Duration,
    /// Whole-call limit for media uploads and downloads (up to 100 MB, docs/meta.md §5).
    pub transfer_timeout: Duration,
    /// The largest JSON answer read (a page of templates is the biggest Meta sends us).
    pub max_response_bytes: u64,
    /// Where media downloads may go (Meta's CDN hosts; the simulator in tests and the demo).
    pub media_policy: MediaPolicy,
}

impl Default for GraphConfig {
    fn default() -> Self {
        Self {
            base_url: PRODUCTION_BASE_URL.into(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            transfer_timeout: Duration::from_secs(300),
            max_response_bytes: 16 * 1024 * 1024,
            media_policy: MediaPolicy::meta(),
        }
    }
}

impl GraphConfig {
    pub fn with_base_url(base_url: impl Into<String>) -> Self {
        Self { base_url: base_url.into(), ..Self::default() }
    }

    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    pub fn media_policy(mut self, policy: MediaPolicy) -> Self {
        self.media_policy = policy;
        self
    }
}

/// The Graph API client. Cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    /// Media downloads only: redirects followed by hand, addresses checked by the resolver.
    downloads: reqwest::Client,
    base: Url,
    config: GraphConfig,
}

impl GraphClient {
    pub fn new(config: GraphConfig) -> Result<Self, GraphError> {
        let base = Url::parse(config.base_url.trim_end_matches('/'))
            .map_err(|e| GraphError::InvalidRequest(format!("base URL: {e}")))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(GraphError::InvalidRequest(format!("base URL {base} is not an http(s) URL")));
        }
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("escala-inbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(GraphError::from_reqwest)?;
        let downloads = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would be resolved instead of the media host, bypassing the address check.
            .no_proxy()
            .dns_resolver(std::sync::Arc::new(CheckedResolver::new(config.media_policy.allow_local)))
            .user_agent(concat!("escala-inbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(GraphError::from_reqwest)?;
        Ok(Self { http, downloads, base, config })
    }

    /// Meta's production Graph API with the default timeouts.
    pub fn production() -> Result<Self, GraphError> {
        Self::new(GraphConfig::default())
    }

    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// `{base}/{segment}/{segment}…`, each segment percent-encoded so an id can never change the path.
    pub(crate) fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// Whether `url` is on the Graph API's origin (paging links are followed only there).
    pub(crate) fn same_origin(&self, url: &Url) -> bool {
        url.origin() == self.base.origin()
    }

    pub(crate) fn request(&self, method: Method, url: Url, token: &(impl AccessToken + ?Sized)) -> RequestBuilder {
        self.http.request(method, url).bearer_auth(token.token())
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
        token: &(impl AccessToken + ?Sized),
    ) -> Result<T, GraphError> {
        self.call(self.request(Method::GET, url, token)).await
    }

    pub(crate) async fn post_json<T: DeserializeOwned>(
        &self,
        url: Url,
        token: &(impl AccessToken + ?Sized),
        body: &Value,
    ) -> Result<T, GraphError> {
        self.call(self.request(Method::POST, url, token).json(body)).await
    }

    /// A multipart upload, with the transfer timeout.
    pub(crate) async fn post_multipart<T: DeserializeOwned>(
        &self,
        url: Url,
        token: &(impl AccessToken + ?Sized),
        form: reqwest::multipart::Form,
    ) -> Result<T, GraphError> {
        let request = self.request(Method::POST, url, token).multipart(form).timeout(self.config.transfer_timeout);
        self.call(request).await
    }

    /// Sends a call and reads its JSON answer, or Meta's error.
    async fn call<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, GraphError> {
        let response = self.send(request).await?;
        let body = read_limited(response, self.config.max_response_bytes).await?;
        serde_json::from_slice(&body).map_err(|e| GraphError::MalformedResponse(e.to_string()))
    }

    /// Sends a request; a non-2xx answer becomes [`GraphError::Api`] or [`GraphError::Http`].
    pub(crate) async fn send(&self, request: RequestBuilder) -> Result<Response, GraphError> {
        let response = request.send().await.map_err(GraphError::from_reqwest)?;
        self.check_status(response).await
    }

    /// The response if it is a success, else the error it carries.
    async fn check_status(&self, response: Response) -> Result<Response, GraphError> {
        let status = response.status();
        tracing::debug!(path = response.url().path(), status = status.as_u16(), "Graph API answer");
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = retry_after(response.headers());
        let body = match read_limited(response, MAX_ERROR_BODY).await {
            Ok(body) => body,
            Err(GraphError::TooLarge { .. }) => Bytes::new(),
            Err(e) => return Err(e),
        };
        let error = match ApiError::parse(status.as_u16(), &body, retry_after) {
            Some(api) => GraphError::from(api),
            None => GraphError::Http { status: status.as_u16(), retry_after },
        };
        if let GraphError::Api(api) = &error {
            tracing::debug!(
                code = api.code,
                subcode = api.subcode,
                fbtrace_id = api.fbtrace_id.as_deref(),
                "Graph API error"
            );
        }
        Err(error)
    }

    /// Downloads `url` (with the bearer token when given) into memory, refusing more than
    /// `max_bytes`: a declared `Content-Length` over the limit is refused before reading, and the
    /// stream is cut as soon as it passes the limit, so memory never exceeds `max_bytes`.
    /// The URL and every redirect must pass the [`MediaPolicy`] ([`GraphError::Refused`] otherwise);
    /// the token goes only to the first URL's host.
    pub(crate) async fn download_bounded(
        &self,
        url: &str,
        token: Option<&str>,
        max_bytes: u64,
    ) -> Result<Bytes, GraphError> {
        let policy = &self.config.media_policy;
        let mut url = Url::parse(url).map_err(|_| GraphError::Refused("the media URL cannot be read".into()))?;
        let first_host = url.host_str().map(str::to_string);
        let deadline = tokio::time::Instant::now() + self.config.transfer_timeout;
        let mut redirects = 0;
        let response = loop {
            policy.check_url(&url).map_err(GraphError::Refused)?;
            let mut request = self.downloads.get(url.clone());
            if let Some(token) = token.filter(|_| url.host_str().map(str::to_string) == first_host) {
                request = request.bearer_auth(token);
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let response = request.timeout(left).send().await.map_err(|e| match super::download::refused_in(&e) {
                Some(reason) => GraphError::Refused(reason),
                None => GraphError::from_reqwest(e),
            })?;
            if !response.status().is_redirection() {
                break response;
            }
            redirects += 1;
            if redirects > policy.max_redirects {
                return Err(GraphError::Refused(format!("more than {} redirects", policy.max_redirects)));
            }
            let next = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| GraphError::Refused("a redirect without a usable Location".into()))?;
            url = next;
        };
        let response = self.check_status(response).await?;
        read_limited(response, max_bytes).await
    }
}

/// Reads a body into memory, failing with [`GraphError::TooLarge`] past `limit` bytes.
async fn read_limited(mut response: Response, limit: u64) -> Result<Bytes, GraphError> {
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(GraphError::TooLarge { limit });
    }
    let capacity = response.content_length().unwrap_or(0).min(limit);
    let mut buffer = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(GraphError::from_reqwest)? {
        if buffer.len() as u64 + chunk.len() as u64 > limit {
            return Err(GraphError::TooLarge { limit });
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_encode_ids_as_single_segments() {
        let client = GraphClient::new(GraphConfig::with_base_url("http://127.0.0.1:9/v24.0/")).expect("client");
        assert_eq!(
            client.endpoint(&["106540352242922", "messages"]).as_str(),
            "http://127.0.0.1:9/v24.0/106540352242922/messages"
        );
        assert_eq!(
            client.endpoint(&["../evil?x=1", "media"]).as_str(),
            "http://127.0.0.1:9/v24.0/..%2Fevil%3Fx=1/media"
        );
    }

    #[test]
    fn production_defaults() {
        let config = GraphConfig::default();
        assert_eq!(config.base_url, "https://graph.facebook.com/v24.0");
        assert_eq!(config.connect_timeout, Duration::from_secs(5));
        assert_eq!(config.request_timeout, Duration::from_secs(30));
        assert!(GraphClient::production().is_ok());
    }

    #[test]
    fn a_base_url_must_be_http() {
        assert!(GraphClient::new(GraphConfig::with_base_url("mailto:a@b")).is_err());
        assert!(GraphClient::new(GraphConfig::with_base_url("not a url")).is_err());
    }

    #[test]
    fn tokens_come_as_str_string_or_secret() {
        fn read(t: &(impl AccessToken + ?Sized)) -> String {
            t.token().to_string()
        }
        assert_eq!(read("a"), "a");
        assert_eq!(read(&String::from("b")), "b");
        assert_eq!(read(&SecretString::from("c")), "c");
    }
}
