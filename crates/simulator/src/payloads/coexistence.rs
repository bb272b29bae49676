//! WhatsApp Business App coexistence webhooks (docs/meta.md §8), all `object: "whatsapp_business_account"`:
//! `smb_message_echoes` (what the business typed in the phone app), `history` (past chats shared at
//! onboarding, in phases and chunks) and `smb_app_state_sync` (the phone's contacts).
//! Field names of `history` follow Meta's reference as mirrored by providers; marked UNCONFIRMED in §8.

use serde_json::{json, Map, Value};

use super::whatsapp::{insert_opt, message_json, WaBusiness, WaMessage, WaUser};
use super::whatsapp_envelope;

/// An echo of a message the business sent from the phone app to `to`.
pub fn whatsapp_echo(business: &WaBusiness, to: &WaUser, message: &WaMessage) -> Value {
    let mut echo = Map::new();
    echo.insert("from".into(), json!(business.display_phone_number));
    insert_opt(&mut echo, "to", &to.wa_id);
    insert_opt(&mut echo, "to_user_id", &to.user_id);
    insert_opt(&mut echo, "to_parent_user_id", &to.parent_user_id);
    echo.insert("id".into(), json!(message.id));
    echo.insert("timestamp".into(), json!(message.timestamp.to_string()));
    let mut body = Map::new();
    message.content.write_into(&mut body);
    echo.extend(body);
    if let Some(context) = &message.context {
        echo.insert("context".into(), json!({"id": context.id}));
    }
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": business.metadata(),
        "message_echoes": [Value::Object(echo)],
    });
    whatsapp_envelope(&business.waba_id, "smb_message_echoes", value)
}

/// One message of a history thread: the customer's or the business's (from the phone app).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryMessage {
    pub from_business: bool,
    pub message: WaMessage,
    /// `history_context.status`: `READ`, `DELIVERED`, `SENT`, `PLAYED`, `ERROR`, `PENDING`.
    pub status: String,
}

/// The past messages with one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryThread {
    pub customer: WaUser,
    pub messages: Vec<HistoryMessage>,
}

/// One chunk of shared history.
pub fn whatsapp_history(
    business: &WaBusiness,
    phase: u8,
    chunk_order: u32,
    progress: u8,
    threads: &[HistoryThread],
) -> Value {
    let threads: Vec<Value> = threads
        .iter()
        .map(|t| {
            let messages: Vec<Value> = t
                .messages
                .iter()
                .map(|h| {
                    let mut m = if h.from_business {
                        let mut m = message_json(&WaUser::default(), &h.message);
                        m["from"] = json!(business.display_phone_number);
                        if let Some(wa_id) = &t.customer.wa_id {
                            m["to"] = json!(wa_id);
                        }
                        m
                    } else {
                        message_json(&t.customer, &h.message)
                    };
                    m["history_context"] = json!({"status": h.status});
                    m
                })
                .collect();
            let mut thread = Map::new();
            let id = t.customer.wa_id.clone().or_else(|| t.customer.user_id.clone());
            insert_opt(&mut thread, "id", &id);
            insert_opt(&mut thread, "user_id", &t.customer.user_id);
            thread.insert("messages".into(), Value::Array(messages));
            Value::Object(thread)
        })
        .collect();
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": business.metadata(),
        "history": [{
            "metadata": {"phase": phase, "chunk_order": chunk_order, "progress": progress},
            "threads": threads,
        }],
    });
    whatsapp_envelope(&business.waba_id, "history", value)
}

/// The business declined to share its history: an error entry instead of threads.
pub fn whatsapp_history_declined(business: &WaBusiness) -> Value {
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": business.metadata(),
        "history": [{"errors": [{
            "code": 2593109,
            "title": "History sharing is turned off by user",
            "message": "History sharing is turned off by user",
            "error_data": {"details": "The business declined to share its chat history."},
        }]}],
    });
    whatsapp_envelope(&business.waba_id, "history", value)
}

/// A contact of the phone's address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSyncContact {
    pub full_name: String,
    pub first_name: String,
    pub phone_number: String,
    /// `add` or `remove`.
    pub action: String,
}

/// The phone's contacts (`smb_app_state_sync`).
pub fn whatsapp_state_sync(business: &WaBusiness, timestamp: i64, contacts: &[StateSyncContact]) -> Value {
    let state_sync: Vec<Value> = contacts
        .iter()
        .map(|c| {
            json!({
                "type": "contact",
                "contact": {"full_name": c.full_name, "first_name": c.first_name, "phone_number": c.phone_number},
                "action": c.action,
                "metadata": {"timestamp": timestamp.to_string()},
            })
        })
        .collect();
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": business.metadata(),
        "state_sync": state_sync,
    });
    whatsapp_envelope(&business.waba_id, "smb_app_state_sync", value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payloads::WaContent;

    #[test]
    fn an_echo_is_outbound_from_the_business_number() {
        let business = WaBusiness {
            waba_id: "W".into(),
            phone_number_id: "P".into(),
            display_phone_number: "5215599887766".into(),
        };
        let to = WaUser::phone("5215512345678").with_user_id("MX.1");
        let v = whatsapp_echo(&business, &to, &WaMessage::new("wamid.e", 7, WaContent::Text("Hola".into())));
        assert_eq!(v["entry"][0]["changes"][0]["field"], "smb_message_echoes");
        let echo = &v["entry"][0]["changes"][0]["value"]["message_echoes"][0];
        assert_eq!(echo["from"], "5215599887766");
        assert_eq!(echo["to"], "5215512345678");
        assert_eq!(echo["to_user_id"], "MX.1");
        assert_eq!(echo["text"]["body"], "Hola");
    }

    #[test]
    fn history_threads_carry_both_directions_and_their_status() {
        let business = WaBusiness {
            waba_id: "W".into(),
            phone_number_id: "P".into(),
            display_phone_number: "5215599887766".into(),
        };
        let customer = WaUser::phone("5215512345678").with_name("María");
        let thread = HistoryThread {
            customer,
            messages: vec![
                HistoryMessage {
                    from_business: false,
                    message: WaMessage::new("wamid.a", 1, WaContent::Text("Hola".into())),
                    status: "READ".into(),
                },
                HistoryMessage {
                    from_business: true,
                    message: WaMessage::new("wamid.b", 2, WaContent::Text("¡Hola!".into())),
                    status: "DELIVERED".into(),
                },
            ],
        };
        let v = whatsapp_history(&business, 0, 1, 100, &[thread]);
        let chunk = &v["entry"][0]["changes"][0]["value"]["history"][0];
        assert_eq!(chunk["metadata"], serde_json::json!({"phase": 0, "chunk_order": 1, "progress": 100}));
        let messages = &chunk["threads"][0]["messages"];
        assert_eq!(chunk["threads"][0]["id"], "5215512345678");
        assert_eq!(messages[0]["from"], "5215512345678");
        assert_eq!(messages[0]["history_context"]["status"], "READ");
        assert_eq!(messages[1]["from"], "5215599887766");
        assert_eq!(messages[1]["to"], "5215512345678");
        let declined = whatsapp_history_declined(&business);
        assert!(declined["entry"][0]["changes"][0]["value"]["history"][0]["errors"].is_array());
    }
}
