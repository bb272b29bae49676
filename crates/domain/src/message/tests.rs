use super::*;

/// The strings in the database today (migrations' CHECKs, rows already written): changing one would
/// need a data migration.
const STORED_STATUSES: [(MessageStatus, &str, i64); 7] = [
    (MessageStatus::Received, "received", -1),
    (MessageStatus::Pending, "pending", 0),
    (MessageStatus::Sent, "sent", 1),
    (MessageStatus::Delivered, "delivered", 2),
    (MessageStatus::Read, "read", 3),
    (MessageStatus::Played, "played", 4),
    (MessageStatus::Failed, "failed", 5),
];

#[test]
fn statuses_keep_their_stored_strings_and_ranks() {
    for (status, text, rank) in STORED_STATUSES {
        assert_eq!(status.as_str(), text);
        assert_eq!(MessageStatus::parse(text), Some(status));
        assert_eq!(serde_json::to_value(status).unwrap(), serde_json::json!(text));
        assert_eq!(serde_json::from_value::<MessageStatus>(serde_json::json!(text)).unwrap(), status);
        assert_eq!(status.rank(), rank, "{text}");
    }
    assert_eq!(MessageStatus::ALL.len(), STORED_STATUSES.len(), "every status is listed");
    assert_eq!(MessageStatus::parse("seen"), None);
    assert!(serde_json::from_value::<MessageStatus>(serde_json::json!("seen")).is_err());
}

#[test]
fn the_order_of_statuses_is_their_rank() {
    for pair in MessageStatus::ALL.windows(2) {
        assert!(pair[0] < pair[1], "{:?} before {:?}", pair[0], pair[1]);
        assert!(pair[0].rank() < pair[1].rank(), "{:?} ranks below {:?}", pair[0], pair[1]);
    }
    for a in MessageStatus::ALL {
        for b in MessageStatus::ALL {
            assert_eq!(a.cmp(&b), a.rank().cmp(&b.rank()), "{a:?} vs {b:?}");
        }
    }
}

#[test]
fn statuses_only_move_forwards_and_a_failure_never_undoes_a_delivery() {
    use MessageStatus::*;
    assert!(Pending.advances_to(Sent));
    assert!(Sent.advances_to(Read), "a status may be skipped (the read came first)");
    assert!(Delivered.advances_to(Played));
    assert!(!Read.advances_to(Delivered), "never backwards");
    assert!(!Read.advances_to(Read), "a repeat changes nothing");
    assert!(Pending.advances_to(Failed));
    assert!(Sent.advances_to(Failed));
    assert!(!Delivered.advances_to(Failed), "the customer has it");
    assert!(!Read.advances_to(Failed));
    assert!(!Failed.advances_to(Failed));
    assert!(!Failed.advances_to(Read), "a failed message stays failed");
}

#[test]
fn directions_and_origins_keep_their_stored_strings() {
    for (direction, text) in [(Direction::Inbound, "inbound"), (Direction::Outbound, "outbound")] {
        assert_eq!(direction.as_str(), text);
        assert_eq!(Direction::parse(text), Some(direction));
        assert_eq!(serde_json::to_value(direction).unwrap(), serde_json::json!(text));
        assert_eq!(serde_json::from_value::<Direction>(serde_json::json!(text)).unwrap(), direction);
    }
    let origins = [
        (Origin::Customer, "customer"),
        (Origin::Agent, "agent"),
        (Origin::BusinessApp, "business_app"),
        (Origin::System, "system"),
    ];
    for (origin, text) in origins {
        assert_eq!(origin.as_str(), text);
        assert_eq!(Origin::parse(text), Some(origin));
        assert_eq!(serde_json::to_value(origin).unwrap(), serde_json::json!(text));
        assert_eq!(serde_json::from_value::<Origin>(serde_json::json!(text)).unwrap(), origin);
    }
    assert_eq!(Origin::ALL.len(), origins.len());
    assert_eq!(Direction::parse("sideways"), None);
    assert_eq!(Origin::parse("bot"), None);
}

#[test]
fn an_origin_decides_direction_and_first_status() {
    assert_eq!(Origin::Customer.direction(), Direction::Inbound);
    assert_eq!(Origin::System.direction(), Direction::Inbound);
    assert_eq!(Origin::Agent.direction(), Direction::Outbound);
    assert_eq!(Origin::BusinessApp.direction(), Direction::Outbound);
    assert_eq!(Origin::Customer.initial_status(), MessageStatus::Received);
    assert_eq!(Origin::System.initial_status(), MessageStatus::Received);
    assert_eq!(Origin::Agent.initial_status(), MessageStatus::Pending);
    assert_eq!(Origin::BusinessApp.initial_status(), MessageStatus::Sent, "it left from the business's own app");
}
