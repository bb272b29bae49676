//! The `template.components` array of a Graph API send, exactly as docs/meta.md §4 shows it.

use super::parameters::{BodyParameters, ButtonParamKind, HeaderParameter, HeaderSpec, MediaSource, ParamInfo};
use super::{
    button_values, required_parameters, validate_parameters, ParameterFormat, Template, TemplateParameters,
    TemplateRefusal,
};
use serde_json::{json, Map, Value};

/// A text parameter; named templates add `parameter_name` (§4).
fn text(param: &ParamInfo, value: &str, named: bool) -> Value {
    let mut v = json!({"type": "text", "text": value});
    if named {
        v["parameter_name"] = json!(param.name);
    }
    v
}

fn media(kind: &str, source: &MediaSource, filename: Option<&str>) -> Result<Value, TemplateRefusal> {
    let mut object = Map::new();
    match source {
        MediaSource::MediaId(id) => object.insert("id".into(), json!(id)),
        MediaSource::Link(link) => object.insert("link".into(), json!(link)),
        MediaSource::UploadId(_) => {
            return Err(TemplateRefusal::Parameters(
                "the header file must be uploaded to WhatsApp (media_id) before sending".into(),
            ))
        }
    };
    if let Some(f) = filename {
        object.insert("filename".into(), json!(f));
    }
    Ok(json!({"type": kind, kind: object}))
}

fn header(spec: &HeaderSpec, given: &HeaderParameter, named: bool) -> Result<Value, TemplateRefusal> {
    match (spec, given) {
        (HeaderSpec::Text { param }, HeaderParameter::Text { text: t }) => Ok(text(param, t, named)),
        (_, HeaderParameter::Image { source }) => media("image", source, None),
        (_, HeaderParameter::Video { source }) => media("video", source, None),
        (_, HeaderParameter::Document { source, filename }) => media("document", source, filename.as_deref()),
        (_, HeaderParameter::Location { latitude, longitude, name, address }) => {
            let mut location = json!({"latitude": latitude, "longitude": longitude});
            if let Some(n) = name {
                location["name"] = json!(n);
            }
            if let Some(a) = address {
                location["address"] = json!(a);
            }
            Ok(json!({"type": "location", "location": location}))
        }
        (_, HeaderParameter::Text { .. }) => {
            Err(TemplateRefusal::Parameters("the header needs media, not text".into()))
        }
    }
}

/// The Graph API `components` for sending `template` with `params`. Validates first, so a
/// request built here is one Meta accepts as far as the inbox can know; header media given as an
/// inbox `upload_id` must have been replaced by the WhatsApp `media_id` beforehand.
pub fn to_graph_components(template: &Template, params: &TemplateParameters) -> Result<Value, TemplateRefusal> {
    validate_parameters(template, params)?;
    let spec = required_parameters(template);
    let named = spec.format == ParameterFormat::Named;
    let mut components = vec![];
    if let (Some(h), Some(given)) = (&spec.header, &params.header) {
        components.push(json!({"type": "header", "parameters": [header(h, given, named)?]}));
    }
    let body: Vec<Value> = spec
        .body
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let value = match &params.body {
                BodyParameters::Positional(list) => list.get(i),
                BodyParameters::Named(map) => map.get(&p.name),
            };
            value.map(|v| text(p, v, named))
        })
        .collect();
    if !body.is_empty() {
        components.push(json!({"type": "body", "parameters": body}));
    }
    for (b, value) in button_values(&spec, params) {
        let Some(value) = value else { continue };
        let (sub_type, parameter) = match b.kind {
            // Authentication codes go in a `url` button parameter, like URL suffixes.
            ButtonParamKind::UrlSuffix | ButtonParamKind::Otp => ("url", json!({"type": "text", "text": value})),
            ButtonParamKind::CouponCode => ("copy_code", json!({"type": "coupon_code", "coupon_code": value})),
        };
        components.push(json!({
            "type": "button",
            "sub_type": sub_type,
            "index": b.index.to_string(),
            "parameters": [parameter],
        }));
    }
    Ok(Value::Array(components))
}

/// Puts the WhatsApp media id of the header file into built `components` (header media given as an
/// inbox upload is built with a placeholder id, then uploaded by the sender); false when the
/// components have no header image, video or document to fill.
pub fn set_header_media_id(components: &mut Value, media_id: &str) -> bool {
    let Some(header) = components
        .as_array_mut()
        .and_then(|cs| cs.iter_mut().find(|c| c["type"] == "header"))
        .and_then(|h| h["parameters"].as_array_mut())
        .and_then(|ps| ps.first_mut())
    else {
        return false;
    };
    let kind = header["type"].as_str().unwrap_or_default().to_string();
    if !["image", "video", "document"].contains(&kind.as_str()) || !header[&kind].is_object() {
        return false;
    }
    header[&kind]["id"] = json!(media_id);
    true
}
