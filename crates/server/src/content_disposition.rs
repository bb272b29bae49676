//! `Content-Disposition` for files named by customers: any name — accents, emoji, quotes, line
//! breaks — yields a valid header (RFC 6266): an ASCII `filename` for old clients and the exact
//! name as `filename*` (RFC 8187 UTF-8 percent-encoding).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters RFC 8187 lets through unencoded (`attr-char`); everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `inline` for media a browser shows passively, `attachment` (a download) otherwise.
pub fn content_disposition(inline: bool, filename: Option<&str>, fallback: &str) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let name =
        filename.map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>()).filter(|n| !n.trim().is_empty());
    match name {
        None if inline => kind.to_string(),
        None => format!("{kind}; filename=\"{fallback}\""),
        Some(name) => {
            let ascii: String = name
                .chars()
                .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
                .collect();
            format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}", utf8_percent_encode(&name, ATTR_CHAR))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::content_disposition;
    use axum::http::HeaderValue;

    #[test]
    fn any_name_makes_a_valid_header_that_keeps_the_exact_name() {
        for name in
            ["cotización ñandú.pdf", "a\"b\\c.pdf", "línea\r\nrota.pdf", "📦 pedido.png", "plain.pdf", "%20.pdf"]
        {
            let value = content_disposition(false, Some(name), "archivo");
            assert!(HeaderValue::from_str(&value).is_ok(), "{value}");
            assert!(value.is_ascii(), "{value}");
            let encoded = value.split("filename*=UTF-8''").nth(1).expect("filename*");
            let decoded = percent_encoding::percent_decode_str(encoded).decode_utf8().expect("utf-8");
            assert_eq!(decoded, name.replace(['\r', '\n'], ""), "{value}");
        }
    }

    #[test]
    fn ascii_fallback_and_defaults() {
        assert_eq!(
            content_disposition(false, Some("cotización.pdf"), "archivo"),
            "attachment; filename=\"cotizaci_n.pdf\"; filename*=UTF-8''cotizaci%C3%B3n.pdf"
        );
        assert_eq!(content_disposition(true, None, "archivo"), "inline");
        assert_eq!(content_disposition(false, None, "archivo"), "attachment; filename=\"archivo\"");
        assert_eq!(content_disposition(false, Some("  "), "archivo"), "attachment; filename=\"archivo\"");
    }
}
