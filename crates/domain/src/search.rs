//! Search folding: the form in which message texts are stored for searching and queries are
//! compared, so that a search ignores case and accents on every store ("PRECIOS" finds "quiero
//! precios", "cancion" finds "Canción").
//!
//! Folding is Unicode canonical decomposition (NFD) without the combining marks, then lower case:
//! `Canción` → `cancion`, `ÑANDÚ` → `nandu`. Letters that do not decompose (`ø`, `ß`, `ł`) stay
//! as they are, which is what a user typing them expects.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The searchable form of `text`.
pub fn fold(text: &str) -> String {
    text.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

/// The folded words of a query, each of which a match must contain (at most `max`, the rest ignored).
pub fn terms(query: &str, max: usize) -> Vec<String> {
    let mut out: Vec<String> = fold(query).split_whitespace().map(str::to_string).collect();
    out.dedup();
    out.truncate(max);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Canción"), "cancion");
        assert_eq!(fold("QUIERO PRECIOS"), "quiero precios");
        assert_eq!(fold("ÑANDÚ über Straße"), "nandu uber straße");
        assert_eq!(fold("Ação É"), "acao e");
        assert_eq!(fold("emoji 👍🏽 ok"), "emoji 👍🏽 ok");
        // Already decomposed input (e + U+0301) folds the same as the composed form.
        assert_eq!(fold("Cafe\u{301}"), fold("Café"));
    }

    #[test]
    fn query_terms_are_folded_words() {
        assert_eq!(terms("  Precio   AZÚL ", 8), vec!["precio", "azul"]);
        assert_eq!(terms("", 8), Vec::<String>::new());
        assert_eq!(terms("a b c", 2), vec!["a", "b"]);
    }
}
