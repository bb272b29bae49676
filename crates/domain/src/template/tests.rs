use super::*;
use serde_json::{json, Value};

fn template(v: Value) -> Template {
    serde_json::from_value(v).unwrap()
}

/// A positional utility template with an image header and a dynamic URL button (docs/meta.md §4's example).
fn seguimiento_pedido() -> Template {
    template(json!({
        "name": "seguimiento_pedido", "language": "es_MX", "status": "APPROVED",
        "category": "UTILITY", "parameter_format": "POSITIONAL", "id": "1234",
        "components": [
            {"type": "HEADER", "format": "IMAGE",
             "example": {"header_handle": ["https://scontent.whatsapp.net/x.jpg"]}},
            {"type": "BODY", "text": "Hola {{1}}, tu pedido {{2}} va en camino.",
             "example": {"body_text": [["Ana", "A-100"]]}},
            {"type": "FOOTER", "text": "Tienda Ejemplo"},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Ver pedido", "url": "https://tienda.example/pedidos/{{1}}",
                 "example": ["https://tienda.example/pedidos/A-100"]},
                {"type": "QUICK_REPLY", "text": "Gracias"}
            ]}
        ]
    }))
}

/// A named marketing template with a text header.
fn bienvenida() -> Template {
    template(json!({
        "name": "bienvenida", "language": "es", "status": "APPROVED", "category": "MARKETING",
        "parameter_format": "NAMED",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "¡Hola {{first_name}}!",
             "example": {"header_text_named_params": [{"param_name": "first_name", "example": "Ana"}]}},
            {"type": "BODY", "text": "{{first_name}}, tu asesor es {{agent}}. Código: {{code}}",
             "example": {"body_text_named_params": [
                 {"param_name": "first_name", "example": "Ana"},
                 {"param_name": "agent", "example": "Carlos"},
                 {"param_name": "code", "example": "X1"}]}}
        ]
    }))
}

/// An authentication template as `GET message_templates` returns it: the OTP button comes back
/// as a URL button (a real response's shape).
fn codigo_copy_code() -> Template {
    template(json!({
        "name": "codigo_verificacion", "parameter_format": "POSITIONAL", "message_send_ttl_seconds": 600,
        "components": [
            {"type": "BODY", "text": "*{{1}}* es tu código de verificación. Por tu seguridad, no lo compartas.",
             "add_security_recommendation": true, "example": {"body_text": [["123456"]]}},
            {"type": "FOOTER", "text": "Este código caduca en 10 minutos.", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Copiar código",
                 "url": "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code_expiration_minutes=10&code=otp{{1}}",
                 "example": ["https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code_expiration_minutes=10&code=otp123456"]}
            ]}
        ],
        "language": "es", "status": "APPROVED", "category": "AUTHENTICATION", "id": "1261130995521319"
    }))
}

fn params(v: Value) -> TemplateParameters {
    serde_json::from_value(v).unwrap()
}

fn refusal(t: &Template, p: Value) -> String {
    match validate_parameters(t, &params(p)) {
        Err(TemplateRefusal::Parameters(m)) => m,
        other => panic!("expected template_parameters, got {other:?}"),
    }
}

#[test]
fn deserializes_meta_templates_and_keeps_unknown_values() {
    let t = seguimiento_pedido();
    assert_eq!(t.status, TemplateStatus::Approved);
    assert_eq!(t.category, TemplateCategory::Utility);
    assert_eq!(t.components[0].format, Some(HeaderFormat::Image));
    assert_eq!(t.buttons().count(), 2);
    let odd = template(json!({"name": "x", "language": "en", "status": "LIMIT_EXCEEDED",
        "category": "authentication", "components": [{"type": "CAROUSEL", "cards": []}]}));
    assert_eq!(odd.status, TemplateStatus::Other("LIMIT_EXCEEDED".into()));
    assert_eq!(odd.category, TemplateCategory::Authentication);
    assert_eq!(odd.parameter_format, ParameterFormat::Positional, "Meta's default");
    let back = serde_json::to_value(&odd).unwrap();
    assert_eq!(back["status"], "LIMIT_EXCEEDED");
    assert_eq!(back["category"], "AUTHENTICATION");
    assert_eq!(serde_json::from_value::<Template>(serde_json::to_value(&t).unwrap()).unwrap(), t);
}

