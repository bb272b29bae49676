//! The synthetic inbox: deterministic customers (names with accents, Mexican numbers, some
//! usernames) and message texts, so `seed` writes them and `reads` knows what a search will find.

/// Customer `i`'s identity. Numbers are unique for `i < 10^8` (a multiplication by a number prime
/// to 10 permutes the eight-digit suffixes).
#[derive(Debug, Clone)]
pub struct Customer {
    pub first: &'static str,
    pub last: &'static str,
    /// A made-up second surname, rare enough that a search for part of it finds a handful of rows:
    /// the worst case of a scan (it reads the whole table to fill a page).
    pub rare: String,
    /// Ten national digits, `55` and eight more.
    pub national: String,
    pub username: Option<String>,
}

const FIRST: [&str; 20] = [
    "José", "María", "Álvaro", "Ángela", "Lucía", "Sofía", "Andrés", "Camila", "Jesús", "Valeria", "Martín", "Ximena",
    "Raúl", "Mónica", "Iñaki", "Begoña", "Diego", "Paula", "Tomás", "Renata",
];
const LAST: [&str; 20] = [
    "Álvarez",
    "Pérez",
    "Gómez",
    "Ruíz",
    "Hernández",
    "Núñez",
    "Muñoz",
    "López",
    "Martínez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gutiérrez",
    "Ortiz",
    "Castillo",
    "Jiménez",
    "Vázquez",
    "Domínguez",
];
const SYLLABLES: [&str; 24] = [
    "ba", "ce", "dí", "fo", "gu", "ja", "ke", "li", "mó", "nu", "pa", "qui", "ra", "sé", "ti", "vu", "xa", "yo", "zú",
    "bre", "cla", "dro", "flí", "gra",
];
const TEXTS: [&str; 8] = [
    "Hola, ¿tienen el modelo azul en talla M?",
    "¿Cuánto cuesta el envío a Guadalajara?",
    "Gracias, ya recibí mi pedido 👍",
    "¿Me pueden enviar la cotización por favor?",
    "Quiero cambiar la talla de mi pedido",
    "¿Aceptan pago con tarjeta de crédito?",
    "Perfecto, lo paso a recoger mañana",
    "¿Tienen factura electrónica?",
];

pub fn customer(i: u64) -> Customer {
    let first = FIRST[(i % 20) as usize];
    let last = LAST[((i / 20) % 20) as usize];
    // About seven customers share a word at 100 000 customers.
    let n = i.wrapping_mul(2_654_435_761) % (24 * 24 * 24);
    let rare = format!(
        "{}{}{}",
        SYLLABLES[(n % 24) as usize],
        SYLLABLES[((n / 24) % 24) as usize],
        SYLLABLES[((n / 576) % 24) as usize]
    );
    let rare = capitalized(&rare);
    let national = format!("55{:08}", (i.wrapping_mul(7919)) % 100_000_000);
    // One customer in ten is also known by a WhatsApp username.
    let username = (i % 10 == 3).then(|| format!("tienda.{}{}", fold_ascii(last), i));
    Customer { first, last, rare, national, username }
}

impl Customer {
    pub fn profile_name(&self) -> String {
        format!("{} {} {}", self.first, self.last, self.rare)
    }

    /// The WhatsApp id Meta sends for a Mexican mobile (`52 1` and the national number).
    pub fn wa_id(&self) -> String {
        format!("521{}", self.national)
    }

    /// The business-scoped user id Meta sends beside (or instead of) the phone.
    pub fn bsuid(&self) -> String {
        format!("MX.7{}", self.national)
    }

    /// E.164, as a contact stores it.
    pub fn e164(&self) -> String {
        format!("+52{}", self.national)
    }

    /// The same number as a person types it: `+52 1 55 1234 5678`.
    pub fn typed_phone(&self) -> String {
        let n = &self.national;
        format!("+52 1 {} {} {}", &n[..2], &n[2..6], &n[6..])
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Lower-case ASCII letters of `s` (accents dropped), for usernames.
fn fold_ascii(s: &str) -> String {
    domain::search::fold(s).chars().filter(char::is_ascii_alphanumeric).collect()
}

pub fn message_text(j: u64) -> &'static str {
    TEXTS[(j % TEXTS.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..50_000 {
            let c = customer(i);
            assert_eq!(c.national.len(), 10);
            assert!(seen.insert(c.national.clone()));
        }
        let c = customer(3);
        assert!(c.username.is_some());
        assert!(domain::phone::equivalent(c.wa_id(), c.e164()));
        assert!(simulator::is_bsuid(&c.bsuid()));
    }
}
