//! CSV import of customers, the pure part: uploaded bytes in, validated customers out — or every
//! bad cell with its row, column and reason. No I/O here, so it can be driven with arbitrary
//! bytes by a property test and run in `spawn_blocking` for large files.
//!
//! Headers map themselves in English, Danish and French; each row becomes a [`NewCustomer`] and
//! goes through the same rules as the JSON API, so a file and a request can never disagree about
//! what a valid customer is.

use std::collections::{BTreeMap, HashMap};

use fullhouse_core::tabular::{read_csv, restore_neutralized, ColumnMap, FieldSpec, Row};
use fullhouse_core::{Error, FieldError};

use crate::model::customers::{MatchBy, NewCustomer, ProfileField, ValidCustomer};

/// Where the consents of an imported file come from.
pub const IMPORT_SOURCE: &str = "import";

/// A file's customers, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerFile {
    pub customers: Vec<ValidCustomer>,
    /// How rows find the customer they update: by external id when the file has that column,
    /// else by email.
    pub match_by: MatchBy,
    /// The profile columns the file fills; an update writes only these.
    pub columns: Vec<ProfileField>,
    /// Headers that map to no field.
    pub ignored_columns: Vec<String>,
}

/// A spec with no `required` column: which columns a file has is checked as a whole.
const fn field(name: &'static str, aliases: &'static [&'static str]) -> FieldSpec {
    FieldSpec {
        name,
        aliases,
        required: false,
    }
}

/// The fields a customer file can fill, with header names in English, Danish and French (case,
/// accents and punctuation are ignored when matching).
pub const FIELDS: &[FieldSpec] = &[
    field(
        "external_id",
        &[
            "external id",
            "customer id",
            "customer number",
            "customer no",
            "kunde id",
            "kundeid",
            "kundenummer",
            "kundenr",
            "id client",
            "identifiant client",
            "numéro client",
            "no client",
            "id",
        ],
    ),
    field(
        "first_name",
        &["first name", "firstname", "given name", "fornavn", "prénom"],
    ),
    field(
        "last_name",
        &[
            "last name",
            "lastname",
            "surname",
            "family name",
            "efternavn",
            "nom",
            "nom de famille",
        ],
    ),
    field(
        "full_name",
        &["name", "full name", "navn", "fulde navn", "nom complet"],
    ),
    field(
        "email",
        &[
            "e-mail",
            "email address",
            "e-mail address",
            "mail",
            "e-mailadresse",
            "mailadresse",
            "courriel",
            "adresse e-mail",
            "adresse email",
        ],
    ),
    field(
        "phone",
        &[
            "phone number",
            "telephone",
            "telefon",
            "telefonnummer",
            "tlf",
            "mobile",
            "mobil",
            "mobilnummer",
            "téléphone",
            "portable",
        ],
    ),
    field(
        "company",
        &[
            "company name",
            "organisation",
            "organization",
            "firma",
            "virksomhed",
            "entreprise",
            "société",
        ],
    ),
    field("title", &["titel", "titre", "salutation"]),
    field("gender", &["sex", "køn", "sexe", "genre"]),
    field(
        "birth_date",
        &[
            "birthday",
            "birthdate",
            "date of birth",
            "dob",
            "fødselsdato",
            "fødselsdag",
            "date de naissance",
        ],
    ),
    field(
        "address_line",
        &[
            "address",
            "street",
            "street address",
            "adresse",
            "gade",
            "rue",
        ],
    ),
    field(
        "postal_code",
        &[
            "zip",
            "zip code",
            "postcode",
            "post code",
            "postal code",
            "postnummer",
            "postnr",
            "code postal",
            "cp",
        ],
    ),
    field("city", &["town", "by", "bynavn", "ville"]),
    field("country", &["country code", "land", "landekode", "pays"]),
    field("latitude", &["lat", "breddegrad"]),
    field("longitude", &["lon", "lng", "long", "længdegrad"]),
    field("language", &["lang", "sprog", "langue"]),
    field(
        "subscriber",
        &["subscribed", "abonnent", "abonné", "abonnement"],
    ),
    field("tags", &["tag", "flags", "mærker", "étiquettes"]),
    field(
        "permissions",
        &[
            "permission",
            "consents",
            "samtykker",
            "samtykke",
            "tilladelser",
            "consentements",
        ],
    ),
];

/// Which profile column each file field fills (`full_name` fills two, the list fields none).
fn profile_fields(name: &str) -> &'static [ProfileField] {
    use ProfileField::*;
    match name {
        "external_id" => &[ExternalId],
        "first_name" => &[FirstName],
        "last_name" => &[LastName],
        "full_name" => &[FirstName, LastName],
        "email" => &[Email],
        "phone" => &[Phone],
        "company" => &[Company],
        "title" => &[Title],
        "gender" => &[Gender],
        "birth_date" => &[BirthDate],
        "address_line" => &[AddressLine],
        "postal_code" => &[PostalCode],
        "city" => &[City],
        "country" => &[Country],
        "latitude" => &[Latitude],
        "longitude" => &[Longitude],
        "language" => &[Language],
        "subscriber" => &[Subscriber],
        _ => &[],
    }
}

