//! Customers: the people who buy tickets, with their consents ("permissions": newsletter, partner
//! offers — each with the time and source of the last change) and their tags.
//!
//! Every input goes through [`CustomerPatch::apply_to`]: a new customer is a patch applied to an
//! empty profile, so the API, the bulk ingest and the CSV import share one set of rules and report
//! every bad field at once rather than the first.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use fullhouse_core::http::PageParams;
use fullhouse_core::tabular::normalize_header;
use fullhouse_core::tenancy::model::{validate_email, LANGUAGES};
use fullhouse_core::{Error, FieldError, Result};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ids::CustomerId;
use super::rules::{coordinates, optional_text};

/// The most tags or permissions one input may set.
pub const MAX_KEYS_PER_CUSTOMER: usize = 100;
/// The longest tag or permission key.
pub const MAX_KEY_LEN: usize = 80;

/// A customer's gender; absent when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    Female,
    Male,
    Other,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::Other => "other",
        }
    }

    /// Reads a value stored by [`Gender::as_str`]; anything else is unknown.
    pub fn from_db(value: &str) -> Option<Gender> {
        match value {
            "female" => Some(Gender::Female),
            "male" => Some(Gender::Male),
            "other" => Some(Gender::Other),
            _ => None,
        }
    }

    /// Reads what people type in forms and spreadsheets, in English, Danish and French;
    /// empty or "unknown" means not known.
    pub fn parse(value: &str) -> Result<Option<Gender>> {
        let folded = normalize_header(value);
        match folded.as_str() {
            "" | "unknown" | "ukendt" | "inconnu" => Ok(None),
            "female" | "f" | "woman" | "w" | "k" | "kvinde" | "femme" => Ok(Some(Gender::Female)),
            "male" | "m" | "man" | "mand" | "h" | "homme" => Ok(Some(Gender::Male)),
            "other" | "o" | "andet" | "autre" | "nonbinary" => Ok(Some(Gender::Other)),
            _ => Err(Error::invalid(
                "gender",
                format!(
                    "`{}` is not a gender; use female, male or other",
                    shorten(value)
                ),
            )),
        }
    }
}

/// One consent of a customer and when and how it last changed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CustomerPermission {
    /// The consent's key, e.g. `newsletter` or `partner_offers`.
    pub permission: String,
    pub granted: bool,
    pub changed_at: DateTime<Utc>,
    /// Where the change came from: `api`, `import`, `bulk`, a form name, a campaign.
    pub source: String,
}

/// A customer, with consents and tags.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Customer {
    pub id: CustomerId,
    /// The customer's id in the platform the data came from; unique in the organization.
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    /// ISO-3166 alpha-2, uppercase.
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// `en`, `da` or `fr`.
    pub language: Option<String>,
    pub subscriber: bool,
    pub permissions: Vec<CustomerPermission>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Customer {
    /// A customer as lists name them: first and last name, else the email, else the id.
    pub fn display_name(&self) -> String {
        let name = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if !name.is_empty() {
            name
        } else if let Some(email) = self.email.as_deref().filter(|e| !e.trim().is_empty()) {
            email.to_string()
        } else {
            self.id.to_string()
        }
    }
}

/// A new customer. Only the fields you know are needed; unknown fields are an error.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    /// The customer's id in the platform the data comes from; the key of bulk upserts.
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// Digits, spaces and a leading `+`.
    pub phone: Option<String>,
    pub company: Option<String>,
    pub title: Option<String>,
    /// `female`, `male` or `other`; leave out when unknown.
    pub gender: Option<String>,
    /// `YYYY-MM-DD` (also `DD-MM-YYYY`, `DD/MM/YYYY`, `DD.MM.YYYY`).
    pub birth_date: Option<String>,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    /// ISO-3166 alpha-2 (`DK`, `FR`); any case.
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// `en`, `da` or `fr`.
    pub language: Option<String>,
    pub subscriber: Option<bool>,
    /// Consents to set, e.g. `{"newsletter": true}`.
    pub permissions: Option<BTreeMap<String, bool>>,
    /// Where the consents come from; defaults to the route (`api`, `bulk`, `import`).
    pub permission_source: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// Changes to a customer. A field left out stays as it is; `null` (or an empty string) clears
