//! The signed WhatsApp text webhooks `load` and `ws-latency` send: Meta's payload shape (built by the
//! simulator), one message per delivery, with distinct message ids `wamid.<prefix><index, 9 digits>`
//! so a receiver of the resulting events can tell which POST each one came from.

use crate::corpus;
use simulator::payloads::{whatsapp_text, WaBusiness, WaUser};

/// A ready-to-send delivery: its body and its `X-Hub-Signature-256` header.
pub struct SignedWebhook {
    pub body: Vec<u8>,
    pub signature: String,
}

/// Who the deliveries are addressed to and signed for: the command-line options the load
/// generators share (`#[command(flatten)]`).
#[derive(clap::Args, Debug, Clone)]
pub struct Target {
    #[arg(long, env = "BENCH_APP_SECRET")]
    pub app_secret: String,
    #[arg(long, default_value = "200000000000001")]
    pub waba_id: String,
    #[arg(long, default_value = "100000000000001")]
    pub phone_number_id: String,
    #[arg(long, default_value = "15550001111")]
    pub display_number: String,
}

/// Message `i`'s id: `wamid.` + `prefix` + `i` on nine digits.
pub fn message_id(prefix: &str, i: usize) -> String {
    format!("wamid.{prefix}{i:09}")
}

/// The index a message id made by [`message_id`] with `prefix` carries, if it is one of them.
pub fn message_index(prefix: &str, id: &str) -> Option<usize> {
    let digits = id.strip_prefix("wamid.")?.strip_prefix(prefix)?;
    (digits.len() == 9 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok()).flatten()
}

/// Customer of message `i`: the customers take turns, `senders` of them (at least one).
pub fn sender_of(i: usize, senders: u64) -> u64 {
    i as u64 % senders.max(1)
}

/// `count` text messages from `senders` customers in turn, made and signed up front so sending
/// them measures the receiver, not the generator.
pub fn signed_texts(target: &Target, count: usize, senders: u64, id_prefix: &str, now_s: i64) -> Vec<SignedWebhook> {
    let business = WaBusiness {
        waba_id: target.waba_id.to_string(),
        phone_number_id: target.phone_number_id.to_string(),
        display_phone_number: target.display_number.to_string(),
    };
    let users: Vec<WaUser> = (0..senders.max(1))
        .map(|i| {
            let c = corpus::customer(i);
            WaUser::phone(c.wa_id()).with_user_id(c.bsuid()).with_name(c.profile_name())
        })
        .collect();
    (0..count)
        .map(|i| {
            let user = &users[sender_of(i, senders) as usize];
            let body = whatsapp_text(&business, user, &message_id(id_prefix, i), now_s, corpus::message_text(i as u64))
                .to_string();
            let signature = simulator::sign(&target.app_secret, body.as_bytes());
            SignedWebhook { body: body.into_bytes(), signature }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_round_trip() {
        assert_eq!(message_id("ws", 42), "wamid.ws000000042");
        assert_eq!(message_index("ws", &message_id("ws", 42)), Some(42));
        assert_eq!(message_index("ws", "wamid.other000000042"), None);
        assert_eq!(message_index("ws", "wamid.ws42"), None);
    }

    #[test]
    fn deliveries_carry_their_id_and_a_valid_signature() {
        let target = Target {
            app_secret: "s".into(),
            waba_id: "1".into(),
            phone_number_id: "2".into(),
            display_number: "3".into(),
        };
        let hooks = signed_texts(&target, 3, 2, "t", 1_700_000_000);
        assert_eq!(hooks.len(), 3);
        let body: serde_json::Value = serde_json::from_slice(&hooks[2].body).unwrap();
        let message = &body["entry"][0]["changes"][0]["value"]["messages"][0];
        assert_eq!(message["id"], "wamid.t000000002");
        // Message 2 comes from the first of two customers again.
        assert_eq!(message["from"], corpus::customer(0).wa_id());
        assert_eq!(hooks[2].signature, simulator::sign("s", &hooks[2].body));
    }
}
