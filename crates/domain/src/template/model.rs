//! Meta's message template, as `GET /{WABA_ID}/message_templates` returns it (docs/meta.md §4).
//!
//! Meta adds values over time (statuses such as `LIMIT_EXCEEDED`, new button and component
//! types): every enumeration keeps unknown values as `Other` instead of failing the whole sync,
//! and matching is case-insensitive because creation requests use lower case (`"otp"`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An enumeration of Meta strings that keeps values it does not know.
macro_rules! meta_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this code does not know yet, kept as Meta sent it.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $s,)+
                    $name::Other(s) => s,
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.to_ascii_uppercase().as_str() {
                    $($s => $name::$variant,)+
                    _ => $name::Other(s),
                }
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_string()
            }
        }
    };
}

meta_enum!(TemplateStatus {
    Approved = "APPROVED",
    Pending = "PENDING",
    Rejected = "REJECTED",
    Paused = "PAUSED",
    Disabled = "DISABLED",
    InAppeal = "IN_APPEAL",
});

meta_enum!(TemplateCategory {
    Marketing = "MARKETING",
    Utility = "UTILITY",
    Authentication = "AUTHENTICATION",
});

meta_enum!(
    /// How the template's variables are written: `{{1}}` or `{{first_name}}`.
    ParameterFormat {
        Positional = "POSITIONAL",
        Named = "NAMED",
    }
);

impl Default for ParameterFormat {
    /// Meta's default when a template is created without `parameter_format`.
    fn default() -> Self {
        ParameterFormat::Positional
    }
}

meta_enum!(ComponentType {
    Header = "HEADER",
    Body = "BODY",
    Footer = "FOOTER",
    Buttons = "BUTTONS",
    Carousel = "CAROUSEL",
    LimitedTimeOffer = "LIMITED_TIME_OFFER",
});

meta_enum!(HeaderFormat {
    Text = "TEXT",
    Image = "IMAGE",
    Video = "VIDEO",
    Document = "DOCUMENT",
    Location = "LOCATION",
});

meta_enum!(ButtonType {
    QuickReply = "QUICK_REPLY",
    Url = "URL",
    PhoneNumber = "PHONE_NUMBER",
    /// A marketing coupon code (not the authentication one, which is `OTP`).
    CopyCode = "COPY_CODE",
    Otp = "OTP",
    Flow = "FLOW",
    RequestContactInfo = "REQUEST_CONTACT_INFO",
    Catalog = "CATALOG",
    Mpm = "MPM",
});

meta_enum!(OtpType {
    CopyCode = "COPY_CODE",
    OneTap = "ONE_TAP",
    ZeroTap = "ZERO_TAP",
});

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Template {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    /// Meta's language code, e.g. `es_MX`.
    pub language: String,
    #[schema(value_type = String, example = "APPROVED")]
    pub status: TemplateStatus,
    #[schema(value_type = String, example = "UTILITY")]
    pub category: TemplateCategory,
    #[serde(default)]
    #[schema(value_type = String, example = "POSITIONAL")]
    pub parameter_format: ParameterFormat,
    #[serde(default)]
    pub components: Vec<Component>,
    /// Meta's quality rating of the template from customers' reactions (`GREEN`, `YELLOW`, `RED`,
    /// or `UNKNOWN` while too new to rate); absent when Meta did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_score: Option<QualityScore>,
}

/// `quality_score` of Meta's template object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QualityScore {
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`, kept as Meta wrote it.
    #[schema(example = "GREEN")]
    pub score: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Component {
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "BODY")]
    pub kind: ComponentType,
    /// Headers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "IMAGE")]
    pub format: Option<HeaderFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// Meta's sample values (`header_text`, `body_text`, `body_text_named_params`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub example: Option<Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Button {
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "URL")]
    pub kind: ButtonType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub otp_type: Option<OtpType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub example: Option<Value>,
}

/// Where Meta's authentication templates point their OTP buttons once created.
const OTP_URL: &str = "https://www.whatsapp.com/otp/code/";

impl Button {
    /// The OTP kind of an authentication button. Meta creates these as `OTP` but returns them as
    /// `URL` buttons pointing to `whatsapp.com/otp/code/?otp_type=…` ("upon creation the button
    /// type will be set to URL"), so both shapes are recognised.
    pub fn otp(&self) -> Option<OtpType> {
        if let Some(t) = &self.otp_type {
            return Some(t.clone());
        }
        let url = self.url.as_deref().unwrap_or_default();
        if self.kind == ButtonType::Otp || url.starts_with(OTP_URL) {
            let from_url =
                url.split(['?', '&']).find_map(|kv| kv.strip_prefix("otp_type=")).map(|t| OtpType::from(t.to_string()));
            return Some(from_url.unwrap_or(OtpType::CopyCode));
        }
        None
    }
}

impl Template {
    pub fn component(&self, kind: &ComponentType) -> Option<&Component> {
        self.components.iter().find(|c| &c.kind == kind)
    }

    /// The buttons in Meta's order: a button's position here is the `index` a send refers to.
    pub fn buttons(&self) -> impl Iterator<Item = &Button> {
        self.components.iter().filter(|c| c.kind == ComponentType::Buttons).flat_map(|c| c.buttons.iter())
    }

    pub fn is_approved(&self) -> bool {
        self.status == TemplateStatus::Approved
    }
}