/// it. `permissions` sets only the keys given; `tags` replaces the customer's tags.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// `female`, `male` or `other`; `null` when unknown.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub gender: Option<Option<String>>,
    /// `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub birth_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub address_line: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub postal_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub country: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub longitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
    pub subscriber: Option<bool>,
    pub permissions: Option<BTreeMap<String, bool>>,
    pub permission_source: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// Tells a field sent as `null` (`Some(None)`: clear it) from a field left out (`None`: keep it).
fn present<'de, D, T>(deserializer: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl From<NewCustomer> for CustomerPatch {
    fn from(new: NewCustomer) -> Self {
        CustomerPatch {
            external_id: Some(new.external_id),
            first_name: Some(new.first_name),
            last_name: Some(new.last_name),
            email: Some(new.email),
            phone: Some(new.phone),
            company: Some(new.company),
            title: Some(new.title),
            gender: Some(new.gender),
            birth_date: Some(new.birth_date),
            address_line: Some(new.address_line),
            postal_code: Some(new.postal_code),
            city: Some(new.city),
            country: Some(new.country),
            latitude: Some(new.latitude),
            longitude: Some(new.longitude),
            language: Some(new.language),
            subscriber: Some(new.subscriber.unwrap_or(false)),
            permissions: new.permissions,
            permission_source: new.permission_source,
            tags: new.tags,
        }
    }
}

/// The columns of a customer's row that inputs fill: everything but ids and times.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub language: Option<String>,
    pub subscriber: bool,
}

/// One column of [`Profile`], for imports that fill only the columns their file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfileField {
    ExternalId,
    FirstName,
    LastName,
    Email,
    Phone,
    Company,
    Title,
    Gender,
    BirthDate,
    AddressLine,
    PostalCode,
    City,
    Country,
    Latitude,
    Longitude,
    Language,
    Subscriber,
}

impl ProfileField {
    pub const ALL: [ProfileField; 17] = [
        Self::ExternalId,
        Self::FirstName,
        Self::LastName,
        Self::Email,
        Self::Phone,
        Self::Company,
        Self::Title,
        Self::Gender,
        Self::BirthDate,
        Self::AddressLine,
        Self::PostalCode,
        Self::City,
        Self::Country,
        Self::Latitude,
        Self::Longitude,
        Self::Language,
        Self::Subscriber,
    ];
}

/// How an upsert finds the customer an input updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchBy {
    ExternalId,
    /// For files without an external id column; the oldest customer with the email wins.
    Email,
}

/// `GET /customers`: search, tag filter and the page.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Words that must each appear in the name, email, phone or company (any case); or an exact
    /// customer id or external id.
    pub q: Option<String>,
    /// Only customers with this tag.
    pub tag: Option<String>,
    /// The `next_cursor` of the previous page; omit for the first page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

/// The columns the organizer's customer list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerSort {
    /// When they were added (ids sort by creation): the default.
    Added,
    /// By last name.
    Name,
    Email,
    City,
}

impl CustomerSort {
    /// The sort a list link names (`name`, `email`, `city`; anything else is when added).
    pub fn parse(column: &str) -> CustomerSort {
        match column {
            "name" => CustomerSort::Name,
            "email" => CustomerSort::Email,
            "city" => CustomerSort::City,
            _ => CustomerSort::Added,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerSort::Added => "added",
            CustomerSort::Name => "name",
            CustomerSort::Email => "email",
            CustomerSort::City => "city",
        }
    }
}

impl CustomerQuery {
    pub fn page(&self) -> PageParams {
        PageParams {
            cursor: self.cursor.clone(),
            limit: self.limit,
        }
    }
}

/// A validated input: the profile, the consents to set and the tags.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCustomer {
    pub profile: Profile,
    /// Consents to set, sorted by key.
    pub permissions: Vec<(String, bool)>,
    pub permission_source: String,
    /// `None` leaves the tags as they are (a patch without `tags`).
    pub tags: Option<Vec<String>>,
}

