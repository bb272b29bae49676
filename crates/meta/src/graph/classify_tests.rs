//! Every code of docs/meta.md §6 (and §9 for Messenger/Instagram) lands where the table says.

use std::time::Duration;

use super::{ApiError, GraphError, Retry, SPAM_BACKOFF};

fn api(code: i64) -> ApiError {
    ApiError { http_status: 400, code, message: format!("(#{code}) Something"), ..ApiError::default() }
}

fn error(code: i64) -> GraphError {
    GraphError::from(api(code))
}

const BACKOFF: Retry = Retry::Transient { after: None, max_retries: None };

#[test]
fn permanent_whatsapp_codes() {
    for code in
        [131047, 131026, 131042, 131050, 131062, 132000, 132001, 132005, 132007, 132012, 132015, 132016, 190, 100]
    {
        assert_eq!(error(code).classify(), Retry::Permanent, "code {code}");
    }
}

#[test]
fn every_template_code_is_permanent() {
    assert_eq!(error(132068).classify(), Retry::Permanent);
}

#[test]
fn transient_rate_limits_and_meta_failures() {
    for code in [130429, 131056, 4, 80007, 1, 2, 131000] {
        assert_eq!(error(code).classify(), BACKOFF, "code {code}");
    }
}

#[test]
fn messenger_rate_limits_are_transient() {
    for code in [613, 17, 32] {
        assert!(error(code).classify().is_transient(), "code {code}");
    }
}

#[test]
fn spam_limit_backs_off_for_hours() {
    let Retry::Transient { after, .. } = error(131048).classify() else {
        panic!("131048 must be transient");
    };
    assert_eq!(after, Some(SPAM_BACKOFF));
    assert!(SPAM_BACKOFF >= Duration::from_secs(3600));
}

#[test]
fn media_errors_retry_once() {
    for code in [131052, 131053] {
        let retry = error(code).classify();
        assert_eq!(retry, Retry::Transient { after: None, max_retries: Some(1) });
        assert!(retry.allows_retry(0, 8));
        assert!(!retry.allows_retry(1, 8));
    }
    assert!(BACKOFF.allows_retry(7, 8));
    assert!(!BACKOFF.allows_retry(8, 8));
    assert!(!Retry::Permanent.allows_retry(0, 8));
}

#[test]
fn messenger_window_and_unavailable_person_are_permanent() {
    let outside = GraphError::from(ApiError { subcode: Some(2018278), ..api(10) });
    assert_eq!(outside.classify(), Retry::Permanent);
    assert!(outside.reason().contains("7 days"));
    assert_eq!(error(551).classify(), Retry::Permanent);
}

#[test]
fn retry_after_sets_the_delay_of_transient_errors_only() {
    let limited = GraphError::from(ApiError { retry_after: Some(Duration::from_secs(30)), ..api(130429) });
    assert_eq!(limited.classify(), Retry::Transient { after: Some(Duration::from_secs(30)), max_retries: None });
    let spam = GraphError::from(ApiError { retry_after: Some(Duration::from_secs(60)), ..api(131048) });
    assert!(matches!(spam.classify(), Retry::Transient { after: Some(d), .. } if d == Duration::from_secs(60)));
    let token = GraphError::from(ApiError { retry_after: Some(Duration::from_secs(30)), ..api(190) });
    assert_eq!(token.classify(), Retry::Permanent);
    let proxy = GraphError::Http { status: 503, retry_after: Some(Duration::from_secs(5)) };
    assert_eq!(proxy.classify(), Retry::Transient { after: Some(Duration::from_secs(5)), max_retries: None });
}

#[test]
fn transport_failures_are_transient() {
    assert_eq!(GraphError::Timeout.classify(), BACKOFF);
    assert_eq!(GraphError::Connect("refused".into()).classify(), BACKOFF);
    assert_eq!(GraphError::Transport("reset".into()).classify(), BACKOFF);
    for status in [500, 502, 503, 504, 429, 408] {
        let e = GraphError::Http { status, retry_after: None };
        assert_eq!(e.classify(), BACKOFF, "HTTP {status}");
    }
}