/// Reads and validates a customer file. Any bad cell fails the whole file, with every bad cell
/// listed, so nothing is half-imported.
pub fn parse_customer_file(bytes: &[u8]) -> Result<CustomerFile, Vec<FieldError>> {
    let table = read_csv(bytes, true).map_err(field_errors)?;
    let map = ColumnMap::from_headers(&table.headers, FIELDS).map_err(field_errors)?;
    let mapped: Vec<(&'static str, usize)> = FIELDS
        .iter()
        .filter_map(|spec| map.column(spec.name).map(|c| (spec.name, c)))
        .collect();
    if mapped.is_empty() {
        return Err(vec![FieldError::at_row(
            table.header_row.unwrap_or(1),
            "file",
            "no column maps to a customer field; name columns like external_id, first_name, \
             last_name, email, phone (in English, Danish or French)",
        )]);
    }
    let file = FileShape::new(&table.headers, map, &mapped);
    let mut problems = Vec::new();
    let mut customers = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        match file.customer_of(row) {
            Ok(customer) => customers.push((row.number, customer)),
            Err(errors) => problems.extend(errors),
        }
    }
    problems.extend(file.duplicate_keys(&customers));
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(CustomerFile {
        customers: customers.into_iter().map(|(_, c)| c).collect(),
        match_by: file.match_by,
        columns: file.columns,
        ignored_columns: table
            .headers
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !mapped.iter().any(|(_, c)| c == i))
            .map(|(_, h)| h.clone())
            .collect(),
    })
}

/// What the header row says about every row: the column map and how rows are matched.
struct FileShape<'t> {
    headers: &'t [String],
    map: ColumnMap,
    match_by: MatchBy,
    columns: Vec<ProfileField>,
    /// A full-name column is split only when the file has no first- and last-name columns.
    split_full_name: bool,
}