impl NewCustomer {
    /// Checks every field; the error lists every bad one.
    pub fn validate(self, default_source: &str) -> Result<ValidCustomer, Vec<FieldError>> {
        let mut valid = CustomerPatch::from(self).apply_to(Profile::default(), default_source)?;
        valid.tags.get_or_insert_with(Vec::new);
        Ok(valid)
    }
}

impl CustomerPatch {
    /// Applies the patch to `current`, checking every given field; the error lists every bad one.
    pub fn apply_to(
        self,
        current: Profile,
        default_source: &str,
    ) -> Result<ValidCustomer, Vec<FieldError>> {
        let mut problems = Problems::default();
        let mut profile = current;
        let p = &mut problems;
        set(p, &mut profile.external_id, self.external_id, |v| {
            optional_text("external_id", v, 200)
        });
        set(p, &mut profile.first_name, self.first_name, |v| {
            optional_text("first_name", v, 200)
        });
        set(p, &mut profile.last_name, self.last_name, |v| {
            optional_text("last_name", v, 200)
        });
        set(p, &mut profile.email, self.email, email);
        set(p, &mut profile.phone, self.phone, phone);
        set(p, &mut profile.company, self.company, |v| {
            optional_text("company", v, 200)
        });
        set(p, &mut profile.title, self.title, |v| {
            optional_text("title", v, 100)
        });
        set(p, &mut profile.gender, self.gender, |v| {
            v.map_or(Ok(None), |v| Gender::parse(&v))
        });
        set(p, &mut profile.birth_date, self.birth_date, |v| {
            birth_date(v, Utc::now().date_naive())
        });
        set(p, &mut profile.address_line, self.address_line, |v| {
            optional_text("address_line", v, 500)
        });
        set(p, &mut profile.postal_code, self.postal_code, |v| {
            optional_text("postal_code", v, 20)
        });
        set(p, &mut profile.city, self.city, |v| {
            optional_text("city", v, 200)
        });
        set(p, &mut profile.country, self.country, country);
        set(p, &mut profile.language, self.language, language);
        if let Some(subscriber) = self.subscriber {
            profile.subscriber = subscriber;
        }
        if self.latitude.is_some() || self.longitude.is_some() {
            let latitude = self.latitude.unwrap_or(profile.latitude);
            let longitude = self.longitude.unwrap_or(profile.longitude);
            if let Some((lat, lon)) = p.take(coordinates(latitude, longitude)) {
                (profile.latitude, profile.longitude) = (lat, lon);
            }
        }
        let permissions = match self.permissions {
            Some(map) => p.take(permissions(map)).unwrap_or_default(),
            None => Vec::new(),
        };
        let permission_source = p
            .take(source(self.permission_source, default_source))
            .unwrap_or_default();
        let tags = self.tags.and_then(|tags| p.take(tag_list(tags)));
        problems.finish(ValidCustomer {
            profile,
            permissions,
            permission_source,
            tags,
        })
    }
}

/// Sets `slot` from `input` through `rule` when the input is given; a broken rule is collected.
fn set<I, T>(
    problems: &mut Problems,
    slot: &mut T,
    input: Option<I>,
    rule: impl FnOnce(I) -> Result<T>,
) {
    if let Some(input) = input {
        if let Some(value) = problems.take(rule(input)) {
            *slot = value;
        }
    }
}

/// Collects every field error of one input instead of stopping at the first.
#[derive(Debug, Default)]
struct Problems {
    fields: Vec<FieldError>,
}

impl Problems {
    /// The value of `result`, or `None` with its field errors collected.
    pub fn take<T>(&mut self, result: Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(Error::Validation { fields, .. }) => {
                self.fields.extend(fields);
                None
            }
            Err(other) => {
                self.fields
                    .push(FieldError::new("body", other.public_message()));
                None
            }
        }
    }

    /// `value` when nothing was wrong, otherwise every problem.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.fields.is_empty() {
            Ok(value)
        } else {
            Err(self.fields)
        }
    }
}

