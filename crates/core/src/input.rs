//! Values people type into forms, read the one way every module's form parsing uses: a value
//! that is not what the field wants is an error naming the field, never a silent default.

use std::ops::RangeInclusive;

use crate::error::{Error, Problem, Result};

/// A whole number typed into `field`, within `range`. Empty is "required"; anything else that
/// is not a whole number in the range says which numbers are allowed.
pub fn whole_number_in(field: &str, text: &str, range: RangeInclusive<i64>) -> Result<i64> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::required(field));
    }
    match trimmed.parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(Error::invalid_because(
            field,
            Problem::NotAWholeNumber,
            format!(
                "`{}` is not a whole number from {} to {}",
                trimmed.chars().take(40).collect::<String>(),
                range.start(),
                range.end()
            ),
        )),
    }
}

/// As [`whole_number_in`], where an empty field means "not given".
pub fn optional_whole_number_in(
    field: &str,
    text: &str,
    range: RangeInclusive<i64>,
) -> Result<Option<i64>> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        whole_number_in(field, text, range).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(result: Result<i64>) -> Option<Problem> {
        match result {
            Err(Error::Validation { fields, .. }) => fields.first().and_then(|f| f.problem),
            _ => None,
        }
    }

    #[test]
    fn a_typed_number_within_its_range_is_read() {
        assert_eq!(whole_number_in("steps", " 42 ", 1..=100).ok(), Some(42));
    }

    #[test]
    fn text_that_is_not_a_number_is_refused_with_the_field_and_its_kind() {
        let refused = whole_number_in("steps", "abc", 1..=100);
        assert_eq!(problem(refused), Some(Problem::NotAWholeNumber));
        let out_of_range = whole_number_in("steps", "101", 1..=100);
        assert_eq!(problem(out_of_range), Some(Problem::NotAWholeNumber));
        assert_eq!(
            problem(whole_number_in("steps", "  ", 1..=100)),
            Some(Problem::Required)
        );
    }

    #[test]
    fn an_empty_optional_number_is_not_given() {
        assert_eq!(optional_whole_number_in("max", "", 0..=9).ok(), Some(None));
        assert!(optional_whole_number_in("max", "x", 0..=9).is_err());
    }
}
