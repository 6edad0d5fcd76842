//! The Demo Theatre's catalog: two venues with seat maps, the productions, their performances
//! over three years back and six months ahead, the shops and each performance's ticket types.

use std::ops::Range;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rand::rngs::StdRng;
use rand::Rng;

use super::clock::{copenhagen, ulid_id};

/// A seat category (price zone). The demo's seat maps use A (best) to C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    A,
    B,
    C,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::A, Category::B, Category::C];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::A => "A",
            Category::B => "B",
            Category::C => "C",
        }
    }
}

/// The category that holds general-admission tickets.
pub const GA_CATEGORY: &str = "GA";

pub struct Venue {
    pub id: String,
    pub name: &'static str,
    pub address_line: &'static str,
    pub postal_code: &'static str,
    pub city: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    pub created_at: DateTime<Utc>,
    pub kind: Stage,
    pub ga_area: usize,
    /// Indexes into [`Catalog::seats`] per category, in seat-map order, so neighbours in the
    /// list are neighbours in the hall.
    pub category_seats: [Vec<usize>; 3],
}

/// Which of the two halls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Main,
    Studio,
}

pub struct Seat {
    pub id: String,
    pub venue: usize,
    pub section: &'static str,
    pub group: &'static str,
    pub row: String,
    pub label: String,
    pub category: Category,
    pub sort_order: i64,
    /// Equal for the seats of one row of one block: seats sold together sit in one row.
    pub row_key: u32,
}

pub struct GaArea {
    pub id: String,
    pub venue: usize,
    pub name: &'static str,
    pub capacity: i64,
}

pub struct Production {
    pub id: String,
    pub name: &'static str,
    pub genre: &'static str,
    pub description: &'static str,
    pub created_at: DateTime<Utc>,
    /// How full its performances get, before noise.
    pub popularity: f64,
    /// Multiplies the hall's base prices.
    pub price_factor: f64,
    pub minutes: i64,
    pub stage: Stage,
    /// Evening curtain, Copenhagen time.
    pub curtain: (u32, u32),
}

pub struct Shop {
    pub id: String,
    pub name: &'static str,
    pub kind: &'static str,
    pub created_at: DateTime<Utc>,
}

pub struct Event {
    pub id: String,
    pub production: usize,
    pub venue: usize,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub sales_start: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The share of the hall that this performance sells in the end.
    pub fill: f64,
    pub ticket_types: Range<usize>,
}

/// What a ticket type sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketKind {
    Seated(Category),
    Standing,
    /// Hidden until a code unlocks it; category A seats at a friendly price.
    FriendsOfTheHouse,
    /// Sold only in the secret partner shop; category B seats.
    Partner,
}

impl TicketKind {
    /// The seats this kind sells, or `None` for standing.
    pub fn seat_category(self) -> Option<Category> {
        match self {
            TicketKind::Seated(category) => Some(category),
            TicketKind::Standing => None,
            TicketKind::FriendsOfTheHouse => Some(Category::A),
            TicketKind::Partner => Some(Category::B),
        }
    }
}

pub struct TicketType {
    pub id: String,
    pub event: usize,
    pub shop: usize,
    pub name: &'static str,
    pub kind: TicketKind,
    pub price_minor: i64,
    pub capacity: i64,
    pub hidden: bool,
    pub ga_area: Option<usize>,
}

pub struct Catalog {
    pub venues: Vec<Venue>,
    pub seats: Vec<Seat>,
    pub ga_areas: Vec<GaArea>,
    pub productions: Vec<Production>,
    pub shops: Vec<Shop>,
    pub events: Vec<Event>,
    pub ticket_types: Vec<TicketType>,
}

pub const PUBLIC_SHOP: usize = 0;
pub const PARTNER_SHOP: usize = 1;

/// How many performances for `customers` customers: enough history for every filter to have
/// something to find, growing with the audience but bounded.
pub fn event_count(customers: u64) -> usize {
    (customers / 2500).clamp(48, 600) as usize
}

/// How far back the schedule reaches, and how far ahead.
pub const HISTORY_DAYS: i64 = 3 * 365;
pub const FUTURE_DAYS: i64 = 182;
/// Online sales open this long before a performance.
pub const SALES_WINDOW_DAYS: i64 = 150;

