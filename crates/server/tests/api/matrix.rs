//! The role × endpoint matrix. Every route of the API — read from the server's own OpenAPI
//! description, so a route added without an entry here fails this test — is called by five callers:
//! an administrator, a seller, a custom role narrowed to one channel with few actions, another
//! account's administrator, and nobody; each on a resource it may see and on one it may not. Only the
//! cells the rules allow succeed. The others answer 401 (nobody), 403 or 404 and write nothing: the
//! whole database is compared before and after each refused write. Every answer is also searched for
//! the ids of what its caller may not see.

use crate::harness::{changed_tables, meta_id, on_both_stores, TestAccount, TestApp};
use domain::permissions::Action;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use simulator::demo;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

on_both_stores!(every_route_answers_each_caller_as_the_rules_say);

/// Routes anyone may call: they are not in the matrix, on purpose.
const PUBLIC: &[(&str, &str)] = &[("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/logout")];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Admin,
    Seller,
    /// A custom role that sees one channel (the cloud number) and may only send, assign and manage channels.
    Narrow,
    /// The administrator of another account.
    OtherAdmin,
    Nobody,
}

const CALLERS: [Caller; 5] = [Caller::Admin, Caller::Seller, Caller::Narrow, Caller::OtherAdmin, Caller::Nobody];

/// The three sets of resources the fixture builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum World {
    /// Account A, the cloud number: a conversation assigned to the seller.
    Sold,
    /// Account A, the coexistence number: an unassigned conversation (the seller and the narrow role
    /// see neither it nor, for the narrow role, its channel).
    Open,
    /// Account B: an Instagram conversation and a WhatsApp number.
    Foreign,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// A resource the caller may see.
    Visible,
    /// One it may not.
    Hidden,
}

impl Caller {
    fn account(self) -> Option<usize> {
        match self {
            Caller::Admin | Caller::Seller | Caller::Narrow => Some(0),
            Caller::OtherAdmin => Some(1),
            Caller::Nobody => None,
        }
    }

    fn world(self, target: Target) -> World {
        match (self, target) {
            (Caller::OtherAdmin, Target::Visible) => World::Foreign,
            (Caller::OtherAdmin, Target::Hidden) => World::Sold,
            (Caller::Seller | Caller::Narrow, Target::Hidden) => World::Open,
            (Caller::Admin | Caller::Nobody, Target::Hidden) => World::Foreign,
            (_, Target::Visible) => World::Sold,
        }
    }

    fn is_admin(self) -> bool {
        matches!(self, Caller::Admin | Caller::OtherAdmin)
    }

    fn may(self, action: Action) -> bool {
        match self {
            Caller::Admin | Caller::OtherAdmin => true,
            Caller::Seller => matches!(action, Action::SendMessages | Action::SendTemplates | Action::ManageContacts),
            Caller::Narrow => matches!(action, Action::SendMessages | Action::Assign | Action::ManageChannels),
            Caller::Nobody => false,
        }
    }

    /// The conversations (and their messages, files, contacts) of `world` this caller may see.
    fn sees(self, world: World) -> bool {
        match self {
            Caller::Admin => world != World::Foreign,
            Caller::Seller | Caller::Narrow => world == World::Sold,
            Caller::OtherAdmin => world == World::Foreign,
            Caller::Nobody => false,
        }
    }

    /// Whether it may work with the channel of `world` (its templates, uploads for it, its settings):
    /// a seller may be assigned a conversation of any channel of its account, the narrow role knows
    /// only its own channel.
    fn uses_channel(self, world: World) -> bool {
        match self {
            Caller::Admin | Caller::Seller => world != World::Foreign,
            Caller::Narrow => world == World::Sold,
            Caller::OtherAdmin => world == World::Foreign,
            Caller::Nobody => false,
        }
    }
}

impl World {
    fn account(self) -> usize {
        if self == World::Foreign {
            1
        } else {
            0
        }
    }
}

/// What the caller must hold.
#[derive(Clone, Copy)]
enum Need {
    /// Any signed-in user.
    Login,
    /// A user of an account with the inbox (every caller here).
    Inbox,
    Admin,
    All(&'static [Action]),
    Any(&'static [Action]),
}

/// What decides whether the resource is the caller's to touch.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// No resource: one cell per caller; what the answer may contain is still checked.
    None,
    Account,
    Channel,
    Conversation,
    /// The caller's own thing (its mention): someone else's is refused.
    Own,
}

enum Body {
    None,
    Json(Value),
    Csv(&'static str),
    Png,
}

struct Req {
    /// What replaces `{id}` in the route's path.
    id: Option<String>,
    /// Other path parameters (`{label_id}`, `{note_id}`, `{key}`, `{delivery_id}`) and their values.
    params: Vec<(&'static str, String)>,
    query: String,
    body: Body,
}

impl Req {
    fn id(id: &str) -> Self {
        Req { id: Some(id.to_string()), ..Req::none() }
    }
    fn none() -> Self {
        Req { id: None, params: vec![], query: String::new(), body: Body::None }
    }
    fn with(mut self, param: &'static str, value: &str) -> Self {
        self.params.push((param, value.to_string()));
        self
    }
    fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }
    fn query(mut self, q: String) -> Self {
        self.query = q;
        self
    }
}

/// One cell: who calls, on what.
struct Cell<'a> {
    f: &'a Fixture,
    w: &'a WorldIds,
    target: Target,
    caller: Caller,
    /// Unique per cell, for names that must not collide.
    n: usize,
}

struct Route {
    method: &'static str,
    path: &'static str,
    need: Need,
    scope: Scope,
    /// Refusals besides 401/403/404: a body naming a channel the caller cannot use is answered like a
    /// channel that does not exist.
    also_refused: &'static [(u16, &'static str)],
    /// Succeeding changes what later cells rely on (relinking a conversation's contact): run last.
    late: bool,
    /// A further condition on the caller, where the resource the row uses is visible to fewer callers
    /// than its scope says.
    caller_may: fn(Caller) -> bool,
    build: fn(&Cell) -> Req,
}

