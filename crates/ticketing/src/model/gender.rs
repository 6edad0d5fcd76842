//! A customer's gender for segments and reports: as stored, else said by the title, else
//! inferred from the first name. Inference is a guess, so every answer says what it rests on,
//! and the customer page shows it.
//!
//! First names are looked up, in order:
//! 1. a short list kept here, for names of this product's markets (Danish, French, English) the
//!    dictionary does not know or reads another way (names given since it was made);
//! 2. the dictionary: Jörg Michael's `nam_dict.txt` (version 1.2, 2008, from his `gender.c`;
//!    GNU Free Documentation License 1.2), some 48,000 first names of 50 countries, each marked
//!    male, female, mostly male, mostly female or unisex, with how common it is in each country.
//!    `data/first_names.tsv` is derived from it by `data/first_names.py` (see there). A name
//!    marked both ways ("Karen": a woman's name in Denmark and Britain, a man's in the
//!    Netherlands) is read as in the product's markets (Britain, Ireland, France, Belgium,
//!    Denmark, Norway, Sweden): the reading most common there wins; a name unknown there is read
//!    as where it is most common. Unisex names, ties and unknown names infer nothing.
//!
//! (The `gender_guesser` crate ships the same dictionary but keeps one line per name, the last:
//! "Anne" comes out unisex and "Karen" male, so it is not used.)
//!
//! A compound name ("Anne-Marie", "Jens Peter") is looked up whole, then by its first part.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Female or male, from the stored gender, else the title, else the first name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InferredGender {
    Female,
    Male,
}

impl InferredGender {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
        }
    }
}

/// What an inferred gender rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Basis {
    /// The customer's stored gender.
    Stored,
    /// The title (e.g. "Fru", "Mme", "Mr").
    Title(String),
    /// The first name (or its first part), found in the markets' list.
    MarketName(String),
    /// The first name found in the name dictionary; `certain` is false for a name the
    /// dictionary marks as only mostly of that gender.
    Dictionary { name: String, certain: bool },
}

impl Basis {
    /// The locale key of how the customer page says it.
    pub fn label_key(&self) -> &'static str {
        match self {
            Self::Stored => "gender-basis-stored",
            Self::Title(_) => "gender-basis-title",
            Self::MarketName(_) => "gender-basis-market-name",
            Self::Dictionary { certain: true, .. } => "gender-basis-dictionary",
            Self::Dictionary { certain: false, .. } => "gender-basis-dictionary-mostly",
        }
    }

    /// The word it rests on (title or name); empty for a stored gender.
    pub fn word(&self) -> &str {
        match self {
            Self::Stored => "",
            Self::Title(word) | Self::MarketName(word) => word,
            Self::Dictionary { name, .. } => name,
        }
    }
}

/// A gender and what it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inference {
    pub gender: InferredGender,
    pub basis: Basis,
}

/// Titles that say the gender, lower case, in English, Danish and French.
pub const FEMALE_TITLES: &[&str] = &[
    "mrs",
    "mrs.",
    "ms",
    "ms.",
    "miss",
    "fru",
    "frk",
    "frk.",
    "frøken",
    "mme",
    "mme.",
    "madame",
    "mlle",
    "mlle.",
    "mademoiselle",
    "lady",
];
pub const MALE_TITLES: &[&str] = &[
    "mr", "mr.", "hr", "hr.", "herr", "m", "m.", "monsieur", "sir",
];

/// First names of the product's markets the dictionary misses or reads another way, lower
/// case (see the module documentation).
const MARKET_FEMALE_NAMES: &[&str] = &[
    // Read as men's names or not known by the dictionary, women's names in these markets.
    "andrea", "harper", "lærke", "laerke", "vigga", "lou",
];
const MARKET_MALE_NAMES: &[&str] = &[
    // Mostly men in Denmark (the dictionary reads it mostly female, as in Britain).
    "kim", "malthe", "villads", "alfie",
];