impl Catalog {
    /// Builds the catalog around `today` (midnight UTC, the demo's "now").
    pub fn build(rng: &mut StdRng, today: DateTime<Utc>, events: usize) -> Catalog {
        let opened = today - Duration::days(HISTORY_DAYS + SALES_WINDOW_DAYS + 60);
        let mut catalog = Catalog {
            venues: Vec::new(),
            seats: Vec::new(),
            ga_areas: Vec::new(),
            productions: Vec::new(),
            shops: Vec::new(),
            events: Vec::new(),
            ticket_types: Vec::new(),
        };
        catalog.add_main_stage(rng, opened);
        catalog.add_studio(rng, opened);
        catalog.add_shops(rng, opened);
        catalog.add_productions(rng, opened);
        catalog.schedule(rng, today, events);
        catalog
    }

    fn add_venue(
        &mut self,
        rng: &mut StdRng,
        opened: DateTime<Utc>,
        template: VenueTemplate,
    ) -> usize {
        let venue = self.venues.len();
        self.venues.push(Venue {
            id: ulid_id("ven", opened, rng.gen()),
            name: template.name,
            address_line: template.address_line,
            postal_code: template.postal_code,
            city: template.city,
            latitude: template.latitude,
            longitude: template.longitude,
            created_at: opened,
            kind: template.stage,
            ga_area: self.ga_areas.len(),
            category_seats: [Vec::new(), Vec::new(), Vec::new()],
        });
        self.ga_areas.push(GaArea {
            id: ulid_id("ga", opened, rng.gen()),
            venue,
            name: template.ga_name,
            capacity: template.ga_capacity,
        });
        venue
    }

    fn add_seat(
        &mut self,
        rng: &mut StdRng,
        venue: usize,
        place: SeatPlace,
        category: Category,
        row_key: u32,
    ) {
        let index = self.seats.len();
        let opened = self.venues[venue].created_at;
        self.seats.push(Seat {
            id: ulid_id("seat", opened, rng.gen()),
            venue,
            section: place.section,
            group: place.group,
            row: place.row,
            label: place.label,
            category,
            sort_order: index as i64,
            row_key,
        });
        self.venues[venue].category_seats[category.index()].push(index);
    }

    /// The main stage: parterre and balcony in three blocks each, two loges, and a standing
    /// area at the back: 811 seats and 300 standing.
    fn add_main_stage(&mut self, rng: &mut StdRng, opened: DateTime<Utc>) {
        let venue = self.add_venue(
            rng,
            opened,
            VenueTemplate {
                name: "Demo Theatre, Main Stage",
                address_line: "Vesterbrogade 117",
                postal_code: "1620",
                city: "København V",
                latitude: 55.6716,
                longitude: 12.5431,
                stage: Stage::Main,
                ga_name: "Standing",
                ga_capacity: 300,
            },
        );
        let mut row_key = 0;
        for row in 1..=18u32 {
            for group in ["Left", "Centre", "Right"] {
                let seats = if group == "Centre" {
                    14 + (row - 1) / 4
                } else {
                    7 + (row - 1) / 6
                };
                let category = match (group, row) {
                    ("Centre", 1..=7) => Category::A,
                    (_, 1..=5) => Category::A,
                    (_, 6..=13) => Category::B,
                    _ => Category::C,
                };
                self.add_row(
                    rng,
                    venue,
                    ("Parterre", group, row),
                    seats,
                    category,
                    row_key,
                );
                row_key += 1;
            }
        }
        for row in 1..=8u32 {
            for group in ["Left", "Centre", "Right"] {
                let seats = if group == "Centre" {
                    14 + (row - 1) / 3
                } else {
                    6 + (row - 1) / 4
                };
                let category = match (group, row) {
                    ("Centre", 1..=3) => Category::B,
                    _ => Category::C,
                };
                self.add_row(
                    rng,
                    venue,
                    ("Balcony", group, row),
                    seats,
                    category,
                    row_key,
                );
                row_key += 1;
            }
        }
        for group in ["Left", "Right"] {
            for row in 1..=2u32 {
                self.add_row(rng, venue, ("Loges", group, row), 4, Category::A, row_key);
                row_key += 1;
            }
        }
    }

