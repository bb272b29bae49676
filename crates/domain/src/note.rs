//! Private notes of a conversation and the @mentions in them.
//!
//! A note is for the team only: it is never a message and never reaches the customer. A teammate is
//! mentioned with a token the UI inserts when one is picked from its @-menu:
//! `@[Ana López](0190b3a0-0000-7000-8000-000000000001)`. The id decides who is mentioned (a name can be
//! shared or change); the name is what readers see. Text that only looks like a mention (`@Ana`, a
//! token whose id is not a UUID) is plain text and notifies nobody.

use crate::ids::UserId;

/// The longest note, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// How much of a note a mention list shows.
pub const EXCERPT_CHARS: usize = 140;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidNote {
    #[error("a note needs some text")]
    Empty,
    #[error("a note has at most {MAX_TEXT_CHARS} characters")]
    TooLong,
}

/// A note's text as stored (trimmed), or why it cannot be.
pub fn text(raw: &str) -> Result<String, InvalidNote> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(InvalidNote::Empty);
    }
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(InvalidNote::TooLong);
    }
    Ok(t.to_string())
}

/// One piece of a note: plain text or a mention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Mention { name: &'a str, user: UserId },
}

/// Splits a note into text and mention tokens, in order.
pub fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = vec![];
    let mut rest = text;
    let mut plain_start = 0usize;
    let mut offset = 0usize;
    while let Some(at) = rest.find("@[") {
        let token_start = offset + at;
        match parse_token(&text[token_start..]) {
            Some((name, user, len)) => {
                if plain_start < token_start {
                    out.push(Segment::Text(&text[plain_start..token_start]));
                }
                out.push(Segment::Mention { name, user });
                offset = token_start + len;
                plain_start = offset;
            }
            None => offset = token_start + 2,
        }
        rest = &text[offset..];
    }
    if plain_start < text.len() {
        out.push(Segment::Text(&text[plain_start..]));
    }
    out
}

/// `@[name](uuid)` at the start of `s`: the name, the user and the token's length in bytes.
fn parse_token(s: &str) -> Option<(&str, UserId, usize)> {
    let body = s.strip_prefix("@[")?;
    let close = body.find("](")?;
    let name = &body[..close];
    if name.trim().is_empty() || name.contains(['\n', '[']) {
        return None;
    }
    let after = &body[close + 2..];
    let end = after.find(')')?;
    let user = after[..end].parse::<UserId>().ok()?;
    Some((name, user, 2 + close + 2 + end + 1))
}

/// The users a note mentions, each once, in order of first mention.
pub fn mentions(text: &str) -> Vec<UserId> {
    let mut out: Vec<UserId> = vec![];
    for s in segments(text) {
        if let Segment::Mention { user, .. } = s {
            if !out.contains(&user) {
                out.push(user);
            }
        }
    }
    out
}

/// The note as a reader sees it in plain text: mentions as `@name`.
pub fn plain(text: &str) -> String {
    segments(text)
        .into_iter()
        .map(|s| match s {
            Segment::Text(t) => t.to_string(),
            Segment::Mention { name, .. } => format!("@{name}"),
        })
        .collect()
}

/// The beginning of the note in plain text, on one line, cut at [`EXCERPT_CHARS`] with `…`.
pub fn excerpt(text: &str) -> String {
    let flat = plain(text).split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= EXCERPT_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(EXCERPT_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ANA: &str = "0190b3a0-0000-7000-8000-000000000001";
    const BRUNO: &str = "0190b3a0-0000-7000-8000-000000000002";

    #[test]
    fn finds_each_mentioned_user_once() {
        let text = format!("@[Ana López]({ANA}) mira esto, y @[Bruno]({BRUNO}); otra vez @[Ana]({ANA})");
        let ana: UserId = ANA.parse().unwrap();
        let bruno: UserId = BRUNO.parse().unwrap();
        assert_eq!(mentions(&text), vec![ana, bruno]);
        assert_eq!(plain(&text), "@Ana López mira esto, y @Bruno; otra vez @Ana");
    }

    #[test]
    fn what_only_looks_like_a_mention_is_text() {
        for text in [
            "@Ana ven".to_string(),
            "@[Ana](no-es-un-id)".to_string(),
            format!("@[](  {ANA})"),
            format!("@[Ana]{ANA}"),
            format!("@[Ana\nLópez]({ANA})"),
            format!("@[Ana]({ANA}"),
            "correo@[dominio]".to_string(),
        ] {
            assert_eq!(mentions(&text), vec![], "{text:?}");
            assert_eq!(plain(&text), text);
        }
    }

    #[test]
    fn a_broken_token_does_not_hide_a_good_one_after_it() {
        let text = format!("@[roto] y @[Ana]({ANA})");
        assert_eq!(mentions(&text), vec![ANA.parse().unwrap()]);
        assert_eq!(plain(&text), "@[roto] y @Ana");
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("  hola \n"), Ok("hola".into()));
        assert_eq!(text(" \n "), Err(InvalidNote::Empty));
        assert!(text(&"ñ".repeat(MAX_TEXT_CHARS)).is_ok());
        assert_eq!(text(&"a".repeat(MAX_TEXT_CHARS + 1)), Err(InvalidNote::TooLong));
    }

    #[test]
    fn excerpts_are_one_short_line() {
        let text = format!("Cliente   pide\nfactura, @[Ana]({ANA})");
        assert_eq!(excerpt(&text), "Cliente pide factura, @Ana");
        let long = "palabra ".repeat(40);
        let e = excerpt(&long);
        assert!(e.ends_with('…') && e.chars().count() <= EXCERPT_CHARS, "{e:?}");
        assert!(e.starts_with("palabra palabra"));
    }

    proptest! {
        /// Splitting loses nothing: the segments put back together are the text, whatever it is.
        #[test]
        fn segments_cover_the_text(text in "(@\\[[a-zA-Zñ ]{0,6}\\]\\(0190b3a0-0000-7000-8000-00000000000[12]\\)|@\\[|\\]\\(|[a-z )(@\\[\\]\n]){0,24}") {
            let joined: String = segments(&text).into_iter().map(|s| match s {
                Segment::Text(t) => t.to_string(),
                Segment::Mention { name, user } => format!("@[{name}]({user})"),
            }).collect();
            prop_assert_eq!(joined, text);
        }
    }
}
