use super::*;
use proptest::prelude::*;

fn ana() -> PersonalizeContext {
    PersonalizeContext {
        contact: Some(ContactFields {
            first_name: Some("Ana".into()),
            last_name: Some("López".into()),
            email: Some("ana@example.com".into()),
            phone_primary: None,
            phone_whatsapp: Some("+525512345678".into()),
            whatsapp_username: Some("ana.lz".into()),
        }),
        agent_name: Some("Carlos Pérez".into()),
        custom: [("empresa".to_string(), "Acme".to_string())].into(),
    }
}

#[test]
fn renders_every_field() {
    let text = "{{contact.first_name}}|{{contact.last_name}}|{{contact.full_name}}|{{contact.email}}|\
                {{contact.phone}}|{{contact.phone_whatsapp}}|{{contact.whatsapp_username}}|\
                {{contact.custom.empresa}}|{{agent.name}}|{{agent.first_name}}";
    assert_eq!(
        render(text, &ana()).unwrap(),
        "Ana|López|Ana López|ana@example.com|+525512345678|+525512345678|ana.lz|Acme|Carlos Pérez|Carlos"
    );
}

#[test]
fn phone_prefers_the_primary_number() {
    let mut ctx = ana();
    if let Some(c) = ctx.contact.as_mut() {
        c.phone_primary = Some("+5215599998888".into());
    }
    assert_eq!(render("{{contact.phone}}", &ctx).unwrap(), "+5215599998888");
}

#[test]
fn tolerates_spaces_inside_the_braces() {
    assert_eq!(
        render("Hola {{ contact.first_name }}, soy {{agent.first_name }}.", &ana()).unwrap(),
        "Hola Ana, soy Carlos."
    );
}

#[test]
fn empty_values_use_the_fallback_or_nothing() {
    let ctx = PersonalizeContext::default();
    assert_eq!(render("Hola {{ contact.first_name | cliente }}!", &ctx).unwrap(), "Hola cliente!");
    assert_eq!(render("Hola {{contact.first_name}}!", &ctx).unwrap(), "Hola !");
    assert_eq!(render("{{contact.custom.missing|n/a}}", &ctx).unwrap(), "n/a");
    let mut blank = ana();
    if let Some(c) = blank.contact.as_mut() {
        c.first_name = Some("  ".into());
    }
    assert_eq!(render("{{contact.first_name|amigo}}", &blank).unwrap(), "amigo");
    assert_eq!(render("{{contact.full_name|x}}", &blank).unwrap(), "López");
    // A present value ignores the fallback.
    assert_eq!(render("{{contact.first_name|cliente}}", &ana()).unwrap(), "Ana");
}

#[test]
fn unknown_placeholders_are_all_listed() {
    let err = render("Hola {{contact.nombre}} y {{ foo }} y {{contact.first_name}}", &ana()).unwrap_err();
    assert_eq!(err.unknown, vec!["contact.nombre", "foo"]);
    assert!(err.unterminated.is_empty());
    assert_eq!(err.code(), "invalid_placeholder");
    assert_eq!(err.to_string(), "unknown placeholder {{contact.nombre}}, {{foo}}");
    assert!(render("{{}}", &ana()).is_err());
    assert!(render("{{contact.custom.}}", &ana()).is_err());
    assert!(render("{{contact.custom.two words}}", &ana()).is_err());
}

#[test]
fn unterminated_braces_are_refused() {
    let err = render("Hola {{contact.first_name", &ana()).unwrap_err();
    assert_eq!(err.unterminated, vec![5]);
    let err = render("{{contact.first_name}} y {{", &ana()).unwrap_err();
    assert_eq!(err.unterminated, vec![25]);
    assert!(validate("precio: {{").is_err());
}

#[test]
fn never_emits_raw_braces_from_a_fallback() {
    assert!(render("{{contact.first_name | {{agent.name}} }}", &PersonalizeContext::default()).is_err());
}

