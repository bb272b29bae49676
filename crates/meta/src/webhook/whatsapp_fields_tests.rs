//! WhatsApp statuses (docs/meta.md §3), coexistence fields (§8), template updates, unhandled fields
//! and batching (§1).

use super::test_builders::*;
use super::*;
use serde_json::{json, Value};

fn status(id: &str, state: &str) -> Value {
    json!({"id": id, "status": state, "timestamp": TS.to_string(), "recipient_id": CUSTOMER})
}

fn only_status(status: Value) -> Status {
    match only_kind(&wa_statuses(vec![status])) {
        EventKind::Status(s) => s,
        other => panic!("{other:?}"),
    }
}

#[test]
fn delivered_status_with_per_message_pricing() {
    let s = only_status(with(
        status("wamid.s", "delivered"),
        "pricing",
        json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": "marketing"}),
    ));
    assert_eq!(s.message_external_id, "wamid.s");
    assert_eq!(s.status, DeliveryState::Delivered);
    assert_eq!(s.recipient.unwrap().wa_id.as_deref(), Some(CUSTOMER));
    assert_eq!(
        s.pricing,
        Some(Pricing {
            billable: Some(true),
            pricing_model: Some("PMP".into()),
            category: Some("marketing".into()),
            kind: Some("regular".into()),
        })
    );
}

#[test]
fn every_status_value_is_recognised() {
    for (name, state) in [
        ("sent", DeliveryState::Sent),
        ("delivered", DeliveryState::Delivered),
        ("read", DeliveryState::Read),
        ("played", DeliveryState::Played),
        ("failed", DeliveryState::Failed),
    ] {
        assert_eq!(only_status(status("wamid.s", name)).status, state);
        // Meta's names are the inbox's own for the status it moves a message to.
        assert_eq!(state.status().as_str(), name);
    }
}

#[test]
fn failed_status_carries_metas_errors() {
    let s = only_status(with(
        status("wamid.f", "failed"),
        "errors",
        json!([{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
                "error_data": {"details": "More than 24 hours have passed"}}]),
    ));
    assert_eq!(s.status, DeliveryState::Failed);
    assert_eq!(
        s.errors,
        vec![MetaError {
            code: Some(131047),
            title: Some("Re-engagement message".into()),
            message: Some("Re-engagement message".into()),
            details: Some("More than 24 hours have passed".into()),
        }]
    );
}

#[test]
fn a_status_for_a_bsuid_recipient_has_no_phone() {
    let raw = json!({"id": "wamid.s", "status": "read", "timestamp": TS.to_string(),
        "recipient_user_id": BSUID, "recipient_parent_user_id": PARENT_BSUID});
    let recipient = only_status(raw).recipient.unwrap();
    assert_eq!(recipient.wa_id, None);
    assert_eq!(recipient.user_id.as_deref(), Some(BSUID));
    assert_eq!(recipient.parent_user_id.as_deref(), Some(PARENT_BSUID));
}

#[test]
fn group_and_unknown_statuses_are_ignored() {
    let group = with(
        with(status("wamid.g", "delivered"), "recipient_type", json!("group")),
        "recipient_participant_id",
        json!("5215500000000"),
    );
    let unknown = status("wamid.u", "deleted");
    let kinds: Vec<_> = events(&wa_statuses(vec![group, unknown])).into_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::Ignored(Ignored { reason: IgnoreReason::Group }),
            EventKind::Ignored(Ignored { reason: IgnoreReason::UnknownStatus("deleted".into()) }),
        ]
    );
}

fn echoes(items: Vec<Value>) -> Value {
    wa_body(vec![wa_entry(vec![wa_change("smb_message_echoes", wa_value(json!({"message_echoes": items})))])])
}

fn echo(id: &str, kind: &str, object: Value) -> Value {
    let mut echo = wa_msg(id, kind, object);
    echo["from"] = json!(BUSINESS_NUMBER);
    echo["to"] = json!(CUSTOMER);
    echo
}

#[test]
fn a_business_app_echo_is_outbound_to_the_recipient() {
    let message = only_message(&echoes(vec![echo("wamid.echo", "text", json!({"body": "Te llamo"}))]));
    assert_eq!(message.origin, Origin::BusinessApp);
    assert_eq!(message.customer.wa_id.as_deref(), Some(CUSTOMER));
    assert_eq!(message.content, MessageContent::Text { body: "Te llamo".into() });
}

