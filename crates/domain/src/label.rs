//! Labels: account-wide, coloured tags put on conversations ("Cotización", "Urgente").

/// The longest label name, in characters: a label is a chip in a list row, not a sentence.
pub const MAX_NAME_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidLabel {
    #[error("a label needs a name")]
    EmptyName,
    #[error("a label's name has at most {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("a label's colour is a hex colour like \"#1f9d55\"")]
    BadColor,
}

/// A label's name as stored: trimmed, inner runs of whitespace collapsed to one space.
pub fn name(raw: &str) -> Result<String, InvalidLabel> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(InvalidLabel::EmptyName);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(InvalidLabel::NameTooLong);
    }
    Ok(name)
}

/// A colour as stored: `#rrggbb` in lower case (`#ABC` is accepted as `#aabbcc`).
pub fn color(raw: &str) -> Result<String, InvalidLabel> {
    let hex = raw.trim().strip_prefix('#').ok_or(InvalidLabel::BadColor)?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(InvalidLabel::BadColor);
    }
    let full = match hex.len() {
        6 => hex.to_string(),
        3 => hex.chars().flat_map(|c| [c, c]).collect(),
        _ => return Err(InvalidLabel::BadColor),
    };
    Ok(format!("#{}", full.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  Cotización   urgente "), Ok("Cotización urgente".into()));
        assert_eq!(name(" \t "), Err(InvalidLabel::EmptyName));
        assert_eq!(name(&"á".repeat(MAX_NAME_CHARS)).map(|n| n.chars().count()), Ok(MAX_NAME_CHARS));
        assert_eq!(name(&"a".repeat(MAX_NAME_CHARS + 1)), Err(InvalidLabel::NameTooLong));
    }

    #[test]
    fn colours_are_hex() {
        assert_eq!(color("#1F9D55"), Ok("#1f9d55".into()));
        assert_eq!(color("#AbC"), Ok("#aabbcc".into()));
        for bad in ["1f9d55", "#1f9d5", "#1f9d55ff", "#ggg", "red", "", "#"] {
            assert_eq!(color(bad), Err(InvalidLabel::BadColor), "{bad:?}");
        }
    }
}
