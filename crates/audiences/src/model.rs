//! Audiences and their members: types and the rules every member obeys, wherever it comes from
//! (a form, the API, an uploaded file, a generator). No I/O here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use fullhouse_core::define_id;
use fullhouse_core::error::FieldError;
use fullhouse_core::tabular::{whole_number, FieldSpec, HeaderRows};
use fullhouse_core::{Error, Msg};
use fullhouse_ticketing::{CustomerId, EventId, VenueId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::import::ReadChoices;

define_id!(
    /// An audience: a named list of codes.
    AudienceId, "aud", "audience"
);
define_id!(
    /// One member (code) of an audience.
    MemberId, "mem", "member"
);

/// How an audience came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AudienceSource {
    Blank,
    Upload,
    Generated,
    /// Made from a segment view: one member per customer, kept in step with the view.
    Segment,
}

impl AudienceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blank => "blank",
            Self::Upload => "upload",
            Self::Generated => "generated",
            Self::Segment => "segment",
        }
    }

    pub fn parse(value: &str) -> Self {
        match value {
            "upload" => Self::Upload,
            "generated" => Self::Generated,
            "segment" => Self::Segment,
            _ => Self::Blank,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Audience {
    pub id: AudienceId,
    pub name: String,
    pub description: Option<String>,
    /// When set, seat labels and categories of members must exist at this venue.
    pub venue_id: Option<VenueId>,
    /// When set, categories of members must exist among these events' ticket types.
    pub event_ids: Vec<EventId>,
    pub source: AudienceSource,
    pub member_count: i64,
    /// The sum of the members' quantities: how many uses the audience holds.
    pub total_quantity: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAudience {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub venue_id: Option<VenueId>,
    #[serde(default)]
    pub event_ids: Vec<EventId>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AudiencePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub venue_id: Option<VenueId>,
    pub event_ids: Option<Vec<EventId>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Member {
    pub id: MemberId,
    pub audience_id: AudienceId,
    pub code: String,
    /// How many times the code may be used.
    pub quantity: i64,
    pub category: Option<String>,
    pub seat_label: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A member as typed in a form or sent to the API. `customer` is a customer id or an email.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub code: String,
    pub quantity: i64,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub seat_label: Option<String>,
    /// A customer id (`cus_…`) or email address.
    #[serde(default)]
    pub customer: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    pub code: Option<String>,
    pub quantity: Option<i64>,
    /// An empty string clears it.
    pub category: Option<String>,
    /// An empty string clears it.
    pub seat_label: Option<String>,
    /// A customer id or email; an empty string clears it.
    pub customer: Option<String>,
}

/// The longest code accepted (barcodes are at most 48 characters in practice).
pub const MAX_CODE_LENGTH: usize = 100;
/// The largest quantity one code can hold.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// The longest audience name.
pub const MAX_NAME_LENGTH: usize = 200;

/// A code as stored: trimmed, and checked for what makes a code untypeable.
pub fn clean_code(raw: &str) -> Result<String, Msg> {
    let code = raw.trim();
    if code.is_empty() {
        return Err(Msg::new("engine-code-empty"));
    }
    if code.chars().count() > MAX_CODE_LENGTH {
        return Err(Msg::new("engine-code-too-long").num("max", MAX_CODE_LENGTH));
    }
    if code.chars().any(char::is_control) {
        return Err(Msg::new("engine-code-control-character"));
    }
    Ok(code.to_string())
}

/// The key codes are compared by: buyers type `vip321` for `VIP321`.
pub fn code_key(code: &str) -> String {
    code.trim().to_lowercase()
}

/// A quantity from a cell: a positive whole number, read by the one rule every import uses
/// ([`whole_number`]: `2`, `2.0` and `2,0` are 2; `2,5` is refused).
pub fn parse_quantity(raw: &str) -> Result<i64, Msg> {
    if raw.trim().is_empty() {
        return Err(Msg::new("engine-quantity-empty"));
    }
    whole_number(raw).and_then(check_quantity)
}

pub fn check_quantity(quantity: i64) -> Result<i64, Msg> {
    if quantity < 1 {
        Err(Msg::new("engine-quantity-too-small").num("quantity", quantity))
    } else if quantity > MAX_QUANTITY {
        Err(Msg::new("engine-quantity-too-large").num("max", MAX_QUANTITY))
    } else {
        Ok(quantity)
    }
}

/// An optional text cell: trimmed, empty is none.
pub fn optional_text(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

pub fn check_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new(
            "name",
            "is empty; give the audience a name",
        ));
    }
    if name.chars().count() > MAX_NAME_LENGTH {
        return Err(FieldError::new(
            "name",
            format!("is longer than {MAX_NAME_LENGTH} characters"),
        ));
    }
    Ok(name.to_string())
}

/// The columns an audience upload can have, with the header names that map to them
/// automatically in English, Danish and French.
pub const MEMBER_FIELDS: [FieldSpec; 5] = [
    FieldSpec {
        name: "code",
        aliases: &[
            "barcode",
            "bar code",
            "access code",
            "discount code",
            "voucher",
            "coupon",
            "kode",
            "stregkode",
            "rabatkode",
            "adgangskode",
            "billetnummer",
            "code-barre",
            "code barre",
            "codebarre",
            "code d'accès",
            "code promo",
            "bon",
        ],
        required: true,
    },
    FieldSpec {
        name: "quantity",
        aliases: &[
            "qty",
            "uses",
            "count",
            "antal",
            "mængde",
            "anvendelser",
            "quantité",
            "nombre",
            "utilisations",
        ],
        required: true,
    },
    FieldSpec {
        name: "category",
        aliases: &[
            "kategori",
            "catégorie",
            "price zone",
            "priszone",
            "zone",
            "ticket category",
            "billetkategori",
        ],
        required: false,
    },
    FieldSpec {
        name: "seat",
        aliases: &[
            "seat label",
            "seat",
            "plads",
            "pladsnummer",
            "sæde",
            "siège",
            "place",
            "fauteuil",
        ],
        required: false,
    },
    FieldSpec {
        name: "customer",
        aliases: &[
            "customer",
            "customer id",
            "email",
            "e-mail",
            "kunde",
            "kunde-id",
            "client",
            "courriel",
            "adresse e-mail",
        ],
        required: false,
    },
];

/// The alphabet of generated codes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B that readers confuse.
pub const UNAMBIGUOUS_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";

/// A code pattern: `X` is a random character of [`UNAMBIGUOUS_ALPHABET`], anything else stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodePattern {
    pattern: String,
    random_positions: u32,
}

impl CodePattern {
    pub fn parse(pattern: &str) -> Result<CodePattern, String> {
        let pattern = pattern.trim().to_string();
        clean_code(&pattern).map_err(|m| m.to_string())?;
        let random_positions = pattern.chars().filter(|c| *c == 'X').count() as u32;
        if random_positions < 4 {
            return Err("needs at least 4 `X` (random characters), e.g. `VIP-XXXX-XXXX`".into());
        }
        Ok(CodePattern {
            pattern,
            random_positions,
        })
    }

    /// How many different codes the pattern can make.
    pub fn capacity(&self) -> f64 {
        (UNAMBIGUOUS_ALPHABET.len() as f64).powi(self.random_positions as i32)
    }

    /// Whether `n` codes can be drawn without the draws slowing down on collisions: at most a
    /// thousandth of the space.
    pub fn fits(&self, n: u64) -> bool {
        (n as f64) * 1_000.0 <= self.capacity()
    }

    pub fn generate(&self, rng: &mut impl rand::Rng) -> String {
        self.pattern
            .chars()
            .map(|c| {
                if c == 'X' {
                    let i = rng.gen_range(0..UNAMBIGUOUS_ALPHABET.len());
                    UNAMBIGUOUS_ALPHABET.get(i).map_or('X', |b| char::from(*b))
                } else {
                    c
                }
            })
            .collect()
    }
}

/// What a generated audience is made from.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Generate {
    /// `count` random codes from `pattern`, each usable `quantity` times.
    Codes {
        pattern: String,
        count: u64,
        #[serde(default = "one")]
        quantity: i64,
    },
    /// The tickets of past events: each ticket's barcode becomes a code (usable `quantity`
    /// times), e.g. last season's tickets unlock this season's presale.
    TicketBarcodes {
        event_ids: Vec<EventId>,
        #[serde(default = "one")]
        quantity: i64,
    },
    /// The customers who held tickets for these events become members (their customer number
    /// is the code): a loyalty campaign applies to them without a code typed.
    TicketHolders {
        event_ids: Vec<EventId>,
        #[serde(default = "one")]
        quantity: i64,
    },
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGeneratedAudience {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub generate: Generate,
}

/// The most codes one generation makes.
pub const MAX_GENERATED: u64 = 2_000_000;

// ---------------------------------------------------------------------------------------------
// Forms: what a person typed, as typed (every field a `String`, so a refused value comes back in
// its field unchanged), and the one place that turns it into the values above. A value that is
// not a number is an error on its field, never a quiet default.

/// The audience form (create blank, or rename).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AudienceForm {
    pub name: String,
    pub description: String,
}

