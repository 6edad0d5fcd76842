//! A customer as a row of Meta's multi-key customer file: each value normalized the way Meta's
//! "Hashing and normalizing data" table says, then SHA-256 hashed (hex, lowercase), so Meta's
//! own hashes of the same person match ours.
//!
//! Meta's rules, key by key:
//! - `EMAIL`: trim leading and trailing whitespace, lowercase.
//! - `PHONE`: digits only, no leading zeros, and always with the country code. A number typed
//!   as a national number ("20 12 34 56" by a Danish customer) is completed with the calling
//!   code of the customer's country; `+` or `00` in front means it already has one.
//! - `FN`, `LN`: lowercase, no punctuation; letters outside a–z (æ, ø, å, é) are kept as they
//!   are, in UTF-8 ("special characters in UTF-8 encoding"). We NFC-compose first so that an
//!   "é" typed as e + combining accent hashes like the precomposed one.
//! - `CT`: lowercase, no punctuation, no whitespace, no digits.
//! - `ZIP`: lowercase, no whitespace; in the US only the first five digits.
//! - `COUNTRY`: ISO 3166-1 alpha-2, lowercase.
//! - `DOBY` (YYYY), `DOBM` (MM), `DOBD` (DD).
//! - `GEN`: `m` or `f`.
//! - `EXTERN_ID`: our customer id, sent as it is (Meta does not hash it).
//!
//! A value that is missing, or that normalizes to nothing, is sent as an empty string (never the
//! hash of an empty string, which would match nobody and count as an invalid entry).

use chrono::{Datelike, NaiveDate};
use fullhouse_ticketing::model::customers::Gender;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::calling_codes::calling_code;

/// The columns we send, in the order of every row.
pub const SCHEMA: [&str; 12] = [
    "EXTERN_ID",
    "EMAIL",
    "PHONE",
    "FN",
    "LN",
    "CT",
    "ZIP",
    "COUNTRY",
    "DOBY",
    "DOBM",
    "DOBD",
    "GEN",
];

/// What Meta's customer file reads of a customer, as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Person<'a> {
    pub customer_id: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub city: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    /// ISO 3166-1 alpha-2, any case.
    pub country: Option<&'a str>,
    pub birth_date: Option<NaiveDate>,
    pub gender: Option<Gender>,
}

/// The row of `person` in [`SCHEMA`] order: `EXTERN_ID` as it is, every other value normalized
/// and hashed, empty where nothing is known.
pub fn row(person: &Person<'_>) -> Vec<String> {
    let country = person.country.map(country).unwrap_or_default();
    let country_opt = Some(country.as_str()).filter(|c| !c.is_empty());
    let normalized = [
        person.email.map(email),
        person.phone.map(|p| phone(p, country_opt)),
        person.first_name.map(name),
        person.last_name.map(name),
        person.city.map(city),
        person.postal_code.map(|z| zip(z, country_opt)),
        Some(country.clone()),
        person.birth_date.map(birth_year),
        person.birth_date.map(birth_month),
        person.birth_date.map(birth_day),
        person.gender.map(gender),
    ];
    let mut row = Vec::with_capacity(SCHEMA.len());
    row.push(person.customer_id.to_string());
    row.extend(
        normalized
            .into_iter()
            .map(|value| hash(&value.unwrap_or_default())),
    );
    row
}

/// SHA-256 of `normalized`, lowercase hex; empty stays empty.
pub fn hash(normalized: &str) -> String {
    if normalized.is_empty() {
        return String::new();
    }
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// Trimmed and lowercased; empty when it cannot be an address (no `@`, or spaces inside).
pub fn email(raw: &str) -> String {
    let value = raw.trim().to_lowercase();
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !value.chars().any(char::is_whitespace) =>
        {
            value
        }
        _ => String::new(),
    }
}

