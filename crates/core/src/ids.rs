//! Typed public ids: a short prefix that says what the id names, then a ULID
//! (`cus_01JD8Q3W6M4Z1T0R5Y7X2B9C4E`).
//!
//! The prefix makes an id pasted into the wrong place fail loudly ("`evt_…` is not a customer
//! id") instead of silently finding nothing, and ULIDs sort by creation time, which gives cursor
//! pagination a stable order for free. Ids are stored as the full prefixed text so what a
//! developer sees in the API is what they find in the database.

use crate::error::Error;

/// Declares a typed id with its prefix and the name used in error messages.
#[macro_export]
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
            pub const KIND: &'static str = $kind;

            /// A fresh id, ordered after every id made before it in this process.
            pub fn generate() -> Self {
                Self($crate::ids::generate($prefix))
            }

            /// Parses an id a caller gave us; the error says what shape was expected.
            pub fn parse(value: &str) -> Result<Self, $crate::error::Error> {
                $crate::ids::parse($prefix, $kind, value).map(Self)
            }

            /// Wraps a value read back from our own database.
            pub fn from_db(value: String) -> Self {
                Self(value)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::Error;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(concat!("The id of one ", $kind, ": `", $prefix, "_` followed by a 26-character ULID.")))
                    .pattern(Some($crate::id_pattern!($prefix)))
                    .min_length(Some($prefix.len() + 27))
                    .max_length(Some($prefix.len() + 27))
                    .examples([serde_json::json!(concat!($prefix, "_01JD8Q3W6M4Z1T0R5Y7X2B9C4E"))])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// The JSON Schema `pattern` of an id with this prefix: exactly what [`parse`] accepts (Crockford
/// base 32 without I, L, O, U, either case; the first digit at most 7).
#[macro_export]
macro_rules! id_pattern {
    ($prefix:literal) => {
        concat!("^", $prefix, "_[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$")
    };
}

/// Makes `prefix_ULID`. ULIDs made in one process are monotonic, so ids sort in creation order.
pub fn generate(prefix: &str) -> String {
    use std::sync::Mutex;
    static GENERATOR: Mutex<Option<ulid::Generator>> = Mutex::new(None);
    let ulid = match GENERATOR.lock() {
        Ok(mut guard) => {
            let generator = guard.get_or_insert_with(ulid::Generator::new);
            // Overflow happens only after 2^80 ids in one millisecond; fall back to a fresh one.
            generator.generate().unwrap_or_else(|_| ulid::Ulid::new())
        }
        Err(_) => ulid::Ulid::new(),
    };
    format!("{prefix}_{ulid}")
}

/// Checks that `value` is `prefix_` followed by a valid ULID; returns its canonical form.
pub fn parse(prefix: &str, kind: &'static str, value: &str) -> Result<String, Error> {
    let invalid = |reason: &'static str| Error::InvalidId {
        kind: kind.into(),
        value: truncate(value),
        reason: reason.into(),
    };
    let Some(rest) = value.strip_prefix(prefix).and_then(|r| r.strip_prefix('_')) else {
        return Err(invalid(match value.split_once('_') {
            Some(_) => "it belongs to another kind of resource",
            None => "it should start with its prefix and an underscore",
        }));
    };
    // 26 base-32 digits hold 130 bits; a ULID has 128, so the first digit is at most 7. The ulid
    // crate silently drops the two extra bits, which made `Z…` and `7…` the same id.
    if !rest.starts_with(|c: char| ('0'..='7').contains(&c)) {
        return Err(invalid(
            "the part after the prefix should be 26 letters and digits, the first at most 7",
        ));
    }
    let ulid = ulid::Ulid::from_string(rest)
        .map_err(|_| invalid("the part after the prefix should be 26 letters and digits"))?;
    Ok(format!("{prefix}_{ulid}"))
}

fn truncate(value: &str) -> String {
    value.chars().take(64).collect()
}

define_id!(
    /// An organization (tenant).
    OrgId, "org", "organization"
);
define_id!(
    /// A user of an organization.
    UserId, "usr", "user"
);
define_id!(
    /// An API token.
    TokenId, "tok", "API token"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_sort_in_creation_order() {
        let a = OrgId::generate();
        let b = OrgId::generate();
        assert!(a < b);
        assert_eq!(OrgId::parse(a.as_str()).ok(), Some(a));
    }

    #[test]
    fn an_id_of_another_kind_is_rejected_with_its_reason() {
        let user = UserId::generate();
        let err = OrgId::parse(user.as_str())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("another kind"), "{err}");
        assert!(OrgId::parse("org_nope").is_err());
        assert!(OrgId::parse("").is_err());
    }

    #[test]
    fn a_ulid_beyond_128_bits_is_rejected_not_folded_onto_another_id() {
        let id = OrgId::generate();
        let rest = &id.as_str()[4..];
        let overflowing = format!("org_Z{}", &rest[1..]);
        assert!(OrgId::parse(&overflowing).is_err(), "{overflowing}");
        assert!(OrgId::parse(&format!("org_7{}", &rest[1..])).is_ok());
    }

    #[test]
    fn the_documented_pattern_matches_what_parse_accepts() {
        let pattern = crate::id_pattern!("org");
        assert_eq!(pattern, "^org_[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$");
        let id = OrgId::generate();
        let lower = id.as_str().to_lowercase();
        for (value, ok) in [
            (id.as_str(), true),
            (lower.as_str(), true),
            ("org_8ZZZZZZZZZZZZZZZZZZZZZZZZZ", false),
            ("org_01JD8Q3W6M4Z1T0R5Y7X2B9C4I", false),
            ("org_01JD8Q3W6M4Z1T0R5Y7X2B9C4", false),
        ] {
            assert_eq!(OrgId::parse(value).is_ok(), ok, "{value}");
            assert_eq!(matches_pattern(value, "org"), ok, "{value}");
        }
    }

    /// The pattern, checked by hand (no regex crate here): prefix, `_`, 0-7, 25 base-32 digits.
    fn matches_pattern(value: &str, prefix: &str) -> bool {
        let Some(rest) = value.strip_prefix(prefix).and_then(|r| r.strip_prefix('_')) else {
            return false;
        };
        let digit = |c: char| c.is_ascii_alphanumeric() && !"IiLlOoUu".contains(c);
        rest.chars().count() == 26
            && rest.starts_with(|c: char| ('0'..='7').contains(&c))
            && rest.chars().all(digit)
    }

    #[test]
    fn lowercase_ids_are_accepted_and_made_canonical() {
        let id = OrgId::generate();
        let lower = id.as_str().to_lowercase();
        assert_eq!(OrgId::parse(&lower).ok(), Some(id));
    }
}
