//! `user_preferences` and `calls` (WhatsApp and Messenger), in the shapes of Meta's reference pages.

use super::test_builders::*;
use super::*;
use serde_json::{json, Value};
use time::macros::datetime;

fn preferences(items: Vec<Value>) -> Value {
    wa_body(vec![wa_entry(vec![wa_change(
        "user_preferences",
        wa_value(json!({"contacts": [wa_contact(CUSTOMER, "María López")], "user_preferences": items})),
    )])])
}

fn preference(value: &str) -> Value {
    json!({"wa_id": CUSTOMER, "detail": format!("User requested to {value} marketing messages"),
           "category": "marketing_messages", "value": value, "timestamp": TS})
}

fn wa_calls(items: Vec<Value>) -> Value {
    wa_body(vec![wa_entry(vec![wa_change(
        "calls",
        wa_value(json!({"contacts": [wa_contact(CUSTOMER, "María López")], "calls": items})),
    )])])
}

fn only_call(body: &Value) -> Call {
    match only_kind(body) {
        EventKind::Call(c) => c,
        other => panic!("expected a call, got {other:#?}"),
    }
}

#[test]
fn a_stop_is_a_marketing_preference_of_the_customer() {
    let event = only_event(&preferences(vec![preference("stop")]));
    assert_eq!(event.routing, RoutingKey { kind: RoutingKind::WhatsAppPhoneNumber, id: PHONE_NUMBER_ID.into() });
    let EventKind::MarketingPreference(p) = event.kind else { panic!("{:?}", event.kind) };
    assert_eq!(p.choice, MarketingChoice::Stop);
    assert_eq!(p.customer.wa_id.as_deref(), Some(CUSTOMER));
    assert_eq!(p.customer.profile_name.as_deref(), Some("María López"));
    assert_eq!(p.timestamp, datetime!(2025-02-12 00:43:44 UTC));
    assert_eq!(p.detail.as_deref(), Some("User requested to stop marketing messages"));
}

#[test]
fn a_resume_with_a_string_timestamp_and_a_bsuid() {
    let mut item = preference("resume");
    item["timestamp"] = json!(TS.to_string());
    item["user_id"] = json!(BSUID);
    let EventKind::MarketingPreference(p) = only_kind(&preferences(vec![item])) else { panic!() };
    assert_eq!(p.choice, MarketingChoice::Resume);
    assert_eq!(p.customer.user_id.as_deref(), Some(BSUID));
}

#[test]
fn other_categories_and_values_are_acknowledged_not_applied() {
    let mut other_category = preference("stop");
    other_category["category"] = json!("offers");
    let mut other_value = preference("stop");
    other_value["value"] = json!("snooze");
    for item in [other_category, other_value] {
        assert!(matches!(only_kind(&preferences(vec![item])), EventKind::Ignored(_)));
    }
    assert!(matches!(
        only_kind(&preferences(vec![without(preference("stop"), "timestamp")])),
        EventKind::Ignored(Ignored { reason: IgnoreReason::Malformed(_) })
    ));
}

#[test]
fn a_preference_naming_nobody_or_a_group_is_unroutable() {
    let nobody = json!({"category": "marketing_messages", "value": "stop", "timestamp": TS});
    let body =
        wa_body(vec![wa_entry(vec![wa_change("user_preferences", wa_value(json!({"user_preferences": [nobody]})))])]);
    let delivery = parse(&body);
    assert!(delivery.events.is_empty(), "{:?}", delivery.events);
    assert_eq!(delivery.unroutable.len(), 1);
    let group = with(preference("stop"), "group_id", json!("120363025555555555"));
    let delivery = parse(&preferences(vec![group]));
    assert_eq!(delivery.unroutable.len(), 1);
}

#[test]
fn a_user_initiated_connect_names_the_caller() {
    let call = only_call(&wa_calls(vec![json!({
        "id": "wacid.ABGGFjFVU2AfAgo6V", "to": BUSINESS_NUMBER, "from": CUSTOMER, "event": "connect",
        "timestamp": TS.to_string(), "direction": "USER_INITIATED",
        "session": {"sdp_type": "offer", "sdp": "v=0"},
    })]));
    assert_eq!(call.call_id, "wacid.ABGGFjFVU2AfAgo6V");
    assert_eq!(call.event, CallEvent::Connect);
    assert_eq!(call.direction, CallDirection::UserInitiated);
    assert_eq!(call.customer.wa_id.as_deref(), Some(CUSTOMER));
    assert_eq!(call.customer.profile_name.as_deref(), Some("María López"));
    assert_eq!(call.timestamp, datetime!(2025-02-12 00:43:44 UTC));
    assert_eq!(call.duration_seconds, None);
}