#[test]
fn a_webhook_error_is_explained_like_a_refused_send() {
    let window = crate::webhook::MetaError {
        code: Some(131047),
        title: Some("Re-engagement message".into()),
        message: Some("Re-engagement message".into()),
        details: Some("Message failed to send because more than 24 hours have passed".into()),
    };
    assert_eq!(window.reason(), Some(GraphError::from(api(131047)).reason()));
    assert!(window.reason().is_some_and(|r| r.contains("24 hours")));
    let unknown = crate::webhook::MetaError {
        code: Some(135000),
        title: Some("Generic user error".into()),
        message: Some("Generic user error".into()),
        details: Some("The recipient's app could not show it.".into()),
    };
    assert_eq!(unknown.reason().as_deref(), Some("The recipient's app could not show it."));
    let bare = crate::webhook::MetaError { message: Some("Oops".into()), ..Default::default() };
    assert_eq!(bare.reason().as_deref(), Some("Oops"));
}

#[test]
fn only_missing_answers_may_have_taken_effect() {
    assert!(GraphError::Timeout.may_have_taken_effect());
    assert!(GraphError::Http { status: 504, retry_after: None }.may_have_taken_effect());
    assert!(GraphError::Http { status: 502, retry_after: None }.may_have_taken_effect());
    assert!(GraphError::MalformedResponse("x".into()).may_have_taken_effect());
    assert!(!GraphError::Http { status: 503, retry_after: None }.may_have_taken_effect());
    assert!(!GraphError::Connect("refused".into()).may_have_taken_effect());
    assert!(!GraphError::Transport("reset".into()).may_have_taken_effect());
    let meta_said_so = GraphError::from(ApiError { http_status: 504, ..api(131000) });
    assert!(!meta_said_so.may_have_taken_effect(), "Meta's own error is an answer");
}

#[test]
fn unreadable_answers_and_client_errors_are_permanent() {
    assert_eq!(GraphError::MalformedResponse("x".into()).classify(), Retry::Permanent);
    assert_eq!(GraphError::TooLarge { limit: 10 }.classify(), Retry::Permanent);
    assert_eq!(GraphError::Http { status: 404, retry_after: None }.classify(), Retry::Permanent);
}

#[test]
fn unknown_codes_follow_http_status_and_meta_hint() {
    assert_eq!(error(999_999).classify(), Retry::Permanent);
    let server = GraphError::from(ApiError { http_status: 500, ..api(999_999) });
    assert_eq!(server.classify(), BACKOFF);
    let hinted = GraphError::from(ApiError { is_transient: Some(true), ..api(999_999) });
    assert_eq!(hinted.classify(), BACKOFF);
}

#[test]
fn reasons_explain_each_code() {
    assert_eq!(
        error(131047).reason(),
        "More than 24 hours since the customer's last message: only a template can be sent"
    );
    assert!(error(131026).reason().contains("undeliverable"));
    assert!(error(131062).reason().contains("BSUID"));
    assert!(error(132000).reason().contains("parameter count"));
    assert!(error(190).reason().contains("access token"));
    assert!(error(131048).reason().contains("Spam"));
    assert!(error(131053).reason().contains("Ogg/Opus"));
    for code in [
        131050, 131051, 131052, 131042, 131056, 130429, 132001, 132005, 132007, 132012, 132015, 132016, 4, 80007, 1, 2,
        131000, 10, 551, 613,
    ] {
        let reason = error(code).reason();
        assert!(!reason.is_empty() && !reason.contains("(#"), "code {code}: {reason}");
    }
}

#[test]
fn invalid_parameter_reason_carries_meta_details() {
    let e = GraphError::from(ApiError {
        details: Some("Param text['body'] must be at most 4096 characters long.".into()),
        ..api(100)
    });
    assert_eq!(
        e.reason(),
        "Meta refused a parameter of the message: Param text['body'] must be at most 4096 characters long."
    );
}

#[test]
fn unknown_codes_fall_back_to_meta_words() {
    let e = GraphError::from(ApiError {
        details: Some("Recipient phone number not in allowed list".into()),
        ..api(131030)
    });
    assert_eq!(e.reason(), "Recipient phone number not in allowed list");
    let bare = GraphError::from(ApiError { message: String::new(), ..api(424242) });
    assert_eq!(bare.reason(), "Meta refused the request (error 424242)");
}

#[test]
fn transport_reasons() {
    assert!(GraphError::Timeout.reason().contains("in time"));
    assert!(GraphError::TooLarge { limit: 5 }.reason().contains("5 bytes"));
    let e = GraphError::Http { status: 502, retry_after: None };
    assert!(e.reason().contains("HTTP 502"));
}
