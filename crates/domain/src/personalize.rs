//! Personalize: CRM fields inserted into texts and quick replies at send time (docs/api.md, "Sending").
//!
//! Syntax: `{{contact.first_name}}`, with optional spaces inside the braces and an optional
//! fallback after a pipe: `{{ contact.first_name | cliente }}`. A field with no value renders as its
//! fallback, or as the empty string when there is none (so "Hola {{contact.first_name}}" becomes
//! "Hola " for an unknown name: agents who care add a fallback).
//!
//! A text with an unknown placeholder or an unterminated `{{` is refused as a whole (the API
//! answers 422): the customer must never receive raw braces. Values are inserted verbatim and never
//! re-read, so a contact named `{{agent.name}}` stays literally that.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The CRM contact fields Personalize can insert. Empty strings count as missing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactFields {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_primary: Option<String>,
    pub phone_whatsapp: Option<String>,
    pub whatsapp_username: Option<String>,
}

/// Everything a text may refer to at send time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonalizeContext {
    /// `None` when the conversation has no CRM contact yet: every `contact.*` field is empty.
    pub contact: Option<ContactFields>,
    /// The sending agent's display name.
    pub agent_name: Option<String>,
    /// The contact's custom fields by key (`{{contact.custom.KEY}}`).
    pub custom: BTreeMap<String, String>,
}

/// Why a text cannot be personalised; the API answers 422 with [`PersonalizeError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct PersonalizeError {
    /// Unknown placeholder names, as written (trimmed), in order of appearance.
    pub unknown: Vec<String>,
    /// Byte offsets of each `{{` that has no closing `}}`.
    pub unterminated: Vec<usize>,
}

impl PersonalizeError {
    pub fn code(&self) -> &'static str {
        "invalid_placeholder"
    }

    fn describe(&self) -> String {
        let mut parts = vec![];
        if !self.unknown.is_empty() {
            let names: Vec<String> = self.unknown.iter().map(|n| format!("{{{{{n}}}}}")).collect();
            parts.push(format!("unknown placeholder {}", names.join(", ")));
        }
        if !self.unterminated.is_empty() {
            parts.push("\"{{\" without a closing \"}}\"".to_string());
        }
        parts.join("; ")
    }
}

/// A field the UI's Personalize menu offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlaceholderInfo {
    /// The name inside the braces, e.g. `contact.first_name` or `contact.custom.rfc`; the UI's
    /// catalogue labels it.
    pub key: String,
    /// What to insert: `{{contact.first_name}}`.
    pub token: String,
    /// `contact`, `custom` or `agent`, to group the menu.
    pub group: &'static str,
    /// A custom field's label as the account defined it; `null` for fixed fields (the UI's
    /// catalogue names those).
    pub label: Option<String>,
}

/// Every fixed field, in menu order. Custom fields are per account: insert
/// `{{contact.custom.KEY}}` (see [`custom_placeholder`]).
pub const FIELDS: [&str; 9] = [
    "contact.first_name",
    "contact.last_name",
    "contact.full_name",
    "contact.email",
    "contact.phone",
    "contact.phone_whatsapp",
    "contact.whatsapp_username",
    "agent.name",
    "agent.first_name",
];

const CUSTOM_PREFIX: &str = "contact.custom.";

fn fixed(key: &str) -> PlaceholderInfo {
    let group = if key.starts_with("agent.") { "agent" } else { "contact" };
    PlaceholderInfo { key: key.to_string(), token: format!("{{{{{key}}}}}"), group, label: None }
}

pub fn placeholders() -> Vec<PlaceholderInfo> {
    FIELDS.iter().map(|key| fixed(key)).collect()
}

/// The whole Personalize menu of an account: the contact fields, then one `contact.custom.KEY` per
/// custom field definition given as `(key, label)` (in the order given, each key once, only those
/// the renderer reads back as that key), then the agent fields.
pub fn menu<'a>(custom_fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<PlaceholderInfo> {
    let mut seen = std::collections::BTreeSet::new();
    let custom: Vec<PlaceholderInfo> = custom_fields
        .into_iter()
        .filter(|(k, _)| is_custom_key(k) && seen.insert(*k))
        .map(|(k, label)| PlaceholderInfo {
            key: format!("{CUSTOM_PREFIX}{k}"),
            token: custom_placeholder(k),
            group: "custom",
            label: Some(label.to_string()),
        })
        .collect();
    let (agent, contact): (Vec<&str>, Vec<&str>) = FIELDS.iter().partition(|k| k.starts_with("agent."));
    contact.into_iter().map(fixed).chain(custom).chain(agent.into_iter().map(fixed)).collect()
}