/// The gender the dashboard filters by. "other" is neither women nor men; unknown stays
/// unknown.
pub fn infer(
    gender: Option<&str>,
    title: Option<&str>,
    first_name: Option<&str>,
) -> Option<Inference> {
    match gender {
        Some("female") => return Some(stored(InferredGender::Female)),
        Some("male") => return Some(stored(InferredGender::Male)),
        Some("other") => return None,
        _ => {}
    }
    if let Some(title) = title.map(|t| t.trim().to_lowercase()) {
        let said = if FEMALE_TITLES.contains(&title.as_str()) {
            Some(InferredGender::Female)
        } else if MALE_TITLES.contains(&title.as_str()) {
            Some(InferredGender::Male)
        } else {
            None
        };
        if let Some(gender) = said {
            return Some(Inference {
                gender,
                basis: Basis::Title(title),
            });
        }
    }
    let name = first_name.map(str::trim).filter(|n| !n.is_empty())?;
    by_name(name).or_else(|| {
        let first_part = name.split(['-', ' ']).find(|part| !part.is_empty())?;
        (first_part != name).then(|| by_name(first_part)).flatten()
    })
}

fn stored(gender: InferredGender) -> Inference {
    Inference {
        gender,
        basis: Basis::Stored,
    }
}

/// One name: the markets' list, then the dictionary.
fn by_name(name: &str) -> Option<Inference> {
    let folded = name.to_lowercase();
    let market = if MARKET_FEMALE_NAMES.contains(&folded.as_str()) {
        Some(InferredGender::Female)
    } else if MARKET_MALE_NAMES.contains(&folded.as_str()) {
        Some(InferredGender::Male)
    } else {
        None
    };
    if let Some(gender) = market {
        return Some(Inference {
            gender,
            basis: Basis::MarketName(name.to_string()),
        });
    }
    let (gender, certain) = dictionary()
        .get(folded.as_str())
        .or_else(|| dictionary().get(without_accents(&folded).as_str()))
        .and_then(|lines| read(lines))?;
    Some(Inference {
        gender,
        basis: Basis::Dictionary {
            name: name.to_string(),
            certain,
        },
    })
}

/// One line of the dictionary: a reading of a name and how common it is.
#[derive(Debug, Clone, Copy)]
struct Reading {
    /// `None`: unisex.
    gender: Option<InferredGender>,
    /// Marked only "mostly" this gender (`?M`, `?F`).
    mostly: bool,
    /// Highest frequency (0–13) in the product's markets.
    market: u8,
    /// Highest frequency anywhere.
    overall: u8,
}

/// The dictionary, read once.
fn dictionary() -> &'static HashMap<&'static str, Vec<Reading>> {
    static DICTIONARY: OnceLock<HashMap<&'static str, Vec<Reading>>> = OnceLock::new();
    DICTIONARY.get_or_init(|| {
        let mut names: HashMap<&'static str, Vec<Reading>> = HashMap::new();
        for line in include_str!("../../data/first_names.tsv").lines() {
            let mut fields = line.split('\t');
            let (Some(name), Some(code)) = (fields.next(), fields.next()) else {
                continue;
            };
            let numbers: Vec<u8> = fields.filter_map(|f| f.parse().ok()).collect();
            let Some((overall, markets)) = numbers.split_last() else {
                continue;
            };
            let (gender, mostly) = match code {
                "M" | "1M" => (Some(InferredGender::Male), false),
                "?M" => (Some(InferredGender::Male), true),
                "F" | "1F" => (Some(InferredGender::Female), false),
                "?F" => (Some(InferredGender::Female), true),
                _ => (None, false),
            };
            names.entry(name).or_default().push(Reading {
                gender,
                mostly,
                market: markets.iter().copied().max().unwrap_or(0),
                overall: *overall,
            });
        }
        names
    })
}

/// The dictionary writes French names without their accents ("Elodie", "Eric") and keeps the
/// Nordic letters ("Søren", "Åse"): accents are folded away, æ, ø and å stay.
fn without_accents(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    name.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .nfc()
        .collect()
}