    /// The studio: a black box with rows A–J in two blocks, and a standing rail by the bar.
    fn add_studio(&mut self, rng: &mut StdRng, opened: DateTime<Utc>) {
        let venue = self.add_venue(
            rng,
            opened,
            VenueTemplate {
                name: "Demo Theatre, Studio",
                address_line: "Halmtorvet 20",
                postal_code: "1700",
                city: "København V",
                latitude: 55.6697,
                longitude: 12.5597,
                stage: Stage::Studio,
                ga_name: "Bar standing",
                ga_capacity: 40,
            },
        );
        let mut row_key = 10_000;
        for (position, row) in ["A", "B", "C", "D", "E", "F", "G", "H", "J", "K"]
            .into_iter()
            .enumerate()
        {
            let category = if position < 4 {
                Category::A
            } else {
                Category::B
            };
            for (group, seats) in [("Left", 7), ("Right", 8)] {
                let first = if group == "Left" { 1 } else { 8 };
                for number in first..first + seats {
                    let place = SeatPlace {
                        section: "Stalls",
                        group,
                        row: row.to_string(),
                        label: number.to_string(),
                    };
                    self.add_seat(rng, venue, place, category, row_key);
                }
                row_key += 1;
            }
        }
    }

    fn add_row(
        &mut self,
        rng: &mut StdRng,
        venue: usize,
        (section, group, row): (&'static str, &'static str, u32),
        seats: u32,
        category: Category,
        row_key: u32,
    ) {
        for number in 1..=seats {
            let place = SeatPlace {
                section,
                group,
                row: row.to_string(),
                label: number.to_string(),
            };
            self.add_seat(rng, venue, place, category, row_key);
        }
    }

    fn add_shops(&mut self, rng: &mut StdRng, opened: DateTime<Utc>) {
        for (name, kind) in [("Web shop", "public"), ("Partners and sponsors", "secret")] {
            self.shops.push(Shop {
                id: ulid_id("shp", opened, rng.gen()),
                name,
                kind,
                created_at: opened,
            });
        }
    }

    fn add_productions(&mut self, rng: &mut StdRng, opened: DateTime<Utc>) {
        for template in PRODUCTIONS {
            self.productions.push(Production {
                id: ulid_id("prd", opened, rng.gen()),
                name: template.name,
                genre: template.genre,
                description: template.description,
                created_at: opened,
                popularity: template.popularity,
                price_factor: template.price_factor,
                minutes: template.minutes,
                stage: template.stage,
                curtain: template.curtain,
            });
        }
    }

    /// Spreads `count` performances over distinct evenings from three years ago to six months
    /// ahead; each hall plays its productions in runs, one after the other.
    fn schedule(&mut self, rng: &mut StdRng, today: DateTime<Utc>, count: usize) {
        let first_day = today.date_naive() - Duration::days(HISTORY_DAYS);
        let span = HISTORY_DAYS + FUTURE_DAYS;
        let studio_share = 0.2;
        let mut main_runs = Runs::new(
            self,
            Stage::Main,
            (count as f64 * 0.8 / 8.0) as usize,
            3,
            14,
        );
        let mut studio_runs = Runs::new(
            self,
            Stage::Studio,
            (count as f64 * 0.2 / 5.0) as usize,
            2,
            10,
        );
        for index in 0..count {
            let day = first_day + Duration::days(index as i64 * span / count as i64);
            let runs = if rng.gen_bool(studio_share) {
                &mut studio_runs
            } else {
                &mut main_runs
            };
            let production = runs.next(rng);
            let venue = self
                .venues
                .iter()
                .position(|v| v.kind == self.productions[production].stage)
                .unwrap_or(0);
            self.add_event(rng, production, venue, day);
        }
    }

    fn add_event(&mut self, rng: &mut StdRng, production: usize, venue: usize, day: NaiveDate) {
        let show = &self.productions[production];
        let (hour, minute) = if day.weekday() == Weekday::Sun && show.stage == Stage::Main {
            (15, 0)
        } else {
            show.curtain
        };
        let starts_at = copenhagen(day, hour, minute);
        let sales_start = starts_at - Duration::days(SALES_WINDOW_DAYS);
        let created_at = sales_start - Duration::days(rng.gen_range(7..60));
        let fill = (show.popularity + rng.gen_range(-0.14..0.14)).clamp(0.60, 0.98);
        let event = self.events.len();
        let first_type = self.ticket_types.len();
        self.events.push(Event {
            id: ulid_id("evt", created_at, rng.gen()),
            production,
            venue,
            starts_at,
            ends_at: starts_at + Duration::minutes(show.minutes),
            sales_start,
            created_at,
            fill,
            ticket_types: first_type..first_type,
        });
        self.add_ticket_types(rng, event);
        self.events[event].ticket_types = first_type..self.ticket_types.len();
    }