/// An email address, trimmed and lowercased; empty means none.
pub fn email(value: Option<String>) -> Result<Option<String>> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => validate_email("email", v).map(Some),
    }
}

/// A phone number: digits and spaces with an optional leading `+`, so it can be dialled and
/// hashed for ad audiences without guessing what the other characters meant.
pub fn phone(value: Option<String>) -> Result<Option<String>> {
    let Some(text) = optional_text("phone", value, 40)? else {
        return Ok(None);
    };
    let digits = text.strip_prefix('+').unwrap_or(&text);
    let well_formed = digits.chars().all(|c| c.is_ascii_digit() || c == ' ')
        && digits.chars().filter(char::is_ascii_digit).count() >= 3;
    if well_formed {
        Ok(Some(text.split_whitespace().collect::<Vec<_>>().join(" ")))
    } else {
        Err(Error::invalid(
            "phone",
            format!(
                "`{}` is not a phone number; use digits, spaces and a leading +",
                shorten(&text)
            ),
        ))
    }
}

/// A birth date in 1900 or later and not in the future.
pub fn birth_date(value: Option<String>, today: NaiveDate) -> Result<Option<NaiveDate>> {
    let Some(text) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let date = parse_date(text).ok_or_else(|| {
        Error::invalid(
            "birth_date",
            format!(
                "`{}` is not a date; use YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY or DD.MM.YYYY",
                shorten(text)
            ),
        )
    })?;
    if date.year() < 1900 {
        return Err(Error::invalid("birth_date", "must be in 1900 or later"));
    }
    if date > today {
        return Err(Error::invalid("birth_date", "cannot be in the future"));
    }
    Ok(Some(date))
}

/// Reads the date formats spreadsheets produce; a time after the date (`1980-05-17 00:00:00`,
/// as Excel exports it) is ignored.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let date_part = text.split([' ', 'T']).next().unwrap_or(text);
    ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(date_part, format).ok())
}

/// The ISO-3166-1 alpha-2 codes in use.
const COUNTRY_CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM \
    BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO \
    DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK \
    HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI \
    LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF \
    NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE \
    SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG \
    UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// Country names organizers' spreadsheets often hold instead of a code (accents folded).
const COUNTRY_NAMES: [(&str, &str); 30] = [
    ("denmark", "DK"),
    ("danmark", "DK"),
    ("danemark", "DK"),
    ("sweden", "SE"),
    ("sverige", "SE"),
    ("suede", "SE"),
    ("norway", "NO"),
    ("norge", "NO"),
    ("norvege", "NO"),
    ("germany", "DE"),
    ("tyskland", "DE"),
    ("allemagne", "DE"),
    ("deutschland", "DE"),
    ("france", "FR"),
    ("frankrig", "FR"),
    ("unitedkingdom", "GB"),
    ("storbritannien", "GB"),
    ("royaumeuni", "GB"),
    ("uk", "GB"),
    ("netherlands", "NL"),
    ("holland", "NL"),
    ("paysbas", "NL"),
    ("finland", "FI"),
    ("finlande", "FI"),
    ("iceland", "IS"),
    ("island", "IS"),
    ("belgium", "BE"),
    ("belgien", "BE"),
    ("belgique", "BE"),
    ("faroeislands", "FO"),
];

/// An ISO-3166 alpha-2 country code, uppercased; a few common country names are accepted too.
pub fn country(value: Option<String>) -> Result<Option<String>> {
    let Some(text) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let upper = text.to_ascii_uppercase();
    if upper.len() == 2 && COUNTRY_CODES.split(' ').any(|code| code == upper) {
        return Ok(Some(upper));
    }
    let folded = normalize_header(text);
    if let Some((_, code)) = COUNTRY_NAMES.iter().find(|(name, _)| *name == folded) {
        return Ok(Some((*code).to_string()));
    }
    Err(Error::invalid(
        "country",
        format!(
            "`{}` is not an ISO-3166 country code; use two letters such as DK or FR",
            shorten(text)
        ),
    ))
}