impl AudienceForm {
    pub fn new_audience(&self) -> NewAudience {
        NewAudience {
            name: self.name.clone(),
            description: Some(self.description.clone()),
            ..NewAudience::default()
        }
    }

    pub fn patch(&self) -> AudiencePatch {
        AudiencePatch {
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            ..AudiencePatch::default()
        }
    }
}

/// The member form (add, or edit).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MemberForm {
    pub code: String,
    pub quantity: String,
    pub category: String,
    pub seat_label: String,
    /// A customer id or email.
    pub customer: String,
}

impl MemberForm {
    /// An empty form for a new member, usable once.
    pub fn blank() -> Self {
        MemberForm {
            quantity: "1".into(),
            ..MemberForm::default()
        }
    }

    pub fn from_member(member: &Member) -> Self {
        MemberForm {
            code: member.code.clone(),
            quantity: member.quantity.to_string(),
            category: member.category.clone().unwrap_or_default(),
            seat_label: member.seat_label.clone().unwrap_or_default(),
            customer: member
                .customer_id
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default(),
        }
    }

    fn quantity(&self) -> Result<i64, Error> {
        parse_quantity(&self.quantity).map_err(|reason| Error::invalid("quantity", reason))
    }

    pub fn new_member(&self) -> Result<NewMember, Error> {
        Ok(NewMember {
            code: self.code.clone(),
            quantity: self.quantity()?,
            category: Some(self.category.clone()),
            seat_label: Some(self.seat_label.clone()),
            customer: Some(self.customer.clone()).filter(|c| !c.trim().is_empty()),
        })
    }

