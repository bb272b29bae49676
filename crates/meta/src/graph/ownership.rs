//! Proving that an access token controls a channel's Meta asset — before the inbox connects it, and as
//! the channel's "test connection" with the stored token. Graph answers "does not exist" and "not
//! yours" alike (100/33), and each check is one that only the asset's own credentials pass:
//!
//! - WhatsApp: `GET /{WABA_ID}/phone_numbers` with the token must list the `phone_number_id` (only a
//!   token with access to the WABA reads the list). The entry gives `display_phone_number`,
//!   `verified_name` and `quality_rating`.
//! - Messenger: `GET /{PAGE_ID}?fields=id,name` must succeed **and** `GET /me` must be the Page: a
//!   Page's public fields may be readable with other tokens, but only its Page token's `me` is the Page.
//! - Instagram: `GET /{IG_ID}?fields=id,username` must answer that account: a professional account is
//!   read only with its own token or a token of its linked Page.
//!
//! Failures say why ([`OwnershipError`]); Meta being unreachable, slow, failing or rate-limiting is
//! [`OwnershipError::Unavailable`], never a verdict on ownership.

use reqwest::Url;
use serde::Deserialize;

use super::client::{AccessToken, GraphClient};
use super::errors::{ApiError, GraphError};

/// What a channel connects to at Meta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelAsset<'a> {
    /// A WhatsApp phone number of a WhatsApp Business Account (Cloud API or coexistence).
    WhatsAppNumber { waba_id: &'a str, phone_number_id: &'a str },
    /// A Facebook Page (Messenger).
    Page { page_id: &'a str },
    /// An Instagram professional account.
    Instagram { account_id: &'a str },
}

impl ChannelAsset<'_> {
    /// How the asset is named in an explanation.
    fn describe(&self) -> String {
        match self {
            ChannelAsset::WhatsAppNumber { waba_id, .. } => format!("the WhatsApp Business Account {waba_id}"),
            ChannelAsset::Page { page_id } => format!("the Facebook Page {page_id}"),
            ChannelAsset::Instagram { account_id } => format!("the Instagram account {account_id}"),
        }
    }
}

/// What Meta told about a verified asset (each field only where that kind has it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifiedAsset {
    /// WhatsApp: the number as Meta shows it, e.g. `+1 555-078-3881`.
    pub display_phone_number: Option<String>,
    /// WhatsApp: the business name approved for the number.
    pub verified_name: Option<String>,
    /// WhatsApp: `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    pub quality_rating: Option<String>,
    /// Messenger: the Page's name; Instagram: the account's username.
    pub name: Option<String>,
}

/// Why a token was not shown to control an asset.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OwnershipError {
    /// Meta does not accept the token (190: invalid, expired or revoked).
    #[error("{}", self.reason())]
    TokenInvalid(Box<ApiError>),
    /// The token is valid but cannot reach the object: it does not exist, or the token has no
    /// permission on it (10, 2xx, 100/33 — Meta does not tell these apart).
    #[error("{}", self.reason())]
    PermissionDenied { object: String, meta: Box<ApiError> },
    /// Meta answered, and the asset is not there: the WABA does not list the number, or Meta answered
    /// for another object.
    #[error("{}", self.reason())]
    NotFound { explanation: String },
    /// The token reads the Page but is not the Page's own token (its `me` is another Page or a user).
    #[error("{}", self.reason())]
    NotPageToken { page_id: String },
    /// Meta could not be asked: unreachable, timed out, failed (5xx) or rate-limited. Not a verdict.
    #[error("{}", self.reason())]
    Unavailable(GraphError),
    /// Meta refused the check for another reason (its words are kept).
    #[error("{}", self.reason())]
    Refused(GraphError),
}