/// One of the product's languages (en, da, fr), lowercased.
pub fn language(value: Option<String>) -> Result<Option<String>> {
    let Some(text) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let lower = text.to_ascii_lowercase();
    if LANGUAGES.contains(&lower.as_str()) {
        Ok(Some(lower))
    } else {
        Err(Error::invalid(
            "language",
            format!("`{}` is not supported; use en, da or fr", shorten(text)),
        ))
    }
}

/// A tag or permission key: lowercased, `[a-z0-9_-]{1,80}`, so it is safe in URLs and filters.
pub fn key(field: &str, value: &str) -> Result<String> {
    let lower = value.trim().to_lowercase();
    let ok = (1..=MAX_KEY_LEN).contains(&lower.len())
        && lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(lower)
    } else {
        Err(Error::invalid(
            field,
            format!(
                "`{}` is not a valid key; use 1 to {MAX_KEY_LEN} of a-z, 0-9, _ and -",
                shorten(value)
            ),
        ))
    }
}

/// Tags, checked, lowercased, sorted and without duplicates.
pub fn tag_list(tags: Vec<String>) -> Result<Vec<String>> {
    let mut keys = tags
        .iter()
        .map(|tag| key("tags", tag))
        .collect::<Result<Vec<_>>>()?;
    keys.sort_unstable();
    keys.dedup();
    if keys.len() > MAX_KEYS_PER_CUSTOMER {
        return Err(Error::invalid(
            "tags",
            format!("at most {MAX_KEYS_PER_CUSTOMER} tags"),
        ));
    }
    Ok(keys)
}

/// Consents to set, keys checked and lowercased. Two spellings of one key must agree.
pub fn permissions(map: BTreeMap<String, bool>) -> Result<Vec<(String, bool)>> {
    let mut checked: BTreeMap<String, bool> = BTreeMap::new();
    for (name, granted) in map {
        let name = key("permissions", &name)?;
        if checked
            .insert(name.clone(), granted)
            .is_some_and(|g| g != granted)
        {
            return Err(Error::invalid(
                "permissions",
                format!("`{name}` is given twice with different values"),
            ));
        }
    }
    if checked.len() > MAX_KEYS_PER_CUSTOMER {
        return Err(Error::invalid(
            "permissions",
            format!("at most {MAX_KEYS_PER_CUSTOMER} permissions"),
        ));
    }
    Ok(checked.into_iter().collect())
}

/// Where a consent change came from; `default` when not given.
pub fn source(value: Option<String>, default: &str) -> Result<String> {
    Ok(optional_text("permission_source", value, 200)?.unwrap_or_else(|| default.to_string()))
}

/// At most 80 characters of user input, for error messages.
fn shorten(value: &str) -> String {
    value.chars().take(80).collect()
}

/// The body of `PUT /customers/{id}/permissions/{permission}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionChange {
    pub granted: bool,
    /// Where the change came from (a form, a mail's unsubscribe link, a phone call).
    pub source: String,
}

/// The body of `POST /customers/{id}/tags`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTag {
    pub tag: String,
}

/// The body of `POST /customers/bulk`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkCustomers {
    /// Up to 10,000 customers. One whose `external_id` exists is updated (its profile replaced,
    /// the given consents set, the given tags added); the others are created.
    pub customers: Vec<NewCustomer>,
}

/// The most customers one bulk request may carry.
pub const MAX_BULK: usize = 10_000;

/// What a bulk ingest did.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BulkOutcome {
    pub created: u64,
    pub updated: u64,
    /// The customers' ids, in the order of the request.
    pub ids: Vec<CustomerId>,
}

/// What a CSV import did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportOutcome {
    pub created: u64,
    pub updated: u64,
    /// Data rows read.
    pub rows: u64,
    pub dry_run: bool,
    /// Headers that map to no customer field, so their cells were not read.
    pub ignored_columns: Vec<String>,
}