const fn route(method: &'static str, path: &'static str, need: Need, scope: Scope, build: fn(&Cell) -> Req) -> Route {
    Route { method, path, need, scope, also_refused: &[], late: false, caller_may: |_| true, build }
}

impl Cell<'_> {
    /// A note of the conversation: the caller's own where it may see the conversation (only its
    /// author may change a note), else one by the world's administrator.
    fn note(&self) -> &str {
        match self.target {
            Target::Visible if self.caller != Caller::Nobody => &self.f.own_notes[self.caller as usize],
            _ => &self.w.note,
        }
    }

    /// The caller's own mention, or someone else's.
    fn mention(&self) -> &str {
        let i = self.caller as usize;
        match self.target {
            Target::Visible if self.caller != Caller::Nobody => &self.f.own_mentions[i],
            _ => &self.f.others_mentions[i],
        }
    }
}

use Action::*;

fn routes() -> Vec<Route> {
    vec![
        route("GET", "/api/v1/attachments/{id}", Need::Inbox, Scope::Conversation, |c| Req::id(&c.w.attachment)),
        route("GET", "/api/v1/audit", Need::Admin, Scope::None, |_| Req::none()),
        route("GET", "/api/v1/audit/export.csv", Need::Admin, Scope::None, |_| Req::none()),
        route("GET", "/api/v1/channels", Need::Inbox, Scope::None, |_| Req::none()),
        route("POST", "/api/v1/channels", Need::All(&[ManageChannels]), Scope::None, |c| {
            Req::none().json(c.f.new_channels[c.caller as usize].clone())
        }),
        route("PATCH", "/api/v1/channels/{id}", Need::All(&[ManageChannels]), Scope::Channel, |c| {
            Req::id(&c.w.channel).json(json!({"auto_assign": false}))
        }),
        route("POST", "/api/v1/channels/{id}/test", Need::All(&[ManageChannels]), Scope::Channel, |c| {
            Req::id(&c.w.channel)
        }),
        route("GET", "/api/v1/meta_webhook", Need::All(&[ManageChannels]), Scope::None, |_| Req::none()),
        route("GET", "/api/v1/channels/{id}/templates", Need::Inbox, Scope::Channel, |c| Req::id(&c.w.channel)),
        route(
            "POST",
            "/api/v1/channels/{id}/templates/sync",
            Need::Any(&[ManageChannels, SendTemplates]),
            Scope::Channel,
            |c| Req::id(&c.w.channel),
        ),
        route("GET", "/api/v1/contacts", Need::Inbox, Scope::None, |_| Req::none()),
        Route {
            late: true,
            ..route("POST", "/api/v1/contacts", Need::All(&[ManageContacts]), Scope::Conversation, |c| {
                Req::none().json(json!({"first_name": format!("Nuevo {}", c.n), "conversation_id": c.w.conversation}))
            })
        },
        route("GET", "/api/v1/contacts/{id}", Need::Inbox, Scope::Conversation, |c| Req::id(&c.w.contact)),
        route("PATCH", "/api/v1/contacts/{id}", Need::All(&[ManageContacts]), Scope::Conversation, |c| {
            Req::id(&c.w.contact).json(json!({"last_name": "Matriz"}))
        }),
        route("GET", "/api/v1/conversations", Need::Inbox, Scope::None, |_| Req::none()),
        Route {
            also_refused: &[(422, "invalid_channel")],
            ..route(
                "POST",
                "/api/v1/conversations",
                Need::All(&[SendMessages, SendTemplates]),
                Scope::Conversation,
                |c| {
                    // A new customer where the caller may start one; where it may not, the customer of
                    // the conversation it cannot see, typed in another form of the same number.
                    let phone = match c.target {
                        Target::Visible => format!("+52 55 2000 {:04}", c.n),
                        Target::Hidden => c.w.customer_phone_typed.clone(),
                    };
                    Req::none().json(json!({"channel_id": c.w.channel, "phone": phone,
                    "template": {"name": "bienvenida", "language": "es_MX"}, "parameters": {"body": ["Ana"]}}))
                },
            )
        },
        route("GET", "/api/v1/conversations/{id}", Need::Inbox, Scope::Conversation, |c| Req::id(&c.w.conversation)),
        route("PATCH", "/api/v1/conversations/{id}", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation).json(json!({"status": "open"}))
        }),
        route("GET", "/api/v1/conversations/{id}/messages", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation)
        }),
        route("POST", "/api/v1/conversations/{id}/messages", Need::All(&[SendMessages]), Scope::Conversation, |c| {
            Req::id(&c.w.conversation).json(json!({"type": "text", "text": "hola"}))
        }),
        route("POST", "/api/v1/conversations/{id}/read", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation)
        }),
        route("GET", "/api/v1/me", Need::Login, Scope::None, |_| Req::none()),
        route("GET", "/api/v1/messages/search", Need::Inbox, Scope::None, |_| Req::none().query(format!("?q={WORD}"))),
        route("GET", "/api/v1/messages/{id}/versions", Need::Inbox, Scope::Conversation, |c| Req::id(&c.w.message)),
        route("GET", "/api/v1/personalize/fields", Need::Login, Scope::None, |_| Req::none()),
        route("GET", "/api/v1/quick_replies", Need::Inbox, Scope::None, |_| Req::none()),
        route("POST", "/api/v1/quick_replies", Need::All(&[ManageQuickReplies]), Scope::None, |c| {
            Req::none().json(json!({"shortcut": format!("nueva-{}", c.n), "title": "Nueva", "text": "Hola"}))
        }),
        route("DELETE", "/api/v1/quick_replies/{id}", Need::All(&[ManageQuickReplies]), Scope::Account, |c| {
            Req::id(&c.w.spare_quick_replies[c.caller as usize])
        }),
        route("PATCH", "/api/v1/quick_replies/{id}", Need::All(&[ManageQuickReplies]), Scope::Account, |c| {
            Req::id(&c.w.quick_reply).json(json!({"shortcut": "saludo", "title": "Saludo", "text": "Hola"}))
        }),
        route("GET", "/api/v1/rate_card", Need::Inbox, Scope::None, |_| Req::none()),
        route("PUT", "/api/v1/rate_card", Need::Admin, Scope::None, |_| Req {
            body: Body::Csv("market,category,price,currency\n*,marketing,0.05,USD\n"),
            ..Req::none()
        }),
        route("GET", "/api/v1/roles", Need::All(&[ManageUsers]), Scope::None, |_| Req::none()),
        route("POST", "/api/v1/roles", Need::Admin, Scope::None, |c| {
            Req::none()
                .json(json!({"name": format!("Rol {}", c.n), "permissions": {"visibility": "assigned", "actions": []}}))
        }),
        route("POST", "/api/v1/uploads", Need::All(&[SendMessages]), Scope::Channel, |c| Req {
            body: Body::Png,
            ..Req::none().query(format!("?channel_id={}", c.w.channel))
        }),
        route("GET", "/api/v1/users", Need::All(&[ManageUsers]), Scope::None, |_| Req::none()),
        route("POST", "/api/v1/users", Need::All(&[ManageUsers]), Scope::None, |c| {
            Req::none().json(json!({"email": format!("matriz-{}-{}@example.com", c.n, c.f.run), "name": "Nueva",
                "password": crate::harness::PASSWORD, "role": "seller"}))
        }),
        route("GET", "/api/v1/users/assignable", Need::All(&[Assign]), Scope::None, |_| Req::none()),
        route("PATCH", "/api/v1/users/{id}", Need::All(&[ManageUsers]), Scope::Account, |c| {
            Req::id(&c.w.user).json(json!({"available": true}))
        }),
        route("PATCH", "/api/v1/me", Need::Login, Scope::None, |_| Req::none().json(json!({"available": true}))),
        route("PATCH", "/api/v1/roles/{id}", Need::Admin, Scope::Account, |c| {
            Req::id(&c.w.role).json(json!({"name": format!("Renombrado {}", c.n)}))
        }),
        route("DELETE", "/api/v1/roles/{id}", Need::Admin, Scope::Account, |c| {
            Req::id(&c.w.spare_roles[c.caller as usize])
        }),
        // Labels.
        route("GET", "/api/v1/labels", Need::Inbox, Scope::None, |_| Req::none()),
        route("POST", "/api/v1/labels", Need::All(&[ManageLabels]), Scope::None, |c| {
            Req::none().json(json!({"name": format!("Etiqueta {}", c.n), "color": "#336699"}))
        }),
        route("PATCH", "/api/v1/labels/{id}", Need::All(&[ManageLabels]), Scope::Account, |c| {
            Req::id(&c.w.label).json(json!({"name": format!("Renombrada {}", c.n)}))
        }),
        route("DELETE", "/api/v1/labels/{id}", Need::All(&[ManageLabels]), Scope::Account, |c| {
            Req::id(&c.w.spare_labels[c.caller as usize])
        }),
        route("PUT", "/api/v1/conversations/{id}/labels/{label_id}", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation).with("{label_id}", &c.w.label)
        }),
        route("DELETE", "/api/v1/conversations/{id}/labels/{label_id}", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation).with("{label_id}", &c.w.label)
        }),
        // Private notes and mentions.
        route("GET", "/api/v1/conversations/{id}/notes", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation)
        }),
        route("POST", "/api/v1/conversations/{id}/notes", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation).json(json!({"text": format!("nota {}", c.n)}))
        }),
        route("PATCH", "/api/v1/conversations/{id}/notes/{note_id}", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation).with("{note_id}", c.note()).json(json!({"text": "nota editada"}))
        }),
        route("DELETE", "/api/v1/conversations/{id}/notes/{note_id}", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation).with("{note_id}", c.note())
        }),
        route("GET", "/api/v1/conversations/{id}/mentionable", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation)
        }),
        route("GET", "/api/v1/mentions", Need::Inbox, Scope::None, |_| Req::none()),
        route("POST", "/api/v1/mentions/{id}/read", Need::Inbox, Scope::Own, |c| Req::id(c.mention())),
        route("POST", "/api/v1/mentions/read", Need::Inbox, Scope::None, |_| Req::none()),
        // The CRM: custom fields, CSV, merge.
        route("GET", "/api/v1/contact-fields", Need::Inbox, Scope::None, |_| Req::none()),
        route("POST", "/api/v1/contact-fields", Need::Admin, Scope::None, |c| {
            Req::none().json(json!({"key": format!("nuevo_{}", c.n), "label": "Nuevo", "type": "text"}))
        }),
        route("PATCH", "/api/v1/contact-fields/{key}", Need::Admin, Scope::Account, |c| {
            Req::none().with("{key}", &c.w.field).json(json!({"label": format!("Campo {}", c.n)}))
        }),
        route("DELETE", "/api/v1/contact-fields/{key}", Need::Admin, Scope::Account, |c| {
            Req::none().with("{key}", &c.w.spare_fields[c.caller as usize])
        }),
        route("GET", "/api/v1/contacts/export.csv", Need::Inbox, Scope::None, |_| Req::none()),
        route("POST", "/api/v1/contacts/import", Need::All(&[ManageContacts]), Scope::None, |_| Req {
            body: Body::Csv("first_name,last_name\nImportada,Matriz\n"),
            ..Req::none().query("?dry_run=false".into())
        }),
        Route {
            late: true,
            // The other contact is linked to no conversation: only a caller who sees every
            // conversation of its account sees it (the others get 404, tested in `tenancy`).
            caller_may: Caller::is_admin,
            ..route("POST", "/api/v1/contacts/{id}/merge", Need::All(&[ManageContacts]), Scope::Conversation, |c| {
                Req::id(&c.w.contact).json(json!({"other_id": c.w.spare_contacts[c.caller as usize]}))
            })
        },
        // Scheduled sends ("Enviar más tarde"): visible like their conversation; changed by their
        // author or an administrator (the world's schedules are its administrator's).
        route("POST", "/api/v1/conversations/{id}/scheduled", Need::All(&[SendMessages]), Scope::Conversation, |c| {
            Req::id(&c.w.conversation)
                .json(json!({"send_at": in_an_hour(), "message": {"type": "text", "text": "luego"}}))
        }),
        route("GET", "/api/v1/conversations/{id}/scheduled", Need::Inbox, Scope::Conversation, |c| {
            Req::id(&c.w.conversation)
        }),
        route("GET", "/api/v1/scheduled", Need::Inbox, Scope::None, |_| Req::none()),
        route("PATCH", "/api/v1/scheduled/{id}", Need::Admin, Scope::Conversation, |c| {
            Req::id(&c.w.scheduled).json(json!({"text": "otro texto"}))
        }),
        route("DELETE", "/api/v1/scheduled/{id}", Need::Admin, Scope::Conversation, |c| {
            Req::id(&c.w.spare_scheduled[c.caller as usize])
        }),
        // Outgoing webhooks (administrators; account-wide).
        route("GET", "/api/v1/webhooks", Need::Admin, Scope::None, |_| Req::none()),
        route("POST", "/api/v1/webhooks", Need::Admin, Scope::None, |c| {
            Req::none().json(json!({"url": c.f.receiver.url, "events": ["contact.created"]}))
        }),
        route("PATCH", "/api/v1/webhooks/{id}", Need::Admin, Scope::Account, |c| {
            Req::id(&c.f.hook(c).webhook).json(json!({"enabled": true}))
        }),
        Route {
            late: true,
            ..route("DELETE", "/api/v1/webhooks/{id}", Need::Admin, Scope::Account, |c| Req::id(&c.f.hook(c).webhook))
        },
        route("POST", "/api/v1/webhooks/{id}/rotate_secret", Need::Admin, Scope::Account, |c| {
            Req::id(&c.f.hook(c).webhook)
        }),
        route("POST", "/api/v1/webhooks/{id}/test", Need::Admin, Scope::Account, |c| Req::id(&c.f.hook(c).webhook)),
        route("GET", "/api/v1/webhooks/{id}/deliveries", Need::Admin, Scope::Account, |c| {
            Req::id(&c.f.hook(c).webhook)
        }),
        route("POST", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry", Need::Admin, Scope::Account, |c| {
            let h = c.f.hook(c);
            Req::id(&h.webhook).with("{delivery_id}", &h.delivery)
        }),
    ]
}