#[test]
fn lists_what_a_positional_image_template_needs() {
    let spec = required_parameters(&seguimiento_pedido());
    assert_eq!(spec.format, ParameterFormat::Positional);
    assert_eq!(spec.header, Some(HeaderSpec::Image));
    let body: Vec<(&str, Option<&str>)> = spec.body.iter().map(|p| (p.name.as_str(), p.example.as_deref())).collect();
    assert_eq!(body, vec![("1", Some("Ana")), ("2", Some("A-100"))]);
    assert_eq!(spec.buttons.len(), 1, "the quick reply needs nothing");
    assert_eq!(spec.buttons[0].index, 0);
    assert_eq!(spec.buttons[0].kind, ButtonParamKind::UrlSuffix);
    assert_eq!(spec.buttons[0].example.as_deref(), Some("A-100"));
    assert!(spec.unsupported.is_empty());
}

#[test]
fn lists_what_a_named_template_needs() {
    let spec = required_parameters(&bienvenida());
    assert_eq!(spec.format, ParameterFormat::Named);
    let header = ParamInfo { name: "first_name".into(), example: Some("Ana".into()) };
    assert_eq!(spec.header, Some(HeaderSpec::Text { param: header }));
    let names: Vec<&str> = spec.body.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["first_name", "agent", "code"]);
}

#[test]
fn builds_meta_components_for_a_positional_image_template() {
    let p = params(json!({"header": {"type": "image", "media_id": "MEDIA1"},
        "body": ["Ana", "A-100"], "buttons": [{"index": 0, "text": "A-100"}]}));
    assert_eq!(validate_parameters(&seguimiento_pedido(), &p), Ok(()));
    assert_eq!(
        to_graph_components(&seguimiento_pedido(), &p).unwrap(),
        json!([
            {"type": "header", "parameters": [{"type": "image", "image": {"id": "MEDIA1"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "A-100"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "A-100"}]}
        ])
    );
    assert_eq!(render_body(&seguimiento_pedido(), &p), "Hola Ana, tu pedido A-100 va en camino.");
}

#[test]
fn named_parameters_carry_their_names() {
    let p = params(json!({"header": {"type": "text", "text": "Ana"},
        "body": {"first_name": "Ana", "agent": "Carlos", "code": "X1"}}));
    assert_eq!(
        to_graph_components(&bienvenida(), &p).unwrap(),
        json!([
            {"type": "header", "parameters": [{"type": "text", "text": "Ana", "parameter_name": "first_name"}]},
            {"type": "body", "parameters": [
                {"type": "text", "text": "Ana", "parameter_name": "first_name"},
                {"type": "text", "text": "Carlos", "parameter_name": "agent"},
                {"type": "text", "text": "X1", "parameter_name": "code"}]}
        ])
    );
    assert_eq!(render_body(&bienvenida(), &p), "Ana, tu asesor es Carlos. Código: X1");
}

#[test]
fn document_headers_and_links_are_supported() {
    let t = template(json!({"name": "factura", "language": "es", "status": "APPROVED", "category": "UTILITY",
        "components": [{"type": "HEADER", "format": "DOCUMENT"}, {"type": "BODY", "text": "Tu factura."}]}));
    let p =
        params(json!({"header": {"type": "document", "link": "https://x.example/f.pdf", "filename": "factura.pdf"}}));
    assert_eq!(
        to_graph_components(&t, &p).unwrap(),
        json!([{"type": "header", "parameters": [{"type": "document",
            "document": {"link": "https://x.example/f.pdf", "filename": "factura.pdf"}}]}])
    );
    let unresolved = params(json!({"header": {"type": "document", "upload_id": "u-1"}}));
    assert_eq!(validate_parameters(&t, &unresolved), Ok(()), "the API accepts an upload id");
    let err = to_graph_components(&t, &unresolved).unwrap_err();
    assert!(err.to_string().contains("media_id"), "{err}");
    // Built with a placeholder id, the header gets the media id once the file reached WhatsApp.
    let pending = params(json!({"header": {"type": "document", "media_id": "pending", "filename": "factura.pdf"}}));
    let mut components = to_graph_components(&t, &pending).unwrap();
    assert!(set_header_media_id(&mut components, "1234"));
    assert_eq!(
        components,
        json!([{"type": "header", "parameters": [{"type": "document", "document": {"id": "1234", "filename": "factura.pdf"}}]}])
    );
    let mut no_header = json!([{"type": "body", "parameters": []}]);
    assert!(!set_header_media_id(&mut no_header, "1234"));
}

#[test]
fn authentication_copy_code_sends_the_code_in_body_and_button() {
    let t = codigo_copy_code();
    let spec = required_parameters(&t);
    assert_eq!(spec.buttons[0].kind, ButtonParamKind::Otp);
    assert_eq!(spec.buttons[0].example.as_deref(), Some("123456"));
    assert!(requires_phone_recipient(&t));
    // The button's code defaults to the body's: Meta wants the same code in both places.
    let p = params(json!({"body": ["482913"]}));
    assert_eq!(
        to_graph_components(&t, &p).unwrap(),
        json!([
            {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "482913"}]}
        ])
    );
    assert_eq!(render_body(&t, &p), "*482913* es tu código de verificación. Por tu seguridad, no lo compartas.");
}

