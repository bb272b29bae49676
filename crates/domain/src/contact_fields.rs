//! Custom contact fields: the account's definitions (key, label, type, choices) and the rules a value
//! must meet to be stored under one. Values are kept as text (`"12.5"`, `"2024-01-31"`, `"Oro"`): the
//! type says what text is acceptable, so Personalize and the CSV carry them unchanged.
//!
//! A definition's key is its identity (it is the JSON key of the values, the CSV column and the
//! `{{contact.custom.KEY}}` placeholder), so it never changes; neither does its type, since values
//! already stored were checked against it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest key: short enough for a CSV header and a placeholder.
pub const MAX_KEY_LEN: usize = 40;
pub const MAX_LABEL_LEN: usize = 80;
/// Longest stored value of any type.
pub const MAX_VALUE_LEN: usize = 1000;
pub const MAX_CHOICES: usize = 100;
pub const MAX_CHOICE_LEN: usize = 100;
/// Definitions per account: more than a contact panel can show.
pub const MAX_DEFINITIONS: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Any text up to [`MAX_VALUE_LEN`] characters.
    Text,
    /// A decimal number written with a dot (`-3`, `12.50`).
    Number,
    /// A calendar date, ISO `YYYY-MM-DD`.
    Date,
    /// Exactly one of the definition's choices.
    Choice,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Choice => "choice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(FieldType::Text),
            "number" => Some(FieldType::Number),
            "date" => Some(FieldType::Date),
            "choice" => Some(FieldType::Choice),
            _ => None,
        }
    }
}

/// A custom field of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDefinition {
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    /// Only for [`FieldType::Choice`]; empty otherwise.
    pub choices: Vec<String>,
    pub position: i64,
}

/// One problem with one field: `field` names it (`key`, `label`, `choices`, or a value's key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    /// `invalid_key`, `invalid_label`, `invalid_choices`, `unknown_field`, `invalid_number`,
    /// `invalid_date`, `invalid_choice`, `value_too_long`.
    pub code: &'static str,
    pub message: String,
}

impl FieldProblem {
    fn new(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self { field: field.to_string(), code, message: message.into() }
    }
}

/// Whether `key` may name a new field: a lower-case ASCII letter, then letters, digits or `_`
/// (so it reads back unchanged from a placeholder and a CSV header).
pub fn valid_new_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= MAX_KEY_LEN
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A label, trimmed, or the problem with it.
pub fn clean_label(raw: &str) -> Result<String, FieldProblem> {
    let label = raw.trim();
    if label.is_empty() || label.chars().count() > MAX_LABEL_LEN || label.chars().any(char::is_control) {
        return Err(FieldProblem::new(
            "label",
            "invalid_label",
            format!("a label is 1 to {MAX_LABEL_LEN} characters of text"),
        ));
    }
    Ok(label.to_string())
}

/// The choices of a definition of `field_type`, trimmed, or the problem with them: a choice field
/// needs 1 to [`MAX_CHOICES`] distinct non-empty choices; other types take none.
pub fn clean_choices(field_type: FieldType, raw: &[String]) -> Result<Vec<String>, FieldProblem> {
    let choices: Vec<String> = raw.iter().map(|c| c.trim().to_string()).collect();
    if field_type != FieldType::Choice {
        return if choices.is_empty() {
            Ok(choices)
        } else {
            Err(FieldProblem::new("choices", "invalid_choices", "only a choice field has choices"))
        };
    }
    let problem = |m: String| Err(FieldProblem::new("choices", "invalid_choices", m));
    if choices.is_empty() || choices.len() > MAX_CHOICES {
        return problem(format!("a choice field needs 1 to {MAX_CHOICES} choices"));
    }
    if let Some(bad) =
        choices.iter().find(|c| c.is_empty() || c.chars().count() > MAX_CHOICE_LEN || c.chars().any(char::is_control))
    {
        return problem(format!("choice {bad:?} must be 1 to {MAX_CHOICE_LEN} characters of text"));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = choices.iter().find(|c| !seen.insert(c.as_str())) {
        return problem(format!("choice {dup:?} is listed twice"));
    }
    Ok(choices)
}

/// Checks one value against its definition; returns the value to store (trimmed), `None` for an
/// empty value (which clears the field).
pub fn check_value(def: &FieldDefinition, raw: &str) -> Result<Option<String>, FieldProblem> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let problem = |code, m: String| Err(FieldProblem::new(&def.key, code, m));
    if value.chars().count() > MAX_VALUE_LEN {
        return problem("value_too_long", format!("{}: at most {MAX_VALUE_LEN} characters", def.label));
    }
    match def.field_type {
        FieldType::Text => {}
        FieldType::Number => {
            if !is_number(value) {
                return problem(
                    "invalid_number",
                    format!("{}: {value:?} is not a number (digits, optional sign and decimal point)", def.label),
                );
            }
        }
        FieldType::Date => {
            if !is_iso_date(value) {
                return problem("invalid_date", format!("{}: {value:?} is not a date written YYYY-MM-DD", def.label));
            }
        }
        FieldType::Choice => {
            if !def.choices.iter().any(|c| c == value) {
                return problem(
                    "invalid_choice",
                    format!("{}: {value:?} is not one of {}", def.label, def.choices.join(", ")),
                );
            }
        }
    }
    Ok(Some(value.to_string()))
}