/// A time to schedule for: an hour from now, RFC 3339.
fn in_an_hour() -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats")
}

/// A word every customer wrote, for the search route.
const WORD: &str = "palabramatriz";

struct WorldIds {
    /// The WhatsApp channel: templates, uploads, settings and starting conversations.
    channel: String,
    conversation: String,
    message: String,
    attachment: String,
    contact: String,
    /// The customer's number as another form of the one WhatsApp names (Mexico without the `1`).
    customer_phone_typed: String,
    /// A user of the world's account, for `PATCH /users/{id}`.
    user: String,
    quick_reply: String,
    /// One quick reply per caller, for the deletes.
    spare_quick_replies: Vec<String>,
    /// The account's label, custom role and custom field (its key), and one spare of each per caller
    /// for the deletes.
    label: String,
    spare_labels: Vec<String>,
    role: String,
    spare_roles: Vec<String>,
    field: String,
    spare_fields: Vec<String>,
    /// Contacts of the account linked to no conversation, one per caller, for the merges.
    spare_contacts: Vec<String>,
    /// A note of the conversation by the account's administrator.
    note: String,
    /// A scheduled message of the conversation, by the account's administrator.
    scheduled: String,
    /// One more per caller, for the cancels.
    spare_scheduled: Vec<String>,
    /// What a caller who may not see the conversation must never read: its ids, its messages' and
    /// file's and contact's ids, the customer's identifiers.
    conversation_secrets: Vec<String>,
}