impl OwnershipError {
    /// A stable code for the UI: `token_invalid`, `permission_denied`, `not_found`, `not_page_token`,
    /// `meta_unavailable` or `meta_error`.
    pub fn code(&self) -> &'static str {
        match self {
            OwnershipError::TokenInvalid(_) => "token_invalid",
            OwnershipError::PermissionDenied { .. } => "permission_denied",
            OwnershipError::NotFound { .. } => "not_found",
            OwnershipError::NotPageToken { .. } => "not_page_token",
            OwnershipError::Unavailable(_) => "meta_unavailable",
            OwnershipError::Refused(_) => "meta_error",
        }
    }

    /// Whether asking again later may give another answer (Meta was not reached or failed).
    pub fn is_transient(&self) -> bool {
        matches!(self, OwnershipError::Unavailable(_))
    }

    /// What the admin reads: what Meta refused, and what to do.
    pub fn reason(&self) -> String {
        match self {
            OwnershipError::TokenInvalid(_) => {
                "Meta does not accept this access token (it is invalid, expired or was revoked): generate a new \
                 token and try again"
                    .into()
            }
            OwnershipError::PermissionDenied { object, .. } => format!(
                "This access token cannot reach {object} at Meta: it does not exist, or the token has no \
                 permission on it"
            ),
            OwnershipError::NotFound { explanation } => explanation.clone(),
            OwnershipError::NotPageToken { page_id } => format!(
                "This access token is not the Page access token of the Facebook Page {page_id} (it belongs to \
                 another Page or to a user): use the Page's own token"
            ),
            OwnershipError::Unavailable(e) => format!(
                "Meta could not be asked to check the token ({}): nothing was changed, try again in a moment",
                unavailable_detail(e)
            ),
            OwnershipError::Refused(GraphError::Api(api)) => {
                format!("Meta refused the check: {}", api.details.as_deref().unwrap_or(&api.message))
            }
            OwnershipError::Refused(e) => format!("Meta refused the check: {e}"),
        }
    }

    /// Reads a failed call of the check on `object`.
    pub(crate) fn from_graph(error: GraphError, object: impl FnOnce() -> String) -> Self {
        match error {
            GraphError::Api(api) if matches!(api.code, 190 | 102) => OwnershipError::TokenInvalid(api),
            GraphError::Api(api)
                if api.code == 10
                    || (200..=299).contains(&api.code)
                    || api.code == 803
                    || (api.code == 100 && api.subcode == Some(33)) =>
            {
                OwnershipError::PermissionDenied { object: object(), meta: api }
            }
            e if e.classify().is_transient() => OwnershipError::Unavailable(e),
            e => OwnershipError::Refused(e),
        }
    }
}

/// Why Meta could not be asked, without URLs or tokens.
fn unavailable_detail(e: &GraphError) -> String {
    match e {
        GraphError::Timeout => "no answer in time".into(),
        GraphError::Connect(_) => "it could not be reached".into(),
        GraphError::Transport(_) => "the connection broke".into(),
        GraphError::Api(api) if api.http_status < 500 => format!("rate limit, error {}", api.code),
        GraphError::Api(api) => format!("temporary error {}", api.code),
        GraphError::Http { status, .. } => format!("HTTP {status}"),
        other => other.to_string(),
    }
}

/// Numbers asked per page, and the most pages read: a WABA has a handful of numbers (Meta allows a few
/// dozen at most), so a longer paging loop is a Meta bug.
const NUMBERS_PAGE_SIZE: &str = "100";
const MAX_NUMBER_PAGES: usize = 20;
const NUMBER_FIELDS: &str = "id,display_phone_number,verified_name,quality_rating";

#[derive(Deserialize)]
struct NumberPage {
    #[serde(default)]
    data: Vec<PhoneNumberNode>,
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct PhoneNumberNode {
    id: String,
    display_phone_number: Option<String>,
    verified_name: Option<String>,
    quality_rating: Option<String>,
}

#[derive(Deserialize)]
struct Paging {
    cursors: Option<Cursors>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct Cursors {
    after: Option<String>,
}

/// A Page, an Instagram account or `me`.
#[derive(Deserialize)]
struct Node {
    id: String,
    name: Option<String>,
    username: Option<String>,
}

impl GraphClient {
    /// Checks that `token` controls `asset` (see the module docs for how, per kind).
    pub async fn verify_ownership(
        &self,
        asset: ChannelAsset<'_>,
        token: &(impl AccessToken + ?Sized),
    ) -> Result<VerifiedAsset, OwnershipError> {
        match asset {
            ChannelAsset::WhatsAppNumber { waba_id, phone_number_id } => {
                self.verify_number(asset, waba_id, phone_number_id, token).await
            }
            ChannelAsset::Page { page_id } => self.verify_page(asset, page_id, token).await,
            ChannelAsset::Instagram { account_id } => self.verify_instagram(asset, account_id, token).await,
        }
    }

    async fn verify_number(
        &self,
        asset: ChannelAsset<'_>,
        waba_id: &str,
        phone_number_id: &str,
        token: &(impl AccessToken + ?Sized),
    ) -> Result<VerifiedAsset, OwnershipError> {
        let first = {
            let mut url = self.endpoint(&[waba_id, "phone_numbers"]);
            url.query_pairs_mut().append_pair("fields", NUMBER_FIELDS).append_pair("limit", NUMBERS_PAGE_SIZE);
            url
        };
        let mut url = first.clone();
        let mut seen: Vec<String> = Vec::new();
        for _ in 0..MAX_NUMBER_PAGES {
            let page: NumberPage =
                self.get_json(url, token).await.map_err(|e| OwnershipError::from_graph(e, || asset.describe()))?;
            if let Some(n) = page.data.into_iter().find(|n| n.id == phone_number_id) {
                return Ok(VerifiedAsset {
                    display_phone_number: n.display_phone_number,
                    verified_name: n.verified_name,
                    quality_rating: n.quality_rating,
                    name: None,
                });
            }
            // Only cursors are followed (paging links carry the token in their query).
            let after = page.paging.filter(|p| p.next.is_some()).and_then(|p| p.cursors).and_then(|c| c.after);
            match after {
                Some(after) if !seen.contains(&after) => {
                    url = with_after(&first, &after);
                    seen.push(after);
                }
                _ => break,
            }
        }
        Err(OwnershipError::NotFound {
            explanation: format!(
                "The number {phone_number_id} is not one of the numbers of the WhatsApp Business Account \
                 {waba_id}: check both ids"
            ),
        })
    }

