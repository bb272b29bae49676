//! WhatsApp inbound messages (`field: "messages"`, `value.messages[]`), docs/meta.md §2, §12, §13.
//! `contacts[]` names the sender: `wa_id` and `messages[].from` when the phone is known, `user_id`
//! (BSUID) and `messages[].from_user_id` always when Meta has one, `profile.username` for usernames.

use serde_json::{json, Map, Value};

use super::whatsapp_envelope;
use crate::config::WhatsAppNumber;

/// The business number a webhook is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaBusiness {
    pub waba_id: String,
    pub phone_number_id: String,
    pub display_phone_number: String,
}

impl From<&WhatsAppNumber> for WaBusiness {
    fn from(n: &WhatsAppNumber) -> Self {
        Self {
            waba_id: n.waba_id.clone(),
            phone_number_id: n.phone_number_id.clone(),
            display_phone_number: n.display_phone_number.clone(),
        }
    }
}

impl WaBusiness {
    pub(crate) fn metadata(&self) -> Value {
        json!({"display_phone_number": self.display_phone_number, "phone_number_id": self.phone_number_id})
    }
}

/// The WhatsApp user a webhook is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaUser {
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub parent_user_id: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
}

impl WaUser {
    /// A user known by phone (classic payload, no BSUID unless added with [`WaUser::with_user_id`]).
    pub fn phone(wa_id: impl Into<String>) -> Self {
        Self { wa_id: Some(wa_id.into()), ..Self::default() }
    }

    /// A username-only user: BSUID and username, no phone.
    pub fn username_only(user_id: impl Into<String>, username: impl Into<String>) -> Self {
        Self { user_id: Some(user_id.into()), username: Some(username.into()), ..Self::default() }
    }

    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn with_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// The `contacts[]` entry.
    pub(crate) fn contact_json(&self) -> Value {
        let mut profile = Map::new();
        if let Some(name) = &self.name {
            profile.insert("name".into(), json!(name));
        }
        if let Some(username) = &self.username {
            profile.insert("username".into(), json!(username));
        }
        let mut contact = Map::new();
        contact.insert("profile".into(), Value::Object(profile));
        insert_opt(&mut contact, "wa_id", &self.wa_id);
        insert_opt(&mut contact, "user_id", &self.user_id);
        insert_opt(&mut contact, "parent_user_id", &self.parent_user_id);
        Value::Object(contact)
    }
}

/// A media object of an inbound message. `sha256` is base64, as in Meta's webhooks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaMedia {
    pub id: String,
    pub mime_type: String,
    pub sha256: String,
    pub caption: Option<String>,
    pub filename: Option<String>,
    /// Audio only: a recorded voice note.
    pub voice: Option<bool>,
    /// Sticker only.
    pub animated: Option<bool>,
}

/// A phone of a shared contact card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPhone {
    pub phone: String,
    pub wa_id: Option<String>,
    pub kind: String,
}

/// A contact card (`contacts` message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCard {
    pub formatted_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phones: Vec<ContactPhone>,
    pub emails: Vec<String>,
    pub vcard: Option<String>,
}

/// What a message carries: its `type` and the object under that key.
#[derive(Debug, Clone, PartialEq)]
pub enum WaContent {
    Text(String),
    Image(WaMedia),
    Video(WaMedia),
    Audio(WaMedia),
    Document(WaMedia),
    Sticker(WaMedia),
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    /// `origin: "contact_request"` marks the answer to a request for the user's own phone.
    Contacts {
        cards: Vec<ContactCard>,
        origin: Option<String>,
    },
    /// An empty `emoji` removes the reaction.
    Reaction {
        message_id: String,
        emoji: String,
    },
    ButtonReply {
        id: String,
        title: String,
    },
    ListReply {
        id: String,
        title: String,
        description: Option<String>,
    },
    /// A tap on a template's quick-reply button.
    Button {
        payload: String,
        text: String,
    },
    /// A type the Cloud API does not deliver (polls, …): error 131051.
    Unsupported,
    Edit {
        original_message_id: String,
        content: Box<WaContent>,
    },
    Revoke {
        original_message_id: String,
    },
    /// Any other `type` with its object, for types newer than this simulator.
    Other {
        kind: String,
        object: Value,
    },
}

/// A quoted message (`context`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaContext {
    pub from: Option<String>,
    pub id: String,
    pub forwarded: bool,
}

/// One inbound message.
#[derive(Debug, Clone, PartialEq)]
pub struct WaMessage {
    pub id: String,
    /// Unix seconds.
    pub timestamp: i64,
    pub content: WaContent,
    pub context: Option<WaContext>,
    /// Click-to-WhatsApp ad referral object, verbatim.
    pub referral: Option<Value>,
}

