//! A WhatsApp Business Account's message templates (docs/meta.md §4):
//! `GET /{WABA_ID}/message_templates?fields=…&limit=…`, following Graph's cursor paging
//! (`paging.cursors.after` while `paging.next` exists) until the last page.
//!
//! Paging links Meta hands out embed `access_token` in their query. The client never requests them
//! as given: it re-asks its own endpoint with the `after` cursor (or, without a cursor, the link
//! with the token stripped, and only on the Graph API's own origin), the token going in the header.

use domain::template::Template;
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;

use super::client::AccessToken;
use super::errors::GraphError;
use super::whatsapp_api::WhatsAppApi;

/// The fields the inbox reads (the domain's `Template`).
const FIELDS: &str = "id,name,language,status,category,components,parameter_format,quality_score";
const PAGE_SIZE: &str = "100";
/// A WABA has at most a few thousand templates; a paging loop longer than this is a Meta bug.
const MAX_PAGES: usize = 500;

#[derive(Deserialize)]
struct TemplatePage {
    #[serde(default)]
    data: Vec<Value>,
    paging: Option<Paging>,
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

/// A template Meta returned that the domain model cannot read: kept, never silently dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct UnreadableTemplate {
    pub raw: Value,
    pub error: String,
}

/// Reads raw templates into the domain's model; the unreadable ones are returned apart.
pub fn parse_templates(raw: Vec<Value>) -> (Vec<Template>, Vec<UnreadableTemplate>) {
    let mut templates = Vec::with_capacity(raw.len());
    let mut unreadable = Vec::new();
    for value in raw {
        match Template::deserialize(&value) {
            Ok(t) => templates.push(t),
            Err(e) => unreadable.push(UnreadableTemplate { raw: value, error: e.to_string() }),
        }
    }
    (templates, unreadable)
}

impl WhatsAppApi<'_> {
    /// Every template of the WABA, in every status and language, as Meta's raw JSON (read them with
    /// [`parse_templates`]).
    pub async fn list_templates(
        &self,
        waba_id: &str,
        token: &(impl AccessToken + ?Sized),
    ) -> Result<Vec<Value>, GraphError> {
        let first = self.first_page(waba_id);
        let mut url = first.clone();
        let mut templates = Vec::new();
        let mut seen_cursors = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: TemplatePage = self.client.get_json(url, token).await?;
            templates.extend(page.data);
            let Some(paging) = page.paging else {
                return Ok(templates);
            };
            let Some(next) = paging.next else {
                return Ok(templates);
            };
            let after = paging.cursors.and_then(|c| c.after);
            url = match after {
                Some(after) if seen_cursors.contains(&after) => {
                    return Err(GraphError::MalformedResponse("template paging repeated a cursor".into()))
                }
                Some(after) => {
                    let mut url = first.clone();
                    url.query_pairs_mut().append_pair("after", &after);
                    seen_cursors.push(after);
                    url
                }
                None => self.next_link(&next)?,
            };
        }
        Err(GraphError::MalformedResponse(format!("template paging did not end after {MAX_PAGES} pages")))
    }

    fn first_page(&self, waba_id: &str) -> Url {
        let mut url = self.client.endpoint(&[waba_id, "message_templates"]);
        url.query_pairs_mut().append_pair("fields", FIELDS).append_pair("limit", PAGE_SIZE);
        url
    }

    /// A `paging.next` link without its `access_token`, only on the Graph API's origin.
    fn next_link(&self, next: &str) -> Result<Url, GraphError> {
        let url = Url::parse(next)
            .ok()
            .filter(|u| self.client.same_origin(u))
            .ok_or_else(|| GraphError::MalformedResponse("paging.next is not a Graph API link".into()))?;
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "access_token")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut clean = url;
        clean.query_pairs_mut().clear().extend_pairs(kept);
        Ok(clean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{GraphClient, GraphConfig};
    use serde_json::json;

    #[test]
    fn next_links_lose_their_token_and_must_be_on_graph() {
        let client = GraphClient::new(GraphConfig::with_base_url("http://127.0.0.1:9/v24.0")).expect("client");
        let api = client.whatsapp();
        let clean = api
            .next_link("http://127.0.0.1:9/v24.0/1/message_templates?limit=2&access_token=SECRET&after=QQ")
            .expect("a Graph link");
        assert_eq!(clean.as_str(), "http://127.0.0.1:9/v24.0/1/message_templates?limit=2&after=QQ");
        assert!(api.next_link("https://evil.example/steal?x=1").is_err());
    }

    #[test]
    fn unreadable_templates_are_kept_apart() {
        let raw = vec![
            json!({"id":"1","name":"hola","language":"es_MX","status":"APPROVED","category":"UTILITY",
                   "components":[{"type":"BODY","text":"Hola {{1}}"}]}),
            json!({"id":"2","status":"APPROVED"}),
        ];
        let (ok, bad) = parse_templates(raw);
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].name, "hola");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].raw["id"], "2");
    }
}
