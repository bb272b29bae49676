//! Template listing with cursor paging, and template sends with Meta's template errors.

use inbox_simulator::{demo, TemplateStatus};
use serde_json::{json, Value};

use crate::support::{code, env, MARIA, NUMBER, TOKEN};

fn template(name: &str, components: Value) -> Value {
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": MARIA, "type": "template",
           "template": {"name": name, "language": {"code": "es_MX"}, "components": components}})
}

fn body_params(values: &[&str]) -> Value {
    let params: Vec<Value> = values.iter().map(|v| json!({"type": "text", "text": v})).collect();
    json!({"type": "body", "parameters": params})
}

#[tokio::test]
async fn templates_are_listed_page_by_page_with_cursors() {
    let env = env().await;
    let path = format!("{}/message_templates?fields=name,status,language&limit=3", demo::WABA_ID);
    let (status, first) = env.get(&path, Some(TOKEN)).await;
    assert_eq!(status, 200, "{first}");
    let data = first["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 3);
    assert!(data[0]["name"].is_string() && data[0]["status"].is_string() && data[0]["id"].is_string());
    assert!(data[0].get("components").is_none(), "only the requested fields (and id)");

    let mut names: Vec<String> = data.iter().filter_map(|t| t["name"].as_str().map(str::to_string)).collect();
    let mut page = first;
    while let Some(after) = page["paging"]["cursors"]["after"].as_str().filter(|_| page["paging"]["next"].is_string()) {
        let next = page["paging"]["next"].as_str().unwrap_or_default().to_string();
        assert!(next.contains("after="), "{next}");
        let (_, p) = env.get(&format!("{path}&after={after}"), Some(TOKEN)).await;
        names.extend(p["data"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str().map(str::to_string)));
        page = p;
    }
    assert_eq!(names.len(), 8, "every demo template exactly once: {names:?}");
    assert!(page["paging"].get("next").is_none());

    // `next` is a complete URL that works as is.
    let (_, first) = env.get(&path, Some(TOKEN)).await;
    let next = first["paging"]["next"].as_str().unwrap_or_default();
    let res = env.http.get(next).send().await.expect("reachable");
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn listing_needs_a_token_of_that_waba() {
    let env = env().await;
    let path = format!("{}/message_templates", demo::WABA_ID);
    let (status, body) = env.get(&path, Some("EAA-nope")).await;
    assert_eq!((status, code(&body)), (401, 190));
    let (status, body) = env.get(&path, Some(demo::PAGE_TOKEN)).await;
    assert_eq!((status, code(&body)), (400, 100));
    let (status, body) = env.get(&format!("{path}?status=PAUSED"), Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn an_approved_template_is_accepted_even_with_the_window_closed() {
    let env = env().await;
    let (status, body) = env.wa_send(template("bienvenida", json!([body_params(&["Ana"])]))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["messages"][0]["message_status"], "accepted");
}

#[tokio::test]
async fn missing_unapproved_paused_and_disabled_templates_are_refused() {
    let env = env().await;
    let cases = [
        (template("no_existe", json!([])), 132001),
        (
            json!({"messaging_product": "whatsapp", "to": MARIA, "type": "template",
                "template": {"name": "bienvenida", "language": {"code": "pt_BR"}}}),
            132001,
        ),
        (template("en_revision", json!([])), 132001),
        (template("promo_pausada", json!([body_params(&["x"])])), 132015),
        (template("promo_desactivada", json!([])), 132016),
    ];
    for (body, expected) in cases {
        let (status, answer) = env.wa_send(body).await;
        assert_eq!((status, code(&answer)), (400, expected), "{answer}");
        assert_eq!(answer["error"]["error_data"]["messaging_product"], "whatsapp");
    }
    assert!(env.sim.set_template_status(demo::WABA_ID, "bienvenida", "es_MX", TemplateStatus::Paused));
    let (_, answer) = env.wa_send(template("bienvenida", json!([body_params(&["Ana"])]))).await;
    assert_eq!(code(&answer), 132015);
}

#[tokio::test]
async fn parameters_must_match_the_template() {
    let env = env().await;
    let header = json!({"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x/y.png"}}]});
    let button =
        json!({"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "A-100"}]});
    let ok = template("seguimiento_pedido", json!([header, body_params(&["Ana", "A-100"]), button]));
    let (status, body) = env.wa_send(ok).await;
    assert_eq!(status, 200, "{body}");

    let cases = [
        (template("seguimiento_pedido", json!([header, body_params(&["Ana"]), button])), 132000),
        (template("seguimiento_pedido", json!([body_params(&["Ana", "A-100"]), button])), 132000),
        (
            template(
                "seguimiento_pedido",
                json!([{"type": "header", "parameters": [{"type": "video", "video": {"link": "https://x"}}]},
                body_params(&["Ana", "A-100"]), button]),
            ),
            132012,
        ),
        (template("seguimiento_pedido", json!([header, body_params(&["Ana", "A-100"])])), 131008),
        (template("seguimiento_pedido", json!([header, body_params(&["Ana", ""]), button])), 131008),
        (template("bienvenida", json!([])), 132000),
        (
            template(
                "seguimiento_pedido",
                json!([{"type": "header", "parameters": [{"type": "image", "image": {"id": "1234567890"}}]},
                body_params(&["Ana", "A-100"]), button]),
            ),
            131009,
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = env.wa_send(body).await;
        assert_eq!((status, code(&answer)), (400, expected), "{answer}");
    }
}

#[tokio::test]
async fn named_templates_need_matching_parameter_names() {
    let env = env().await;
    let named = |a: &str, b: &str| {
        json!({"type": "body", "parameters": [
            {"type": "text", "parameter_name": a, "text": "Ana"},
            {"type": "text", "parameter_name": b, "text": "lunes"}]})
    };
    let (status, body) = env.wa_send(template("recordatorio_cita", json!([named("first_name", "date")]))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = env.wa_send(template("recordatorio_cita", json!([named("first_name", "fecha")]))).await;
    assert_eq!((status, code(&body)), (400, 132000));
    let (status, body) = env.wa_send(template("recordatorio_cita", json!([named("first_name", "first_name")]))).await;
    assert_eq!((status, code(&body)), (400, 132000), "two of one name hide a missing one: {body}");
}

#[tokio::test]
async fn text_parameters_have_no_new_lines_tabs_or_runs_of_spaces_and_fit_once_filled() {
    let env = env().await;
    for (value, expected) in
        [("Ana\nLópez", 132018), ("Ana\tLópez", 132018), ("Ana     López", 132018), ("Ana    López", 0)]
    {
        let (status, body) = env.wa_send(template("bienvenida", json!([body_params(&[value])]))).await;
        if expected == 0 {
            assert_eq!(status, 200, "four spaces are fine: {body}");
        } else {
            assert_eq!((status, code(&body)), (400, expected), "{value:?}: {body}");
            assert_eq!(body["error"]["message"], "(#132018) There was an issue with the parameters in your template.");
        }
    }
    // "¡Hola {{1}}! Gracias por escribirnos." is 32 characters besides the parameter: the body may hold 1024.
    let fits = "a".repeat(1024 - 32);
    let (status, body) = env.wa_send(template("bienvenida", json!([body_params(&[fits.as_str()])]))).await;
    assert_eq!(status, 200, "{body}");
    let over = "a".repeat(1024 - 31);
    let (status, body) = env.wa_send(template("bienvenida", json!([body_params(&[over.as_str()])]))).await;
    assert_eq!((status, code(&body)), (400, 132005), "{body}");
}

#[tokio::test]
async fn authentication_templates_with_code_buttons_cannot_go_to_a_bsuid() {
    let env = env().await;
    let ana = env.sim.username_customer(NUMBER, "ana.mx").expect("number");
    let components = json!([body_params(&["123456"]),
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "123456"}]}]);
    let mut to_bsuid = template("codigo_acceso", components.clone());
    if let Some(o) = to_bsuid.as_object_mut() {
        o.remove("to");
    }
    to_bsuid["recipient"] = json!(ana.user_id());
    let (status, body) = env.wa_send(to_bsuid).await;
    assert_eq!((status, code(&body)), (400, 131062), "{body}");
    let (status, body) = env.wa_send(template("codigo_acceso", components)).await;
    assert_eq!(status, 200, "to a phone it is fine: {body}");
}
