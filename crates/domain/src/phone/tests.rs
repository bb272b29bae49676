use super::*;
use proptest::prelude::*;

fn e164(raw: &str, region: Option<&str>) -> String {
    PhoneE164::parse(raw, region).unwrap_or_else(|e| panic!("{raw} ({region:?}): {e}")).to_string()
}

#[test]
fn parses_the_common_formats_of_one_mexican_number() {
    for (raw, region) in [
        ("+52 55 1234 5678", None),
        ("+52 1 55 1234 5678", None),
        ("525512345678", None),
        ("5215512345678", None),
        ("0052 55 1234 5678", None),
        ("(55) 1234-5678", Some("MX")),
        ("55.1234.5678", Some("mx")),
        ("044 55 1234 5678", Some("MX")),
        ("525512345678", Some("MX")),
        ("+52 55 1234 5678", Some("AR")),
    ] {
        assert_eq!(e164(raw, region), "+525512345678", "{raw} {region:?}");
    }
}

#[test]
fn parses_argentinian_local_mobile_forms_into_the_international_nine() {
    assert_eq!(e164("011 15 1234-5678", Some("AR")), "+5491112345678");
    assert_eq!(e164("+54 9 11 1234 5678", None), "+5491112345678");
    assert_eq!(e164("+54 11 15 1234 5678", None), "+5491112345678");
    // Written without the 9 it may be a landline: kept as typed, matched by keys.
    assert_eq!(e164("+54 11 1234 5678", None), "+541112345678");
}

#[test]
fn parses_other_countries() {
    assert_eq!(e164("+1 (415) 555-2671", None), "+14155552671");
    assert_eq!(e164("415 555 2671", Some("US")), "+14155552671");
    assert_eq!(e164("+34 612 34 56 78", None), "+34612345678");
    assert_eq!(e164("612 345 678", Some("ES")), "+34612345678");
    assert_eq!(e164("+55 11 98765-4321", None), "+5511987654321");
    // An old eight-digit Brazilian mobile is not "valid" any more but is a real CRM entry.
    assert_eq!(e164("+55 11 8765-4321", None), "+551187654321");
}

#[test]
fn refuses_garbage() {
    for (raw, region) in [
        ("", None),
        ("   ", None),
        ("hola", None),
        ("+", None),
        ("55 1234 5678", None),
        ("(55) 1234-5678", None),
        ("12", Some("MX")),
        ("12345", Some("MX")),
        ("+52 55 1234 5678 ext 12", None),
        ("55 1234 5678#", Some("MX")),
        ("5+5 1234 5678", Some("MX")),
        ("+00000000", None),
        ("55 1234 5678", Some("XX")),
        ("1234567890123456789012345", None),
    ] {
        assert!(PhoneE164::parse(raw, region).is_err(), "{raw:?} {region:?} should be refused");
    }
}

#[test]
fn phones_and_wa_ids_serialize_as_strings() {
    let p = PhoneE164::parse("+52 55 1234 5678", None).unwrap();
    assert_eq!(serde_json::to_value(&p).unwrap(), "+525512345678");
    assert_eq!(p.digits(), "525512345678");
    let back: PhoneE164 = serde_json::from_str("\"+525512345678\"").unwrap();
    assert_eq!(back, p);
    assert!(serde_json::from_str::<PhoneE164>("\"nope\"").is_err());
    let w: WaId = serde_json::from_str("\"5215512345678\"").unwrap();
    assert_eq!(w.as_str(), "5215512345678");
    assert!(WaId::parse("+5215512345678").is_err());
    assert!(WaId::parse("52 155").is_err());
    assert!(WaId::parse("US.13491208655302741918").is_err(), "a BSUID is not a wa_id");
}

#[test]
fn mexico_mobile_one_is_equivalent_both_ways() {
    assert!(equivalent("5215512345678", "525512345678"));
    assert!(equivalent("525512345678", "5215512345678"));
    let wa = WaId::parse("5215512345678").unwrap();
    let crm = PhoneE164::parse("(55) 1234-5678", Some("MX")).unwrap();
    assert!(equivalent(&wa, &crm));
    assert!(!equivalent("5215512345678", "525512345679"));
}