impl WaMessage {
    pub fn new(id: impl Into<String>, timestamp: i64, content: WaContent) -> Self {
        Self { id: id.into(), timestamp, content, context: None, referral: None }
    }

    pub fn replying_to(mut self, id: impl Into<String>, from: Option<String>) -> Self {
        self.context = Some(WaContext { from, id: id.into(), forwarded: false });
        self
    }
}

impl WaContent {
    /// The `type` string.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text(_) => "text",
            Self::Image(_) => "image",
            Self::Video(_) => "video",
            Self::Audio(_) => "audio",
            Self::Document(_) => "document",
            Self::Sticker(_) => "sticker",
            Self::Location { .. } => "location",
            Self::Contacts { .. } => "contacts",
            Self::Reaction { .. } => "reaction",
            Self::ButtonReply { .. } | Self::ListReply { .. } => "interactive",
            Self::Button { .. } => "button",
            Self::Unsupported => "unsupported",
            Self::Edit { .. } => "edit",
            Self::Revoke { .. } => "revoke",
            Self::Other { kind, .. } => kind,
        }
    }

    /// Writes `type` and the type's object (or `errors`) into a message object.
    pub(crate) fn write_into(&self, m: &mut Map<String, Value>) {
        m.insert("type".into(), json!(self.kind()));
        let object = match self {
            Self::Text(body) => json!({"body": body}),
            Self::Image(x) | Self::Video(x) | Self::Audio(x) | Self::Document(x) | Self::Sticker(x) => media(x),
            Self::Location { latitude, longitude, name, address } => {
                let mut o = Map::new();
                o.insert("latitude".into(), json!(latitude));
                o.insert("longitude".into(), json!(longitude));
                insert_opt(&mut o, "name", name);
                insert_opt(&mut o, "address", address);
                Value::Object(o)
            }
            Self::Contacts { cards, origin } => {
                if let Some(origin) = origin {
                    m.insert("origin".into(), json!(origin));
                }
                m.insert("contacts".into(), Value::Array(cards.iter().map(card).collect()));
                return;
            }
            Self::Reaction { message_id, emoji } => {
                json!({"message_id": message_id, "emoji": emoji})
            }
            Self::ButtonReply { id, title } => {
                json!({"type": "button_reply", "button_reply": {"id": id, "title": title}})
            }
            Self::ListReply { id, title, description } => {
                let mut reply = json!({"id": id, "title": title});
                if let Some(d) = description {
                    reply["description"] = json!(d);
                }
                json!({"type": "list_reply", "list_reply": reply})
            }
            Self::Button { payload, text } => json!({"payload": payload, "text": text}),
            Self::Unsupported => {
                m.insert(
                    "errors".into(),
                    json!([{
                        "code": 131051,
                        "title": "Message type unknown",
                        "message": "Message type unknown",
                        "error_data": {"details": "Message type is currently not supported."},
                    }]),
                );
                return;
            }
            Self::Edit { original_message_id, content } => {
                let mut inner = Map::new();
                content.write_into(&mut inner);
                json!({"original_message_id": original_message_id, "message": inner})
            }
            Self::Revoke { original_message_id } => json!({"original_message_id": original_message_id}),
            Self::Other { object, .. } => object.clone(),
        };
        m.insert(self.kind().to_string(), object);
    }
}

fn media(x: &WaMedia) -> Value {
    let mut o = Map::new();
    insert_opt(&mut o, "caption", &x.caption);
    insert_opt(&mut o, "filename", &x.filename);
    o.insert("mime_type".into(), json!(x.mime_type));
    o.insert("sha256".into(), json!(x.sha256));
    o.insert("id".into(), json!(x.id));
    if let Some(voice) = x.voice {
        o.insert("voice".into(), json!(voice));
    }
    if let Some(animated) = x.animated {
        o.insert("animated".into(), json!(animated));
    }
    Value::Object(o)
}

fn card(c: &ContactCard) -> Value {
    let mut name = Map::new();
    name.insert("formatted_name".into(), json!(c.formatted_name));
    insert_opt(&mut name, "first_name", &c.first_name);
    insert_opt(&mut name, "last_name", &c.last_name);
    let phones: Vec<Value> = c
        .phones
        .iter()
        .map(|p| {
            let mut o = Map::new();
            o.insert("phone".into(), json!(p.phone));
            insert_opt(&mut o, "wa_id", &p.wa_id);
            o.insert("type".into(), json!(p.kind));
            Value::Object(o)
        })
        .collect();
    let emails: Vec<Value> = c.emails.iter().map(|e| json!({"email": e, "type": "HOME"})).collect();
    let mut o = Map::new();
    o.insert("name".into(), Value::Object(name));
    o.insert("phones".into(), Value::Array(phones));
    if !emails.is_empty() {
        o.insert("emails".into(), Value::Array(emails));
    }
    insert_opt(&mut o, "vcard", &c.vcard);
    Value::Object(o)
}

