//! Whole numbers (quantities, capacities) as organizers' spreadsheets write them — the one rule
//! every import reads them by, so that a file means the same thing to every importer.
//!
//! - `2`, `2.0`, `2,0` and `2,00` are 2. A Danish or French export writes a decimal comma
//!   (`2,0`, usually in a semicolon-separated file); an English one a decimal point; a cell
//!   formatted with decimals writes its zeros. Whatever follows the decimal mark must be zeros.
//! - `2,5` and `2.5` are refused: not a whole number (a quantity counts whole tickets; rounding it
//!   silently would give someone half a ticket more or less).
//! - Thousands are grouped with spaces (`1 000`, also the no-break spaces French exports write), or
//!   with the mark that is not the decimal one: `1.000.000`, `1,000,000`, `1.234,00`, `1,234.00`.
//!   Groups after the first have exactly three digits.
//! - One mark followed by exactly three digits (`2.000`, `1,500`) reads two ways — thousands in
//!   one language, decimals in the other — and is refused with both readings named, rather than
//!   read the wrong way.
//! - A leading `-` or `+` is kept: the importer says which range it accepts ("1 or more").

use super::shown_cell;
use crate::i18n::Msg;

/// Spaces that group thousands: a space, a no-break space (French exports), a narrow no-break
/// space.
fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}')
}

/// Reads a cell as a whole number by the rule in the module docs. The error is the reason only
/// (the caller adds the row and the column): "`2,5` is not a whole number".
pub fn whole_number(cell: &str) -> Result<i64, Msg> {
    let text = cell.trim();
    if text.is_empty() {
        return Err(Msg::new("engine-empty"));
    }
    let shown = shown_cell(text);
    let not_whole = || Msg::new("engine-not-whole-number").arg("value", &shown);
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (integer, fraction) = split_decimal(unsigned, &shown)?;
    let digits = grouped_digits(integer).ok_or_else(not_whole)?;
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.chars().all(|c| c.is_ascii_digit()) {
            return Err(not_whole());
        }
        if fraction.chars().any(|c| c != '0') {
            return Err(not_whole());
        }
    }
    let magnitude: i64 = digits
        .parse()
        .map_err(|_| Msg::new("engine-number-too-large").arg("value", &shown))?;
    Ok(if negative { -magnitude } else { magnitude })
}

/// Splits a number at its decimal mark: the integer part (grouping still in it) and the digits
/// after the mark, if there is one.
fn split_decimal<'t>(text: &'t str, shown: &str) -> Result<(&'t str, Option<&'t str>), Msg> {
    let last_dot = text.rfind('.');
    let last_comma = text.rfind(',');
    let decimal = match (last_dot, last_comma) {
        (None, None) => return Ok((text, None)),
        // Both marks: the last one is the decimal mark, the other groups thousands.
        (Some(dot), Some(comma)) => {
            if dot > comma {
                '.'
            } else {
                ','
            }
        }
        (Some(_), None) | (None, Some(_)) => {
            let mark = if last_dot.is_some() { '.' } else { ',' };
            if text.matches(mark).count() > 1 {
                // `1.000.000`: a mark that occurs twice can only group thousands.
                return Ok((text, None));
            }
            let (integer, fraction) = text.split_once(mark).unwrap_or((text, ""));
            let plain_thousand = (1..=3).contains(&integer.len())
                && integer.chars().all(|c| c.is_ascii_digit())
                && !integer.starts_with('0');
            if plain_thousand && fraction.len() == 3 && fraction.chars().all(|c| c.is_ascii_digit())
            {
                let as_thousands = format!("{integer}{fraction}");
                let as_decimal = format!("{integer}.{fraction}");
                return Err(Msg::new("engine-number-two-ways")
                    .arg("value", shown)
                    .arg("thousands", as_thousands)
                    .arg("decimal", as_decimal)
                    .arg("mark", mark));
            }
            mark
        }
    };
    let (integer, fraction) = text.rsplit_once(decimal).unwrap_or((text, ""));
    if integer.contains(decimal) {
        // `1,000.000,00`: the decimal mark also inside the integer part.
        return Err(Msg::new("engine-not-whole-number").arg("value", shown));
    }
    Ok((integer, Some(fraction)))
}

/// The digits of an integer part, thousands grouping removed; `None` when the grouping is not
/// groups of three after a first group of one to three digits.
fn grouped_digits(integer: &str) -> Option<String> {
    let groups: Vec<&str> = integer
        .split(|c: char| c == '.' || c == ',' || is_group_space(c))
        .collect();
    let all_digits = |g: &str| !g.is_empty() && g.chars().all(|c| c.is_ascii_digit());
    match groups.split_first() {
        Some((only, [])) => all_digits(only).then(|| (*only).to_string()),
        Some((first, rest)) => {
            let grouped = all_digits(first)
                && first.len() <= 3
                && rest.iter().all(|g| all_digits(g) && g.len() == 3);
            grouped.then(|| groups.concat())
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reason in English, as the API and the rejected-rows file give it.
    fn english(cell: &str) -> Result<i64, String> {
        whole_number(cell).map_err(|m| m.to_string())
    }

    #[test]
    fn decimal_comma_whole_quantities_read_as_integers() {
        for (cell, expected) in [
            ("2", 2),
            ("2,0", 2),
            ("2.0", 2),
            ("2,00", 2),
            (" 12,0 ", 12),
            ("1.000.000", 1_000_000),
            ("1,000,000", 1_000_000),
            ("1 000", 1_000),
            ("1\u{a0}000,00", 1_000),
            ("1.234,00", 1_234),
            ("1,234.00", 1_234),
            ("12345", 12_345),
            ("-1", -1),
            ("+3", 3),
            ("0", 0),
        ] {
            assert_eq!(whole_number(cell), Ok(expected), "{cell:?}");
        }
    }

    #[test]
    fn a_fraction_is_not_a_whole_number() {
        for cell in [
            "2,5", "2.5", "2,05", "1.234,50", "two", "2,", "1.2.3", "1 00", "--2",
        ] {
            assert_eq!(
                english(cell),
                Err(format!("`{cell}` is not a whole number")),
                "{cell:?}"
            );
        }
        assert_eq!(english("  "), Err("is empty".to_string()));
        assert_eq!(
            english("99999999999999999999"),
            Err("`99999999999999999999` is too large a number".to_string())
        );
    }

    #[test]
    fn one_mark_before_three_digits_is_refused_as_ambiguous() {
        let reason = english("2.000").err().unwrap_or_default();
        assert!(
            reason.starts_with("`2.000` reads two ways: 2000 (`.` grouping thousands) or 2.000"),
            "{reason}"
        );
        let reason = english("1,500").err().unwrap_or_default();
        assert!(
            reason.contains("1500") && reason.contains("1.500"),
            "{reason}"
        );
        // A leading zero or four digits cannot be thousands: read as decimals.
        assert_eq!(whole_number("0,000"), Ok(0));
        assert_eq!(whole_number("2,0000"), Ok(2));
    }

    #[test]
    fn the_reason_reads_in_the_readers_language() {
        let reason = whole_number("2,5").expect_err("refused");
        assert_eq!(
            reason.render(crate::i18n::Lang::Da),
            "`2,5` er ikke et helt tal"
        );
        assert_eq!(
            reason.render(crate::i18n::Lang::Fr),
            "`2,5` n’est pas un nombre entier"
        );
        let ambiguous = whole_number("2.000").expect_err("refused");
        assert!(ambiguous
            .render(crate::i18n::Lang::Da)
            .starts_with("`2.000` kan læses på to måder: 2000"));
    }
}
