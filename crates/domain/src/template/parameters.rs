//! What a template needs filled in ([`ParameterSpec`]) and what the API receives
//! ([`TemplateParameters`]).

use super::model::{
    Button, ButtonType, Component, ComponentType, HeaderFormat, ParameterFormat, Template, TemplateCategory,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A template send's parameters, exactly as `POST …/messages` receives them:
///
/// ```json
/// {"header": {"type": "image", "upload_id": "…"},
///  "body": ["Ana", "A-100"],
///  "buttons": [{"index": 0, "text": "A-100"}]}
/// ```
/// `body` is a list for positional templates (`{{1}}`, `{{2}}`) and an object for named ones
/// (`{"first_name": "Ana"}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<HeaderParameter>,
    #[serde(default)]
    pub body: BodyParameters,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<ButtonParameter>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HeaderParameter {
    Text {
        text: String,
    },
    Image {
        #[serde(flatten)]
        source: MediaSource,
    },
    Video {
        #[serde(flatten)]
        source: MediaSource,
    },
    Document {
        #[serde(flatten)]
        source: MediaSource,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
    },
}

impl HeaderParameter {
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            HeaderParameter::Text { .. } => "text",
            HeaderParameter::Image { .. } => "image",
            HeaderParameter::Video { .. } => "video",
            HeaderParameter::Document { .. } => "document",
            HeaderParameter::Location { .. } => "location",
        }
    }
}

/// Where header media comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaSource {
    /// A file uploaded to the inbox (`POST /api/v1/uploads`); the sender uploads it to WhatsApp
    /// and replaces it with [`MediaSource::MediaId`] before building the Graph request.
    UploadId(String),
    /// A WhatsApp media id (`POST /{PHONE_NUMBER_ID}/media`).
    MediaId(String),
    /// A public HTTPS URL WhatsApp downloads itself.
    Link(String),
}