/// Whether `{{contact.custom.KEY}}` reads back as exactly this key: not empty, and free of
/// whitespace and of the characters the placeholder syntax uses (`{`, `}`, `|`).
pub fn is_custom_key(key: &str) -> bool {
    !key.is_empty() && !key.chars().any(|c| c.is_whitespace() || matches!(c, '{' | '}' | '|'))
}

/// The token that inserts the custom field `key`.
pub fn custom_placeholder(key: &str) -> String {
    format!("{{{{{CUSTOM_PREFIX}{key}}}}}")
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.trim().is_empty())
}

impl PersonalizeContext {
    /// The value of a known field (`Some("")` when empty), `None` for an unknown name.
    fn value(&self, name: &str) -> Option<String> {
        if let Some(key) = name.strip_prefix(CUSTOM_PREFIX) {
            let valid = !key.is_empty() && !key.chars().any(char::is_whitespace);
            let value = non_empty(self.custom.get(key).map(String::as_str)).unwrap_or_default();
            return valid.then(|| value.to_string());
        }
        let c = self.contact.as_ref();
        let field =
            |f: fn(&ContactFields) -> &Option<String>| non_empty(c.and_then(|c| f(c).as_deref())).map(str::to_string);
        let agent = non_empty(self.agent_name.as_deref());
        let value = match name {
            "contact.first_name" => field(|c| &c.first_name),
            "contact.last_name" => field(|c| &c.last_name),
            "contact.full_name" => {
                let parts: Vec<String> = [field(|c| &c.first_name), field(|c| &c.last_name)]
                    .into_iter()
                    .flatten()
                    .map(|p| p.trim().to_string())
                    .collect();
                Some(parts.join(" "))
            }
            "contact.email" => field(|c| &c.email),
            "contact.phone" => field(|c| &c.phone_primary).or_else(|| field(|c| &c.phone_whatsapp)),
            "contact.phone_whatsapp" => field(|c| &c.phone_whatsapp),
            "contact.whatsapp_username" => field(|c| &c.whatsapp_username),
            "agent.name" => agent.map(|a| a.trim().to_string()),
            "agent.first_name" => agent.and_then(|a| a.split_whitespace().next()).map(str::to_string),
            _ => return None,
        };
        Some(value.unwrap_or_default())
    }
}

/// One `{{ … }}` occurrence: byte range in the text, field name and fallback.
struct Placeholder<'a> {
    start: usize,
    end: usize,
    name: &'a str,
    fallback: Option<&'a str>,
}

/// Splits `text` into placeholders, or reports where a `{{` is never closed.
fn scan(text: &str) -> (Vec<Placeholder<'_>>, Vec<usize>) {
    let mut found = vec![];
    let mut unterminated = vec![];
    let mut pos = 0;
    while let Some(open) = text[pos..].find("{{").map(|i| pos + i) {
        let inner_start = open + 2;
        let Some(close) = text[inner_start..].find("}}").map(|i| inner_start + i) else {
            unterminated.push(open);
            break;
        };
        let inner = &text[inner_start..close];
        let (name, fallback) = match inner.split_once('|') {
            Some((n, f)) => (n.trim(), Some(f.trim())),
            None => (inner.trim(), None),
        };
        found.push(Placeholder { start: open, end: close + 2, name, fallback });
        pos = close + 2;
    }
    (found, unterminated)
}

/// Renders `text` for `ctx`, or explains every problem at once.
pub fn render(text: &str, ctx: &PersonalizeContext) -> Result<String, PersonalizeError> {
    let (found, unterminated) = scan(text);
    let mut unknown = vec![];
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for p in &found {
        out.push_str(&text[last..p.start]);
        // A fallback holding `{{` would reach the customer as raw braces: refused like a typo.
        if p.fallback.is_some_and(|f| f.contains("{{")) {
            unknown.push(text[p.start + 2..p.end - 2].trim().to_string());
            last = p.end;
            continue;
        }
        match ctx.value(p.name) {
            Some(v) if !v.is_empty() => out.push_str(&v),
            Some(_) => out.push_str(p.fallback.unwrap_or("")),
            None => unknown.push(p.name.to_string()),
        }
        last = p.end;
    }
    if !unknown.is_empty() || !unterminated.is_empty() {
        return Err(PersonalizeError { unknown, unterminated });
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// Checks `text` without a context (e.g. when a quick reply is saved): same errors as [`render`].
pub fn validate(text: &str) -> Result<(), PersonalizeError> {
    render(text, &PersonalizeContext::default()).map(|_| ())
}

#[cfg(test)]
mod tests;