/// A name's readings to one gender: the most common reading in the markets, else anywhere;
/// nothing when that is unisex or two readings of different genders are as common.
fn read(readings: &[Reading]) -> Option<(InferredGender, bool)> {
    let in_markets = readings.iter().any(|r| r.market > 0);
    let weight = |r: &Reading| if in_markets { r.market } else { r.overall };
    let best = readings.iter().map(weight).max()?;
    let mut top = readings.iter().filter(|r| weight(r) == best);
    let first = top.next()?;
    let gender = first.gender?;
    let mut certain = !first.mostly;
    for other in top {
        if other.gender != Some(gender) {
            return None;
        }
        certain &= !other.mostly;
    }
    Some((gender, certain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::names::*;

    fn gender_of(name: &str) -> Option<InferredGender> {
        infer(None, None, Some(name)).map(|i| i.gender)
    }

    #[test]
    fn every_first_name_of_the_three_markets_demo_lists_is_inferred_right() {
        let mut wrong = Vec::new();
        for (names, expected) in [
            (DANISH_FEMALE, InferredGender::Female),
            (FRENCH_FEMALE, InferredGender::Female),
            (ENGLISH_FEMALE, InferredGender::Female),
            (DANISH_MALE, InferredGender::Male),
            (FRENCH_MALE, InferredGender::Male),
            (ENGLISH_MALE, InferredGender::Male),
        ] {
            for name in names {
                // Given to girls and boys alike in France: nothing is inferred, rightly.
                if ["Dominique", "Sacha"].contains(name) {
                    assert_eq!(gender_of(name), None, "{name}");
                    continue;
                }
                if gender_of(name) != Some(expected) {
                    wrong.push(format!("{name}: {:?}", gender_of(name)));
                }
            }
        }
        assert!(wrong.is_empty(), "{wrong:?}");
    }

    #[test]
    fn the_names_the_old_short_lists_missed_are_found() {
        for name in ["Bente", "Malene", "Vibeke", "Rikke", "Sofia"] {
            assert_eq!(gender_of(name), Some(InferredGender::Female), "{name}");
        }
        for name in ["Knud", "Alexander", "Sebastian"] {
            assert_eq!(gender_of(name), Some(InferredGender::Male), "{name}");
        }
    }

    #[test]
    fn the_markets_reading_wins_over_the_dictionary() {
        let andrea = infer(None, None, Some("Andrea")).expect("inferred");
        assert_eq!(andrea.gender, InferredGender::Female);
        assert_eq!(andrea.basis, Basis::MarketName("Andrea".into()));
    }

    #[test]
    fn stored_gender_then_title_then_name_and_compound_names_by_their_first_part() {
        assert_eq!(
            infer(Some("male"), Some("Fru"), Some("Anne")).map(|i| i.gender),
            Some(InferredGender::Male)
        );
        assert_eq!(infer(Some("other"), Some("Fru"), Some("Anne")), None);
        let titled = infer(None, Some(" Mme "), Some("Dominique")).expect("inferred");
        assert_eq!(
            (titled.gender, titled.basis),
            (InferredGender::Female, Basis::Title("mme".into()))
        );
        assert_eq!(gender_of("Jens Peter"), Some(InferredGender::Male));
        assert_eq!(gender_of("Anne-Sophie"), Some(InferredGender::Female));
        assert_eq!(gender_of("Dominique"), None, "unisex names infer nothing");
        assert_eq!(
            gender_of("Élodie"),
            Some(InferredGender::Female),
            "accents folded"
        );
        assert_eq!(gender_of("Søren"), Some(InferredGender::Male));
        assert_eq!(
            gender_of("Karen"),
            Some(InferredGender::Female),
            "as in the markets"
        );
        assert_eq!(gender_of("Xqzw"), None);
        assert_eq!(gender_of("   "), None);
    }
}