#[test]
fn otp_buttons_in_creation_shape_also_need_a_phone_recipient() {
    let t = template(json!({"name": "otp", "language": "en", "status": "APPROVED", "category": "AUTHENTICATION",
        "components": [{"type": "BODY", "text": "*{{1}}* is your code."},
            {"type": "BUTTONS", "buttons": [{"type": "otp", "otp_type": "one_tap", "text": "Autofill"}]}]}));
    assert!(requires_phone_recipient(&t));
    assert_eq!(t.buttons().next().and_then(Button::otp), Some(OtpType::OneTap));
    assert!(!requires_phone_recipient(&seguimiento_pedido()));
    assert!(!has_request_contact_info_button(&t));
}

#[test]
fn coupon_codes_go_as_copy_code() {
    let t = template(json!({"name": "promo", "language": "es", "status": "APPROVED", "category": "MARKETING",
        "components": [{"type": "BODY", "text": "¡{{1}} de descuento!"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "No gracias"},
                {"type": "COPY_CODE", "example": "25OFF"}]}]}));
    let spec = required_parameters(&t);
    assert_eq!(spec.buttons[0].index, 1);
    assert_eq!(spec.buttons[0].kind, ButtonParamKind::CouponCode);
    assert_eq!(spec.buttons[0].example.as_deref(), Some("25OFF"));
    assert!(!requires_phone_recipient(&t), "not an authentication template");
    let p = params(json!({"body": ["25%"], "buttons": [{"index": 1, "text": "VERANO25"}]}));
    let components = to_graph_components(&t, &p).unwrap();
    assert_eq!(
        components[1],
        json!({"type": "button", "sub_type": "copy_code", "index": "1",
               "parameters": [{"type": "coupon_code", "coupon_code": "VERANO25"}]})
    );
    let long = refusal(&t, json!({"body": ["25%"], "buttons": [{"index": 1, "text": "ABCDEFGHIJKLMNOP"}]}));
    assert!(long.contains("longer than 15"), "{long}");
}

#[test]
fn finds_request_contact_info_buttons() {
    let t = template(json!({"name": "pedir_tel", "language": "es", "status": "APPROVED", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "¿Nos compartes tu número?"},
            {"type": "BUTTONS", "buttons": [{"type": "REQUEST_CONTACT_INFO", "text": "Compartir"}]}]}));
    assert!(has_request_contact_info_button(&t));
    assert!(!has_request_contact_info_button(&seguimiento_pedido()));
    assert_eq!(to_graph_components(&t, &TemplateParameters::default()).unwrap(), json!([]));
}

