//! The demo's customers: Danish, French and British people with names, addresses, consents and
//! tags that look like a real theatre's customer base.
//!
//! Two random streams: one for who a person is (language, gender, names, email), one for
//! everything else, so the same seed gives the same people even when other parts of the demo
//! change.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::bulk::{self, Batch, Output, Stopped, Table};
use super::clock::ulid_id;
use super::names::{self, email_part};
use super::places::{self, PostalArea};
use super::sales::{Audience, Channel, Origin};

pub const CUSTOMERS: Table = Table {
    name: "customers",
    columns: &[
        "organization_id",
        "id",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "gender",
        "birth_date",
        "address_line",
        "postal_code",
        "city",
        "country",
        "latitude",
        "longitude",
        "language",
        "subscriber",
        "created_at",
        "updated_at",
    ],
};

pub const PERMISSIONS: Table = Table {
    name: "customer_permissions",
    columns: &[
        "organization_id",
        "customer_id",
        "permission",
        "granted",
        "changed_at",
        "source",
    ],
};

pub const TAGS: Table = Table {
    name: "customer_tags",
    columns: &["organization_id", "customer_id", "tag", "created_at"],
};

/// The id of customer `index`: a ULID of its creation time and a hash of the seed and index,
/// so orders can name their customer without the generator keeping a million ids around.
pub fn customer_id(seed: u64, index: usize, created_at: DateTime<Utc>) -> String {
    ulid_id("cus", created_at, mix(seed ^ 0x6375_7374, index as u64))
}

fn mix(seed: u64, value: u64) -> u128 {
    let a = splitmix(seed ^ value.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let b = splitmix(a ^ value);
    (u128::from(a) << 64) | u128::from(b)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// What was written.
#[derive(Debug, Default)]
pub struct Written {
    pub customers: u64,
    pub permissions: u64,
    pub tags: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Danish,
    French,
    English,
}

impl Language {
    fn code(self) -> &'static str {
        match self {
            Language::Danish => "da",
            Language::French => "fr",
            Language::English => "en",
        }
    }

    fn country(self) -> &'static str {
        match self {
            Language::Danish => "DK",
            Language::French => "FR",
            Language::English => "GB",
        }
    }
}

/// Writes every customer of `audience` with their permissions and tags.
pub struct CustomerWriter<'a> {
    org: &'a str,
    seed: u64,
    audience: &'a Audience,
    now: DateTime<Utc>,
    identity: StdRng,
    details: StdRng,
    emails: HashSet<u64>,
    areas: [WeightedAreas; 3],
}

impl<'a> CustomerWriter<'a> {
    pub fn new(org: &'a str, seed: u64, audience: &'a Audience, now: DateTime<Utc>) -> Self {
        CustomerWriter {
            org,
            seed,
            audience,
            now,
            identity: StdRng::seed_from_u64(seed ^ 0x1D3E_7171),
            details: StdRng::seed_from_u64(seed ^ 0xDE7A_1150),
            emails: HashSet::with_capacity(audience.len()),
            areas: [
                WeightedAreas::new(places::DANISH_AREAS),
                WeightedAreas::new(places::FRENCH_AREAS),
                WeightedAreas::new(places::BRITISH_AREAS),
            ],
        }
    }

    pub fn write(mut self, out: &Output) -> Result<Written, Stopped> {
        let mut customers = Batch::new(&CUSTOMERS);
        let mut permissions = Batch::new(&PERMISSIONS);
        let mut tags = Batch::new(&TAGS);
        let mut written = Written::default();
        for index in 0..self.audience.len() {
            let person = self.person(index);
            for (permission, granted, changed_at, source) in self.permissions(&person) {
                permissions.push(
                    [
                        bulk::text(self.org),
                        bulk::text(&person.id),
                        bulk::text(permission),
                        bulk::boolean(granted),
                        bulk::time(changed_at),
                        bulk::text(source),
                    ],
                    out,
                )?;
                written.permissions += 1;
            }
            for (tag, created_at) in self.tags(&person) {
                tags.push(
                    [
                        bulk::text(self.org),
                        bulk::text(&person.id),
                        bulk::text(tag),
                        bulk::time(created_at),
                    ],
                    out,
                )?;
                written.tags += 1;
            }
            customers.push(person.into_row(self.org), out)?;
            written.customers += 1;
        }
        customers.flush(out)?;
        permissions.flush(out)?;
        tags.flush(out)?;
        Ok(written)
    }