#[test]
fn a_terminate_carries_status_times_and_duration() {
    let call = only_call(&wa_calls(vec![json!({
        "id": "wacid.X", "to": BUSINESS_NUMBER, "from": CUSTOMER, "event": "terminate",
        "direction": "USER_INITIATED", "timestamp": TS.to_string(), "status": "COMPLETED",
        "start_time": (TS - 125).to_string(), "end_time": TS.to_string(), "duration": 125,
    })]));
    assert_eq!(call.event, CallEvent::Terminate);
    assert_eq!(call.status.as_deref(), Some("COMPLETED"));
    assert_eq!(call.duration_seconds, Some(125));
    assert_eq!(call.started_at, Some(datetime!(2025-02-12 00:41:39 UTC)));
    assert_eq!(call.ended_at, Some(datetime!(2025-02-12 00:43:44 UTC)));
    let listed = only_call(&wa_calls(vec![json!({"id": "wacid.Y", "from": CUSTOMER, "event": "terminate",
        "timestamp": TS, "status": ["FAILED"]})]));
    assert_eq!(listed.status.as_deref(), Some("FAILED"));
}

#[test]
fn a_business_initiated_call_is_about_the_callee_even_by_bsuid() {
    let call = only_call(&wa_calls(vec![json!({
        "id": "wacid.B", "from": BUSINESS_NUMBER, "to_user_id": BSUID, "event": "connect",
        "timestamp": TS.to_string(), "direction": "BUSINESS_INITIATED",
    })]));
    assert_eq!(call.direction, CallDirection::BusinessInitiated);
    assert_eq!(call.customer.wa_id, None, "no phone is made up from a BSUID");
    assert_eq!(call.customer.user_id.as_deref(), Some(BSUID));
    // Without `direction`, a call from the business number is the business's.
    let inferred = only_call(&wa_calls(vec![
        json!({"id": "wacid.C", "from": BUSINESS_NUMBER, "to": CUSTOMER, "event": "connect", "timestamp": TS}),
    ]));
    assert_eq!(inferred.direction, CallDirection::BusinessInitiated);
    assert_eq!(inferred.customer.wa_id.as_deref(), Some(CUSTOMER));
}

#[test]
fn call_signalling_and_odd_items_are_acknowledged() {
    let ringing = wa_body(vec![wa_entry(vec![wa_change(
        "calls",
        wa_value(json!({"statuses": [{"id": "wacid.B", "type": "call", "status": "RINGING", "timestamp": TS}]})),
    )])]);
    assert!(matches!(only_kind(&ringing), EventKind::Ignored(_)));
    let no_id = json!({"from": CUSTOMER, "event": "connect", "timestamp": TS});
    assert!(matches!(
        only_kind(&wa_calls(vec![no_id])),
        EventKind::Ignored(Ignored { reason: IgnoreReason::Malformed(_) })
    ));
    let group = json!({"id": "wacid.G", "from": CUSTOMER, "event": "connect", "timestamp": TS, "group_id": "1203"});
    assert_eq!(parse(&wa_calls(vec![group])).unroutable.len(), 1);
    let nobody = json!({"id": "wacid.N", "event": "connect", "timestamp": TS});
    let body = wa_body(vec![wa_entry(vec![wa_change("calls", wa_value(json!({"calls": [nobody]})))])]);
    assert_eq!(parse(&body).unroutable.len(), 1);
    // A calls change without a phone number id has nowhere to go.
    let body = wa_body(vec![wa_entry(vec![wa_change("calls", json!({"calls": []}))])]);
    assert_eq!(parse(&body).unroutable.len(), 1);
}

#[test]
fn messenger_calls_sit_beside_messaging_in_the_entry() {
    let body = json!({"object": "page", "entry": [{"id": PAGE_ID, "time": TS * 1000, "calls": [
        {"id": "c_M5YPhGE5jm0L", "to": PAGE_ID, "from": PSID, "event": "connect", "timestamp": TS,
         "call_direction": "user_initiated"},
        {"id": "c_M5YPhGE5jm0L", "to": PAGE_ID, "from": PSID, "event": "terminate", "timestamp": TS + 65,
         "call_direction": "user_initiated", "duration": 60},
        {"id": "c_M5YPhGE5jm0L", "event": "media_update", "timestamp": TS},
    ]}]});
    let events = events(&body);
    assert_eq!(events.len(), 3, "{events:#?}");
    assert!(events.iter().all(|e| e.routing == RoutingKey { kind: RoutingKind::Page, id: PAGE_ID.into() }));
    let EventKind::Call(connect) = &events[0].kind else { panic!("{:?}", events[0].kind) };
    assert_eq!(connect.customer, CustomerRef::scoped(PSID));
    assert_eq!(connect.timestamp, datetime!(2025-02-12 00:43:44 UTC), "seconds read as seconds");
    let EventKind::Call(end) = &events[1].kind else { panic!() };
    assert_eq!((end.event, end.duration_seconds), (CallEvent::Terminate, Some(60)));
    assert!(matches!(events[2].kind, EventKind::Ignored(_)));
    // A business-initiated call is about the callee.
    let body = json!({"object": "page", "entry": [{"id": PAGE_ID, "time": TS * 1000, "calls": [
        {"id": "c_B", "to": PSID, "from": PAGE_ID, "event": "connect", "timestamp": TS, "call_direction": "business_initiated"},
    ]}]});
    let EventKind::Call(out) = only_kind(&body) else { panic!() };
    assert_eq!((out.direction, out.customer.external_id.as_str()), (CallDirection::BusinessInitiated, PSID));
}