struct Fixture {
    /// Unique per run (e-mails are unique across the whole database).
    run: String,
    tokens: Vec<String>,
    worlds: Vec<WorldIds>,
    /// Ids of each account's own things (channels, users, roles, quick replies), by account.
    account_secrets: Vec<Vec<String>>,
    /// The channel only the narrow role may not know (account A's coexistence number).
    open_channel: String,
    /// A Page Meta knows, per caller, for `POST /channels`.
    new_channels: Vec<Value>,
    /// Per caller: a note it wrote in the conversation it sees, a mention of it, and a mention of
    /// someone else.
    own_notes: Vec<String>,
    own_mentions: Vec<String>,
    others_mentions: Vec<String>,
    /// Each account's webhook, with a delivered ping, by account.
    hooks: Vec<HookIds>,
    receiver: crate::outgoing_webhooks::Receiver,
}

struct HookIds {
    webhook: String,
    delivery: String,
}

impl Fixture {
    fn world(&self, w: World) -> &WorldIds {
        &self.worlds[w as usize]
    }

    /// The webhook of the account of the cell's resource.
    fn hook(&self, c: &Cell) -> &HookIds {
        &self.hooks[c.caller.world(c.target).account()]
    }

    fn token(&self, caller: Caller) -> Option<&str> {
        self.tokens.get(caller as usize).map(String::as_str)
    }