    fn add_ticket_types(&mut self, rng: &mut StdRng, event: usize) {
        let venue_index = self.events[event].venue;
        let factor = self.productions[self.events[event].production].price_factor;
        let created_at = self.events[event].created_at;
        let venue = &self.venues[venue_index];
        let base: [i64; 3] = match venue.kind {
            Stage::Main => [dkk(450), dkk(350), dkk(250)],
            Stage::Studio => [dkk(300), dkk(220), 0],
        };
        let standing_base = match venue.kind {
            Stage::Main => dkk(200),
            Stage::Studio => dkk(150),
        };
        let mut types = Vec::new();
        for category in Category::ALL {
            let seats = venue.category_seats[category.index()].len() as i64;
            if seats > 0 {
                types.push((
                    CATEGORY_NAMES[category.index()],
                    TicketKind::Seated(category),
                    price(base[category.index()], factor),
                    seats,
                    PUBLIC_SHOP,
                ));
            }
        }
        let standing = self.ga_areas[venue.ga_area].capacity;
        types.push((
            "Standing",
            TicketKind::Standing,
            price(standing_base, factor),
            standing,
            PUBLIC_SHOP,
        ));
        types.push((
            "Friends of the house",
            TicketKind::FriendsOfTheHouse,
            price(base[0] * 7 / 10, factor),
            24,
            PUBLIC_SHOP,
        ));
        types.push((
            "Partner offer",
            TicketKind::Partner,
            price(base[1] * 8 / 10, factor),
            40,
            PARTNER_SHOP,
        ));
        let ga_area = venue.ga_area;
        for (name, kind, price_minor, capacity, shop) in types {
            self.ticket_types.push(TicketType {
                id: ulid_id("tt", created_at, rng.gen()),
                event,
                shop,
                name,
                kind,
                price_minor,
                capacity,
                hidden: kind == TicketKind::FriendsOfTheHouse,
                ga_area: (kind == TicketKind::Standing).then_some(ga_area),
            });
        }
    }

    /// The ticket type of `event` that sells `kind`, if the event has one.
    pub fn ticket_type(&self, event: usize, kind: TicketKind) -> Option<usize> {
        self.events[event]
            .ticket_types
            .clone()
            .find(|&t| self.ticket_types[t].kind == kind)
    }
}

const CATEGORY_NAMES: [&str; 3] = ["Category A", "Category B", "Category C"];

/// Whole kroner in minor units (øre).
const fn dkk(kroner: i64) -> i64 {
    kroner * 100
}

/// `base` scaled by a production's factor, rounded to whole 10 DKK.
fn price(base: i64, factor: f64) -> i64 {
    ((base as f64 * factor / 1000.0).round() as i64) * 1000
}

struct VenueTemplate {
    name: &'static str,
    address_line: &'static str,
    postal_code: &'static str,
    city: &'static str,
    latitude: f64,
    longitude: f64,
    stage: Stage,
    ga_name: &'static str,
    ga_capacity: i64,
}

struct SeatPlace {
    section: &'static str,
    group: &'static str,
    row: String,
    label: String,
}

/// One hall's productions played in runs: a run of a few performances of one production, then
/// the next production, cycling.
struct Runs {
    productions: Vec<usize>,
    run_length: usize,
    current: usize,
    left_in_run: usize,
}

impl Runs {
    fn new(catalog: &Catalog, stage: Stage, run_length: usize, min: usize, max: usize) -> Runs {
        Runs {
            productions: (0..catalog.productions.len())
                .filter(|&p| catalog.productions[p].stage == stage)
                .collect(),
            run_length: run_length.clamp(min, max),
            current: 0,
            left_in_run: 0,
        }
    }