/// Digits only, with the country code and without leading zeros. `+` or `00` in front: the
/// number is international already. Otherwise it is a national number of `country` (alpha-2,
/// lowercase): its trunk zero goes and the country's calling code is put in front (Italy, San
/// Marino and the Vatican keep the leading zero, which is part of their numbers). A national
/// number of an unknown country cannot be completed and is left out (empty), since Meta matches
/// no number without its country code.
pub fn phone(raw: &str, country: Option<&str>) -> String {
    let trimmed = raw.trim();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return String::new();
    }
    if trimmed.starts_with('+') {
        return digits.trim_start_matches('0').to_string();
    }
    if let Some(international) = digits.strip_prefix("00") {
        return international.trim_start_matches('0').to_string();
    }
    let Some(country) = country else {
        return String::new();
    };
    let Some(code) = calling_code(country) else {
        return String::new();
    };
    let national = if matches!(country, "it" | "sm" | "va") {
        digits.as_str()
    } else {
        digits.trim_start_matches('0')
    };
    if national.is_empty() {
        return String::new();
    }
    format!("{code}{national}")
}

/// A first or last name: NFC, lowercase, letters only (any script; punctuation, digits and
/// spaces go).
pub fn name(raw: &str) -> String {
    raw.nfc()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphabetic())
        .collect()
}

/// A city: as [`name`]: lowercase letters only, no spaces or punctuation.
pub fn city(raw: &str) -> String {
    name(raw)
}

/// A postal code: lowercase without whitespace; a US code is its first five digits.
pub fn zip(raw: &str, country: Option<&str>) -> String {
    let value: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if country == Some("us") {
        return value.chars().filter(char::is_ascii_digit).take(5).collect();
    }
    value
}

/// ISO 3166-1 alpha-2, lowercase; empty unless it is two letters a–z.
pub fn country(raw: &str) -> String {
    let value = raw.trim().to_ascii_lowercase();
    if value.len() == 2 && value.chars().all(|c| c.is_ascii_lowercase()) {
        value
    } else {
        String::new()
    }
}

pub fn birth_year(date: NaiveDate) -> String {
    format!("{:04}", date.year())
}

pub fn birth_month(date: NaiveDate) -> String {
    format!("{:02}", date.month())
}

pub fn birth_day(date: NaiveDate) -> String {
    format!("{:02}", date.day())
}