#[test]
fn argentina_nine_fifteen_and_bare_forms_are_equivalent() {
    let forms = ["5491112345678", "54111512345678", "541112345678"];
    for a in forms {
        for b in forms {
            assert!(equivalent(a, b), "{a} ≡ {b}");
        }
    }
    let interior = ["5493511234567", "54351151234567", "543511234567"];
    for a in interior {
        for b in interior {
            assert!(equivalent(a, b), "{a} ≡ {b}");
        }
    }
    assert!(!equivalent("5491112345678", "5493511234567"));
}

#[test]
fn brazil_ninth_digit_is_optional_for_mobiles_only() {
    assert!(equivalent("5511987654321", "551187654321"));
    assert!(equivalent("551187654321", "5511987654321"));
    // Landlines start with 2–5 and never got a ninth digit.
    assert!(!equivalent("551132654321", "5511932654321"));
    assert!(!equivalent("5511987654321", "5521987654321"));
}

#[test]
fn other_countries_match_only_themselves() {
    assert!(equivalent("14155552671", "+1 415 555 2671"));
    assert!(!equivalent("14155552671", "14155552672"));
    assert!(equivalent("34612345678", "34612345678"));
    assert!(!equivalent("34612345678", "3412345678"));
    assert_eq!(match_keys("14155552671"), vec!["14155552671"]);
}

#[test]
fn keys_are_the_plain_digits_and_one_canonical_form() {
    assert_eq!(match_keys("5215512345678"), vec!["5215512345678", "525512345678"]);
    assert_eq!(match_keys("525512345678"), vec!["525512345678"]);
    assert_eq!(match_keys("541112345678"), vec!["541112345678", "5491112345678"]);
    assert_eq!(match_keys("551187654321"), vec!["551187654321", "5511987654321"]);
    assert_eq!(match_keys("hola"), Vec::<String>::new());
    assert_eq!(match_keys("999"), vec!["999"], "garbage digits match only themselves");
}

#[test]
fn sends_without_a_wa_id_go_to_the_canonical_digits() {
    let to = |raw: &str| to_wa_recipient(&PhoneE164::parse(raw, None).unwrap());
    assert_eq!(to("+52 1 55 1234 5678"), "525512345678");
    assert_eq!(to("+54 11 1234 5678"), "5491112345678");
    assert_eq!(to("+55 11 8765 4321"), "5511987654321");
    assert_eq!(to("+34 612 34 56 78"), "34612345678");
}

#[test]
fn wa_forms_find_a_stored_id_from_any_form_of_it() {
    let forms = |n: &str| {
        let mut f = wa_forms(n);
        f.sort();
        f
    };
    assert_eq!(forms("525512345678"), ["5215512345678", "525512345678"]);
    assert_eq!(forms("5215512345678"), ["5215512345678", "525512345678"]);
    assert_eq!(forms("541112345678"), ["541112345678", "5491112345678"]);
    assert_eq!(forms("5511987654321"), ["551187654321", "5511987654321"]);
    assert_eq!(forms("551187654321"), ["551187654321", "5511987654321"]);
    // Brazilian landlines have no ninth digit to drop; other countries have one form.
    assert_eq!(forms("551132654321"), ["551132654321"]);
    assert_eq!(forms("34612345678"), ["34612345678"]);
    assert_eq!(wa_forms(""), Vec::<String>::new());
}

fn latam_number() -> impl Strategy<Value = String> {
    prop_oneof![
        "52(1)?[2-9][0-9]{9}",
        "549?[1-3][0-9]{9}",
        "54[1-3][0-9]{1,3}15[0-9]{6,8}",
        "55[1-9]{2}9?[2-9][0-9]{7}",
    ]
}

fn any_number() -> impl Strategy<Value = String> {
    prop_oneof![latam_number(), "[1-9][0-9]{6,14}"]
}

