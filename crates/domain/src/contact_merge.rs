//! Merging two CRM contacts into one: which phones the kept contact ends with. (Names, e-mail and
//! custom values follow one simple rule — the kept contact's value wins, an empty one is filled
//! from the other — applied by the store; phones need more, because a contact has three slots.)

use crate::phone::equivalent;

/// A contact's phones in slot order: primary, alternate, WhatsApp (E.164 text).
pub type Phones = [Option<String>; 3];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhoneMerge {
    /// The kept contact's phones, with the other's numbers it lacked in free slots.
    Merged(Phones),
    /// Together they have more than three different numbers (LatAm variants of one number count
    /// once): every distinct number, the kept contact's first. A person must choose.
    TooMany(Vec<String>),
}

/// The phones of `kept` after absorbing `other`: the kept contact's slots stay as they are; each of
/// the other's numbers that is not equivalent to one already there goes to its own slot when free,
/// else to the first free slot.
pub fn merge_phones(kept: &Phones, other: &Phones) -> PhoneMerge {
    let mut out = kept.clone();
    let mut overflow = false;
    for (slot, phone) in other.iter().enumerate() {
        let Some(phone) = phone else { continue };
        if out.iter().flatten().any(|p| equivalent(p, phone)) {
            continue;
        }
        let free = if out[slot].is_none() { Some(slot) } else { out.iter().position(Option::is_none) };
        match free {
            Some(i) => out[i] = Some(phone.clone()),
            None => overflow = true,
        }
    }
    if overflow {
        return PhoneMerge::TooMany(distinct(kept.iter().chain(other.iter()).flatten()));
    }
    PhoneMerge::Merged(out)
}

/// The numbers, each once (an equivalent variant of an earlier one is left out).
pub fn distinct<'a>(phones: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for p in phones {
        if !out.iter().any(|o| equivalent(o, p)) {
            out.push(p.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn the_kept_slots_stay_and_new_numbers_fill_free_ones() {
        let kept = [p("+525512345678"), None, None];
        let other = [p("+525511111111"), None, p("+5215512345678")];
        assert_eq!(
            merge_phones(&kept, &other),
            PhoneMerge::Merged([p("+525512345678"), p("+525511111111"), None]),
            "the Mexican `1` variant of the kept number is the same number"
        );
        let other = [None, None, p("+525522222222")];
        assert_eq!(merge_phones(&kept, &other), PhoneMerge::Merged([p("+525512345678"), None, p("+525522222222")]));
    }

    #[test]
    fn more_than_three_numbers_need_a_choice() {
        let kept = [p("+525500000001"), p("+525500000002"), None];
        let other = [p("+525500000003"), p("+525500000004"), p("+5215500000001")];
        assert_eq!(
            merge_phones(&kept, &other),
            PhoneMerge::TooMany(vec![
                "+525500000001".into(),
                "+525500000002".into(),
                "+525500000003".into(),
                "+525500000004".into()
            ])
        );
    }
}
