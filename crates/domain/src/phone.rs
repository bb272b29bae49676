//! Phone numbers: CRM numbers in any common format, WhatsApp ids, and the Latin American
//! equivalences that make them match (docs/meta.md §11).
//!
//! - [`PhoneE164`] is a number a person typed (a contact's primary, alternate or WhatsApp phone),
//!   parsed once with libphonenumber's rules (the `phonenumber` crate) and kept in E.164 (`+525512345678`).
//! - [`WaId`] is the id WhatsApp gives a user (`5215512345678`): digits, stored exactly as received,
//!   because it can differ from any re-formatting of the CRM number and is what sends must use (§4, §11).
//!
//! # The matching contract (for the store)
//!
//! [`match_keys`] turns a number into a small set of digit strings (country code + national number,
//! no `+`). Two numbers are equivalent iff their key sets intersect ([`equivalent`]). The set is always
//! `{plain digits, canonical digits}` (one element when they coincide), where the canonical form
//! folds the known variants of one line onto one string:
//!
//! | country | variants | canonical |
//! | --- | --- | --- |
//! | Mexico | `52 1 XXXXXXXXXX`, `52 XXXXXXXXXX` | `52 XXXXXXXXXX` (the `1` was abolished in 2019) |
//! | Argentina | `54 9 <area><number>`, `54 <area> 15 <number>`, `54 <area><number>` | `54 9 <area><number>` |
//! | Brazil | `55 <DDD> 9 XXXXXXXX`, `55 <DDD> XXXXXXXX` (mobile, first digit 6–9) | the nine-digit form |
//!
//! So the store saves, for every contact phone, one row per key in an indexed table
//! (`phone_keys(contact_id, field, key)` with an index on `key`), and finds the contacts of a
//! `wa_id` with `WHERE key IN (match_keys(wa_id))`. Both sides must use keys from the same version
//! of this module: a change of the rules needs the stored keys recomputed (a data migration).
//! Strings that are not phone numbers at all still get their plain digits as their only key, so
//! they match only themselves.

use phonenumber::metadata::DATABASE;
use phonenumber::{country, PhoneNumber};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest input worth parsing: anything longer is not a phone number (and keeps libphonenumber's
/// regular expressions away from pathological input).
const MAX_INPUT_LEN: usize = 64;
/// E.164 allows at most 15 digits; a few extra for national prefixes like Argentina's `0 … 15`.
const MAX_DIGITS: usize = 20;

/// A phone number in E.164 form (`+` and digits), e.g. `+525512345678`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "+525512345678")]
pub struct PhoneE164(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid phone number")]
pub struct InvalidPhone(pub String);

impl PhoneE164 {
    /// Parses a number written in any common format: `+52 55 1234 5678`, `525512345678`,
    /// `0052 55 1234 5678`, or national forms like `(55) 1234-5678` when `default_region`
    /// (ISO 3166 alpha-2, e.g. `"MX"`) says which country they belong to.
    ///
    /// The result is normalised: Mexico's obsolete mobile `1` and domestic `044`/`045`/`01`
    /// prefixes are dropped, Argentina's `0 <area> 15 <number>` becomes `+54 9 <area><number>`.
    /// Numbers libphonenumber considers unassigned are still accepted when their length is possible
    /// for the country: CRMs hold many of them and refusing them would lose real contacts.
    pub fn parse(raw: &str, default_region: Option<&str>) -> Result<Self, InvalidPhone> {
        let invalid = || InvalidPhone(raw.to_string());
        let (plus, digits) = phone_digits(raw).ok_or_else(invalid)?;
        let region = match default_region {
            Some(r) => Some(r.trim().to_ascii_uppercase().parse::<country::Id>().map_err(|_| invalid())?),
            None => None,
        };
        let international = |d: &str| parse_international(d);
        let candidates: Vec<PhoneNumber> = if plus {
            international(&digits).into_iter().collect()
        } else if let Some(region) = region {
            // National first (the usual CRM input), then the same digits read as international
            // (`525512345678` typed without `+`).
            let national = phonenumber::parse(Some(region), &digits).ok();
            national.into_iter().chain(international(&digits)).collect()
        } else {
            // Without a region, bare digits can only be international; `00` is the international
            // prefix of most of Latin America and Europe.
            let d = digits.strip_prefix("00").unwrap_or(&digits);
            international(d).into_iter().collect()
        };
        let normalised: Vec<PhoneNumber> =
            candidates.iter().filter_map(|n| parse_international(&normalise(n))).collect();
        normalised
            .iter()
            .find(|n| n.is_valid())
            .or_else(|| normalised.iter().find(|n| plausible(n)))
            .map(|n| PhoneE164(format!("+{}", number_digits(n))))
            .ok_or_else(invalid)
    }

    /// `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without `+` (country code first), the form WhatsApp ids take.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    pub fn match_keys(&self) -> Vec<String> {
        match_keys(self)
    }
}

impl AsRef<str> for PhoneE164 {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneE164 {
    type Error = InvalidPhone;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s, None)
    }
}

