//! Country calling codes (ITU-T E.164) by ISO 3166-1 alpha-2, to complete a national phone
//! number with its country's code before it is hashed for Meta.
//!
//! A table rather than a crate: the phone-number crates carry every numbering plan of the world
//! (and a regex engine) for what is here one lookup. The table covers Europe whole and the
//! countries customers of a European box office come from most; a country missing from it only
//! means that its customers' national numbers (without `+`) are not sent.

/// The calling code of `country` (alpha-2, lowercase), without `+`.
pub fn calling_code(country: &str) -> Option<&'static str> {
    Some(match country {
        // Nordic and Baltic countries.
        "dk" => "45",
        "se" => "46",
        "no" => "47",
        "fi" => "358",
        "ax" => "358",
        "is" => "354",
        "fo" => "298",
        "gl" => "299",
        "ee" => "372",
        "lv" => "371",
        "lt" => "370",
        // Western Europe.
        "gb" => "44",
        "ie" => "353",
        "fr" => "33",
        "be" => "32",
        "nl" => "31",
        "lu" => "352",
        "de" => "49",
        "at" => "43",
        "ch" => "41",
        "li" => "423",
        "mc" => "377",
        "ad" => "376",
        "es" => "34",
        "pt" => "351",
        "it" => "39",
        "sm" => "378",
        "va" => "39",
        "mt" => "356",
        "gi" => "350",
        "im" => "44",
        "je" => "44",
        "gg" => "44",
        // Central, eastern and south-eastern Europe.
        "pl" => "48",
        "cz" => "420",
        "sk" => "421",
        "hu" => "36",
        "si" => "386",
        "hr" => "385",
        "ba" => "387",
        "rs" => "381",
        "me" => "382",
        "mk" => "389",
        "al" => "355",
        "xk" => "383",
        "bg" => "359",
        "ro" => "40",
        "md" => "373",
        "ua" => "380",
        "by" => "375",
        "ru" => "7",
        "gr" => "30",
        "cy" => "357",
        "tr" => "90",
        "ge" => "995",
        "am" => "374",
        "az" => "994",
        // The Americas.
        "us" => "1",
        "ca" => "1",
        "mx" => "52",
        "br" => "55",
        "ar" => "54",
        "cl" => "56",
        "co" => "57",
        "pe" => "51",
        // Africa and the Middle East.
        "ma" => "212",
        "dz" => "213",
        "tn" => "216",
        "eg" => "20",
        "za" => "27",
        "ng" => "234",
        "sn" => "221",
        "ci" => "225",
        "cm" => "237",
        "ke" => "254",
        "il" => "972",
        "lb" => "961",
        "ae" => "971",
        "sa" => "966",
        "qa" => "974",
        "ir" => "98",
        // Asia and Oceania.
        "in" => "91",
        "pk" => "92",
        "cn" => "86",
        "hk" => "852",
        "jp" => "81",
        "kr" => "82",
        "tw" => "886",
        "sg" => "65",
        "th" => "66",
        "vn" => "84",
        "ph" => "63",
        "id" => "62",
        "my" => "60",
        "au" => "61",
        "nz" => "64",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_product_markets_and_their_neighbours_have_their_codes() {
        assert_eq!(calling_code("dk"), Some("45"));
        assert_eq!(calling_code("fr"), Some("33"));
        assert_eq!(calling_code("gb"), Some("44"));
        assert_eq!(calling_code("de"), Some("49"));
        assert_eq!(calling_code("us"), Some("1"));
        assert_eq!(calling_code("DK"), None, "codes are looked up in lowercase");
        assert_eq!(calling_code("zz"), None);
    }
}