    fn person(&mut self, index: usize) -> Person {
        let created_at = self.audience.created_at[index];
        let origin = self.audience.origin[index];
        let id = customer_id(self.seed, index, created_at);
        let language = match self.identity.gen_range(0..100) {
            0..=81 => Language::Danish,
            82..=91 => Language::English,
            _ => Language::French,
        };
        let female = self.identity.gen_bool(0.52);
        let (first_names, last_names) = name_lists(language, female);
        let first_name = pick_common(&mut self.identity, first_names, 1.4);
        let last_name = pick_common(&mut self.identity, last_names, 1.7);
        let birth_date = self.birth_date();
        let email = self.email(index, language, first_name, last_name, birth_date);

        let rng = &mut self.details;
        let gender_known = rng.gen_bool(0.92);
        let title = rng.gen_bool(0.6).then(|| title(rng, language, female));
        let phone = rng.gen_bool(0.85).then(|| phone(rng, language));
        let area = rng
            .gen_bool(0.92)
            .then(|| self.areas[language as usize].pick(rng));
        let address = match area {
            Some(area) if rng.gen_bool(0.75) => Some(address(rng, language, area)),
            _ => None,
        };
        let postal_code = area.map(|area| postal_code(rng, language, area));
        let (latitude, longitude) = match area {
            Some(area) => (
                Some(area.latitude + rng.gen_range(-0.012..0.012)),
                Some(area.longitude + rng.gen_range(-0.02..0.02)),
            ),
            None => (None, None),
        };
        let company = rng
            .gen_bool(0.04)
            .then(|| company(rng, language, last_name));
        let subscriber = rng.gen_bool(match origin {
            Origin::SignedUp => 0.6,
            _ => 0.12,
        });
        let updated_at = later(rng, created_at, self.now);
        let external_id = (origin == Origin::Imported).then(|| format!("K{:07}", 1_000 + index));
        Person {
            id,
            external_id,
            first_name,
            last_name,
            email,
            phone,
            company,
            title,
            gender: gender_known.then_some(if female { "female" } else { "male" }),
            birth_date,
            address,
            postal_code,
            city: area.map(|a| a.city),
            country: language.country(),
            latitude,
            longitude,
            language: language.code(),
            subscriber,
            origin,
            created_at,
            updated_at,
        }
    }

    /// Ages 16 to 90, most between 40 and 70 (a theatre's audience); one in ten unknown.
    fn birth_date(&mut self) -> Option<NaiveDate> {
        const AGES: [(i32, i32, u32); 8] = [
            (16, 19, 4),
            (20, 29, 12),
            (30, 39, 14),
            (40, 49, 17),
            (50, 59, 20),
            (60, 69, 18),
            (70, 79, 11),
            (80, 90, 4),
        ];
        let rng = &mut self.identity;
        if rng.gen_bool(0.1) {
            return None;
        }
        let mut roll = rng.gen_range(0..AGES.iter().map(|a| a.2).sum::<u32>());
        let (low, high) = AGES
            .iter()
            .find(|(_, _, weight)| {
                let hit = roll < *weight;
                roll = roll.saturating_sub(*weight);
                hit
            })
            .map(|(low, high, _)| (*low, *high))
            .unwrap_or((40, 49));
        let age = rng.gen_range(low..=high);
        let today = self.now.date_naive();
        let birthday = NaiveDate::from_ymd_opt(today.year() - age, 1, 1)?;
        Some(birthday - Duration::days(rng.gen_range(0..365)))
    }