    /// Every field replaces the member's; an empty one clears it.
    pub fn patch(&self) -> Result<MemberPatch, Error> {
        Ok(MemberPatch {
            code: Some(self.code.clone()),
            quantity: Some(self.quantity()?),
            category: Some(self.category.clone()),
            seat_label: Some(self.seat_label.clone()),
            customer: Some(self.customer.clone()),
        })
    }
}

/// The upload's mapping form: the new audience's name, the header rows and a field per column.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MappingForm {
    #[serde(default)]
    pub name: String,
    /// `auto` (or empty), or how many rows are headers.
    #[serde(default)]
    pub header_rows: String,
    /// `column_0`, `column_1`, …: the field each column feeds. Other names are not columns
    /// (the CSRF token arrives here too) and are left alone.
    #[serde(flatten)]
    pub columns: BTreeMap<String, String>,
}

impl MappingForm {
    /// How to read the file, as the form says.
    pub fn choices(&self) -> Result<ReadChoices, Error> {
        let header_rows = match self.header_rows.trim() {
            "" | "auto" => HeaderRows::Auto,
            n => HeaderRows::Count(n.parse::<u32>().map_err(|_| {
                Error::invalid(
                    "header_rows",
                    format!("`{n}` is not a number of rows (or `auto`)"),
                )
            })?),
        };
        let mut columns = Vec::new();
        for (name, field) in &self.columns {
            let Some(index) = name.strip_prefix("column_") else {
                continue;
            };
            let index = index.parse::<usize>().map_err(|_| {
                Error::invalid(name.clone(), format!("`{index}` is not a column number"))
            })?;
            columns.push((index, field.clone()));
        }
        columns.sort();
        let columns = (!columns.is_empty()).then(|| columns.into_iter().map(|(_, f)| f).collect());
        Ok(ReadChoices {
            header_rows,
            columns,
        })
    }