#[test]
fn an_echo_to_a_bsuid_customer() {
    let mut item = echo("wamid.echo", "text", json!({"body": "hola"}));
    item.as_object_mut().unwrap().remove("to");
    item["to_user_id"] = json!(BSUID);
    let customer = only_message(&echoes(vec![item])).customer;
    assert_eq!((customer.wa_id, customer.user_id), (None, Some(BSUID.into())));
}

#[test]
fn edits_and_revokes_echoed_from_the_phone_are_the_business_s() {
    let edit = echo(
        "wamid.e",
        "edit",
        json!({"original_message_id": "wamid.O", "message": {"type": "text", "text": {"body": "b"}}}),
    );
    let revoke = echo("wamid.r", "revoke", json!({"original_message_id": "wamid.O"}));
    let events = events(&echoes(vec![edit, revoke]));
    let EventKind::Edit(edit) = &events[0].kind else { panic!() };
    assert_eq!(edit.origin, Origin::BusinessApp);
    assert_eq!(edit.customer.wa_id.as_deref(), Some(CUSTOMER));
    let EventKind::Revoke(revoke) = &events[1].kind else { panic!() };
    assert_eq!(revoke.origin, Origin::BusinessApp);
}

fn history(chunks: Vec<Value>) -> Value {
    wa_body(vec![wa_entry(vec![wa_change("history", wa_value(json!({"history": chunks})))])])
}

#[test]
fn history_messages_know_their_thread_direction_and_status() {
    let inbound = with(wa_text("wamid.h1", "¿Tienen envío?"), "history_context", json!({"status": "read"}));
    let outbound = with(
        with(with(wa_text("wamid.h2", "Sí"), "from", json!(BUSINESS_NUMBER)), "to", json!(CUSTOMER)),
        "history_context",
        json!({"status": "delivered"}),
    );
    let chunk = json!({"metadata": {"phase": 0, "chunk_order": 1, "progress": 55},
        "threads": [{"id": CUSTOMER, "messages": [inbound, outbound]}]});
    let events = events(&history(vec![chunk]));
    let history: Vec<_> = events
        .into_iter()
        .map(|e| match e.kind {
            EventKind::History(h) => h,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].message.origin, Origin::Customer);
    assert_eq!(history[0].status.as_deref(), Some("read"));
    assert_eq!(history[1].message.origin, Origin::BusinessApp);
    assert_eq!(history[1].status.as_deref(), Some("delivered"));
    for h in &history {
        assert_eq!(h.thread_id, CUSTOMER);
        assert_eq!(h.message.customer.wa_id.as_deref(), Some(CUSTOMER));
        assert_eq!((h.phase, h.chunk_order, h.progress), (Some(0), Some(1), Some(55)));
    }
}

#[test]
fn a_declined_history_is_an_ignorable_error() {
    let chunk = json!({"errors": [{"code": 2593109, "title": "History sharing declined"}]});
    let EventKind::Ignored(Ignored { reason: IgnoreReason::HistoryError(errors) }) = only_kind(&history(vec![chunk]))
    else {
        panic!()
    };
    assert_eq!(errors[0].code, Some(2593109));
}

#[test]
fn a_history_chunk_without_threads_is_kept_as_malformed() {
    assert!(matches!(
        only_kind(&history(vec![json!({"metadata": {"phase": 0}})])),
        EventKind::Ignored(Ignored { reason: IgnoreReason::Malformed(_) })
    ));
}