    /// An address made from the name, as people make them, unique in the organization.
    fn email(
        &mut self,
        index: usize,
        language: Language,
        first: &str,
        last: &str,
        birth_date: Option<NaiveDate>,
    ) -> String {
        let rng = &mut self.identity;
        let first = email_part(first);
        let last = email_part(last);
        let initial = first.chars().next().unwrap_or('x');
        let local = match rng.gen_range(0..100) {
            0..=39 => format!("{first}.{last}"),
            40..=49 => format!("{first}{last}"),
            50..=64 => format!("{initial}.{last}"),
            65..=79 => match birth_date {
                Some(born) => format!("{first}.{last}{:02}", born.year() % 100),
                None => format!("{first}{}", rng.gen_range(1..100)),
            },
            80..=84 => format!("{first}_{last}"),
            85..=89 => format!("{last}.{first}"),
            _ => format!("{first}{}", rng.gen_range(1..1000)),
        };
        let domains = match language {
            Language::Danish => places::DANISH_DOMAINS,
            Language::French => places::FRENCH_DOMAINS,
            Language::English => places::BRITISH_DOMAINS,
        };
        let domain = pick_weighted(rng, domains);
        let mut email = format!("{local}@{domain}");
        let mut attempts = 0;
        while !self.emails.insert(fnv1a(&email)) {
            email = if attempts < 5 {
                format!("{local}{}@{domain}", rng.gen_range(1..1000))
            } else {
                // A dot then the customer's number: no other pattern ends like this.
                format!("{local}.{index}@{domain}")
            };
            attempts += 1;
        }
        email
    }

    fn permissions(
        &mut self,
        person: &Person,
    ) -> Vec<(&'static str, bool, DateTime<Utc>, &'static str)> {
        let rng = &mut self.details;
        let joined_via = match person.origin {
            Origin::Imported => "import",
            Origin::SignedUp => "signup_form",
            Origin::Bought(Channel::Online) => "checkout",
            Origin::Bought(Channel::BoxOffice) => "box_office",
        };
        let mut permissions = Vec::with_capacity(3);
        if person.subscriber {
            permissions.push(("newsletter", true, person.created_at, joined_via));
        } else if rng.gen_bool(0.4) {
            if rng.gen_bool(0.5) {
                permissions.push(("newsletter", false, person.created_at, joined_via));
            } else {
                let withdrawn = later(rng, person.created_at, self.now);
                permissions.push(("newsletter", false, withdrawn, "unsubscribe_link"));
            }
        }
        if rng.gen_bool(0.3) {
            permissions.push((
                "partner_offers",
                rng.gen_bool(0.45),
                person.created_at,
                joined_via,
            ));
        }
        if person.phone.is_some() && rng.gen_bool(0.2) {
            let changed_at = later(rng, person.created_at, self.now);
            let source = if rng.gen_bool(0.7) {
                joined_via
            } else {
                "preference_center"
            };
            permissions.push(("sms", rng.gen_bool(0.65), changed_at, source));
        }
        permissions
    }

    /// Most customers have no tag; a few are VIPs, press, season-ticket holders, students…
    fn tags(&mut self, person: &Person) -> Vec<(&'static str, DateTime<Utc>)> {
        let rng = &mut self.details;
        let buyer = matches!(person.origin, Origin::Bought(_));
        let young = person
            .birth_date
            .is_some_and(|born| (self.now.date_naive() - born).num_days() < 28 * 365);
        let chances = [
            ("vip", 0.01),
            ("press", 0.003),
            ("season_ticket", if buyer { 0.06 } else { 0.005 }),
            ("student", if young { 0.2 } else { 0.0 }),
            ("staff", 0.002),
            ("accessibility", 0.015),
            ("donor", 0.008),
            ("group_booker", 0.004),
        ];
        let mut tags = Vec::new();
        for (tag, chance) in chances {
            if chance > 0.0 && rng.gen_bool(chance) {
                tags.push((tag, later(rng, person.created_at, self.now)));
            }
        }
        tags
    }
}