/// `m` or `f`; "other" has no value in Meta's schema and is left out.
pub fn gender(gender: Gender) -> String {
    match gender {
        Gender::Female => "f".into(),
        Gender::Male => "m".into(),
        Gender::Other => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each vector: the value as typed, the normalized string and its SHA-256 (computed apart,
    /// with `printf %s VALUE | sha256sum`).
    fn check(normalized: String, expected: &str, sha256: &str) {
        assert_eq!(normalized, expected);
        assert_eq!(hash(&normalized), sha256, "hash of {expected}");
    }

    #[test]
    fn an_email_with_capitals_and_spaces_is_trimmed_and_lowercased() {
        check(
            email("  Mette.Hansen@Example.DK "),
            "mette.hansen@example.dk",
            "351bc948d06143fcc3ea0bc5b512e625d1f11e349ccc49a3af6f4b50b0e7b331",
        );
    }

    #[test]
    fn a_phone_with_spaces_and_a_plus_keeps_its_country_code_in_digits() {
        check(
            phone("+45 20 12 34 56", Some("dk")),
            "4520123456",
            "809e578a04be0a60b067bca32ec60a7ad31536541196e2e600afa908b0fb8936",
        );
        assert_eq!(phone("+45 20 12 34 56", None), "4520123456");
        assert_eq!(phone("+1 (657) 777-0000", Some("dk")), "16577770000");
    }

    #[test]
    fn a_danish_national_number_of_a_danish_customer_gets_45_in_front() {
        check(
            phone("20 12 34 56", Some("dk")),
            "4520123456",
            "809e578a04be0a60b067bca32ec60a7ad31536541196e2e600afa908b0fb8936",
        );
    }

    #[test]
    fn a_leading_00_is_an_international_number() {
        assert_eq!(phone("0045 20 12 34 56", Some("fr")), "4520123456");
        assert_eq!(phone("0033 6 12 34 56 78", None), "33612345678");
    }

    #[test]
    fn a_national_number_loses_its_trunk_zero_except_in_italy() {
        assert_eq!(phone("06 12 34 56 78", Some("fr")), "33612345678");
        assert_eq!(phone("020 7183 8750", Some("gb")), "442071838750");
        assert_eq!(phone("06 1234 5678", Some("it")), "390612345678");
    }

    #[test]
    fn a_national_number_without_a_known_country_is_left_out() {
        assert_eq!(phone("20 12 34 56", None), "");
        assert_eq!(phone("20 12 34 56", Some("zz")), "");
        assert_eq!(phone("tel: none", Some("dk")), "");
    }

    #[test]
    fn names_keep_danish_letters_and_accents_in_lowercase_utf8() {
        check(
            name("Søren"),
            "søren",
            "6bea0147015afcbe7867cb289b53dd76f818718c50a1cd60f22ac7a2044708fb",
        );
        check(
            name(" ÆBLE-Østergård "),
            "æbleøstergård",
            "ef4b6bc2c2eccc0a5d0796fdb0486fdcf6ecfa27e133cf134f43daecdb786162",
        );
        check(
            name("Hélène"),
            "hélène",
            "1a614fda1b9477d9caaa3d6a4eb41fdaafbc920ee6af3bbee1570b288f2765cf",
        );
        // "é" as e + combining acute hashes like the precomposed letter.
        assert_eq!(name("He\u{301}le\u{300}ne"), "hélène");
        assert_eq!(name("D'Artagnan Jr."), "dartagnanjr");
    }

    #[test]
    fn a_city_loses_spaces_punctuation_and_digits() {
        check(
            city("København K"),
            "københavnk",
            "8da383bc604b8dc1d42d29de903598df0185dd5e45a179eac007db52238cbe8c",
        );
        assert_eq!(city("Saint-Étienne"), "saintétienne");
        assert_eq!(city("Aarhus C. 8000"), "aarhusc");
    }

    #[test]
    fn a_postal_code_with_a_space_loses_it_and_a_us_code_keeps_five_digits() {
        check(
            zip("SW1A 1AA", Some("gb")),
            "sw1a1aa",
            "830e1d4b9838bab1f5c2acdb23e0b502ff13a9832c4632e8d67a1d43d3b7f614",
        );
        assert_eq!(zip(" 2100 ", Some("dk")), "2100");
        assert_eq!(zip("94025-1234", Some("us")), "94025");
    }

    #[test]
    fn a_birth_date_is_year_month_and_day_with_leading_zeros() {
        let date = NaiveDate::from_ymd_opt(1987, 3, 9).expect("a date");
        check(
            birth_year(date),
            "1987",
            "744b93f9950fc38dad705556931ea48193b99dcb191cc9bd77097f65fbe2f0b8",
        );
        check(
            birth_month(date),
            "03",
            "0b8efa5a3bf104413a725c6ff0459a6be12b1fd33314cbb138745baf39504ae5",
        );
        check(
            birth_day(date),
            "09",
            "3514acf61732f662da19625f7fe781c3e483f2dce8506012f3bb393f5003e105",
        );
    }

    #[test]
    fn country_and_gender_are_lowercase_codes() {
        check(
            country("DK"),
            "dk",
            "867b4bf4357a7c0e415ffd537f61ea8785dd47113104000b534a130c98a42ce8",
        );
        assert_eq!(country("Denmark"), "");
        assert_eq!(gender(Gender::Female), "f");
        assert_eq!(gender(Gender::Male), "m");
        assert_eq!(gender(Gender::Other), "");
    }

    #[test]
    fn a_row_hashes_everything_but_the_extern_id_and_leaves_unknowns_empty() {
        let person = Person {
            customer_id: "cus_01J00000000000000000000000",
            email: Some(" Mette.Hansen@Example.DK"),
            phone: Some("20 12 34 56"),
            first_name: Some("Mette"),
            country: Some("DK"),
            ..Person::default()
        };
        let row = row(&person);
        assert_eq!(row.len(), SCHEMA.len());
        assert_eq!(row[0], "cus_01J00000000000000000000000");
        assert_eq!(row[1], hash("mette.hansen@example.dk"));
        assert_eq!(row[2], hash("4520123456"));
        assert_eq!(row[7], hash("dk"));
        for (i, value) in row.iter().enumerate().skip(1) {
            let filled = [1, 2, 3, 7].contains(&i);
            assert_eq!(value.is_empty(), !filled, "column {}", SCHEMA[i]);
            if filled {
                assert!(value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit()));
            }
        }
        assert_eq!(hash(""), "");
    }
}