impl MediaSource {
    pub(crate) fn value(&self) -> &str {
        match self {
            MediaSource::UploadId(v) | MediaSource::MediaId(v) | MediaSource::Link(v) => v,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum BodyParameters {
    Positional(Vec<String>),
    Named(BTreeMap<String, String>),
}

impl Default for BodyParameters {
    fn default() -> Self {
        BodyParameters::Positional(vec![])
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ButtonParameter {
    /// The button's position among the template's buttons, from 0.
    pub index: u32,
    pub text: String,
}

/// One variable of a template: `1` or `first_name`, with Meta's sample value when it has one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ParamInfo {
    pub name: String,
    pub example: Option<String>,
}

/// What the header needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HeaderSpec {
    Text { param: ParamInfo },
    Image,
    Video,
    Document,
    Location,
}

impl HeaderSpec {
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            HeaderSpec::Text { .. } => "text",
            HeaderSpec::Image => "image",
            HeaderSpec::Video => "video",
            HeaderSpec::Document => "document",
            HeaderSpec::Location => "location",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ButtonParamKind {
    /// The dynamic end of a URL button (`https://shop.example/order/{{1}}`).
    UrlSuffix,
    /// The one-time code of an authentication button; sent as a `url` button parameter.
    Otp,
    /// A marketing coupon (`COPY_CODE` button); sent as `coupon_code`.
    CouponCode,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ButtonSpec {
    pub index: u32,
    pub kind: ButtonParamKind,
    /// The button's label, to name it in messages and forms.
    pub label: Option<String>,
    pub example: Option<String>,
}

/// Everything a template needs at send time, for the form in the UI and for validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ParameterSpec {
    #[schema(value_type = String)]
    pub format: ParameterFormat,
    pub header: Option<HeaderSpec>,
    pub body: Vec<ParamInfo>,
    pub buttons: Vec<ButtonSpec>,
    /// Parts of the template the inbox cannot fill (carousels, catalogues, …): it cannot be sent.
    pub unsupported: Vec<String>,
}

/// The variables of a template text in order of first appearance: `{{1}}` or `{{first_name}}`
/// (Meta: digits, or lower-case letters, digits and underscores). Other braces are plain text.
pub(crate) fn variables(text: &str) -> Vec<String> {
    let mut found: Vec<String> = vec![];
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let name = &after[..close];
        let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid && !found.iter().any(|f| f == name) {
            found.push(name.to_string());
        }
        rest = if valid { &after[close + 2..] } else { &rest[open + 1..] };
    }
    found
}

fn is_positional(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_digit())
}

/// Meta's sample values for a header or body: `body_text: [["Ana", "A-100"]]`,
/// `header_text: ["Ana"]`, or `*_named_params: [{"param_name", "example"}]`.
fn examples(example: Option<&Value>, positional_key: &str, named_key: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(ex) = example else { return out };
    let positional = match &ex[positional_key] {
        Value::Array(rows) if rows.first().is_some_and(Value::is_array) => rows[0].as_array(),
        Value::Array(_) => ex[positional_key].as_array(),
        _ => None,
    };
    for (i, v) in positional.into_iter().flatten().enumerate() {
        if let Some(s) = v.as_str() {
            out.insert((i + 1).to_string(), s.to_string());
        }
    }
    for v in ex[named_key].as_array().into_iter().flatten() {
        if let (Some(n), Some(e)) = (v["param_name"].as_str(), v["example"].as_str()) {
            out.insert(n.to_string(), e.to_string());
        }
    }
    out
}

/// The parameters of one component's text; positional ones as `1..=max` (a list is indexed).
fn text_params(c: &Component, positional_key: &str, named_key: &str) -> Vec<ParamInfo> {
    let vars = variables(c.text.as_deref().unwrap_or_default());
    let samples = examples(c.example.as_ref(), positional_key, named_key);
    let names: Vec<String> = if !vars.is_empty() && vars.iter().all(|v| is_positional(v)) {
        let max = vars.iter().filter_map(|v| v.parse::<u32>().ok()).max().unwrap_or(0);
        (1..=max).map(|n| n.to_string()).collect()
    } else {
        vars
    };
    names.into_iter().map(|name| ParamInfo { example: samples.get(&name).cloned(), name }).collect()
}

fn button_spec(index: u32, b: &Button) -> Result<Option<ButtonSpec>, String> {
    let sample = |prefix: &str| -> Option<String> {
        let ex = b.example.as_ref()?;
        let full = ex.as_str().or_else(|| ex.get(0)?.as_str())?;
        Some(full.strip_prefix(prefix).unwrap_or(full).to_string())
    };
    let url = b.url.as_deref().unwrap_or_default();
    let url_prefix = url.split("{{").next().unwrap_or_default();
    let kind = if b.otp().is_some() {
        ButtonParamKind::Otp
    } else {
        match &b.kind {
            ButtonType::Url if url.contains("{{") => ButtonParamKind::UrlSuffix,
            ButtonType::CopyCode => ButtonParamKind::CouponCode,
            ButtonType::Catalog | ButtonType::Mpm => return Err(format!("{} button", b.kind.as_str())),
            ButtonType::Other(t) if ["SPM", "ORDER_DETAILS"].contains(&t.to_ascii_uppercase().as_str()) => {
                return Err(format!("{t} button"))
            }
            _ => return Ok(None),
        }
    };
    let example = match kind {
        ButtonParamKind::CouponCode => sample(""),
        _ => sample(url_prefix),
    };
    Ok(Some(ButtonSpec { index, kind, label: b.text.clone(), example }))
}

/// What `template` needs filled in to be sent.
pub fn required_parameters(template: &Template) -> ParameterSpec {
    let mut unsupported = vec![];
    let header = template.component(&ComponentType::Header).and_then(|h| match &h.format {
        None | Some(HeaderFormat::Text) => text_params(h, "header_text", "header_text_named_params")
            .into_iter()
            .next()
            .map(|param| HeaderSpec::Text { param }),
        Some(HeaderFormat::Image) => Some(HeaderSpec::Image),
        Some(HeaderFormat::Video) => Some(HeaderSpec::Video),
        Some(HeaderFormat::Document) => Some(HeaderSpec::Document),
        Some(HeaderFormat::Location) => Some(HeaderSpec::Location),
        Some(HeaderFormat::Other(f)) => {
            unsupported.push(format!("{f} header"));
            None
        }
    });
    let body = template
        .component(&ComponentType::Body)
        .map(|b| text_params(b, "body_text", "body_text_named_params"))
        .unwrap_or_default();
    let mut buttons = vec![];
    for (i, b) in template.buttons().enumerate() {
        match button_spec(u32::try_from(i).unwrap_or(u32::MAX), b) {
            Ok(Some(spec)) => buttons.push(spec),
            Ok(None) => {}
            Err(what) => unsupported.push(what),
        }
    }
    for c in &template.components {
        if matches!(c.kind, ComponentType::Carousel | ComponentType::LimitedTimeOffer) {
            unsupported.push(format!("{} component", c.kind.as_str()));
        }
    }
    let named = |p: &ParamInfo| !is_positional(&p.name);
    let format = match (&header, body.first()) {
        (_, Some(p)) => named(p),
        (Some(HeaderSpec::Text { param }), None) => named(param),
        _ => template.parameter_format == ParameterFormat::Named,
    };
    ParameterSpec {
        format: if format { ParameterFormat::Named } else { ParameterFormat::Positional },
        header,
        body,
        buttons,
        unsupported,
    }
}

/// Whether an authentication template has an OTP button, which Meta refuses to send to a BSUID
/// (error 131062, docs/meta.md §12).
pub fn requires_phone_recipient(template: &Template) -> bool {
    template.category == TemplateCategory::Authentication && template.buttons().any(|b| b.otp().is_some())
}

/// Whether the template can ask a customer known only by username for their phone (§12).
pub fn has_request_contact_info_button(template: &Template) -> bool {
    template.buttons().any(|b| b.kind == ButtonType::RequestContactInfo)
}