#[test]
fn history_direction_without_a_display_number_compares_with_the_thread() {
    let mut value = json!({"history": [{"threads": [{"id": CUSTOMER, "messages": [
        wa_text("wamid.in", "hola"),
        with(wa_text("wamid.out", "buenas"), "from", json!(BUSINESS_NUMBER)),
    ]}]}]});
    value["metadata"] = json!({"phone_number_id": PHONE_NUMBER_ID});
    let body = wa_body(vec![wa_entry(vec![wa_change("history", value)])]);
    let origins: Vec<_> = events(&body)
        .into_iter()
        .map(|e| match e.kind {
            EventKind::History(h) => (h.message.origin, h.message.customer.external_id),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(origins, vec![(Origin::Customer, CUSTOMER.to_string()), (Origin::BusinessApp, CUSTOMER.to_string())]);
}

#[test]
fn address_book_sync_adds_and_removes_contacts() {
    let item = |action: &str| {
        json!({"type": "contact", "action": action, "metadata": {"timestamp": TS.to_string()},
               "contact": {"full_name": "Ana Pérez", "first_name": "Ana", "phone_number": "5215512345678"}})
    };
    let body = wa_body(vec![wa_entry(vec![wa_change(
        "smb_app_state_sync",
        wa_value(json!({"state_sync": [item("add"), item("remove")]})),
    )])]);
    let syncs: Vec<_> = events(&body)
        .into_iter()
        .map(|e| match e.kind {
            EventKind::ContactSync(c) => c,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(syncs[0].action, SyncAction::Add);
    assert_eq!(syncs[1].action, SyncAction::Remove);
    assert_eq!(syncs[0].phone_number.as_deref(), Some("5215512345678"));
    assert_eq!(syncs[0].full_name.as_deref(), Some("Ana Pérez"));
    assert!(syncs[0].timestamp.is_some());
}

#[test]
fn template_status_updates_are_routed_to_the_waba() {
    let value = json!({"event": "APPROVED", "message_template_id": 594425479261596_i64,
        "message_template_name": "seguimiento_pedido", "message_template_language": "es_MX", "reason": "NONE"});
    let event = only_event(&wa_body(vec![wa_entry(vec![wa_change("message_template_status_update", value)])]));
    assert_eq!(event.routing.kind, RoutingKind::WhatsAppBusinessAccount);
    assert_eq!(event.routing.id, WABA_ID);
    assert_eq!(
        event.kind,
        EventKind::TemplateStatus(TemplateStatus {
            template_id: Some("594425479261596".into()),
            name: Some("seguimiento_pedido".into()),
            language: Some("es_MX".into()),
            status: "APPROVED".into(),
            reason: None,
        })
    );
}

#[test]
fn unhandled_fields_are_acknowledged_not_errors() {
    let body = wa_body(vec![wa_entry(vec![wa_change("account_update", json!({"event": "VERIFIED_ACCOUNT"}))])]);
    let event = only_event(&body);
    assert_eq!(event.routing.kind, RoutingKind::WhatsAppBusinessAccount);
    assert_eq!(
        event.kind,
        EventKind::Ignored(Ignored { reason: IgnoreReason::UnhandledField("account_update".into()) })
    );
}

#[test]
fn a_messages_change_without_a_phone_number_id_is_unroutable() {
    let body = wa_body(vec![wa_entry(vec![wa_change("messages", json!({"messages": [wa_text("wamid.1", "x")]}))])]);
    let delivery = parse(&body);
    assert!(delivery.events.is_empty());
    assert_eq!(delivery.unroutable.len(), 1);
}

#[test]
fn webhook_level_errors_and_empty_changes_are_kept() {
    let body = wa_body(vec![wa_entry(vec![
        wa_change("messages", wa_value(json!({"errors": [{"code": 131000, "title": "Something went wrong"}]}))),
        wa_change("messages", wa_value(json!({}))),
    ])]);
    let kinds: Vec<_> = events(&body).into_iter().map(|e| e.kind).collect();
    assert!(matches!(
        &kinds[0],
        EventKind::Ignored(Ignored { reason: IgnoreReason::Errors(e) }) if e[0].code == Some(131000)
    ));
    assert_eq!(kinds[1], EventKind::Ignored(Ignored { reason: IgnoreReason::Empty }));
}

#[test]
fn messages_and_statuses_of_one_change_are_all_delivered() {
    let value = wa_value(json!({
        "contacts": [wa_contact(CUSTOMER, "Ana")],
        "messages": [wa_text("wamid.in", "hola")],
        "statuses": [status("wamid.out", "read")],
    }));
    let kinds: Vec<_> =
        events(&wa_body(vec![wa_entry(vec![wa_change("messages", value)])])).into_iter().map(|e| e.kind).collect();
    assert!(matches!(kinds[0], EventKind::Message(_)));
    assert!(matches!(kinds[1], EventKind::Status(_)));
}

#[test]
fn a_batch_of_two_entries_of_two_changes_of_two_messages_gives_eight_events_in_order() {
    let mut entries = Vec::new();
    for e in 0..2 {
        let changes = (0..2)
            .map(|c| {
                let messages: Vec<_> = (0..2).map(|m| wa_text(&format!("wamid.{e}{c}{m}"), "x")).collect();
                wa_change("messages", wa_value(json!({"contacts": [wa_contact(CUSTOMER, "A")], "messages": messages})))
            })
            .collect();
        entries.push(wa_entry(changes));
    }
    let ids: Vec<_> = events(&wa_body(entries)).into_iter().map(|e| as_message(e.kind).external_id).collect();
    let expected = ["000", "001", "010", "011", "100", "101", "110", "111"].map(|n| format!("wamid.{n}"));
    assert_eq!(ids, expected);
}