    /// Strings that must appear in no answer to `caller`.
    fn secrets(&self, caller: Caller) -> Vec<&str> {
        let mut out = vec![];
        let Some(account) = caller.account() else { return out };
        for w in [World::Sold, World::Open, World::Foreign] {
            if !caller.sees(w) {
                out.extend(self.world(w).conversation_secrets.iter().map(String::as_str));
            }
        }
        if !caller.uses_channel(World::Open) && account == 0 {
            out.push(&self.open_channel);
        }
        out.extend(self.account_secrets[1 - account].iter().map(String::as_str));
        out
    }
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let res = app.post(token, path, body).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {path}: {status} {body}");
    body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// The conversation of `channel` in the admin's list.
async fn conversation_on(app: &TestApp, token: &str, channel: &str) -> Value {
    let page = app.get_json(token, "/api/v1/conversations?status=all").await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"]["id"] == channel)
        .unwrap_or_else(|| panic!("no conversation on {channel}: {page}"))
        .clone()
}

/// Waits until every message of the conversation with a file has it fetched, and returns the
/// messages.
async fn fetched(app: &TestApp, token: &str, conversation: &str) -> Vec<Value> {
    for _ in 0..400 {
        let msgs = app.messages(token, conversation).await;
        if msgs.iter().any(|m| m["attachment"]["status"] == "ready") {
            return msgs;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the customer's file was never fetched: {:?}", app.messages(token, conversation).await);
}

/// What a world takes from its account: a user to patch, quick replies, labels, roles, fields and
/// contacts.
struct AccountThings {
    user: String,
    quick_reply: String,
    spares: Vec<String>,
    extras: Extras,
}

#[derive(Clone)]
struct Extras {
    label: String,
    spare_labels: Vec<String>,
    role: String,
    spare_roles: Vec<String>,
    field: String,
    spare_fields: Vec<String>,
    spare_contacts: Vec<String>,
}

impl Extras {
    fn ids(&self) -> Vec<String> {
        let mut ids = vec![self.label.clone(), self.role.clone()];
        ids.extend(self.spare_labels.iter().chain(&self.spare_roles).chain(&self.spare_contacts).cloned());
        ids
    }
}

/// An account's labels, custom roles, custom fields and loose contacts. `tag` keeps field keys apart
/// between accounts (a key is only unique within one).
async fn extras(app: &TestApp, admin: &str, tag: &str) -> Extras {
    let label = id(&created(app, admin, "/api/v1/labels", json!({"name": "Urgente", "color": "#cc0000"})).await);
    let role = json!({"name": "Revisor", "permissions": {"visibility": "assigned", "actions": []}});
    let role = id(&created(app, admin, "/api/v1/roles", role).await);
    let field = format!("campo_{tag}");
    created(app, admin, "/api/v1/contact-fields", json!({"key": field, "label": "Campo", "type": "text"})).await;
    let mut e = Extras {
        label,
        spare_labels: vec![],
        role,
        spare_roles: vec![],
        field,
        spare_fields: vec![],
        spare_contacts: vec![],
    };
    for i in 0..CALLERS.len() {
        let label = json!({"name": format!("Borrar {i}"), "color": "#999999"});
        e.spare_labels.push(id(&created(app, admin, "/api/v1/labels", label).await));
        let role = json!({"name": format!("Borrar {i}"), "permissions": {"visibility": "assigned", "actions": []}});
        e.spare_roles.push(id(&created(app, admin, "/api/v1/roles", role).await));
        let key = format!("borrar_{tag}_{i}");
        created(app, admin, "/api/v1/contact-fields", json!({"key": key, "label": "Borrar", "type": "text"})).await;
        e.spare_fields.push(key);
        let contact = json!({"first_name": format!("Suelto {i}")});
        e.spare_contacts.push(id(&created(app, admin, "/api/v1/contacts", contact).await));
    }
    e
}

/// A note in `conversation` by the holder of `token` (mentioning `mention`, a user id, if given).
async fn note(app: &TestApp, token: &str, conversation: &str, mention: Option<&str>) -> String {
    let text = match mention {
        Some(user) => format!("Mira esto @[Colega]({user})"),
        None => "Nota de la matriz".to_string(),
    };
    id(&created(app, token, &format!("/api/v1/conversations/{conversation}/notes"), json!({"text": text})).await)
}

/// The id of the newest mention of the holder of `token`.
async fn newest_mention(app: &TestApp, token: &str) -> String {
    let page = app.get_json(token, "/api/v1/mentions").await;
    id(&page["items"][0])
}

async fn world(
    app: &TestApp,
    admin: &str,
    channel: &str,
    conversation: &Value,
    typed: &str,
    own: &AccountThings,
) -> WorldIds {
    let conversation_id = id(conversation);
    let msgs = fetched(app, admin, &conversation_id).await;
    let text = msgs.iter().find(|m| m["kind"] == "text").expect("the customer's text");
    let file = msgs.iter().find(|m| m["attachment"]["status"] == "ready").expect("the customer's file");
    let contact = created(
        app,
        admin,
        "/api/v1/contacts",
        // Every world's contact shares a number: each is a `conflict` of the others.
        json!({"first_name": "Cliente", "phone_primary": "+52 55 3333 4444", "conversation_id": conversation_id}),
    )
    .await;
    let note = note(app, admin, &conversation_id, None).await;
    let mut scheduled = vec![];
    for _ in 0..=CALLERS.len() {
        let body = json!({"send_at": in_an_hour(), "message": {"type": "text", "text": "más tarde"}});
        scheduled
            .push(id(&created(app, admin, &format!("/api/v1/conversations/{conversation_id}/scheduled"), body).await));
    }
    let mut conversation_secrets = vec![conversation_id.clone(), id(&contact), id(&file["attachment"])];
    conversation_secrets.extend(scheduled.iter().cloned());
    conversation_secrets.extend(msgs.iter().map(id));
    for key in ["external_id", "wa_id", "user_id"] {
        if let Some(s) = conversation["handle"][key].as_str() {
            conversation_secrets.push(s.to_string());
        }
    }
    WorldIds {
        channel: channel.to_string(),
        conversation: conversation_id,
        message: id(text),
        attachment: id(&file["attachment"]),
        contact: id(&contact),
        customer_phone_typed: typed.to_string(),
        user: own.user.clone(),
        quick_reply: own.quick_reply.clone(),
        spare_quick_replies: own.spares.clone(),
        label: own.extras.label.clone(),
        spare_labels: own.extras.spare_labels.clone(),
        role: own.extras.role.clone(),
        spare_roles: own.extras.spare_roles.clone(),
        field: own.extras.field.clone(),
        spare_fields: own.extras.spare_fields.clone(),
        spare_contacts: own.extras.spare_contacts.clone(),
        note,
        scheduled: scheduled[0].clone(),
        spare_scheduled: scheduled[1..].to_vec(),
        conversation_secrets,
    }
}

async fn quick_replies(app: &TestApp, admin: &str) -> (String, Vec<String>) {
    let main =
        created(app, admin, "/api/v1/quick_replies", json!({"shortcut": "saludo", "title": "Saludo", "text": "Hola"}))
            .await;
    let mut spares = vec![];
    for i in 0..CALLERS.len() {
        let q = json!({"shortcut": format!("borrar-{i}"), "title": "Borrar", "text": "Adiós"});
        spares.push(id(&created(app, admin, "/api/v1/quick_replies", q).await));
    }
    (id(&main), spares)
}

async fn setup(app: &TestApp) -> Fixture {
    let (a, b): (TestAccount, TestAccount) = (app.full_account().await, app.full_account().await);
    let (ta, tb) = (a.admin_token.as_str(), b.admin_token.as_str());
    let cloud = created(app, ta, "/api/v1/channels", json!({"kind": "whatsapp_cloud", "name": "Ventas", "access_token": demo::CLOUD_TOKEN, "phone_number_id": demo::CLOUD_PHONE_NUMBER_ID, "waba_id": demo::WABA_ID, "display_phone_number": demo::CLOUD_DISPLAY_NUMBER})).await;
    let coexistence = created(app, ta, "/api/v1/channels", json!({"kind": "whatsapp_business_app", "name": "App", "access_token": demo::APP_TOKEN, "phone_number_id": demo::APP_PHONE_NUMBER_ID, "waba_id": demo::WABA_ID, "display_phone_number": demo::APP_DISPLAY_NUMBER})).await;
    let instagram = created(app, tb, "/api/v1/channels", json!({"kind": "instagram", "name": "IG B", "access_token": demo::IG_TOKEN, "instagram_account_id": demo::IG_ID})).await;
    // Another number of the same WABA, so that B's templates sync from the simulator too.
    let b_number = meta_id();
    let number = simulator::WhatsAppNumber::new(&b_number, demo::WABA_ID, "525510000009", demo::CLOUD_TOKEN);
    app.sim.add_whatsapp_number(number);
    let b_whatsapp = created(app, tb, "/api/v1/channels", json!({"kind": "whatsapp_cloud", "name": "WA B", "access_token": demo::CLOUD_TOKEN, "phone_number_id": b_number, "waba_id": demo::WABA_ID, "display_phone_number": "+52 55 1000 0009"})).await;
    let (c1, c2, b_ig, b_wa) = (id(&cloud), id(&coexistence), id(&instagram), id(&b_whatsapp));
    for (token, channel) in [(ta, &c1), (ta, &c2), (tb, &b_wa)] {
        created(app, token, &format!("/api/v1/channels/{channel}/templates/sync"), json!({})).await;
    }

    let (seller_id, seller) = app.create_user(ta, "seller").await;
    let narrow_role = created(
        app,
        ta,
        "/api/v1/roles",
        json!({"name": "Solo Ventas", "permissions": {"visibility": "channels",
        "channel_ids": [c1], "unassigned": false, "actions": ["send_messages", "assign", "manage_channels"]}}),
    )
    .await;
    let (narrow_id, narrow) = app.create_user(ta, narrow_role["id"].as_str().unwrap()).await;
    // A role naming the other channel: the narrow role must not learn of that channel through it.
    let app_role = created(
        app,
        ta,
        "/api/v1/roles",
        json!({"name": "Solo App", "permissions": {"visibility": "channels",
        "channel_ids": [c2], "actions": []}}),
    )
    .await;
    let (a_user, _) = app.create_user(ta, "seller").await;
    let (b_user, _) = app.create_user(tb, "seller").await;

    let sold = app.sim.whatsapp_customer(demo::CLOUD_PHONE_NUMBER_ID, "5215511110001").unwrap().named("Sara");
    let open = app.sim.whatsapp_customer(demo::APP_PHONE_NUMBER_ID, "5215511110002").unwrap().named("Xavi");
    for c in [&sold, &open] {
        c.text(&format!("hola {WORD}")).await.unwrap();
        c.image(simulator::samples::png(), "image/png", Some(WORD)).await.unwrap();
    }
    let foreign = app.sim.instagram_customer(demo::IG_ID).unwrap().named("Beto");
    foreign.text(&format!("hola {WORD}")).await.unwrap();
    foreign.attachment("image", simulator::samples::png(), "image/png").await.unwrap();
    app.settle().await;

    let conv_sold = conversation_on(app, ta, &c1).await;
    let res =
        app.patch(ta, &format!("/api/v1/conversations/{}", id(&conv_sold)), json!({"assignee_id": seller_id})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let conv_open = conversation_on(app, ta, &c2).await;
    // Instagram names its customers a moment later (User Profile API): wait, so nothing moves under the matrix.
    let mut conv_foreign = conversation_on(app, tb, &b_ig).await;
    for _ in 0..400 {
        if conv_foreign["handle"]["profile_name"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        conv_foreign = conversation_on(app, tb, &b_ig).await;
    }
    assert!(conv_foreign["handle"]["profile_name"].is_string(), "{conv_foreign}");

    let (quick_reply, spares) = quick_replies(app, ta).await;
    let own_a = AccountThings { user: a_user, quick_reply, spares, extras: extras(app, ta, "a").await };
    let (quick_reply, spares) = quick_replies(app, tb).await;
    let own_b = AccountThings { user: b_user, quick_reply, spares, extras: extras(app, tb, "b").await };
    let worlds = vec![
        world(app, ta, &c1, &conv_sold, "+52 55 1111 0001", &own_a).await,
        world(app, ta, &c2, &conv_open, "+52 55 1111 0002", &own_a).await,
        world(app, tb, &b_wa, &conv_foreign, "+52 55 1111 0003", &own_b).await,
    ];
    // Each caller's own note where it sees the conversation, and mentions: of each caller, by
    // someone else who sees the conversation (in B, a second administrator).
    let sold_id = &worlds[0].conversation;
    let foreign_id = &worlds[2].conversation;
    let (b_admin2_id, b_admin2) = app.create_user(tb, "admin").await;
    let mut own_notes = vec![];
    for (token, conversation) in
        [(ta, sold_id), (seller.as_str(), sold_id), (narrow.as_str(), sold_id), (tb, foreign_id)]
    {
        own_notes.push(note(app, token, conversation, None).await);
    }
    own_notes.push(String::new());
    note(app, &seller, sold_id, Some(&a.admin_id)).await;
    note(app, ta, sold_id, Some(&seller_id)).await;
    note(app, ta, sold_id, Some(&narrow_id)).await;
    note(app, &b_admin2, foreign_id, Some(&b.admin_id)).await;
    let mut own_mentions = vec![];
    for token in [ta, seller.as_str(), narrow.as_str(), tb] {
        own_mentions.push(newest_mention(app, token).await);
    }
    own_mentions.push(String::new());
    // Someone else's: the seller's for the administrator, the administrator's for everyone else.
    let others_mentions = vec![
        own_mentions[Caller::Seller as usize].clone(),
        own_mentions[Caller::Admin as usize].clone(),
        own_mentions[Caller::Admin as usize].clone(),
        own_mentions[Caller::Admin as usize].clone(),
        own_mentions[Caller::Admin as usize].clone(),
    ];

    // Last, so that nothing above queues a delivery: each account's webhook, with one delivered ping.
    let receiver = crate::outgoing_webhooks::Receiver::start().await;
    let mut hooks = vec![];
    for token in [ta, tb] {
        let (hook, _) = crate::outgoing_webhooks::create_webhook(app, token, &receiver.url, &["contact.created"]).await;
        let webhook = id(&hook);
        let ping = created(app, token, &format!("/api/v1/webhooks/{webhook}/test"), json!({})).await;
        let delivery = id(&ping);
        crate::outgoing_webhooks::delivery_when(app, token, &webhook, &delivery, "delivered").await;
        hooks.push(HookIds { webhook, delivery });
    }
    let mut a_secrets = vec![c1, c2.clone(), a.admin_id.clone(), seller_id, narrow_id, id(&narrow_role), id(&app_role)];
    a_secrets.extend([hooks[0].webhook.clone(), hooks[0].delivery.clone()]);
    a_secrets.extend([own_a.user, own_a.quick_reply]);
    a_secrets.extend(own_a.spares);
    a_secrets.extend(own_a.extras.ids());
    let mut b_secrets =
        vec![b_ig, b_wa, b.admin_id.clone(), b_admin2_id, hooks[1].webhook.clone(), hooks[1].delivery.clone()];
    b_secrets.extend([own_b.user, own_b.quick_reply]);
    b_secrets.extend(own_b.spares);
    b_secrets.extend(own_b.extras.ids());
    Fixture {
        run: uuid::Uuid::new_v4().simple().to_string(),
        tokens: vec![a.admin_token.clone(), seller, narrow, b.admin_token.clone()],
        worlds,
        account_secrets: vec![a_secrets, b_secrets],
        open_channel: c2,
        new_channels: CALLERS.iter().map(|_| app.channel_body("messenger")).collect(),
        own_notes,
        own_mentions,
        others_mentions,
        hooks,
        receiver,
    }
}

fn allowed(route: &Route, caller: Caller, world: World) -> bool {
    let Some(account) = caller.account() else { return false };
    let holds = match route.need {
        Need::Login | Need::Inbox => true,
        Need::Admin => caller.is_admin(),
        Need::All(actions) => actions.iter().all(|a| caller.may(*a)),
        Need::Any(actions) => actions.iter().any(|a| caller.may(*a)),
    };
    let reaches = match route.scope {
        Scope::None => true,
        Scope::Account => world.account() == account,
        Scope::Channel => caller.uses_channel(world),
        Scope::Conversation => caller.sees(world),
        Scope::Own => world == caller.world(Target::Visible),
    };
    holds && reaches && (route.caller_may)(caller)
}

async fn call(app: &TestApp, token: Option<&str>, route: &Route, req: Req) -> (StatusCode, String) {
    let mut path = match &req.id {
        Some(id) => route.path.replace("{id}", id),
        None => route.path.to_string(),
    };
    for (param, value) in &req.params {
        path = path.replace(param, value);
    }
    let method = Method::from_bytes(route.method.as_bytes()).unwrap();
    let mut r = app.http.request(method, app.url(&format!("{path}{}", req.query)));
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    r =
        match req.body {
            Body::None => r,
            Body::Json(v) => r.json(&v),
            Body::Csv(csv) => r.header("content-type", "text/csv").body(csv),
            Body::Png => r.multipart(Form::new().part(
                "file",
                Part::bytes(simulator::samples::png()).file_name("foto.png").mime_str("image/png").unwrap(),
            )),
        };
    let res = r.send().await.expect("request");
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

struct Planned<'r> {
    route: &'r Route,
    caller: Caller,
    target: Target,
    allowed: bool,
}

async fn every_route_answers_each_caller_as_the_rules_say(app: TestApp) {
    let table = routes();
    // The route list comes from the server itself: an operation missing here fails the test.
    let doc: Value = app.http.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut served = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("operations").keys() {
            served.insert((method.to_uppercase(), path.clone()));
        }
    }
    let covered: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .chain(PUBLIC.iter().map(|(m, p)| (m.to_string(), p.to_string())))
        .collect();
    let missing: Vec<_> = served.difference(&covered).collect();
    assert!(missing.is_empty(), "routes without a matrix entry (add them to `routes()` or `PUBLIC`): {missing:?}");
    let stale: Vec<_> = covered.difference(&served).collect();
    assert!(stale.is_empty(), "matrix entries for routes the server does not have: {stale:?}");
    for (method, path) in PUBLIC {
        let res = app
            .http
            .request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_ne!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path} is public");
    }
    let f = setup(&app).await;
    let mut plan = vec![];
    for route in &table {
        for caller in CALLERS {
            let targets: &[Target] =
                if route.scope == Scope::None { &[Target::Visible] } else { &[Target::Visible, Target::Hidden] };
            for &target in targets {
                plan.push(Planned { route, caller, target, allowed: allowed(route, caller, caller.world(target)) });
            }
        }
    }
    // Refusals first, on a quiet database (nothing queued yet), each compared with the database
    // before it; then what succeeds, the cells that relink contacts last.
    plan.sort_by_key(|p| (p.allowed, p.route.late));
    let mut failures = vec![];
    for (n, p) in plan.iter().enumerate() {
        let world = p.caller.world(p.target);
        let cell = Cell { f: &f, w: f.world(world), target: p.target, caller: p.caller, n };
        let req = (p.route.build)(&cell);
        let label =
            format!("{} {} as {:?} on a {:?} resource ({world:?})", p.route.method, p.route.path, p.caller, p.target);
        let writes = p.route.method != "GET";
        let before = if !p.allowed && writes { Some(app.db_snapshot().await) } else { None };
        let (status, body) = call(&app, f.token(p.caller), p.route, req).await;
        if p.allowed {
            if !status.is_success() {
                failures.push(format!("{label}: expected success, got {status} {body}"));
            }
        } else {
            let code =
                serde_json::from_str::<Value>(&body).ok().and_then(|b| b["error"]["code"].as_str().map(str::to_string));
            let expected = match p.caller {
                Caller::Nobody => status == StatusCode::UNAUTHORIZED,
                _ => {
                    matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)
                        || p.route.also_refused.iter().any(|(s, c)| status.as_u16() == *s && code.as_deref() == Some(c))
                }
            };
            if !expected {
                failures.push(format!("{label}: expected a refusal, got {status} {body}"));
            }
        }
        if let Some(before) = before {
            let changed = changed_tables(&before, &app.db_snapshot().await);
            if !changed.is_empty() {
                failures.push(format!("{label}: refused with {status} but wrote to {changed:?}"));
            }
        }
        for secret in f.secrets(p.caller) {
            if body.contains(secret) {
                failures.push(format!("{label}: the answer names {secret}, which this caller may not see: {body}"));
            }
        }
    }

    // The event stream (a WebSocket, outside the OpenAPI description): any user of the account.
    for caller in CALLERS {
        let mut req = format!("{}/api/v1/events", app.base.replace("http://", "ws://")).into_client_request().unwrap();
        if let Some(token) = f.token(caller) {
            req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        let opened = tokio_tungstenite::connect_async(req).await;
        match (caller, opened) {
            (Caller::Nobody, Err(tokio_tungstenite::tungstenite::Error::Http(res))) => {
                assert_eq!(res.status(), StatusCode::UNAUTHORIZED)
            }
            (Caller::Nobody, other) => failures.push(format!("events as nobody: {:?}", other.map(|_| ()))),
            (_, Ok(_)) => {}
            (caller, Err(e)) => failures.push(format!("events as {caller:?}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} cells answered against the rules:\n{}", failures.len(), failures.join("\n"));
}