struct Person {
    id: String,
    external_id: Option<String>,
    first_name: &'static str,
    last_name: &'static str,
    email: String,
    phone: Option<String>,
    company: Option<String>,
    title: Option<&'static str>,
    gender: Option<&'static str>,
    birth_date: Option<NaiveDate>,
    address: Option<String>,
    postal_code: Option<String>,
    city: Option<&'static str>,
    country: &'static str,
    latitude: Option<f64>,
    longitude: Option<f64>,
    language: &'static str,
    subscriber: bool,
    origin: Origin,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl Person {
    fn into_row(self, org: &str) -> [sea_orm::Value; 21] {
        [
            bulk::text(org),
            bulk::owned_text(self.id),
            bulk::optional_text(self.external_id),
            bulk::text(self.first_name),
            bulk::text(self.last_name),
            bulk::owned_text(self.email),
            bulk::optional_text(self.phone),
            bulk::optional_text(self.company),
            bulk::optional_text(self.title.map(str::to_owned)),
            bulk::optional_text(self.gender.map(str::to_owned)),
            bulk::date(self.birth_date),
            bulk::optional_text(self.address),
            bulk::optional_text(self.postal_code),
            bulk::optional_text(self.city.map(str::to_owned)),
            bulk::text(self.country),
            bulk::float(self.latitude),
            bulk::float(self.longitude),
            bulk::text(self.language),
            bulk::boolean(self.subscriber),
            bulk::time(self.created_at),
            bulk::time(self.updated_at),
        ]
    }
}

fn name_lists(
    language: Language,
    female: bool,
) -> (&'static [&'static str], &'static [&'static str]) {
    match (language, female) {
        (Language::Danish, true) => (names::DANISH_FEMALE, names::DANISH_LAST),
        (Language::Danish, false) => (names::DANISH_MALE, names::DANISH_LAST),
        (Language::French, true) => (names::FRENCH_FEMALE, names::FRENCH_LAST),
        (Language::French, false) => (names::FRENCH_MALE, names::FRENCH_LAST),
        (Language::English, true) => (names::ENGLISH_FEMALE, names::ENGLISH_LAST),
        (Language::English, false) => (names::ENGLISH_MALE, names::ENGLISH_LAST),
    }
}

/// A name from `list`, earlier names more often: the index is `len · u^skew`, so the first
/// names of a list are common and the last ones rare, as in real name statistics.
fn pick_common(rng: &mut StdRng, list: &'static [&'static str], skew: f64) -> &'static str {
    let position = (list.len() as f64 * rng.gen::<f64>().powf(skew)) as usize;
    list[position.min(list.len() - 1)]
}

fn pick_weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let mut roll = rng.gen_range(0..items.iter().map(|i| i.1).sum::<u32>().max(1));
    for (item, weight) in items {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    items[0].0
}

/// The postal areas of one country with their cumulative weights, for quick draws.
struct WeightedAreas {
    areas: &'static [PostalArea],
    cumulative: Vec<u32>,
}

impl WeightedAreas {
    fn new(areas: &'static [PostalArea]) -> Self {
        let cumulative = areas
            .iter()
            .scan(0, |sum, area| {
                *sum += area.weight;
                Some(*sum)
            })
            .collect();
        WeightedAreas { areas, cumulative }
    }

    fn pick(&self, rng: &mut StdRng) -> &'static PostalArea {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let roll = rng.gen_range(0..total);
        let position = self.cumulative.partition_point(|&c| c <= roll);
        &self.areas[position.min(self.areas.len() - 1)]
    }
}

fn title(rng: &mut StdRng, language: Language, female: bool) -> &'static str {
    match (language, female) {
        (Language::Danish, true) => "Fru",
        (Language::Danish, false) => "Hr.",
        (Language::French, true) => "Mme",
        (Language::French, false) => "M.",
        (Language::English, true) => {
            if rng.gen_bool(0.55) {
                "Ms"
            } else {
                "Mrs"
            }
        }
        (Language::English, false) => "Mr",
    }
}

