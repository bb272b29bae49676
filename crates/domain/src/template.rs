//! WhatsApp message templates: the model synced from Meta, the parameters a send needs, their
//! validation, the text the inbox shows, and the Graph API `components` (docs/meta.md §4).
//!
//! A template is the only thing WhatsApp lets a business send outside the 24 h window (§7), and a
//! wrong parameter costs a failed, sometimes paid, send (errors 132000/132012, §6): everything
//! Meta would refuse is refused here first with `template_parameters`, before anything is stored.

mod graph;
mod model;
mod parameters;

pub use graph::{set_header_media_id, to_graph_components};
pub use model::{
    Button, ButtonType, Component, ComponentType, HeaderFormat, OtpType, ParameterFormat, Template, TemplateCategory,
    TemplateStatus,
};
pub use parameters::{
    has_request_contact_info_button, required_parameters, requires_phone_recipient, BodyParameters, ButtonParamKind,
    ButtonParameter, ButtonSpec, HeaderParameter, HeaderSpec, MediaSource, ParamInfo, ParameterSpec,
    TemplateParameters,
};

/// Meta's limits on a template's texts once filled in (template creation rules, error 132005).
const HEADER_TEXT_MAX: usize = 60;
const BODY_TEXT_MAX: usize = 1024;
/// A coupon code is at most 15 characters (`COPY_CODE` buttons).
const COUPON_CODE_MAX: usize = 15;

/// Why a template send is refused; the API answers 422 with [`TemplateRefusal::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateRefusal {
    #[error("the template is {status}, not APPROVED: WhatsApp only sends approved templates")]
    NotApproved { status: String },
    #[error("{0}")]
    Parameters(String),
}

impl TemplateRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            TemplateRefusal::NotApproved { .. } => "template_not_approved",
            TemplateRefusal::Parameters(_) => "template_parameters",
        }
    }
}

/// Meta refuses text parameters with new lines, tabs or more than four consecutive spaces.
fn check_text_param(label: &str, value: &str) -> Option<String> {
    if value.trim().is_empty() {
        return Some(format!("{label} is empty"));
    }
    if value.contains(['\n', '\r', '\t']) || value.contains("     ") {
        return Some(format!("{label} cannot contain new lines, tabs or more than 4 consecutive spaces"));
    }
    None
}

fn var(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

/// The body values in the template's order, `None` where missing; `None` as a whole when the
/// shape is wrong (list for object or the reverse), which is then the only error worth telling.
fn body_values<'a>(
    spec: &ParameterSpec,
    body: &'a BodyParameters,
    errors: &mut Vec<String>,
) -> Option<Vec<Option<&'a str>>> {
    let names: Vec<&str> = spec.body.iter().map(|p| p.name.as_str()).collect();
    match (spec.format == ParameterFormat::Named, body) {
        (false, BodyParameters::Positional(list)) => {
            if list.len() > names.len() {
                errors.push(format!("the body takes {} parameter(s), {} were given", names.len(), list.len()));
            }
            Some((0..names.len()).map(|i| list.get(i).map(String::as_str)).collect())
        }
        (true, BodyParameters::Named(map)) => {
            for extra in map.keys().filter(|k| !names.contains(&k.as_str())) {
                errors.push(format!("body parameter {} does not exist in this template", var(extra)));
            }
            Some(names.iter().map(|n| map.get(*n).map(String::as_str)).collect())
        }
        // An empty body of the other shape is just "nothing given": report what is missing.
        (false, BodyParameters::Named(map)) if map.is_empty() => Some(vec![None; names.len()]),
        (true, BodyParameters::Positional(list)) if list.is_empty() => Some(vec![None; names.len()]),
        (false, BodyParameters::Named(_)) => {
            errors.push("this template's body parameters are positional: send a list".into());
            None
        }
        (true, BodyParameters::Positional(_)) => {
            errors.push(format!("this template's body parameters are named: send an object with {}", names.join(", ")));
            None
        }
    }
}

/// Each parameterised button with its value. An OTP button without its own parameter takes the
/// body's code: Meta requires the same code in both places.
fn button_values<'a>(
    spec: &'a ParameterSpec,
    params: &'a TemplateParameters,
) -> Vec<(&'a ButtonSpec, Option<&'a str>)> {
    let body_code = match &params.body {
        BodyParameters::Positional(list) if list.len() == 1 => Some(list[0].as_str()),
        _ => None,
    };
    spec.buttons
        .iter()
        .map(|b| {
            let own = params.buttons.iter().find(|p| p.index == b.index).map(|p| p.text.as_str());
            let value = own.or(if b.kind == ButtonParamKind::Otp { body_code } else { None });
            (b, value)
        })
        .collect()
}

/// "an image", "a video", …: header kinds as a sentence names them.
fn a(kind: &str) -> String {
    match kind {
        "text" => "text".into(),
        "image" => "an image".into(),
        other => format!("a {other}"),
    }
}