impl From<PhoneE164> for String {
    fn from(p: PhoneE164) -> Self {
        p.0
    }
}

impl fmt::Display for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WhatsApp user id (`contacts[].wa_id`, `messages[].from`): digits, kept exactly as WhatsApp
/// sent them, never re-formatted (§11: sends must use it as given).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "5215512345678")]
pub struct WaId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a WhatsApp id (digits only)")]
pub struct InvalidWaId(pub String);

impl WaId {
    /// Only checks the shape: 5 to 20 ASCII digits, nothing else (not even `+` or spaces).
    pub fn parse(raw: &str) -> Result<Self, InvalidWaId> {
        if (5..=MAX_DIGITS).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(WaId(raw.to_string()))
        } else {
            Err(InvalidWaId(raw.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn match_keys(&self) -> Vec<String> {
        match_keys(self)
    }
}

impl AsRef<str> for WaId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WaId {
    type Error = InvalidWaId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<WaId> for String {
    fn from(w: WaId) -> Self {
        w.0
    }
}

impl fmt::Display for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The keys a number is indexed and matched by (see the module documentation for the contract).
///
/// `number` is an international number: a [`PhoneE164`], a [`WaId`], or digits with the country
/// code (`+` and punctuation are ignored). An input with no digits has no keys.
pub fn match_keys(number: impl AsRef<str>) -> Vec<String> {
    let plain: String = number.as_ref().chars().filter(char::is_ascii_digit).take(MAX_DIGITS + 1).collect();
    if plain.is_empty() {
        return vec![];
    }
    let mut keys = vec![plain.clone()];
    if let Some(canonical) = canonical_digits(&plain).filter(|c| *c != plain) {
        keys.push(canonical);
    }
    keys
}

/// Every digit form a stored WhatsApp id of the same line may have, for finding it by equality:
/// the keys of `number` plus the other forms whose canonical digits are the same — Mexico with and
/// without the mobile `1`, Argentina with and without the `9`, Brazilian mobiles with and without the
/// ninth digit. Matching a stored id against [`match_keys`] alone is one-sided (`52 55…` typed does
/// not find `52 1 55…` stored); against these forms it is [`equivalent`] in both directions for the
/// forms WhatsApp uses (never Argentina's `15`, which is a dialling habit, not an id).
pub fn wa_forms(number: impl AsRef<str>) -> Vec<String> {
    let mut forms = match_keys(number);
    let Some(canonical) = forms.last().cloned() else { return forms };
    let mexico = || canonical.strip_prefix("52").filter(|n| n.len() == 10).map(|n| format!("521{n}"));
    let argentina = || canonical.strip_prefix("549").filter(|n| n.len() == 10).map(|n| format!("54{n}"));
    let brazil = || {
        let national = canonical.strip_prefix("55").filter(|n| n.len() == 11 && n[2..].starts_with('9'))?;
        Some(format!("55{}{}", &national[..2], &national[3..]))
    };
    let variant = mexico().or_else(argentina).or_else(brazil);
    // Only a form that folds back onto the same canonical digits is the same line.
    if let Some(v) = variant.filter(|v| canonical_digits(v).as_ref() == Some(&canonical)) {
        if !forms.contains(&v) {
            forms.push(v);
        }
    }
    forms
}

/// Whether two international numbers designate the same WhatsApp user (their keys intersect).
pub fn equivalent(a: impl AsRef<str>, b: impl AsRef<str>) -> bool {
    let b = match_keys(b);
    match_keys(a).iter().any(|k| b.contains(k))
}

/// The `to` of a WhatsApp send when no `wa_id` is known yet: the canonical form (Mexico without
/// the `1`, Argentina with the `9`, Brazil with the ninth digit), which WhatsApp resolves to the
/// user's account. The `contacts[].wa_id` of the answer is then the id to keep (§4, §11).
pub fn to_wa_recipient(e164: &PhoneE164) -> String {
    canonical_digits(e164.digits()).unwrap_or_else(|| e164.digits().to_string())
}

/// A search term read as a phone number: contacts match when one of their phone keys is in `keys`,
/// or (for a number typed without its country code) ends with `suffix`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhoneQuery {
    pub keys: Vec<String>,
    pub suffix: Option<String>,
}

/// Fewest digits a search term needs to be read as a phone number at all.
const MIN_SEARCH_DIGITS: usize = 6;
/// Fewest digits a number typed without country code needs to be matched by its end.
const MIN_SUFFIX_DIGITS: usize = 7;

/// Reads a search term as a phone number in any format (`+52 1 55 1234 5678`, `525512345678`,
/// `55 1234 5678`), or `None` when it is not phone notation or too short. Without a `+`, the digits
/// may also be a national number: they are tried as a Mexican, Argentine and Brazilian number (whose
/// keys fold the `1`, `9`/`15` and ninth-digit variants) and matched as the end of any stored number.
pub fn search_query(q: &str) -> Option<PhoneQuery> {
    let (plus, digits) = phone_digits(q)?;
    if digits.len() < MIN_SEARCH_DIGITS {
        return None;
    }
    let mut keys = match PhoneE164::parse(q, None) {
        Ok(p) => p.match_keys(),
        Err(_) => vec![],
    };
    keys.extend(match_keys(&digits));
    let mut suffix = None;
    if !plus {
        if (8..=12).contains(&digits.len()) {
            for cc in ["52", "54", "55"] {
                keys.extend(match_keys(format!("{cc}{digits}")));
            }
        }
        if digits.len() >= MIN_SUFFIX_DIGITS {
            suffix = Some(digits.strip_prefix('0').unwrap_or(&digits).to_string());
        }
    }
    keys.sort();
    keys.dedup();
    Some(PhoneQuery { keys, suffix })
}

/// Splits raw input into (starts with `+`, digits), refusing anything that is not phone notation.
fn phone_digits(raw: &str) -> Option<(bool, String)> {
    let s = raw.trim();
    if s.is_empty() || s.len() > MAX_INPUT_LEN {
        return None;
    }
    let plus = s.starts_with('+');
    let rest = s.strip_prefix('+').unwrap_or(s);
    let notation = |c: char| c.is_ascii_digit() || c.is_whitespace() || "-.()/".contains(c);
    if !rest.chars().all(notation) {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    (4..=MAX_DIGITS).contains(&digits.len()).then_some((plus, digits))
}

/// Only ever hands libphonenumber `+` and digits: its parser has panicked on odd punctuation
/// (whisperfish/rust-phonenumber#43), never on digit strings.
fn parse_international(digits: &str) -> Option<PhoneNumber> {
    if digits.is_empty() || digits.len() > MAX_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    phonenumber::parse(None, format!("+{digits}")).ok()
}

/// The national significant number as digits, leading zeros included (Italy's `06…`).
fn national_digits(n: &PhoneNumber) -> String {
    let zeros = "0".repeat(usize::from(n.national().zeros()));
    format!("{zeros}{}", n.national().value())
}

fn number_digits(n: &PhoneNumber) -> String {
    format!("{}{}", n.code().value(), national_digits(n))
}

/// The E.164 digits of `n` with Mexico's obsolete prefixes removed (the only normalisation a
/// typed number gets; Argentina's `15` is already folded by libphonenumber's metadata).
fn normalise(n: &PhoneNumber) -> String {
    let national = national_digits(n);
    let cc = n.code().value();
    if cc == 52 {
        return format!("52{}", mexico(&national));
    }
    format!("{cc}{national}")
}

fn mexico(national: &str) -> &str {
    match national.len() {
        // Mobile `1` kept by WhatsApp ids and old habits: `52 1 55 1234 5678`.
        11 if national.starts_with('1') => &national[1..],
        // Domestic mobile prefixes abolished in 2019: `044 55 …`, `045 55 …`.
        13 if national.starts_with("044") || national.starts_with("045") => &national[3..],
        // Domestic long-distance prefix `01`.
        12 if national.starts_with("01") => &national[2..],
        _ => national,
    }
}

/// The canonical digits of an international number (see the module table), or `None` when the
/// input is not a digit string. Only Mexico, Argentina and Brazil have variants; every other
/// number is its own canonical form, so libphonenumber's own rewriting (national prefixes of
/// other countries) can never make two different keys of one number disagree.
fn canonical_digits(digits: &str) -> Option<String> {
    if digits.is_empty() || digits.len() > MAX_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Country codes are prefix-free, so these prefixes are exactly the three countries.
    if let Some(national) = digits.strip_prefix("52") {
        return Some(format!("52{}", mexico(national)));
    }
    if let Some(national) = digits.strip_prefix("55") {
        return Some(format!("55{}", brazil(national)));
    }
    if digits.starts_with("54") {
        // libphonenumber's metadata knows Argentina's area codes, so it is what folds
        // `<area> 15 <number>` into `9 <area><number>`; repeated until stable (bounded) so the
        // canonical form is its own canonical form.
        let mut current = digits.to_string();
        for _ in 0..3 {
            let national = parse_international(&current)
                .filter(|n| n.code().value() == 54)
                .map(|n| national_digits(&n))
                .unwrap_or_else(|| current[2..].to_string());
            let next = format!("54{}", argentina(&national));
            if next == current {
                break;
            }
            current = next;
        }
        return Some(current);
    }
    Some(digits.to_string())
}

/// `54 <area><number>` (10 digits, areas start 1–3) is the same line as `54 9 <area><number>`.
fn argentina(national: &str) -> String {
    if national.len() == 10 && national.starts_with(['1', '2', '3']) {
        format!("9{national}")
    } else {
        national.to_string()
    }
}

/// Old eight-digit Brazilian mobiles (first digit 6–9) gained a leading 9 in 2012–2016.
fn brazil(national: &str) -> String {
    let is_old_mobile =
        national.len() == 10 && !national[..2].contains('0') && national[2..].starts_with(['6', '7', '8', '9']);
    if is_old_mobile {
        format!("{}9{}", &national[..2], &national[2..])
    } else {
        national.to_string()
    }
}

/// A number libphonenumber does not know as assigned, but whose length is possible there.
fn plausible(n: &PhoneNumber) -> bool {
    let len = national_digits(n).len();
    let Some(meta) = n.metadata(&DATABASE) else {
        return false;
    };
    let d = meta.descriptors();
    let lengths: Vec<u16> = [d.fixed_line(), d.mobile(), d.toll_free(), d.voip(), d.personal_number(), d.uan()]
        .into_iter()
        .flatten()
        .flat_map(|desc| desc.possible_length().iter().copied())
        .collect();
    if lengths.is_empty() {
        return (4..=14).contains(&len);
    }
    lengths.iter().any(|l| usize::from(*l) == len)
}

#[cfg(test)]
mod tests;

/// The country (ISO 3166 alpha-2, e.g. `MX`) of an international number given as digits (a `wa_id`),
/// for pricing by market. `None` when the digits are not a number libphonenumber can place.
pub fn country_of(digits: &str) -> Option<String> {
    parse_international(digits)?.country().id().map(|id| id.as_ref().to_string())
}

#[cfg(test)]
mod country_tests {
    use super::country_of;

    #[test]
    fn places_whatsapp_ids_in_their_market() {
        assert_eq!(country_of("5215512345678").as_deref(), Some("MX"));
        assert_eq!(country_of("5491155556666").as_deref(), Some("AR"));
        assert_eq!(country_of("5511987654321").as_deref(), Some("BR"));
        assert_eq!(country_of("").as_deref(), None);
        assert_eq!(country_of("abc").as_deref(), None);
    }
}