#[test]
fn only_approved_templates_can_be_sent() {
    for status in ["PENDING", "REJECTED", "PAUSED", "DISABLED", "IN_APPEAL", "LIMIT_EXCEEDED"] {
        let mut t = seguimiento_pedido();
        t.status = TemplateStatus::from(status.to_string());
        let err = validate_parameters(&t, &TemplateParameters::default()).unwrap_err();
        assert_eq!(err.code(), "template_not_approved");
        assert!(err.to_string().contains(status), "{err}");
    }
}

#[test]
fn refuses_missing_extra_and_empty_parameters_precisely() {
    let t = seguimiento_pedido();
    let image = json!({"type": "image", "media_id": "M"});
    let button = json!([{"index": 0, "text": "A-100"}]);
    let m = refusal(&t, json!({"header": image, "body": ["Ana"], "buttons": button}));
    assert_eq!(m, "body parameter {{2}} is missing");
    let m = refusal(&t, json!({"header": image, "body": ["Ana", "A-1", "x"], "buttons": button}));
    assert_eq!(m, "the body takes 2 parameter(s), 3 were given");
    let m = refusal(&t, json!({"header": image, "body": ["Ana", " "], "buttons": button}));
    assert_eq!(m, "body parameter {{2}} is empty");
    let m = refusal(&t, json!({"header": image, "body": ["Ana", "A-100"]}));
    assert_eq!(m, "the parameter of button 0 (\"Ver pedido\") is missing");
    let m = refusal(
        &t,
        json!({"header": image, "body": ["Ana", "A-100"],
        "buttons": [{"index": 0, "text": "A"}, {"index": 1, "text": "B"}]}),
    );
    assert_eq!(m, "button 1 takes no parameter");
    let err = validate_parameters(&t, &params(json!({"body": ["Ana", "A-100"], "buttons": button}))).unwrap_err();
    assert_eq!(err.code(), "template_parameters");
    assert_eq!(err.to_string(), "the header needs an image");
}

#[test]
fn refuses_header_media_of_the_wrong_kind() {
    let t = seguimiento_pedido();
    let m = refusal(
        &t,
        json!({"header": {"type": "video", "media_id": "M"}, "body": ["Ana", "A"],
        "buttons": [{"index": 0, "text": "A"}]}),
    );
    assert_eq!(m, "the header needs an image, not a video");
    let m = refusal(
        &t,
        json!({"header": {"type": "image", "link": ""}, "body": ["Ana", "A"],
        "buttons": [{"index": 0, "text": "A"}]}),
    );
    assert_eq!(m, "the header image is empty");
    let m = refusal(
        &bienvenida(),
        json!({"header": {"type": "image", "media_id": "M"},
        "body": {"first_name": "Ana", "agent": "C", "code": "X"}}),
    );
    assert_eq!(m, "the header needs text, not an image");
}

#[test]
fn refuses_the_wrong_body_shape_and_unknown_names() {
    let m = refusal(&bienvenida(), json!({"header": {"type": "text", "text": "Ana"}, "body": ["Ana", "C", "X"]}));
    assert_eq!(m, "this template's body parameters are named: send an object with first_name, agent, code");
    let m = refusal(
        &bienvenida(),
        json!({"header": {"type": "text", "text": "Ana"},
        "body": {"first_name": "Ana", "agent": "C", "code": "X", "extra": "?"}}),
    );
    assert_eq!(m, "body parameter {{extra}} does not exist in this template");
    let m = refusal(&bienvenida(), json!({"body": {"first_name": "Ana", "agent": "C"}}));
    assert_eq!(m, "header parameter {{first_name}} is missing; body parameter {{code}} is missing");
    let m = refusal(
        &seguimiento_pedido(),
        json!({"header": {"type": "image", "media_id": "M"},
        "body": {"a": "b"}, "buttons": [{"index": 0, "text": "A"}]}),
    );
    assert_eq!(m, "this template's body parameters are positional: send a list");
}

