//! WhatsApp message templates as Meta stores them (`GET /{WABA_ID}/message_templates` answers with these
//! components verbatim) and what a send must supply for each (Meta's 132000/132012/131008 checks).

use serde_json::{json, Value};

use crate::ids;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
    InAppeal,
}

impl TemplateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "APPROVED",
            Self::Pending => "PENDING",
            Self::Rejected => "REJECTED",
            Self::Paused => "PAUSED",
            Self::Disabled => "DISABLED",
            Self::InAppeal => "IN_APPEAL",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
}

impl TemplateCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Marketing => "MARKETING",
            Self::Utility => "UTILITY",
            Self::Authentication => "AUTHENTICATION",
        }
    }

    /// The `pricing.category` of a status webhook for a template of this category.
    pub fn pricing_category(self) -> &'static str {
        match self {
            Self::Marketing => "marketing",
            Self::Utility => "utility",
            Self::Authentication => "authentication",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterFormat {
    /// `{{1}}`, `{{2}}`, …
    Positional,
    /// `{{first_name}}`: each send parameter carries `parameter_name`.
    Named,
}

/// One template in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub language: String,
    pub status: TemplateStatus,
    pub category: TemplateCategory,
    pub parameter_format: ParameterFormat,
    /// Meta's component objects (`HEADER`, `BODY`, `FOOTER`, `BUTTONS`).
    pub components: Vec<Value>,
    /// `quality_score.score`: `GREEN`, `YELLOW`, `RED`, or `UNKNOWN` for a template too new to rate.
    pub quality: &'static str,
}

/// What a send of a template must carry, derived from its components.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Expectations {
    pub header_text: Vec<String>,
    /// `IMAGE`, `VIDEO`, `DOCUMENT` or `LOCATION`: one parameter of that type.
    pub header_media: Option<String>,
    pub body: Vec<String>,
    /// Button indexes that need one text parameter (URL with a variable, OTP/COPY_CODE).
    pub button_params: Vec<usize>,
    /// OTP or COPY_CODE buttons: cannot be sent to a BSUID (131062).
    pub has_code_button: bool,
}

impl Template {
    /// An APPROVED template with a BODY; `{{name}}` placeholders make it NAMED.
    pub fn new(name: impl Into<String>, language: impl Into<String>, category: TemplateCategory, body: &str) -> Self {
        let named = placeholders(body).iter().any(|p| p.parse::<u32>().is_err());
        let mut body_component = json!({"type": "BODY", "text": body});
        let examples = placeholders(body);
        if !examples.is_empty() {
            body_component["example"] = if named {
                json!({"body_text_named_params": examples.iter()
                    .map(|p| json!({"param_name": p, "example": "Ana"})).collect::<Vec<_>>()})
            } else {
                json!({"body_text": [examples.iter().map(|_| "Ana").collect::<Vec<_>>()]})
            };
        }
        Self {
            id: ids::numeric_id(),
            name: name.into(),
            language: language.into(),
            status: TemplateStatus::Approved,
            category,
            parameter_format: if named { ParameterFormat::Named } else { ParameterFormat::Positional },
            components: vec![body_component],
            quality: "UNKNOWN",
        }
    }

    pub fn with_quality(mut self, score: &'static str) -> Self {
        self.quality = score;
        self
    }

    pub fn with_status(mut self, status: TemplateStatus) -> Self {
        self.status = status;
        self
    }

    pub fn header_text(mut self, text: &str) -> Self {
        self.components.insert(0, json!({"type": "HEADER", "format": "TEXT", "text": text}));
        self
    }

    /// `format`: `IMAGE`, `VIDEO`, `DOCUMENT` or `LOCATION`.
    pub fn header_media(mut self, format: &str) -> Self {
        self.components.insert(0, json!({"type": "HEADER", "format": format.to_ascii_uppercase()}));
        self
    }

    pub fn footer(mut self, text: &str) -> Self {
        self.components.push(json!({"type": "FOOTER", "text": text}));
        self
    }

    pub fn quick_reply_buttons(self, labels: &[&str]) -> Self {
        let buttons = labels.iter().map(|l| json!({"type": "QUICK_REPLY", "text": l})).collect();
        self.push_buttons(buttons)
    }

    /// A URL button; a `{{1}}` in the URL makes its suffix a send parameter.
    pub fn url_button(self, text: &str, url: &str) -> Self {
        self.push_buttons(vec![json!({"type": "URL", "text": text, "url": url})])
    }

    /// The copy-code button of an authentication template (the code is a send parameter).
    pub fn otp_copy_code_button(self) -> Self {
        self.push_buttons(vec![json!({"type": "OTP", "otp_type": "COPY_CODE", "text": "Copiar código"})])
    }

