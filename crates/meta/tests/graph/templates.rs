//! Template listing pages through every template, with the token in the header only.

use std::collections::BTreeSet;

use domain::template::{ParameterFormat, TemplateStatus};
use inbox_meta::graph::{parse_templates, Retry};
use simulator::{Template, TemplateCategory};

use crate::support::{demo, meta};

#[tokio::test]
async fn listing_pages_through_all_templates() {
    let m = meta().await;
    for i in 0..250 {
        m.sim.upsert_template(
            demo::WABA_ID,
            Template::new(format!("plantilla_{i:03}"), "es_MX", TemplateCategory::Utility, "Hola {{1}}"),
        );
    }

    let raw = m.graph.whatsapp().list_templates(demo::WABA_ID, demo::CLOUD_TOKEN).await.expect("templates");

    assert_eq!(raw.len(), 258, "8 demo templates and 250 more");
    let names: BTreeSet<&str> = raw.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names.len(), 258);
    assert!(names.contains("seguimiento_pedido") && names.contains("plantilla_249"));

    let pages = m.sim.requests_to("/message_templates");
    assert_eq!(pages.len(), 3, "100 + 100 + 58");
    for page in &pages {
        assert_eq!(page.path, "/v24.0/102290129340398/message_templates");
        assert_eq!(page.bearer(), Some(demo::CLOUD_TOKEN));
        let query = page.query.as_deref().unwrap_or_default();
        assert!(!query.contains("access_token"), "{query}");
        assert!(query.contains("limit=100"), "{query}");
    }
    assert!(!pages[0].query.as_deref().unwrap_or_default().contains("after="));
    assert!(pages[1].query.as_deref().unwrap_or_default().contains("after="));
}

#[tokio::test]
async fn listed_templates_read_into_the_domain_model() {
    let m = meta().await;
    let raw = m.graph.whatsapp().list_templates(demo::WABA_ID, demo::CLOUD_TOKEN).await.expect("templates");
    let (templates, unreadable) = parse_templates(raw);
    assert!(unreadable.is_empty(), "{unreadable:?}");
    assert_eq!(templates.len(), 8);
    let paused = templates.iter().find(|t| t.name == "promo_pausada").expect("paused template");
    assert_eq!(paused.status, TemplateStatus::Paused);
    let named = templates.iter().find(|t| t.name == "recordatorio_cita").expect("named template");
    assert_eq!(named.parameter_format, ParameterFormat::Named);
    assert!(templates.iter().all(|t| t.id.is_some()));
}

#[tokio::test]
async fn another_wabas_templates_are_out_of_reach() {
    let m = meta().await;
    let error = m.graph.whatsapp().list_templates(demo::WABA_ID, demo::PAGE_TOKEN).await.expect_err("refused");
    assert_eq!(error.code(), Some(100));
    assert_eq!(error.classify(), Retry::Permanent);
}