/// The `messages[]` object of one message from `user`.
pub(crate) fn message_json(user: &WaUser, message: &WaMessage) -> Value {
    let mut m = Map::new();
    if let Some(context) = &message.context {
        let mut c = Map::new();
        insert_opt(&mut c, "from", &context.from);
        c.insert("id".into(), json!(context.id));
        if context.forwarded {
            c.insert("forwarded".into(), json!(true));
        }
        m.insert("context".into(), Value::Object(c));
    }
    insert_opt(&mut m, "from", &user.wa_id);
    insert_opt(&mut m, "from_user_id", &user.user_id);
    insert_opt(&mut m, "from_parent_user_id", &user.parent_user_id);
    m.insert("id".into(), json!(message.id));
    m.insert("timestamp".into(), json!(message.timestamp.to_string()));
    if let Some(referral) = &message.referral {
        m.insert("referral".into(), referral.clone());
    }
    message.content.write_into(&mut m);
    Value::Object(m)
}

/// One delivery with several messages from one user.
pub fn whatsapp_messages(business: &WaBusiness, user: &WaUser, messages: &[WaMessage]) -> Value {
    let value = json!({
        "messaging_product": "whatsapp",
        "metadata": business.metadata(),
        "contacts": [user.contact_json()],
        "messages": messages.iter().map(|m| message_json(user, m)).collect::<Vec<_>>(),
    });
    whatsapp_envelope(&business.waba_id, "messages", value)
}

/// One delivery with one message.
pub fn whatsapp_message(business: &WaBusiness, user: &WaUser, message: &WaMessage) -> Value {
    whatsapp_messages(business, user, std::slice::from_ref(message))
}

/// A text message delivery.
pub fn whatsapp_text(business: &WaBusiness, user: &WaUser, id: &str, timestamp: i64, body: &str) -> Value {
    whatsapp_message(business, user, &WaMessage::new(id, timestamp, WaContent::Text(body.into())))
}

pub(crate) fn insert_opt(map: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        map.insert(key.into(), json!(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn business() -> WaBusiness {
        WaBusiness { waba_id: "W".into(), phone_number_id: "P".into(), display_phone_number: "15550783881".into() }
    }

    #[test]
    fn a_text_from_a_phone_user_is_the_classic_payload() {
        let user = WaUser::phone("5215512345678").with_name("María López");
        let v = whatsapp_text(&business(), &user, "wamid.1", 1739321024, "Hola");
        let value = &v["entry"][0]["changes"][0]["value"];
        assert_eq!(v["object"], "whatsapp_business_account");
        assert_eq!(v["entry"][0]["changes"][0]["field"], "messages");
        assert_eq!(value["metadata"]["phone_number_id"], "P");
        assert_eq!(value["contacts"][0]["wa_id"], "5215512345678");
        assert_eq!(value["contacts"][0]["profile"]["name"], "María López");
        assert_eq!(value["messages"][0]["from"], "5215512345678");
        assert_eq!(value["messages"][0]["timestamp"], "1739321024");
        assert_eq!(value["messages"][0]["text"]["body"], "Hola");
    }

    #[test]
    fn a_username_only_user_has_no_phone_anywhere() {
        let user = WaUser::username_only("US.13491208655302741918", "ana.mx");
        let v = whatsapp_text(&business(), &user, "wamid.2", 1, "Hi");
        let value = &v["entry"][0]["changes"][0]["value"];
        assert!(value["contacts"][0].get("wa_id").is_none());
        assert!(value["messages"][0].get("from").is_none());
        assert_eq!(value["contacts"][0]["user_id"], "US.13491208655302741918");
        assert_eq!(value["contacts"][0]["profile"]["username"], "ana.mx");
        assert_eq!(value["messages"][0]["from_user_id"], "US.13491208655302741918");
    }

    #[test]
    fn unsupported_edit_and_revoke_have_meta_shapes() {
        let user = WaUser::phone("1");
        let msg = |c| message_json(&user, &WaMessage::new("wamid.x", 1, c));
        let unsupported = msg(WaContent::Unsupported);
        assert_eq!(unsupported["errors"][0]["code"], 131051);
        let edit = msg(WaContent::Edit {
            original_message_id: "wamid.o".into(),
            content: Box::new(WaContent::Text("nuevo".into())),
        });
        assert_eq!(edit["edit"]["original_message_id"], "wamid.o");
        assert_eq!(edit["edit"]["message"]["type"], "text");
        assert_eq!(edit["edit"]["message"]["text"]["body"], "nuevo");
        let revoke = msg(WaContent::Revoke { original_message_id: "wamid.o".into() });
        assert_eq!(revoke["revoke"]["original_message_id"], "wamid.o");
    }
}