#[test]
fn values_are_inserted_verbatim_and_not_expanded_again() {
    let mut ctx = ana();
    if let Some(c) = ctx.contact.as_mut() {
        c.first_name = Some("{{agent.name}}".into());
    }
    assert_eq!(render("{{contact.first_name}}", &ctx).unwrap(), "{{agent.name}}");
}

#[test]
fn lone_braces_are_plain_text() {
    assert_eq!(render("a } b { c }} d {x}", &ana()).unwrap(), "a } b { c }} d {x}");
}

#[test]
fn the_menu_lists_every_field_as_a_token_that_renders() {
    let menu = placeholders();
    assert_eq!(menu.len(), FIELDS.len());
    assert_eq!(menu[0].token, "{{contact.first_name}}");
    assert_eq!(menu[0].group, "contact");
    assert_eq!(menu.last().map(|p| p.group), Some("agent"));
    for p in &menu {
        assert!(validate(&p.token).is_ok(), "{}", p.token);
    }
    assert_eq!(custom_placeholder("empresa"), "{{contact.custom.empresa}}");
    assert_eq!(render(&custom_placeholder("empresa"), &ana()).unwrap(), "Acme");
}

#[test]
fn the_account_menu_puts_custom_fields_between_contact_and_agent_fields() {
    let menu = menu([
        ("rfc", "RFC"),
        ("empresa", "Empresa"),
        ("rfc", "otra vez"),
        ("", "vacía"),
        ("dos palabras", "x"),
        ("a|b", "x"),
        ("x}}", "x"),
    ]);
    let keys: Vec<(&str, &str)> = menu.iter().map(|p| (p.key.as_str(), p.group)).collect();
    assert_eq!(keys.first(), Some(&("contact.first_name", "contact")));
    assert_eq!(keys.last(), Some(&("agent.first_name", "agent")));
    let custom: Vec<&str> = keys.iter().filter(|(_, g)| *g == "custom").map(|(k, _)| *k).collect();
    assert_eq!(
        custom,
        vec!["contact.custom.rfc", "contact.custom.empresa"],
        "in the order given, once, only usable keys"
    );
    let labels: Vec<Option<&str>> = menu.iter().filter(|p| p.group == "custom").map(|p| p.label.as_deref()).collect();
    assert_eq!(labels, vec![Some("RFC"), Some("Empresa")], "custom fields carry their labels");
    assert!(menu.iter().filter(|p| p.group != "custom").all(|p| p.label.is_none()));
    let first_custom = keys.iter().position(|(_, g)| *g == "custom").unwrap();
    assert!(keys[..first_custom].iter().all(|(_, g)| *g == "contact"));
    assert!(keys[first_custom + 2..].iter().all(|(_, g)| *g == "agent"));
    assert_eq!(menu.len(), FIELDS.len() + 2);
}

proptest! {
    #[test]
    fn every_offered_custom_key_renders_its_own_value(key in "[a-z_{}| .-]{0,12}") {
        let offered = menu([(key.as_str(), "Etiqueta")]);
        if let Some(p) = offered.iter().find(|p| p.group == "custom") {
            let ctx = PersonalizeContext {
                custom: [(key.clone(), "VALOR".to_string())].into_iter().collect(),
                ..Default::default()
            };
            prop_assert_eq!(render(&p.token, &ctx).unwrap(), "VALOR");
        }
    }
}

proptest! {
    #[test]
    fn text_without_placeholders_renders_unchanged(s in ".*") {
        prop_assume!(!s.contains("{{"));
        prop_assert_eq!(render(&s, &ana()).unwrap(), s);
    }

    #[test]
    fn never_panics(s in "([{}|a-z. ]|contact|agent|first_name|custom){0,40}") {
        let _ = render(&s, &ana());
        let _ = render(&s, &PersonalizeContext::default());
    }

    #[test]
    fn a_successful_render_contains_no_braces_it_did_not_get_from_values(s in "([{}a-z ]|\\{\\{contact.email\\}\\}){0,30}") {
        if let Ok(out) = render(&s, &ana()) {
            prop_assert!(!out.contains("{{"));
        }
    }
}