/// A mobile number in the country's own format, with its country code.
fn phone(rng: &mut StdRng, language: Language) -> String {
    match language {
        Language::Danish => {
            let first = rng.gen_range(2..10);
            let rest = digits(rng, 7);
            format!(
                "+45 {first}{} {} {} {}",
                &rest[0..1],
                &rest[1..3],
                &rest[3..5],
                &rest[5..7]
            )
        }
        Language::French => {
            let mobile = if rng.gen_bool(0.3) { 7 } else { 6 };
            let rest = digits(rng, 8);
            format!(
                "+33 {mobile} {} {} {} {}",
                &rest[0..2],
                &rest[2..4],
                &rest[4..6],
                &rest[6..8]
            )
        }
        Language::English => {
            let rest = digits(rng, 9);
            format!("+44 7{} {}", &rest[0..3], &rest[3..9])
        }
    }
}

fn digits(rng: &mut StdRng, count: usize) -> String {
    (0..count)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

fn address(rng: &mut StdRng, language: Language, area: &PostalArea) -> String {
    let number = rng.gen_range(1..160);
    match language {
        Language::Danish => {
            let street = places::DANISH_STREETS[rng.gen_range(0..places::DANISH_STREETS.len())];
            // Flats in Copenhagen give floor and side: "Jagtvej 113, 2. tv."
            if area.code.starts_with(['1', '2']) && rng.gen_bool(0.6) {
                let floor = match rng.gen_range(0..6) {
                    0 => "st.".to_string(),
                    n => format!("{n}."),
                };
                let side = ["tv.", "th.", "mf."][rng.gen_range(0..3)];
                format!("{street} {number}, {floor} {side}")
            } else {
                format!("{street} {number}")
            }
        }
        Language::French => {
            let street = places::FRENCH_STREETS[rng.gen_range(0..places::FRENCH_STREETS.len())];
            format!("{number} {street}")
        }
        Language::English => {
            let street = places::BRITISH_STREETS[rng.gen_range(0..places::BRITISH_STREETS.len())];
            format!("{number} {street}")
        }
    }
}

/// The area's code; British codes get an inward half ("N1 9GU").
fn postal_code(rng: &mut StdRng, language: Language, area: &PostalArea) -> String {
    const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    match language {
        Language::English => {
            let letter = |rng: &mut StdRng| {
                char::from(INWARD_LETTERS[rng.gen_range(0..INWARD_LETTERS.len())])
            };
            let digit = rng.gen_range(0..10);
            format!("{} {digit}{}{}", area.code, letter(rng), letter(rng))
        }
        _ => area.code.to_string(),
    }
}

fn company(rng: &mut StdRng, language: Language, last_name: &str) -> String {
    let word = places::COMPANY_WORDS[rng.gen_range(0..places::COMPANY_WORDS.len())];
    let trade = places::COMPANY_TRADES[rng.gen_range(0..places::COMPANY_TRADES.len())];
    let founder = rng.gen_bool(0.4);
    match (language, founder) {
        (Language::Danish, true) => format!("{last_name} & Co. ApS"),
        (Language::Danish, false) => format!("{word} {trade} A/S"),
        (Language::French, true) => format!("Cabinet {last_name}"),
        (Language::French, false) => format!("{word} {trade} SARL"),
        (Language::English, true) => format!("{last_name} & Partners Ltd"),
        (Language::English, false) => format!("{word} {trade} Ltd"),
    }
}

/// A moment between `from` and `until` (or `from` when they are out of order).
fn later(rng: &mut StdRng, from: DateTime<Utc>, until: DateTime<Utc>) -> DateTime<Utc> {
    let span = (until - from).num_seconds();
    if span <= 0 {
        from
    } else {
        from + Duration::seconds(rng.gen_range(0..=span))
    }
}

/// FNV-1a: a fixed hash, so which address gets a number appended does not vary between runs.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