impl<'t> FileShape<'t> {
    fn new(headers: &'t [String], map: ColumnMap, mapped: &[(&'static str, usize)]) -> Self {
        let has = |name: &str| mapped.iter().any(|(n, _)| *n == name);
        let split_full_name = has("full_name") && !has("first_name") && !has("last_name");
        let mut columns: Vec<ProfileField> = Vec::new();
        for (name, _) in mapped {
            if *name == "full_name" && !split_full_name {
                continue;
            }
            for field in profile_fields(name) {
                if !columns.contains(field) {
                    columns.push(*field);
                }
            }
        }
        let match_by = if has("external_id") {
            MatchBy::ExternalId
        } else {
            MatchBy::Email
        };
        FileShape {
            headers,
            map,
            match_by,
            columns,
            split_full_name,
        }
    }

    /// The header of the column that feeds `field`, as the file spells it.
    fn header(&self, field: &str) -> String {
        let source = match field {
            "first_name" | "last_name" if self.split_full_name => "full_name",
            other => other,
        };
        self.map
            .header(self.headers, source)
            .unwrap_or(field)
            .to_string()
    }

    fn cell(&self, row: &Row, field: &str) -> Option<String> {
        self.get(row, field).map(str::to_string)
    }

    /// A cell as written before an export neutralized it (`'+45 …` is the phone `+45 …`), so
    /// a customer export imports back as the same customers.
    fn get<'r>(&self, row: &'r Row, field: &str) -> Option<&'r str> {
        self.map.get(row, field).map(restore_neutralized)
    }

    /// One row as a validated customer, or every bad cell of it.
    fn customer_of(&self, row: &Row) -> Result<ValidCustomer, Vec<FieldError>> {
        let mut problems = Vec::new();
        let mut bad = |field: &str, reason: String| {
            problems.push(FieldError::at_row(row.number, self.header(field), reason));
        };
        let (first_name, last_name) = if self.split_full_name {
            split_full_name(self.cell(row, "full_name"))
        } else {
            (self.cell(row, "first_name"), self.cell(row, "last_name"))
        };
        let mut number = |field: &str| match self.get(row, field).map(parse_number) {
            Some(Err(reason)) => {
                bad(field, reason);
                None
            }
            Some(Ok(value)) => Some(value),
            None => None,
        };
        let (mut latitude, mut longitude) = (number("latitude"), number("longitude"));
        let unreadable =
            |field: &str, value: Option<f64>| value.is_none() && self.get(row, field).is_some();
        if unreadable("latitude", latitude) || unreadable("longitude", longitude) {
            // Already reported; checking the pair again would blame the cell that is fine.
            (latitude, longitude) = (None, None);
        }
        let subscriber = match self.get(row, "subscriber").map(parse_yes_no) {
            Some(Err(reason)) => {
                bad("subscriber", reason);
                None
            }
            Some(Ok(value)) => Some(value),
            None => None,
        };
        let permissions: BTreeMap<String, bool> = list(self.get(row, "permissions"))
            .into_iter()
            .map(|key| (key, true))
            .collect();
        let new = NewCustomer {
            external_id: self.cell(row, "external_id"),
            first_name,
            last_name,
            email: self.cell(row, "email"),
            phone: self.cell(row, "phone"),
            company: self.cell(row, "company"),
            title: self.cell(row, "title"),
            gender: self.cell(row, "gender"),
            birth_date: self.cell(row, "birth_date"),
            address_line: self.cell(row, "address_line"),
            postal_code: self.cell(row, "postal_code"),
            city: self.cell(row, "city"),
            country: self.cell(row, "country"),
            latitude,
            longitude,
            language: self.cell(row, "language"),
            subscriber,
            permissions: Some(permissions),
            permission_source: None,
            tags: Some(list(self.get(row, "tags"))),
        };
        let checked = new.validate(IMPORT_SOURCE);
        let parsed_ok = problems.is_empty();
        match checked {
            Ok(customer) if parsed_ok => Ok(customer),
            Ok(_) => Err(problems),
            Err(fields) => {
                problems.extend(
                    fields
                        .into_iter()
                        .map(|f| FieldError::at_row(row.number, self.header(&f.field), f.reason)),
                );
                Err(problems)
            }
        }
    }

    /// A match key (external id, or email) given on two rows would make the second row update
    /// the customer the first one creates — almost always a mistake in the file, so say so.
    fn duplicate_keys(&self, customers: &[(u64, ValidCustomer)]) -> Vec<FieldError> {
        let (field, key_of): (&str, fn(&ValidCustomer) -> Option<&String>) = match self.match_by {
            MatchBy::ExternalId => ("external_id", |c| c.profile.external_id.as_ref()),
            MatchBy::Email => ("email", |c| c.profile.email.as_ref()),
        };
        let mut first_row: HashMap<&String, u64> = HashMap::new();
        let mut errors = Vec::new();
        for (row, customer) in customers {
            let Some(key) = key_of(customer) else {
                continue;
            };
            match first_row.get(key) {
                Some(first) => errors.push(FieldError::at_row(
                    *row,
                    self.header(field),
                    format!("`{key}` is also on row {first}; each customer may appear once"),
                )),
                None => {
                    first_row.insert(key, *row);
                }
            }
        }
        errors
    }
}

/// "Ann Marie Hansen" → ("Ann Marie", "Hansen"); one word is a first name.
fn split_full_name(full: Option<String>) -> (Option<String>, Option<String>) {
    let Some(full) = full else {
        return (None, None);
    };
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.split_last() {
        None => (None, None),
        Some((only, [])) => (Some((*only).to_string()), None),
        Some((last, rest)) => (Some(rest.join(" ")), Some((*last).to_string())),
    }
}

/// A decimal number; a decimal comma (Danish and French spreadsheets) is accepted.
fn parse_number(text: &str) -> Result<f64, String> {
    let normalized = if text.contains('.') {
        text.to_string()
    } else {
        text.replace(',', ".")
    };
    normalized
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("`{}` is not a number", shorten(text)))
}

/// Yes or no, in English, Danish or French.
fn parse_yes_no(text: &str) -> Result<bool, String> {
    match text.to_lowercase().as_str() {
        "true" | "yes" | "y" | "ja" | "j" | "oui" | "1" | "x" => Ok(true),
        "false" | "no" | "n" | "nej" | "non" | "0" => Ok(false),
        _ => Err(format!(
            "`{}` is not yes or no; use true/false, yes/no, ja/nej, oui/non or 1/0",
            shorten(text)
        )),
    }
}