/// `-12`, `3.5`, `+0.25`: a plain decimal (no exponent, no thousands separator, no `NaN`).
fn is_number(s: &str) -> bool {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let has_digits = !int.is_empty() || frac.is_some_and(|f| !f.is_empty());
    has_digits && digits(int) && frac.is_none_or(|f| !f.is_empty() && digits(f)) && unsigned.len() <= 40
}

/// `YYYY-MM-DD` naming a day that exists.
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).filter(|p| p.bytes().all(|c| c.is_ascii_digit()))?.parse().ok();
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let Ok(month) = time::Month::try_from(u8::try_from(month).unwrap_or(0)) else {
        return false;
    };
    time::Date::from_calendar_date(year, month, u8::try_from(day).unwrap_or(0)).is_ok()
}

/// Applies a change of custom values (`None` or empty clears a key) to `current`, checking each
/// against the definitions; every problem is reported at once, and nothing changes if there is one.
pub fn apply_values(
    definitions: &[FieldDefinition],
    current: &BTreeMap<String, String>,
    change: &BTreeMap<String, Option<String>>,
) -> Result<BTreeMap<String, String>, Vec<FieldProblem>> {
    let mut out = current.clone();
    let mut problems = vec![];
    for (key, value) in change {
        let Some(def) = definitions.iter().find(|d| &d.key == key) else {
            problems.push(FieldProblem::new(
                key,
                "unknown_field",
                format!("{key:?} is not a custom field of this account; an administrator defines them"),
            ));
            continue;
        };
        match check_value(def, value.as_deref().unwrap_or("")) {
            Ok(Some(v)) => {
                out.insert(key.clone(), v);
            }
            Ok(None) => {
                out.remove(key);
            }
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The custom values of a merge: `kept`'s values win, keys it lacks (or has empty) come from `other`.
pub fn merge_values(kept: &BTreeMap<String, String>, other: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out = kept.clone();
    for (key, value) in other {
        let empty = out.get(key).is_none_or(|v| v.trim().is_empty());
        if empty && !value.trim().is_empty() {
            out.insert(key.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(key: &str, field_type: FieldType, choices: &[&str]) -> FieldDefinition {
        FieldDefinition {
            key: key.into(),
            label: key.to_uppercase(),
            field_type,
            choices: choices.iter().map(|c| c.to_string()).collect(),
            position: 0,
        }
    }

    #[test]
    fn keys_are_lower_case_identifiers() {
        for good in ["rfc", "plan_2", "a"] {
            assert!(valid_new_key(good), "{good}");
        }
        for bad in ["", "RFC", "2plan", "con espacio", "a-b", "ñandu", "{x}", &"a".repeat(41)] {
            assert!(!valid_new_key(bad), "{bad}");
        }
    }

    #[test]
    fn numbers_are_plain_decimals() {
        let d = def("monto", FieldType::Number, &[]);
        for good in ["0", "-3", "+4", "12.50", ".5", "5."] {
            let ok = check_value(&d, good);
            if good == "5." {
                assert!(ok.is_err(), "a trailing point is refused");
            } else {
                assert_eq!(ok, Ok(Some(good.to_string())), "{good}");
            }
        }
        for bad in ["1e3", "1,5", "NaN", "inf", "-", ".", "1.2.3", "12 000", "0x10"] {
            assert_eq!(check_value(&d, bad).map_err(|p| p.code), Err("invalid_number"), "{bad}");
        }
    }

    #[test]
    fn dates_are_iso_days_that_exist() {
        let d = def("alta", FieldType::Date, &[]);
        assert_eq!(check_value(&d, " 2024-02-29 "), Ok(Some("2024-02-29".into())));
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "01/02/2024", "2024-02-30", "20240101", "2024-00-10"] {
            assert_eq!(check_value(&d, bad).map_err(|p| p.code), Err("invalid_date"), "{bad}");
        }
    }

    #[test]
    fn choices_must_be_listed_exactly() {
        let d = def("nivel", FieldType::Choice, &["Oro", "Plata"]);
        assert_eq!(check_value(&d, "Oro"), Ok(Some("Oro".into())));
        assert_eq!(check_value(&d, "oro").map_err(|p| p.code), Err("invalid_choice"));
        assert_eq!(check_value(&d, ""), Ok(None), "empty clears");
    }

    #[test]
    fn long_text_is_refused() {
        let d = def("nota", FieldType::Text, &[]);
        assert_eq!(check_value(&d, &"x".repeat(MAX_VALUE_LEN)).map(|v| v.map(|s| s.len())), Ok(Some(MAX_VALUE_LEN)));
        assert_eq!(check_value(&d, &"x".repeat(MAX_VALUE_LEN + 1)).map_err(|p| p.code), Err("value_too_long"));
    }

    #[test]
    fn choices_are_checked_for_their_type() {
        assert_eq!(clean_choices(FieldType::Choice, &[" a ".into(), "b".into()]), Ok(vec!["a".into(), "b".into()]));
        assert!(clean_choices(FieldType::Choice, &[]).is_err());
        assert!(clean_choices(FieldType::Choice, &["a".into(), " a".into()]).is_err());
        assert!(clean_choices(FieldType::Choice, &["".into()]).is_err());
        assert!(clean_choices(FieldType::Text, &["a".into()]).is_err());
        assert_eq!(clean_choices(FieldType::Date, &[]), Ok(vec![]));
    }

    #[test]
    fn a_change_reports_every_problem_and_changes_nothing_then() {
        let defs = [def("monto", FieldType::Number, &[]), def("nota", FieldType::Text, &[])];
        let current: BTreeMap<String, String> = [("nota".to_string(), "hola".to_string())].into();
        let change: BTreeMap<String, Option<String>> = [
            ("monto".to_string(), Some("doce".to_string())),
            ("desconocido".to_string(), Some("x".to_string())),
            ("nota".to_string(), None),
        ]
        .into();
        let problems = apply_values(&defs, &current, &change).unwrap_err();
        let codes: Vec<(&str, &str)> = problems.iter().map(|p| (p.field.as_str(), p.code)).collect();
        assert_eq!(codes, vec![("desconocido", "unknown_field"), ("monto", "invalid_number")]);
        let ok: BTreeMap<String, Option<String>> =
            [("monto".to_string(), Some("12".to_string())), ("nota".to_string(), None)].into();
        let after = apply_values(&defs, &current, &ok).unwrap();
        assert_eq!(after, [("monto".to_string(), "12".to_string())].into());
    }

    #[test]
    fn a_merge_keeps_the_kept_values_and_fills_the_empty_ones() {
        let kept: BTreeMap<String, String> = [("a".into(), "1".into()), ("b".into(), " ".into())].into();
        let other: BTreeMap<String, String> =
            [("a".into(), "9".into()), ("b".into(), "2".into()), ("c".into(), "3".into())].into();
        let merged = merge_values(&kept, &other);
        assert_eq!(merged, [("a".into(), "1".into()), ("b".into(), "2".into()), ("c".into(), "3".into())].into());
    }
}
