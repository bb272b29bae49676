//! How WhatsApp reads the `to` of a send: digits only (`+`, spaces and dashes ignored), the `wa_id` it
//! answers may differ from what was sent (Mexico's mobile `1`, Argentina's `9`), and a BSUID is never a
//! phone number (docs/meta.md §11, §12).

/// The digits of a phone as WhatsApp reads a `to`.
pub(crate) fn digits(input: &str) -> String {
    input.chars().filter(char::is_ascii_digit).collect()
}

/// Whether `to` looks like a phone number WhatsApp would try (no letters, 8–15 digits).
pub(crate) fn is_plausible_phone(input: &str) -> bool {
    let allowed = input.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c));
    let n = digits(input).len();
    allowed && (8..=15).contains(&n)
}

/// A BSUID: `CC.digits` or `CC.ENT.digits` (parent BSUID).
pub fn is_bsuid(input: &str) -> bool {
    let mut parts = input.split('.');
    let country = parts.next().unwrap_or_default();
    let mut rest: Vec<&str> = parts.collect();
    if rest.first() == Some(&"ENT") {
        rest.remove(0);
    }
    country.len() == 2
        && country.chars().all(|c| c.is_ascii_uppercase())
        && rest.len() == 1
        && !rest[0].is_empty()
        && rest[0].chars().all(|c| c.is_ascii_alphanumeric())
}

/// The `wa_id` WhatsApp answers for a `to`: Mexican mobiles keep the old `1` (`52 1 …`), Argentinian
/// mobiles the `9` (`54 9 …`).
pub(crate) fn canonical_wa_id(to_digits: &str) -> String {
    if to_digits.len() == 12 && to_digits.starts_with("52") {
        return format!("521{}", &to_digits[2..]);
    }
    if to_digits.len() == 12 && to_digits.starts_with("54") {
        return format!("549{}", &to_digits[2..]);
    }
    to_digits.to_string()
}

/// Whether two phones are the same WhatsApp account under those equivalences.
pub(crate) fn same_account(a: &str, b: &str) -> bool {
    canonical_wa_id(&digits(a)) == canonical_wa_id(&digits(b))
}

/// The ISO country of a phone, for the BSUIDs the simulator makes up (a few markets; `US` otherwise).
pub(crate) fn country_of(wa_id: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("52", "MX"),
        ("54", "AR"),
        ("55", "BR"),
        ("57", "CO"),
        ("56", "CL"),
        ("51", "PE"),
        ("34", "ES"),
        ("1", "US"),
    ];
    PREFIXES.iter().find(|(p, _)| wa_id.starts_with(p)).map(|(_, c)| *c).unwrap_or("US")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsuids_are_recognised() {
        assert!(is_bsuid("US.13491208655302741918"));
        assert!(is_bsuid("US.ENT.11815799212886844830"));
        assert!(!is_bsuid("5215512345678"));
        assert!(!is_bsuid("usa.123"));
        assert!(!is_bsuid("US."));
    }

    #[test]
    fn mexican_and_argentinian_mobiles_get_their_wa_id() {
        assert_eq!(canonical_wa_id("525512345678"), "5215512345678");
        assert_eq!(canonical_wa_id("5215512345678"), "5215512345678");
        assert_eq!(canonical_wa_id("541112345678"), "5491112345678");
        assert!(same_account("+52 55 1234 5678", "5215512345678"));
        assert!(!same_account("5215512345678", "5215512345679"));
    }

    #[test]
    fn plausible_phones() {
        assert!(is_plausible_phone("+52 1 55 1234-5678"));
        assert!(!is_plausible_phone("US.13491208655302741918"));
        assert!(!is_plausible_phone("1234"));
    }
}
