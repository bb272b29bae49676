//! The User Profile APIs: `GET /{PSID}?fields=first_name,last_name,profile_pic` with the Page token
//! (Messenger) and `GET /{IGSID}?fields=name,username,profile_pic` with the Instagram (or linked Page)
//! token. Only customers who wrote to that Page/account can be read, as Meta requires; any other id
//! falls through to Graph's "Unsupported get request" (100/33). A field the node does not have is
//! Graph's `(#100) Tried accessing nonexisting field`.

use serde_json::{json, Map, Value};

use crate::graph_error::{GraphError, GraphResult, Product};
use crate::payloads::SocialPlatform;
use crate::state::{lock, SimState, SocialCustomerRecord};

const MESSENGER_FIELDS: &[&str] = &["id", "name", "first_name", "last_name", "profile_pic", "locale", "timezone"];
const INSTAGRAM_FIELDS: &[&str] = &[
    "id",
    "name",
    "username",
    "profile_pic",
    "is_verified_user",
    "follower_count",
    "is_user_follow_business",
    "is_business_follow_user",
];

/// Made-up names for customers nobody named (chosen by id, so a customer keeps theirs).
const NAMES: &[&str] = &[
    "Valeria Torres",
    "Andrés Castillo",
    "Camila Rojas",
    "Mateo Fernández",
    "Lucía Herrera",
    "Santiago Díaz",
    "Isabella Morales",
    "Tomás Vargas",
];

/// The profile answer for `id` when it is a customer the token's Page/account may read; `None` when
/// `id` is no such customer (the caller answers as for any unknown object).
pub(super) fn lookup(state: &SimState, id: &str, token: &str, query: Option<&str>) -> Option<GraphResult<Value>> {
    let (platform, customer) = customer_for_token(state, id, token)?;
    if let Some(fault) = lock(&state.profile_faults).pop_front() {
        return Some(Err(fault.to_error(Product::Messenger)));
    }
    Some(answer(platform, id, &customer, super::query_param(query, "fields").as_deref()))
}

fn customer_for_token(state: &SimState, id: &str, token: &str) -> Option<(SocialPlatform, SocialCustomerRecord)> {
    for page in state.pages_with_token(token) {
        if let Some(c) = state.social_customer(&page.page_id, id) {
            return Some((SocialPlatform::Messenger, c));
        }
        if let Some(c) = state.instagram_of_page(&page.page_id).and_then(|ig| state.social_customer(&ig.ig_id, id)) {
            return Some((SocialPlatform::Instagram, c));
        }
    }
    for ig in state.instagram_with_token(token) {
        if let Some(c) = state.social_customer(&ig.ig_id, id) {
            return Some((SocialPlatform::Instagram, c));
        }
    }
    None
}

fn made_up_name(id: &str) -> String {
    let n = id.bytes().fold(0usize, |acc, b| acc.wrapping_mul(31).wrapping_add(usize::from(b)));
    NAMES[n % NAMES.len()].to_string()
}

/// An Instagram-style handle from a name: `Sofía Martínez` → `sofia.martinez`.
fn username_from(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'Á' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'É' => 'e',
            'í' | 'ì' | 'ï' | 'î' | 'Í' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'Ó' => 'o',
            'ú' | 'ù' | 'ü' | 'û' | 'Ú' => 'u',
            'ñ' | 'Ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => '.',
        })
        .collect();
    plain.split('.').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(".")
}

fn answer(platform: SocialPlatform, id: &str, c: &SocialCustomerRecord, fields: Option<&str>) -> GraphResult<Value> {
    let name = c.name.clone().unwrap_or_else(|| made_up_name(id));
    let (known, default): (&[&str], &[&str]) = match platform {
        SocialPlatform::Messenger => (MESSENGER_FIELDS, &["name", "id"]),
        SocialPlatform::Instagram => (INSTAGRAM_FIELDS, &["name", "username", "id"]),
    };
    let requested: Vec<&str> = match fields {
        Some(f) => f.split(',').map(str::trim).filter(|f| !f.is_empty()).collect(),
        None => default.to_vec(),
    };
    let node = match platform {
        SocialPlatform::Messenger => "User",
        SocialPlatform::Instagram => "InstagramUser",
    };
    let (first, last) = name.split_once(' ').map_or((name.as_str(), ""), |(f, l)| (f, l));
    let mut out = Map::new();
    for field in requested {
        if !known.contains(&field) {
            return Err(GraphError::messenger(
                100,
                &format!("Tried accessing nonexisting field ({field}) on node type ({node})"),
            ));
        }
        let value = match field {
            "id" => json!(id),
            "name" => json!(name),
            "first_name" => json!(first),
            "last_name" => json!(last),
            "username" => json!(c.username.clone().unwrap_or_else(|| username_from(&name))),
            "profile_pic" => json!(format!("https://scontent.xx.fbcdn.net/v/t1.30497-1/{id}_n.jpg")),
            "locale" => json!("es_LA"),
            "timezone" => json!(-6),
            "follower_count" => json!(120),
            _ => json!(false),
        };
        out.insert(field.to_string(), value);
    }
    out.entry("id").or_insert_with(|| json!(id));
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_plain_handles() {
        assert_eq!(username_from("Sofía Martínez"), "sofia.martinez");
        assert_eq!(username_from("  Diego  Hernández "), "diego.hernandez");
    }

    #[test]
    fn messenger_answers_first_and_last_name() {
        let c = SocialCustomerRecord { name: Some("Sofía Martínez López".into()), ..Default::default() };
        let v = answer(SocialPlatform::Messenger, "123", &c, Some("first_name,last_name,profile_pic")).unwrap();
        assert_eq!(v["first_name"], "Sofía");
        assert_eq!(v["last_name"], "Martínez López");
        assert_eq!(v["id"], "123");
        assert!(answer(SocialPlatform::Messenger, "123", &c, Some("username")).is_err(), "no such field on Messenger");
    }
}