#[test]
fn refuses_what_meta_refuses_in_text_parameters() {
    let t = seguimiento_pedido();
    for bad in ["Ana\nLópez", "Ana\tLópez", "Ana     López"] {
        let m = refusal(
            &t,
            json!({"header": {"type": "image", "media_id": "M"}, "body": [bad, "A"],
            "buttons": [{"index": 0, "text": "A"}]}),
        );
        assert!(m.contains("cannot contain new lines"), "{m}");
    }
    let m = refusal(
        &bienvenida(),
        json!({"header": {"type": "text", "text": "x".repeat(60)},
        "body": {"first_name": "Ana", "agent": "C", "code": "X"}}),
    );
    assert!(m.contains("header would be too long"), "{m}");
    let m = refusal(
        &t,
        json!({"header": {"type": "image", "media_id": "M"}, "body": ["a".repeat(1024), "A"],
        "buttons": [{"index": 0, "text": "A"}]}),
    );
    assert!(m.contains("body would be too long"), "{m}");
}

#[test]
fn templates_without_parameters_need_none() {
    let hello = template(json!({"name": "hello_world", "parameter_format": "POSITIONAL", "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
        {"type": "BODY", "text": "Welcome and congratulations!!"},
        {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"}],
        "language": "en_US", "status": "APPROVED", "category": "UTILITY", "id": "3947580298897652"}));
    let spec = required_parameters(&hello);
    assert_eq!((spec.header, spec.body.len(), spec.buttons.len()), (None, 0, 0));
    assert_eq!(to_graph_components(&hello, &TemplateParameters::default()).unwrap(), json!([]));
    let m = refusal(&hello, json!({"header": {"type": "text", "text": "x"}}));
    assert_eq!(m, "this template's header takes no parameter");
}

#[test]
fn refuses_templates_the_inbox_cannot_fill() {
    let t = template(json!({"name": "carrusel", "language": "es", "status": "APPROVED", "category": "MARKETING",
        "components": [{"type": "BODY", "text": "Mira"}, {"type": "CAROUSEL", "cards": []}]}));
    assert_eq!(required_parameters(&t).unsupported, vec!["CAROUSEL component"]);
    let m = refusal(&t, json!({}));
    assert!(m.contains("cannot fill"), "{m}");
}

#[test]
fn parameters_json_is_the_api_contract() {
    let p = params(json!({"header": {"type": "image", "upload_id": "0192"}, "body": ["Ana"],
        "buttons": [{"index": 0, "text": "A-100"}]}));
    assert_eq!(p.header, Some(HeaderParameter::Image { source: MediaSource::UploadId("0192".into()) }));
    assert_eq!(p.body, BodyParameters::Positional(vec!["Ana".into()]));
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({"header": {"type": "image", "upload_id": "0192"}, "body": ["Ana"], "buttons": [{"index": 0, "text": "A-100"}]})
    );
    let named = params(json!({"body": {"first_name": "Ana"}}));
    assert!(matches!(named.body, BodyParameters::Named(m) if m["first_name"] == "Ana"));
    assert_eq!(params(json!({})), TemplateParameters::default());
}

#[test]
fn render_leaves_missing_values_visible_for_previews() {
    let p = params(json!({"body": ["Ana"]}));
    assert_eq!(render_body(&seguimiento_pedido(), &p), "Hola Ana, tu pedido {{2}} va en camino.");
}

#[test]
fn openapi_schemas_describe_the_api_shapes() {
    use utoipa::PartialSchema;
    let schema = serde_json::to_value(TemplateParameters::schema()).unwrap();
    let text = schema.to_string();
    for field in ["header", "body", "buttons"] {
        assert!(text.contains(field), "{field} missing from {text}");
    }
    let header = serde_json::to_value(HeaderParameter::schema()).unwrap().to_string();
    for field in ["\"image\"", "\"location\"", "MediaSource", "filename", "latitude"] {
        assert!(header.contains(field), "{field} missing from {header}");
    }
    let source = serde_json::to_value(MediaSource::schema()).unwrap().to_string();
    for field in ["upload_id", "media_id", "link"] {
        assert!(source.contains(field), "{field} missing from {source}");
    }
    let window = serde_json::to_value(crate::window::Window::schema()).unwrap().to_string();
    assert!(window.contains("expires_at") && window.contains("date-time"), "{window}");
}
