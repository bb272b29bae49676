//! The checks Meta makes on a template send (docs/meta.md §4, §6, §12): the template must exist in the
//! WABA in that language and be APPROVED (PAUSED → 132015, DISABLED → 132016, any other state is not a
//! usable translation → 132001); each component must carry the parameters its placeholders need (count →
//! 132000, header media type → 132012, missing values/button parameters → 131008; a header media id must
//! have been uploaded to the WABA → 131009, and be of the header's type → 131053); NAMED templates need
//! every `parameter_name` of the template exactly once (→ 132000); authentication templates with code
//! buttons cannot go to a BSUID (131062).
//!
//! Text parameters: no new lines, tabs or more than 4 consecutive spaces (→ 132018, "There was an issue
//! with the parameters in your template"); once filled in, the header text is at most 60 characters and
//! the body at most 1024 (→ 132005, "Translated text too long").

use serde_json::{Map, Value};

use crate::config::WhatsAppNumber;
use crate::graph_error::{GraphError, GraphResult};
use crate::state::{lock, SimState};
use crate::templates::{ParameterFormat, Template, TemplateStatus};

const HEADER_TEXT_MAX: usize = 60;
const BODY_TEXT_MAX: usize = 1024;

pub(super) fn check(
    state: &SimState,
    number: &WhatsAppNumber,
    t: &Map<String, Value>,
    to_bsuid: bool,
) -> GraphResult<Template> {
    let name = t.get("name").and_then(Value::as_str).ok_or_else(|| GraphError::wa_required("template['name']"))?;
    let code = t
        .get("language")
        .and_then(|l| l.get("code"))
        .and_then(Value::as_str)
        .ok_or_else(|| GraphError::wa_required("template['language']['code']"))?;
    let missing =
        || GraphError::whatsapp_code(132001).with_details(format!("template name ({name}) does not exist in {code}"));
    let template = lock(&state.templates)
        .get(&number.waba_id)
        .and_then(|ts| ts.iter().find(|x| x.name == name && x.language == code).cloned())
        .ok_or_else(missing)?;
    match template.status {
        TemplateStatus::Approved => {}
        TemplateStatus::Paused => {
            return Err(GraphError::whatsapp_code(132015)
                .with_details(format!("Template {name} is paused due to low quality so it cannot be sent.")))
        }
        TemplateStatus::Disabled => {
            return Err(GraphError::whatsapp_code(132016)
                .with_details(format!("Template {name} has been disabled due to low quality.")))
        }
        _ => return Err(missing()),
    }
    let exp = template.expectations();
    if to_bsuid && exp.has_code_button {
        return Err(GraphError::whatsapp_code(131062).with_details(
            "Authentication templates with one-tap, zero-tap or copy-code buttons need the user's phone number.",
        ));
    }
    let components: &[Value] = t.get("components").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let params_of = |kind: &str| -> Vec<Value> {
        components
            .iter()
            .filter(|c| c["type"].as_str().is_some_and(|k| k.eq_ignore_ascii_case(kind)))
            .flat_map(|c| c["parameters"].as_array().cloned().unwrap_or_default())
            .collect()
    };
    let named = template.parameter_format == ParameterFormat::Named;

    let header = params_of("header");
    match &exp.header_media {
        Some(format) => header_media(state, number, format, &header)?,
        None => {
            text_params("header", &header, &exp.header_text, named)?;
            fits("header", &template, &header, named, HEADER_TEXT_MAX)?;
        }
    }
    let body = params_of("body");
    text_params("body", &body, &exp.body, named)?;
    fits("body", &template, &body, named, BODY_TEXT_MAX)?;
    for index in &exp.button_params {
        let has_param = components.iter().any(|c| {
            c["type"].as_str().is_some_and(|k| k.eq_ignore_ascii_case("button"))
                && index_of(&c["index"]) == Some(*index)
                && c["parameters"].as_array().is_some_and(|p| !p.is_empty())
        });
        if !has_param {
            return Err(GraphError::whatsapp_code(131008)
                .with_details(format!("buttons: Button at index {index} requires a parameter.")));
        }
    }
    Ok(template)
}

fn index_of(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64().map(|n| n as usize),
        _ => None,
    }
}

fn count_mismatch(component: &str, got: usize, expected: usize) -> GraphError {
    GraphError::whatsapp_code(132000).with_details(format!(
        "{component}: number of localizable_params ({got}) does not match the expected number of params ({expected})"
    ))
}

