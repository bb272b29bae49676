//! The Messenger/Instagram bodies are exactly docs/meta.md §9 and §10.

use domain::window::MessagingType;
use serde_json::json;

use super::messenger::{self, AttachmentKind, AttachmentSource, SenderAction};

#[test]
fn text_as_response() {
    assert_eq!(
        messenger::text("PSID", "Hola", MessagingType::Response, None),
        json!({"recipient":{"id":"PSID"},"messaging_type":"RESPONSE","message":{"text":"Hola"}})
    );
}

#[test]
fn text_as_human_agent() {
    assert_eq!(
        messenger::text("PSID", "...", MessagingType::HumanAgentTag, None),
        json!({"recipient":{"id":"PSID"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT",
               "message":{"text":"..."}})
    );
}

#[test]
fn reply_to_goes_inside_message() {
    let body = messenger::text("IGSID", "Sí", MessagingType::Response, Some("m_quoted"));
    assert_eq!(body["message"], json!({"text":"Sí","reply_to":{"mid":"m_quoted"}}));
}

#[test]
fn attachment_by_url() {
    let source = AttachmentSource::Url { url: "https://example.com/a.png".into(), is_reusable: true };
    assert_eq!(
        messenger::attachment("PSID", AttachmentKind::Image, &source, MessagingType::Response, None),
        json!({"recipient":{"id":"PSID"},"messaging_type":"RESPONSE","message":{"attachment":{
               "type":"image","payload":{"url":"https://example.com/a.png","is_reusable":true}}}})
    );
}

#[test]
fn attachment_by_id_with_tag() {
    let body = messenger::attachment(
        "PSID",
        AttachmentKind::File,
        &AttachmentSource::Id("1857777774821032".into()),
        MessagingType::HumanAgentTag,
        Some("m_q"),
    );
    assert_eq!(
        body,
        json!({"recipient":{"id":"PSID"},"messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT",
               "message":{"attachment":{"type":"file","payload":{"attachment_id":"1857777774821032"}},
                          "reply_to":{"mid":"m_q"}}})
    );
}

#[test]
fn sender_actions() {
    assert_eq!(
        messenger::sender_action("PSID", SenderAction::MarkSeen),
        json!({"recipient":{"id":"PSID"},"sender_action":"mark_seen"})
    );
    assert_eq!(messenger::sender_action("PSID", SenderAction::TypingOn)["sender_action"], "typing_on");
    assert_eq!(messenger::sender_action("PSID", SenderAction::TypingOff)["sender_action"], "typing_off");
}

#[test]
fn instagram_reactions() {
    assert_eq!(
        messenger::react("IGSID", "aWdfZA", "love"),
        json!({"recipient":{"id":"IGSID"},"sender_action":"react",
               "payload":{"message_id":"aWdfZA","reaction":"love"}})
    );
    assert_eq!(
        messenger::unreact("IGSID", "aWdfZA"),
        json!({"recipient":{"id":"IGSID"},"sender_action":"unreact",
               "payload":{"message_id":"aWdfZA"}})
    );
}