proptest! {
    #[test]
    fn equivalence_is_symmetric(a in any_number(), b in any_number()) {
        prop_assert_eq!(equivalent(&a, &b), equivalent(&b, &a));
    }

    #[test]
    fn keys_contain_the_plain_digits(a in any_number()) {
        prop_assert!(match_keys(&a).contains(&a));
        prop_assert!(equivalent(&a, &a));
    }

    #[test]
    fn canonical_form_is_its_own_canonical_form(a in any_number()) {
        let keys = match_keys(&a);
        let canonical = keys.last().unwrap();
        prop_assert_eq!(match_keys(canonical), vec![canonical.clone()]);
    }

    #[test]
    fn a_parsed_latam_number_matches_what_whatsapp_would_call_it(a in latam_number()) {
        if let Ok(p) = PhoneE164::parse(&format!("+{a}"), None) {
            prop_assert!(equivalent(&p, &a));
        }
    }

    #[test]
    fn a_parsed_number_is_equivalent_to_its_recipient(a in any_number()) {
        if let Ok(p) = PhoneE164::parse(&format!("+{a}"), None) {
            prop_assert!(equivalent(&p, to_wa_recipient(&p)));
        }
    }

    #[test]
    fn wa_forms_are_equivalent_and_reach_the_canonical_form(a in latam_number()) {
        let canonical = match_keys(&a).last().cloned().unwrap();
        for form in wa_forms(&a) {
            prop_assert!(equivalent(&a, &form), "{} ~ {}", a, form);
            prop_assert!(wa_forms(&form).contains(&canonical), "{} from {}", canonical, form);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_strings(s in ".{0,80}", region in "[A-Z]{2}") {
        let _ = PhoneE164::parse(&s, None);
        let _ = PhoneE164::parse(&s, Some(&region));
        let _ = match_keys(&s);
        let _ = WaId::parse(&s);
    }

    #[test]
    fn never_panics_on_phone_like_strings(s in "[+]?[0-9 ()./-]{0,30}", region in "(MX|AR|BR|US|ES|CO|CL)") {
        let _ = PhoneE164::parse(&s, None);
        let _ = PhoneE164::parse(&s, Some(&region));
        let _ = match_keys(&s);
    }
}

#[test]
fn a_search_finds_a_stored_number_whatever_its_format() {
    let stored = match_keys(PhoneE164::parse("+52 55 1234 5678", None).unwrap());
    let hits = |q: &str| {
        let found = search_query(q).unwrap_or_else(|| panic!("{q} is a phone search"));
        found.keys.iter().any(|k| stored.contains(k))
            || found.suffix.is_some_and(|s| stored.iter().any(|k| k.ends_with(&s)))
    };
    for q in ["5512345678", "+52 1 55 1234 5678", "525512345678", "5215512345678", "55 1234 5678", "(55) 1234-5678"] {
        assert!(hits(q), "{q}");
    }
    assert!(!hits("+52 55 1234 5679"));
    assert!(!hits("5512345679"));
    // Brazil without the ninth digit, Argentina without the 9, typed nationally.
    let br = match_keys(PhoneE164::parse("+55 11 98765 4321", None).unwrap());
    let q = search_query("11 8765 4321").unwrap();
    assert!(q.keys.iter().any(|k| br.contains(k)), "{q:?}");
    let ar = match_keys(PhoneE164::parse("+54 9 11 5555 6666", None).unwrap());
    let q = search_query("11 5555 6666").unwrap();
    assert!(q.keys.iter().any(|k| ar.contains(k)), "{q:?}");
}

#[test]
fn a_search_that_is_no_phone_number_has_no_phone_query() {
    for q in ["Ana", "ana@example.com", "12345", "Ana 5512345678", "@carla.compras", ""] {
        assert_eq!(search_query(q), None, "{q}");
    }
    assert_eq!(search_query("+52 55 1234 5678").and_then(|q| q.suffix), None, "an international number is complete");
}