/// The items of a list cell: `vip|abo-2025`, `vip, abo-2025`.
fn list(cell: Option<&str>) -> Vec<String> {
    cell.map(|text| {
        text.split(['|', ',', ';'])
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

fn shorten(value: &str) -> String {
    value.chars().take(80).collect()
}

/// The field errors of a tabular error (the reader reports broken files as validation errors).
fn field_errors(err: Error) -> Vec<FieldError> {
    match err {
        // A refusal of the whole file (not a spreadsheet, no rows) is told at its first row,
        // like every other problem of a customer file.
        Error::Validation { fields, .. } if !fields.is_empty() => fields
            .into_iter()
            .map(|mut field| {
                field.row.get_or_insert(1);
                field
            })
            .collect(),
        other => vec![FieldError::at_row(1, "file", other.public_message())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CustomerFile, Vec<FieldError>> {
        parse_customer_file(text.as_bytes())
    }

    #[test]
    fn danish_headers_map_and_cells_are_read() {
        let file = parse(
            "Kunde ID;Fornavn;Efternavn;E-mail;Fødselsdato;Postnr.;Land;Abonnent;Tags;Samtykker\n\
             K1;Søren;Ærø;SOREN@example.dk;17.05.1980;8000;dk;ja;vip|abo;newsletter\n",
        )
        .ok();
        let customer = file.as_ref().and_then(|f| f.customers.first());
        assert_eq!(file.as_ref().map(|f| f.match_by), Some(MatchBy::ExternalId));
        let profile = customer.map(|c| &c.profile);
        assert_eq!(profile.and_then(|p| p.last_name.as_deref()), Some("Ærø"));
        assert_eq!(
            profile.and_then(|p| p.email.as_deref()),
            Some("soren@example.dk")
        );
        assert_eq!(profile.and_then(|p| p.country.as_deref()), Some("DK"));
        assert_eq!(profile.map(|p| p.subscriber), Some(true));
        assert_eq!(
            customer.and_then(|c| c.tags.clone()),
            Some(vec!["abo".to_string(), "vip".to_string()])
        );
        assert_eq!(
            customer.map(|c| c.permissions.clone()),
            Some(vec![("newsletter".to_string(), true)])
        );
    }

    #[test]
    fn a_full_name_column_is_split_and_errors_name_it() {
        let file = parse("Nom complet,Courriel\nAnne Marie Dupont,anne@example.fr\n").ok();
        let profile = file
            .as_ref()
            .and_then(|f| f.customers.first())
            .map(|c| &c.profile);
        assert_eq!(
            profile.and_then(|p| p.first_name.as_deref()),
            Some("Anne Marie")
        );
        assert_eq!(profile.and_then(|p| p.last_name.as_deref()), Some("Dupont"));
        assert_eq!(file.map(|f| f.match_by), Some(MatchBy::Email));
    }

    #[test]
    fn every_bad_cell_is_reported_with_row_and_header() {
        let errors = parse(
            "email,Date de naissance,lat,lon\n\
             ok@example.fr,1980-01-01,55,12\n\
             nope,31/02/1980,x,12\n\
             ok@example.fr,,,\n",
        )
        .err()
        .unwrap_or_default();
        let found: Vec<(Option<u64>, &str)> =
            errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(
            found,
            [
                (Some(3), "lat"),
                (Some(3), "email"),
                (Some(3), "Date de naissance"),
                (Some(4), "email"),
            ]
        );
    }

    #[test]
    fn cells_an_export_neutralized_read_back_as_they_were() {
        let file = parse(
            "email,phone,longitude,latitude\nida@example.fr,'+33 6 12 34 56 78,'-4.48,48.39\n",
        )
        .ok();
        let profile = file
            .as_ref()
            .and_then(|f| f.customers.first())
            .map(|c| &c.profile);
        assert_eq!(
            profile.and_then(|p| p.phone.as_deref()),
            Some("+33 6 12 34 56 78")
        );
        assert_eq!(profile.and_then(|p| p.longitude), Some(-4.48));
    }

    #[test]
    fn a_file_with_no_known_column_is_refused() {
        let errors = parse("foo,bar\n1,2\n").err().unwrap_or_default();
        assert_eq!(errors.first().map(|e| e.field.as_str()), Some("file"));
    }
}