/// What `DELETE /customers/{id}` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErasureOutcome {
    /// The customer had no orders or tickets: the row is gone.
    Deleted,
    /// The customer has sales history: personal fields, consents and tags are gone, the row
    /// and its orders stay for the accounts.
    Anonymized,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Erasure {
    pub id: CustomerId,
    pub outcome: ErasureOutcome,
}

/// Everything Fullhouse holds about one customer (GDPR data export).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerExport {
    pub customer: Customer,
    /// Every order the customer placed, with its tickets.
    pub orders: Vec<crate::model::orders::Order>,
    pub exported_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn dates_are_read_in_the_formats_spreadsheets_use() {
        for text in [
            "1980-05-17",
            "17-05-1980",
            "17/05/1980",
            "17.5.1980",
            "1980-05-17 00:00:00",
        ] {
            assert_eq!(parse_date(text), Some(day(1980, 5, 17)), "{text}");
        }
        assert_eq!(parse_date("1980-13-01"), None);
        assert_eq!(parse_date("05/17/1980"), None);
    }

    #[test]
    fn birth_dates_before_1900_or_in_the_future_are_refused() {
        let today = day(2026, 1, 1);
        assert!(birth_date(Some("1899-12-31".into()), today).is_err());
        assert!(birth_date(Some("2026-01-02".into()), today).is_err());
        assert_eq!(
            birth_date(Some(" ".into()), today).ok(),
            Some(None),
            "blank is unknown"
        );
    }

    #[test]
    fn a_new_customer_reports_every_bad_field_at_once() {
        let new = NewCustomer {
            email: Some("nope".into()),
            country: Some("XX".into()),
            latitude: Some(91.0),
            longitude: Some(0.0),
            tags: Some(vec!["VIP".into(), "no spaces".into()]),
            ..NewCustomer::default()
        };
        let fields: Vec<String> = new
            .validate("api")
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["email", "country", "latitude", "tags"]);
    }

    #[test]
    fn values_are_normalized() {
        let new = NewCustomer {
            email: Some(" Ann@Example.DK ".into()),
            country: Some("dk".into()),
            gender: Some("Kvinde".into()),
            phone: Some(" +45  12 34 ".into()),
            tags: Some(vec!["VIP".into(), "vip".into(), "abo-2025".into()]),
            permissions: Some(BTreeMap::from([("Newsletter".to_string(), true)])),
            ..NewCustomer::default()
        };
        let valid = new.validate("api").ok();
        let profile = valid.as_ref().map(|v| &v.profile);
        assert_eq!(
            profile.and_then(|p| p.email.as_deref()),
            Some("ann@example.dk")
        );
        assert_eq!(profile.and_then(|p| p.country.as_deref()), Some("DK"));
        assert_eq!(profile.and_then(|p| p.gender), Some(Gender::Female));
        assert_eq!(profile.and_then(|p| p.phone.as_deref()), Some("+45 12 34"));
        assert_eq!(
            valid.as_ref().and_then(|v| v.tags.clone()),
            Some(vec!["abo-2025".to_string(), "vip".to_string()])
        );
        assert_eq!(
            valid.map(|v| v.permissions),
            Some(vec![("newsletter".to_string(), true)])
        );
    }

    #[test]
    fn a_patch_clears_with_null_and_keeps_what_it_leaves_out() {
        let current = Profile {
            first_name: Some("Ann".into()),
            city: Some("Aarhus".into()),
            latitude: Some(56.0),
            longitude: Some(10.0),
            ..Profile::default()
        };
        let patch: CustomerPatch =
            serde_json::from_str(r#"{"city": null, "latitude": 55.5}"#).unwrap_or_default();
        let patched = patch.apply_to(current, "api").ok().map(|v| v.profile);
        assert_eq!(
            patched.as_ref().and_then(|p| p.first_name.as_deref()),
            Some("Ann")
        );
        assert_eq!(patched.as_ref().and_then(|p| p.city.clone()), None);
        assert_eq!(patched.as_ref().and_then(|p| p.latitude), Some(55.5));
        assert_eq!(patched.and_then(|p| p.longitude), Some(10.0));
    }
}