fn button_label(b: &ButtonSpec) -> String {
    match &b.label {
        Some(l) => format!("button {} (\"{l}\")", b.index),
        None => format!("button {}", b.index),
    }
}

fn header_errors(spec: &ParameterSpec, given: Option<&HeaderParameter>, errors: &mut Vec<String>) {
    match (&spec.header, given) {
        (None, None) => {}
        (None, Some(_)) => errors.push("this template's header takes no parameter".into()),
        (Some(HeaderSpec::Text { param }), None) => {
            errors.push(format!("header parameter {} is missing", var(&param.name)))
        }
        (Some(HeaderSpec::Text { param }), Some(HeaderParameter::Text { text })) => {
            let label = format!("header parameter {}", var(&param.name));
            errors.extend(check_text_param(&label, text));
        }
        (Some(h), None) => errors.push(format!("the header needs {}", a(h.kind_name()))),
        (Some(h), Some(p)) if h.kind_name() != p.kind_name() => {
            errors.push(format!("the header needs {}, not {}", a(h.kind_name()), a(p.kind_name())))
        }
        (Some(_), Some(p)) => {
            let source = match p {
                HeaderParameter::Image { source }
                | HeaderParameter::Video { source }
                | HeaderParameter::Document { source, .. } => Some(source),
                _ => None,
            };
            if source.is_some_and(|s| s.value().trim().is_empty()) {
                errors.push(format!("the header {} is empty", p.kind_name()));
            }
        }
    }
}

/// Checks that `params` fill `template` exactly, the way Meta will check them.
pub fn validate_parameters(template: &Template, params: &TemplateParameters) -> Result<(), TemplateRefusal> {
    if !template.is_approved() {
        return Err(TemplateRefusal::NotApproved { status: template.status.as_str().to_string() });
    }
    let spec = required_parameters(template);
    let mut errors = vec![];
    if !spec.unsupported.is_empty() {
        errors.push(format!("this template uses {}, which the inbox cannot fill", spec.unsupported.join(", ")));
    }
    header_errors(&spec, params.header.as_ref(), &mut errors);
    if let (Some(HeaderSpec::Text { param }), Some(HeaderParameter::Text { text })) = (&spec.header, &params.header) {
        let header = template.component(&ComponentType::Header).and_then(|h| h.text.as_deref());
        let filled = fill(header.unwrap_or_default(), |n| (n == param.name).then(|| text.clone()));
        if filled.chars().count() > HEADER_TEXT_MAX {
            errors.push(format!("the header would be too long: at most {HEADER_TEXT_MAX} characters"));
        }
    }
    let values = body_values(&spec, &params.body, &mut errors).unwrap_or_default();
    for (p, v) in spec.body.iter().zip(&values) {
        let label = format!("body parameter {}", var(&p.name));
        match v {
            None => errors.push(format!("{label} is missing")),
            Some(v) => errors.extend(check_text_param(&label, v)),
        }
    }
    for extra in params.buttons.iter().filter(|p| !spec.buttons.iter().any(|b| b.index == p.index)) {
        errors.push(format!("button {} takes no parameter", extra.index));
    }
    for (i, p) in params.buttons.iter().enumerate() {
        if params.buttons[..i].iter().any(|q| q.index == p.index) {
            errors.push(format!("button {} is given twice", p.index));
        }
    }
    for (b, v) in button_values(&spec, params) {
        let label = format!("the parameter of {}", button_label(b));
        match v {
            None => errors.push(format!("{label} is missing")),
            Some(v) if v.trim().is_empty() => errors.push(format!("{label} is empty")),
            Some(v) if b.kind == ButtonParamKind::CouponCode && v.chars().count() > COUPON_CODE_MAX => {
                errors.push(format!("{label} is longer than {COUPON_CODE_MAX} characters"))
            }
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        let body = render_body(template, params);
        if body.chars().count() > BODY_TEXT_MAX {
            errors.push(format!("the body would be too long: at most {BODY_TEXT_MAX} characters"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(TemplateRefusal::Parameters(errors.join("; ")))
    }
}

/// Fills `text`'s variables from `values` (by name); unknown ones stay as written.
fn fill(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        match value(&after[..close]) {
            Some(v) => {
                out.push_str(&rest[..open]);
                out.push_str(&v);
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[..open + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The body as the customer reads it: the text the inbox stores and shows for the sent message.
/// Variables without a value stay as `{{n}}` (only possible before validation, e.g. in a preview).
pub fn render_body(template: &Template, params: &TemplateParameters) -> String {
    let Some(text) = template.component(&ComponentType::Body).and_then(|b| b.text.as_deref()) else {
        return String::new();
    };
    fill(text, |name| match &params.body {
        BodyParameters::Positional(list) => {
            let n: usize = name.parse().ok()?;
            list.get(n.checked_sub(1)?).cloned()
        }
        BodyParameters::Named(map) => map.get(name).cloned(),
    })
}

#[cfg(test)]
mod tests;
