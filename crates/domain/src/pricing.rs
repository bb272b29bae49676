//! Template cost estimates (docs/meta.md §7): a rate card the admin loads (market × category →
//! price per delivered template), the recipient's market from their number, and Meta's free cases.
//! Where the card has no price the estimate is "unknown" — never invented.

use crate::window::{Window, WindowState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One price of the card. Prices are kept as the decimal text the admin gave (no float rounding).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rate {
    /// ISO 3166 alpha-2 country (`MX`, `AR`…) or `*` for every market not listed.
    pub market: String,
    /// `marketing`, `utility`, `authentication`, `authentication_international`.
    pub category: String,
    pub price: String,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct RateCardError {
    pub line: usize,
    pub problem: String,
}

/// Parses `market,category,price,currency` lines (a header line is allowed; `#` starts a comment).
pub fn parse_rate_card(csv: &str) -> Result<Vec<Rate>, RateCardError> {
    let mut rates: BTreeMap<(String, String), Rate> = BTreeMap::new();
    for (i, raw) in csv.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || (i == 0 && line.to_lowercase().starts_with("market")) {
            continue;
        }
        let err = |problem: &str| RateCardError { line: i + 1, problem: problem.to_string() };
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let [market, category, price, currency] = cells.as_slice() else {
            return Err(err("expected market,category,price,currency"));
        };
        let market = market.to_uppercase();
        if !(market == "*" || (market.len() == 2 && market.chars().all(|c| c.is_ascii_alphabetic()))) {
            return Err(err("market must be a two-letter country code or *"));
        }
        let category = category.to_lowercase();
        if !["marketing", "utility", "authentication", "authentication_international"].contains(&category.as_str()) {
            return Err(err("category must be marketing, utility, authentication or authentication_international"));
        }
        let valid_price = !price.is_empty()
            && price.chars().all(|c| c.is_ascii_digit() || c == '.')
            && price.matches('.').count() <= 1
            && price.chars().any(|c| c.is_ascii_digit());
        if !valid_price {
            return Err(err("price must be a non-negative decimal number, e.g. 0.0436"));
        }
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(err("currency must be a three-letter code, e.g. USD"));
        }
        let rate = Rate {
            market: market.clone(),
            category: category.clone(),
            price: price.to_string(),
            currency: currency.to_uppercase(),
        };
        rates.insert((market, category), rate);
    }
    Ok(rates.into_values().collect())
}

/// What sending a template is expected to cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CostEstimate {
    /// Meta does not charge this send (a utility template inside an open customer service window).
    Free {
        reason: String,
    },
    Priced {
        price: String,
        currency: String,
        market: String,
        category: String,
    },
    /// The card has no price for this market and category, or the market is not known.
    Unknown,
}

/// The estimate for a template of `category` to a recipient in `market` (None: not known, e.g. a
/// customer known only by username), given the conversation's window now.
pub fn estimate(rates: &[Rate], category: &str, market: Option<&str>, window: &Window) -> CostEstimate {
    let category = category.to_lowercase();
    // Per-message pricing: utility templates are free inside an open customer service window (§7).
    if category == "utility" && window.state == WindowState::Open {
        return CostEstimate::Free { reason: "utility template inside the customer service window".into() };
    }
    let Some(market) = market else { return CostEstimate::Unknown };
    let find = |m: &str| rates.iter().find(|r| r.market == m && r.category == category);
    match find(market).or_else(|| find("*")) {
        Some(r) => CostEstimate::Priced {
            price: r.price.clone(),
            currency: r.currency.clone(),
            market: market.to_string(),
            category,
        },
        None => CostEstimate::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::ChannelKind;
    use time::macros::datetime;

    const CARD: &str =
        "market,category,price,currency\nMX,marketing,0.0436,USD\nmx,utility,0.0100,usd\n*,marketing,0.0600,USD\n";

    fn window(open: bool) -> Window {
        let now = datetime!(2026-11-26 12:00 UTC);
        let last = if open { now - time::Duration::hours(1) } else { now - time::Duration::hours(30) };
        Window::compute(ChannelKind::WhatsappCloud, Some(last), now)
    }

    #[test]
    fn parses_the_card_case_insensitively() {
        let rates = parse_rate_card(CARD).unwrap();
        assert_eq!(rates.len(), 3);
        assert!(rates.iter().any(|r| r.market == "MX" && r.category == "utility" && r.currency == "USD"));
    }

    #[test]
    fn refuses_malformed_lines_naming_the_line() {
        for (bad, line) in [
            ("MX,marketing,abc,USD", 1),
            ("market,category,price,currency\nMEX,marketing,1,USD", 2),
            ("MX,promo,1,USD", 1),
            ("MX,marketing,1", 1),
            ("MX,marketing,1.2.3,USD", 1),
            ("MX,marketing,1,US", 1),
        ] {
            let err = parse_rate_card(bad).unwrap_err();
            assert_eq!(err.line, line, "{bad}");
        }
    }

    #[test]
    fn estimates_from_the_market_then_the_default_and_never_invents() {
        let rates = parse_rate_card(CARD).unwrap();
        let closed = window(false);
        assert!(
            matches!(estimate(&rates, "MARKETING", Some("MX"), &closed), CostEstimate::Priced { ref price, .. } if price == "0.0436")
        );
        assert!(
            matches!(estimate(&rates, "marketing", Some("AR"), &closed), CostEstimate::Priced { ref price, .. } if price == "0.0600")
        );
        assert_eq!(estimate(&rates, "authentication", Some("MX"), &closed), CostEstimate::Unknown);
        assert_eq!(estimate(&rates, "marketing", None, &closed), CostEstimate::Unknown);
        assert_eq!(estimate(&[], "marketing", Some("MX"), &closed), CostEstimate::Unknown);
    }

    #[test]
    fn utility_is_free_inside_the_window_and_priced_outside() {
        let rates = parse_rate_card(CARD).unwrap();
        assert!(matches!(estimate(&rates, "utility", Some("MX"), &window(true)), CostEstimate::Free { .. }));
        assert!(matches!(estimate(&rates, "utility", Some("MX"), &window(false)), CostEstimate::Priced { .. }));
        assert!(
            matches!(estimate(&rates, "marketing", Some("MX"), &window(true)), CostEstimate::Priced { .. }),
            "marketing is always charged"
        );
    }
}