    fn next(&mut self, rng: &mut StdRng) -> usize {
        if self.left_in_run == 0 {
            self.current = (self.current + 1) % self.productions.len().max(1);
            let spread = self.run_length / 3;
            self.left_in_run = self.run_length - spread + rng.gen_range(0..=spread * 2);
        }
        self.left_in_run -= 1;
        self.productions.get(self.current).copied().unwrap_or(0)
    }
}

struct ProductionTemplate {
    name: &'static str,
    genre: &'static str,
    description: &'static str,
    stage: Stage,
    curtain: (u32, u32),
    popularity: f64,
    price_factor: f64,
    minutes: i64,
}

const PRODUCTIONS: &[ProductionTemplate] = &[
    ProductionTemplate {
        name: "Hamlet",
        genre: "drama",
        description: "Shakespeare's tragedy of the prince of Elsinore, in a new staging.",
        stage: Stage::Main,
        curtain: (19, 30),
        popularity: 0.86,
        price_factor: 1.0,
        minutes: 185,
    },
    ProductionTemplate {
        name: "A Doll's House",
        genre: "drama",
        description: "Ibsen's play about Nora Helmer and the door she closes behind her.",
        stage: Stage::Main,
        curtain: (19, 30),
        popularity: 0.74,
        price_factor: 1.0,
        minutes: 150,
    },
    ProductionTemplate {
        name: "The Nutcracker",
        genre: "ballet",
        description: "Tchaikovsky's Christmas ballet, danced by the Demo Theatre Ballet.",
        stage: Stage::Main,
        curtain: (19, 0),
        popularity: 0.94,
        price_factor: 1.3,
        minutes: 130,
    },
    ProductionTemplate {
        name: "Carmen",
        genre: "opera",
        description: "Bizet's opera, sung in French with Danish and English surtitles.",
        stage: Stage::Main,
        curtain: (19, 0),
        popularity: 0.8,
        price_factor: 1.5,
        minutes: 170,
    },
    ProductionTemplate {
        name: "Copenhagen Philharmonic: Beethoven's Ninth",
        genre: "concert",
        description: "The choral symphony with the Demo Theatre Choir.",
        stage: Stage::Main,
        curtain: (19, 30),
        popularity: 0.84,
        price_factor: 1.2,
        minutes: 110,
    },
    ProductionTemplate {
        name: "A Midsummer Night's Dream",
        genre: "comedy",
        description: "Lovers, fairies and amateur actors lost in a wood outside Athens.",
        stage: Stage::Main,
        curtain: (19, 30),
        popularity: 0.72,
        price_factor: 1.0,
        minutes: 160,
    },
    ProductionTemplate {
        name: "Peer Gynt",
        genre: "drama",
        description: "Ibsen's restless hero, with Grieg's music played live.",
        stage: Stage::Main,
        curtain: (19, 30),
        popularity: 0.66,
        price_factor: 1.1,
        minutes: 175,
    },
    ProductionTemplate {
        name: "Blue Harbour Big Band",
        genre: "concert",
        description: "Swing and modern big-band jazz from Copenhagen's waterfront.",
        stage: Stage::Main,
        curtain: (20, 0),
        popularity: 0.7,
        price_factor: 0.9,
        minutes: 120,
    },
    ProductionTemplate {
        name: "Late Night Laughs",
        genre: "comedy",
        description: "Stand-up comedy with three comedians and a host.",
        stage: Stage::Studio,
        curtain: (20, 30),
        popularity: 0.82,
        price_factor: 0.7,
        minutes: 90,
    },
    ProductionTemplate {
        name: "Jeppe on the Mountain",
        genre: "drama",
        description: "Holberg's comedy about the peasant who wakes up a baron.",
        stage: Stage::Studio,
        curtain: (19, 30),
        popularity: 0.64,
        price_factor: 0.8,
        minutes: 120,
    },
    ProductionTemplate {
        name: "Songs from the Harbour",
        genre: "concert",
        description: "Singer-songwriters in the round, unplugged.",
        stage: Stage::Studio,
        curtain: (20, 0),
        popularity: 0.7,
        price_factor: 0.7,
        minutes: 100,
    },
    ProductionTemplate {
        name: "Improv Thursdays",
        genre: "comedy",
        description: "Improvised theatre from the audience's suggestions.",
        stage: Stage::Studio,
        curtain: (20, 0),
        popularity: 0.62,
        price_factor: 0.6,
        minutes: 90,
    },
];