    async fn verify_page(
        &self,
        asset: ChannelAsset<'_>,
        page_id: &str,
        token: &(impl AccessToken + ?Sized),
    ) -> Result<VerifiedAsset, OwnershipError> {
        let page = self.read_node(asset, page_id, "id,name", token).await?;
        let me = self.read_node(asset, "me", "id", token).await?;
        if me.id != page_id {
            return Err(OwnershipError::NotPageToken { page_id: page_id.to_string() });
        }
        Ok(VerifiedAsset { name: page.name, ..VerifiedAsset::default() })
    }

    async fn verify_instagram(
        &self,
        asset: ChannelAsset<'_>,
        account_id: &str,
        token: &(impl AccessToken + ?Sized),
    ) -> Result<VerifiedAsset, OwnershipError> {
        let account = self.read_node(asset, account_id, "id,username", token).await?;
        Ok(VerifiedAsset { name: account.username, ..VerifiedAsset::default() })
    }

    /// `GET /{id}?fields=…`, which must answer for that very id (`me` answers for whoever it is).
    async fn read_node(
        &self,
        asset: ChannelAsset<'_>,
        id: &str,
        fields: &str,
        token: &(impl AccessToken + ?Sized),
    ) -> Result<Node, OwnershipError> {
        let mut url = self.endpoint(&[id]);
        url.query_pairs_mut().append_pair("fields", fields);
        let node: Node =
            self.get_json(url, token).await.map_err(|e| OwnershipError::from_graph(e, || asset.describe()))?;
        if id != "me" && node.id != id {
            return Err(OwnershipError::NotFound {
                explanation: format!("Meta answered for another object ({}) than {}", node.id, asset.describe()),
            });
        }
        Ok(node)
    }
}

fn with_after(first: &Url, after: &str) -> Url {
    let mut url = first.clone();
    url.query_pairs_mut().append_pair("after", after);
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn api(http_status: u16, code: i64, subcode: Option<i64>) -> GraphError {
        GraphError::from(ApiError {
            http_status,
            code,
            subcode,
            message: format!("(#{code}) x"),
            ..ApiError::default()
        })
    }

    fn read(e: GraphError) -> OwnershipError {
        OwnershipError::from_graph(e, || "the Facebook Page 1".into())
    }

    #[test]
    fn bad_tokens_and_denied_objects_are_verdicts() {
        assert_eq!(read(api(401, 190, Some(460))).code(), "token_invalid");
        assert_eq!(read(api(400, 190, Some(463))).code(), "token_invalid");
        for (code, subcode) in [(100, Some(33)), (10, None), (200, None), (299, None), (803, None)] {
            let e = read(api(400, code, subcode));
            assert_eq!(e.code(), "permission_denied", "{code}/{subcode:?}");
            assert!(!e.is_transient());
            assert!(e.reason().contains("the Facebook Page 1"), "{}", e.reason());
        }
    }

    #[test]
    fn meta_being_unreachable_slow_failing_or_busy_is_no_verdict() {
        for e in [
            GraphError::Timeout,
            GraphError::Connect("refused".into()),
            GraphError::Transport("reset".into()),
            GraphError::Http { status: 502, retry_after: None },
            api(500, 2, None),
            api(400, 4, None),
            api(400, 613, None),
            GraphError::Http { status: 429, retry_after: Some(Duration::from_secs(1)) },
        ] {
            let read = read(e.clone());
            assert_eq!(read.code(), "meta_unavailable", "{e:?}");
            assert!(read.is_transient());
            assert!(read.reason().contains("try again"), "{}", read.reason());
        }
    }

    #[test]
    fn other_refusals_keep_metas_words() {
        let e = read(GraphError::from(ApiError {
            http_status: 400,
            code: 100,
            message: "(#100) Tried accessing nonexisting field (foo)".into(),
            ..ApiError::default()
        }));
        assert_eq!(e.code(), "meta_error");
        assert_eq!(e.reason(), "Meta refused the check: (#100) Tried accessing nonexisting field (foo)");
        assert_eq!(read(GraphError::MalformedResponse("x".into())).code(), "meta_error");
    }

    #[test]
    fn explanations_never_carry_transport_details() {
        let e = read(GraphError::Connect("error sending request for url (http://x/?access_token=SECRET)".into()));
        assert!(!e.reason().contains("SECRET"), "{}", e.reason());
    }
}