    /// The name the form gives, or the file's name without its extension.
    pub fn name_or(&self, file_name: &str) -> String {
        if self.name.trim().is_empty() {
            file_name
                .rsplit_once('.')
                .map_or(file_name, |(stem, _)| stem)
                .to_string()
        } else {
            self.name.clone()
        }
    }
}

/// The generator form: random codes from a pattern, or past events' barcodes or ticket holders.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GenerateForm {
    pub name: String,
    /// `codes`, `ticket_barcodes` or `ticket_holders`.
    pub kind: String,
    pub pattern: String,
    pub count: String,
    pub quantity: String,
    /// Event ids, separated by spaces, commas or lines.
    pub events: String,
}

impl GenerateForm {
    /// The form as first shown: a thousand single-use codes.
    pub fn start() -> Self {
        GenerateForm {
            kind: "codes".into(),
            pattern: "VIP-XXXX-XXXX".into(),
            count: "1000".into(),
            quantity: "1".into(),
            ..GenerateForm::default()
        }
    }

    pub fn request(&self) -> Result<NewGeneratedAudience, Error> {
        let quantity =
            parse_quantity(&self.quantity).map_err(|reason| Error::invalid("quantity", reason))?;
        let event_ids = || -> Result<Vec<EventId>, Error> {
            self.events
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|e| !e.is_empty())
                .map(|e| {
                    EventId::parse(e)
                        .map_err(|_| Error::invalid("events", format!("`{e}` is not an event id")))
                })
                .collect()
        };
        let generate = match self.kind.as_str() {
            "ticket_barcodes" => Generate::TicketBarcodes {
                event_ids: event_ids()?,
                quantity,
            },
            "ticket_holders" => Generate::TicketHolders {
                event_ids: event_ids()?,
                quantity,
            },
            "codes" | "" => {
                let count = self.count.trim();
                Generate::Codes {
                    pattern: self.pattern.clone(),
                    count: count.parse().map_err(|_| {
                        Error::invalid_because(
                            "count",
                            fullhouse_core::Problem::NotAWholeNumber,
                            format!("`{count}` is not a whole number"),
                        )
                    })?,
                    quantity,
                }
            }
            other => {
                return Err(Error::invalid(
                    "kind",
                    format!("`{other}` is not a way to generate an audience"),
                ))
            }
        };
        Ok(NewGeneratedAudience {
            name: self.name.clone(),
            description: None,
            generate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_positive_whole_numbers() {
        assert_eq!(parse_quantity(" 3 "), Ok(3));
        assert_eq!(parse_quantity("2.0"), Ok(2));
        assert!(parse_quantity("0").is_err());
        assert!(parse_quantity("-1").is_err());
        assert_eq!(parse_quantity("2,0"), Ok(2));
        assert_eq!(parse_quantity("2,00"), Ok(2));
        assert_eq!(
            parse_quantity("2,5").map_err(|m| m.to_string()),
            Err("`2,5` is not a whole number".to_string())
        );
        assert_eq!(
            parse_quantity("0").map_err(|m| m.render(fullhouse_core::Lang::Da)),
            Err("skal være 1 eller mere (den er 0)".to_string())
        );
        assert!(parse_quantity("1.5").is_err());
        assert!(parse_quantity("two").is_err());
        assert!(parse_quantity("").is_err());
    }

    #[test]
    fn codes_are_trimmed_and_compared_without_case() {
        assert_eq!(clean_code("  VIP321 ").as_deref(), Ok("VIP321"));
        assert_eq!(code_key("VIP321"), code_key("vip321"));
        assert_eq!(code_key("ÆRØ-1"), "ærø-1");
        assert!(clean_code("   ").is_err());
        assert!(clean_code("a\tb").is_err());
    }

    #[test]
    fn patterns_fill_x_with_unambiguous_characters() {
        let pattern = CodePattern::parse("VIP-XXXX-XXXX").expect("pattern");
        let mut rng = rand::thread_rng();
        let code = pattern.generate(&mut rng);
        assert!(code.starts_with("VIP-"));
        assert_eq!(code.len(), 13);
        assert!(code
            .chars()
            .filter(|c| *c != '-')
            .skip(3)
            .all(|c| UNAMBIGUOUS_ALPHABET.contains(&(c as u8))));
        assert!(pattern.fits(1_000_000));
        assert!(CodePattern::parse("VIP-XX").is_err());
    }

    /// The field a refused form value is reported on, and its reason.
    fn refusal<T: std::fmt::Debug>(result: Result<T, Error>) -> (String, String) {
        match result {
            Err(Error::Validation { fields, .. }) => match fields.as_slice() {
                [one] => (one.field.clone(), one.reason.clone()),
                more => panic!("one field error expected, got {more:?}"),
            },
            other => panic!("a validation error expected, got {other:?}"),
        }
    }

    fn mapping(header_rows: &str, columns: &[(&str, &str)]) -> MappingForm {
        MappingForm {
            name: "Presale".into(),
            header_rows: header_rows.into(),
            columns: columns
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn the_mapping_form_reads_header_rows_and_columns_in_column_order() {
        let choices = mapping(
            " 2 ",
            &[
                ("column_10", "seat"),
                ("column_2", "quantity"),
                ("column_0", "code"),
                ("csrf_token", "not a column"),
            ],
        )
        .choices()
        .expect("choices");
        assert_eq!(choices.header_rows, HeaderRows::Count(2));
        assert_eq!(
            choices.columns,
            Some(vec!["code".into(), "quantity".into(), "seat".into()])
        );
        let auto = mapping("auto", &[]).choices().expect("choices");
        assert_eq!(auto.header_rows, HeaderRows::Auto);
        assert_eq!(auto.columns, None);
        assert_eq!(
            mapping("", &[]).choices().expect("choices").header_rows,
            HeaderRows::Auto
        );
    }

    #[test]
    fn a_mapping_form_value_that_is_not_a_number_is_an_error_on_its_field() {
        let (field, reason) = refusal(mapping("two", &[]).choices());
        assert_eq!(field, "header_rows");
        assert!(reason.contains("`two` is not a number"), "{reason}");
        let (field, _) = refusal(mapping("-1", &[]).choices());
        assert_eq!(field, "header_rows");
        let (field, reason) = refusal(mapping("1", &[("column_x", "code")]).choices());
        assert_eq!(field, "column_x");
        assert!(reason.contains("not a column number"), "{reason}");
    }

    #[test]
    fn the_member_form_refuses_a_quantity_that_is_not_a_whole_number_on_its_field() {
        let form = |quantity: &str| MemberForm {
            code: "VIP-1".into(),
            quantity: quantity.into(),
            ..MemberForm::default()
        };
        assert_eq!(form(" 3 ").new_member().expect("member").quantity, 3);
        assert_eq!(form("2").patch().expect("patch").quantity, Some(2));
        for bad in ["three", "", "1.5", "0"] {
            assert_eq!(refusal(form(bad).new_member()).0, "quantity", "{bad:?}");
            assert_eq!(refusal(form(bad).patch()).0, "quantity", "{bad:?}");
        }
        assert_eq!(form("1").new_member().expect("member").customer, None);
    }

    #[test]
    fn the_generate_form_refuses_counts_quantities_and_kinds_it_cannot_read() {
        let form = GenerateForm::start();
        match form.request().expect("request").generate {
            Generate::Codes {
                count, quantity, ..
            } => assert_eq!((count, quantity), (1000, 1)),
            other => panic!("codes expected, got {other:?}"),
        }
        let count = GenerateForm {
            count: "lots".into(),
            ..GenerateForm::start()
        };
        assert_eq!(
            refusal(count.request()),
            ("count".into(), "`lots` is not a whole number".into())
        );
        let quantity = GenerateForm {
            quantity: "x".into(),
            ..GenerateForm::start()
        };
        assert_eq!(refusal(quantity.request()).0, "quantity");
        let kind = GenerateForm {
            kind: "everyone".into(),
            ..GenerateForm::start()
        };
        assert_eq!(refusal(kind.request()).0, "kind");
        let events = GenerateForm {
            kind: "ticket_holders".into(),
            events: "evt_nope".into(),
            ..GenerateForm::start()
        };
        assert_eq!(refusal(events.request()).0, "events");
    }
}