    /// A `REQUEST_CONTACT_INFO` button (asks a username-only customer for their phone).
    pub fn request_contact_info_button(self) -> Self {
        self.push_buttons(vec![json!({"type": "REQUEST_CONTACT_INFO", "text": "Compartir número"})])
    }

    fn push_buttons(mut self, mut new: Vec<Value>) -> Self {
        let existing =
            self.components.iter_mut().find(|c| c["type"] == "BUTTONS").and_then(|c| c["buttons"].as_array_mut());
        match existing {
            Some(buttons) => buttons.append(&mut new),
            None => self.components.push(json!({"type": "BUTTONS", "buttons": new})),
        }
        self
    }

    /// The object `GET /{WABA_ID}/message_templates` returns, restricted to `fields` when given
    /// (`id` is always included, like Graph does).
    pub fn to_graph_json(&self, fields: Option<&[&str]>) -> Value {
        let full = json!({
            "name": self.name,
            "parameter_format": match self.parameter_format {
                ParameterFormat::Positional => "POSITIONAL",
                ParameterFormat::Named => "NAMED",
            },
            "components": self.components,
            "language": self.language,
            "status": self.status.as_str(),
            "category": self.category.as_str(),
            "quality_score": {"score": self.quality},
            "id": self.id,
        });
        let Some(fields) = fields else { return full };
        let mut out = serde_json::Map::new();
        for field in fields.iter().copied().chain(["id"]) {
            if let Some(v) = full.get(field) {
                out.insert(field.to_string(), v.clone());
            }
        }
        Value::Object(out)
    }

    pub(crate) fn expectations(&self) -> Expectations {
        let mut exp = Expectations::default();
        for component in &self.components {
            match component["type"].as_str().unwrap_or_default() {
                "HEADER" => match component["format"].as_str().unwrap_or("TEXT") {
                    "TEXT" => exp.header_text = placeholders(component["text"].as_str().unwrap_or_default()),
                    media => exp.header_media = Some(media.to_string()),
                },
                "BODY" => exp.body = placeholders(component["text"].as_str().unwrap_or_default()),
                "BUTTONS" => {
                    let buttons = component["buttons"].as_array().cloned().unwrap_or_default();
                    for (index, button) in buttons.iter().enumerate() {
                        match button["type"].as_str().unwrap_or_default() {
                            "URL" if button["url"].as_str().unwrap_or_default().contains("{{") => {
                                exp.button_params.push(index)
                            }
                            "OTP" | "COPY_CODE" => {
                                exp.has_code_button = true;
                                exp.button_params.push(index);
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        exp
    }
}

/// The distinct `{{…}}` placeholders of a text, in order of first appearance.
pub(crate) fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_string();
        if !name.is_empty() && !found.contains(&name) {
            found.push(name);
        }
        rest = &after[end + 2..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_distinct_and_ordered() {
        assert_eq!(placeholders("Hola {{1}}, pedido {{2}} de {{1}}"), vec!["1", "2"]);
        assert_eq!(placeholders("Hola {{ first_name }}"), vec!["first_name"]);
        assert!(placeholders("sin variables {{").is_empty());
    }

    #[test]
    fn named_placeholders_make_a_named_template() {
        let t = Template::new("t", "es", TemplateCategory::Utility, "Hola {{first_name}}");
        assert_eq!(t.parameter_format, ParameterFormat::Named);
        assert_eq!(t.expectations().body, vec!["first_name"]);
    }

    #[test]
    fn url_and_otp_buttons_need_parameters() {
        let t = Template::new("t", "es", TemplateCategory::Authentication, "{{1}} es tu código").otp_copy_code_button();
        let exp = t.expectations();
        assert!(exp.has_code_button);
        assert_eq!(exp.button_params, vec![0]);
        let t = Template::new("t", "es", TemplateCategory::Utility, "x")
            .header_media("image")
            .url_button("Ver", "https://x/{{1}}")
            .quick_reply_buttons(&["Sí"]);
        let exp = t.expectations();
        assert_eq!(exp.header_media.as_deref(), Some("IMAGE"));
        assert_eq!(exp.button_params, vec![0]);
    }

    #[test]
    fn graph_json_keeps_only_requested_fields_and_id() {
        let t = Template::new("t", "es", TemplateCategory::Utility, "x");
        let v = t.to_graph_json(Some(&["name", "status"]));
        assert_eq!(v.as_object().map(|o| o.len()), Some(3));
        assert_eq!(v["status"], "APPROVED");
    }
}