fn text_params(component: &str, params: &[Value], expected: &[String], named: bool) -> GraphResult<()> {
    if params.len() != expected.len() {
        return Err(count_mismatch(component, params.len(), expected.len()));
    }
    for p in params {
        if p["type"] == "text" && p["text"].as_str().is_none_or(str::is_empty) {
            return Err(GraphError::whatsapp_code(131008)
                .with_details(format!("{component}: parameter of type text is missing its text value.")));
        }
        let text = p["text"].as_str().unwrap_or_default();
        if text.contains(['\n', '\r', '\t']) || text.contains("     ") {
            return Err(GraphError::whatsapp_code(132018).with_details(format!(
                "{component}: Param text cannot have new-line/tab characters or more than 4 consecutive spaces"
            )));
        }
        if named {
            let name = p["parameter_name"].as_str().unwrap_or_default();
            if !expected.iter().any(|e| e == name) {
                return Err(GraphError::whatsapp_code(132000).with_details(format!(
                    "{component}: parameter_name ({name}) does not match any of the template's parameters ({})",
                    expected.join(", ")
                )));
            }
        }
    }
    if named {
        // As many parameters as names is not enough: each name must be there (a repeated one hides a
        // missing one).
        if let Some(missing) = expected.iter().find(|e| !params.iter().any(|p| p["parameter_name"] == e.as_str())) {
            return Err(GraphError::whatsapp_code(132000)
                .with_details(format!("{component}: parameter_name ({missing}) is missing")));
        }
    }
    Ok(())
}

/// The template's `component` text (`header` or `body`) with the send's values in its placeholders.
fn hydrated(template: &Template, component: &str, params: &[Value], named: bool) -> String {
    let text = template
        .components
        .iter()
        .find(|c| c["type"].as_str().is_some_and(|k| k.eq_ignore_ascii_case(component)))
        .and_then(|c| c["text"].as_str())
        .unwrap_or_default();
    let value = |name: &str| -> Option<&str> {
        let param = if named {
            params.iter().find(|p| p["parameter_name"] == name)
        } else {
            params.get(name.parse::<usize>().ok()?.checked_sub(1)?)
        };
        param.and_then(|p| p["text"].as_str())
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        out.push_str(&rest[..open]);
        match value(after[..close].trim()) {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[open..open + close + 4]),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

/// The filled-in text must fit Meta's limit for the component (132005).
fn fits(component: &str, template: &Template, params: &[Value], named: bool, max: usize) -> GraphResult<()> {
    let length = hydrated(template, component, params, named).chars().count();
    if length > max {
        return Err(GraphError::whatsapp_code(132005).with_details(format!(
            "{component}: the text with its parameters has {length} characters; at most {max} are allowed"
        )));
    }
    Ok(())
}

fn header_media(state: &SimState, number: &WhatsAppNumber, format: &str, params: &[Value]) -> GraphResult<()> {
    let [param] = params else {
        return Err(count_mismatch("header", params.len(), 1));
    };
    let kind = param["type"].as_str().unwrap_or("unknown");
    if !kind.eq_ignore_ascii_case(format) {
        return Err(GraphError::whatsapp_code(132012).with_details(format!(
            "header: Format mismatch, expected {format}, received {}",
            kind.to_ascii_uppercase()
        )));
    }
    let object = &param[kind];
    let has_source = if format == "LOCATION" {
        object["latitude"].is_number() || object["latitude"].is_string()
    } else {
        object["id"].is_string() || object["link"].is_string()
    };
    if !has_source {
        return Err(
            GraphError::whatsapp_code(131008).with_details(format!("header: {kind} parameter needs an id or a link."))
        );
    }
    // A media id must be one uploaded to this WABA, of the header's type (documents take any file).
    if let Some(id) = object["id"].as_str() {
        let stored = lock(&state.media).get(id).cloned().filter(|m| m.waba_id == number.waba_id).ok_or_else(|| {
            GraphError::whatsapp(131009, "Parameter value is not valid").with_details(format!("Invalid media id {id}."))
        })?;
        let kind = kind.to_ascii_lowercase();
        let family = super::wa_media::family(&stored.mime_type);
        if kind != "document" && family != Some(kind.as_str()) {
            return Err(GraphError::whatsapp_code(131053)
                .with_details(format!("Media of type {} cannot be sent as {kind}.", stored.mime_type)));
        }
    }
    Ok(())
}
