//! Random ticketing facts and random segment queries, from a seed, written through the
//! ticketing entities (the facts the index and the reference read).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Db, OrgId};
use fullhouse_segments::index::SegmentQuery;
use fullhouse_segments::model::*;
use fullhouse_ticketing::store::{
    customer_permissions, customer_tags, customers, events, orders, productions, ticket_types,
    tickets, venues,
};
use fullhouse_ticketing::{
    CustomerId, EventId, OrderId, ProductionId, TicketId, TicketTypeId, VenueId,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sea_orm::{EntityTrait, Set};

pub const TAGS: &[&str] = &["vip", "student", "press"];
pub const PERMISSIONS: &[&str] = &["newsletter", "partner_offers"];
const TITLES: &[&str] = &["Mr", "Mrs", "fru", "Hr.", "Dr", "Mme"];
const NAMES: &[&str] = &[
    "Anne", "Peter", "Mette", "Lars", "Alex", "Camille", "Jean", "Kim",
];
const CATEGORIES: &[&str] = &["A", "B"];

/// What was generated: the ids queries pick from.
pub struct World {
    pub org: OrgId,
    pub today: NaiveDate,
    pub venues: Vec<VenueId>,
    pub productions: Vec<ProductionId>,
    pub events: Vec<EventId>,
    pub customers: usize,
}

pub async fn new_org(db: &Db, slug: &str) -> OrgId {
    TenancyService::new(db.clone())
        .create_organization(NewOrganization {
            name: slug.to_string(),
            slug: slug.to_string(),
            default_language: "en".into(),
            timezone: "Europe/Copenhagen".into(),
            currency: "DKK".into(),
        })
        .await
        .expect("organization")
        .id
}

/// A coordinate around a point (the index and SQL both keep `f64`: any value would do).
fn coordinate(rng: &mut StdRng, around: f64) -> f64 {
    around + f64::from(rng.gen_range(-256i32..256)) / 256.0
}

fn at(day: NaiveDate, rng: &mut StdRng) -> DateTime<Utc> {
    // A quarter of the times fall between 22:00 and 24:00 UTC: the organization's (Copenhagen)
    // midnight in summer and in winter, where a UTC calendar and the organization's disagree.
    let seconds = if rng.gen_bool(0.25) {
        rng.gen_range(79_200..86_400)
    } else {
        rng.gen_range(0..86_400)
    };
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight")) + Duration::seconds(seconds)
}

pub async fn generate(db: &Db, org: OrgId, seed: u64, today: NaiveDate) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let now = Utc::now();
    let conn = db.writer();
    let org_id = org.to_string();
    let mut venue_ids = Vec::new();
    for (i, lat) in [55.5f64, 56.0].iter().enumerate() {
        let id = VenueId::generate();
        venues::Entity::insert(venues::ActiveModel {
            organization_id: Set(org_id.clone()),
            id: Set(id.to_string()),
            name: Set(format!("Venue {i}")),
            address_line: Set(None),
            postal_code: Set(None),
            city: Set(None),
            country: Set(None),
            latitude: Set(Some(*lat)),
            longitude: Set(Some(12.5)),
            timezone: Set("Europe/Copenhagen".into()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(conn)
        .await
        .expect("venue");
        venue_ids.push(id);
    }
    let mut production_ids = Vec::new();
    for i in 0..3 {
        let id = ProductionId::generate();
        productions::Entity::insert(productions::ActiveModel {
            organization_id: Set(org_id.clone()),
            id: Set(id.to_string()),
            name: Set(format!("Production {i}")),
            description: Set(None),
            genre: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(conn)
        .await
        .expect("production");
        production_ids.push(id);
    }
    let mut event_ids = Vec::new();
    let mut event_days = Vec::new();
    let mut type_rows: Vec<(TicketTypeId, EventId, NaiveDate)> = Vec::new();
    for _ in 0..8 {
        let id = EventId::generate();
        let day = today + Duration::days(rng.gen_range(-400..200));
        events::Entity::insert(events::ActiveModel {
            organization_id: Set(org_id.clone()),
            id: Set(id.to_string()),
            production_id: Set(production_ids
                .choose(&mut rng)
                .expect("production")
                .to_string()),
            venue_id: Set(venue_ids.choose(&mut rng).expect("venue").to_string()),
            name: Set(None),
            starts_at: Set(at(day, &mut rng)),
            ends_at: Set(None),
            status: Set("on_sale".into()),
            sales_start: Set(None),
            sales_end: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(conn)
        .await
        .expect("event");
        for _ in 0..2 {
            let tt = TicketTypeId::generate();
            let category = if rng.gen_bool(0.2) {
                None
            } else {
                Some(CATEGORIES.choose(&mut rng).expect("category").to_string())
            };
            ticket_types::Entity::insert(ticket_types::ActiveModel {
                organization_id: Set(org_id.clone()),
                id: Set(tt.to_string()),
                event_id: Set(id.to_string()),
                shop_id: Set(None),
                name: Set("Ticket".into()),
                category: Set(category),
                price_minor: Set(10_000),
                currency: Set("DKK".into()),
                capacity: Set(None),
                sold: Set(0),
                hidden: Set(false),
                ga_area_id: Set(None),
                sales_start: Set(None),
                sales_end: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_without_returning(conn)
            .await
            .expect("ticket type");
            type_rows.push((tt, id.clone(), day));
        }
        event_ids.push(id);
        event_days.push(day);
    }
    let customer_count = rng.gen_range(20..60);
    for _ in 0..customer_count {
        let id = CustomerId::generate();
        let pick = |rng: &mut StdRng, list: &[&str], p: f64| {
            rng.gen_bool(p)
                .then(|| list.choose(rng).expect("item").to_string())
        };
        let gender = pick(&mut rng, &["female", "male", "other"], 0.3);
        let title = pick(&mut rng, TITLES, 0.4);
        let first_name = pick(&mut rng, NAMES, 0.8);
        let birth_date = rng
            .gen_bool(0.7)
            .then(|| today - Duration::days(rng.gen_range(5_000..30_000)));
        let (latitude, longitude) = match rng.gen_range(0..10) {
            0..=2 => (None, None),
            // The distance edges: at a venue's very address (0 km), or north of it by a whole
            // number of km — on the radius a filter asks for, give or take one rounding.
            3 => {
                let venue_lat = *[55.5f64, 56.0].choose(&mut rng).expect("venue");
                let km = f64::from(rng.gen_range(0..60u8));
                (Some(venue_lat + km / KM_PER_DEGREE), Some(12.5))
            }
            _ => (
                Some(coordinate(&mut rng, 55.7)),
                Some(coordinate(&mut rng, 12.5)),
            ),
        };
        customers::Entity::insert(customers::ActiveModel {
            organization_id: Set(org_id.clone()),
            id: Set(id.to_string()),
            external_id: Set(None),
            first_name: Set(first_name),
            last_name: Set(Some("Testesen".into())),
            email: Set(None),
            phone: Set(None),
            company: Set(None),
            title: Set(title),
            gender: Set(gender),
            birth_date: Set(birth_date),
            address_line: Set(None),
            postal_code: Set(None),
            city: Set(None),
            country: Set(None),
            latitude: Set(latitude),
            longitude: Set(longitude),
            language: Set(None),
            subscriber: Set(rng.gen_bool(0.3)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(conn)
        .await
        .expect("customer");
        for tag in TAGS {
            if rng.gen_bool(0.3) {
                customer_tags::Entity::insert(customer_tags::ActiveModel {
                    organization_id: Set(org_id.clone()),
                    customer_id: Set(id.to_string()),
                    tag: Set(tag.to_string()),
                    created_at: Set(now),
                })
                .exec_without_returning(conn)
                .await
                .expect("tag");
            }
        }
        for permission in PERMISSIONS {
            if rng.gen_bool(0.5) {
                customer_permissions::Entity::insert(customer_permissions::ActiveModel {
                    organization_id: Set(org_id.clone()),
                    customer_id: Set(id.to_string()),
                    permission: Set(permission.to_string()),
                    granted: Set(rng.gen_bool(0.7)),
                    changed_at: Set(now),
                    source: Set("test".into()),
                })
                .exec_without_returning(conn)
                .await
                .expect("permission");
            }
        }
        for _ in 0..rng.gen_range(0..4) {
            let order = OrderId::generate();
            let created_at = at(today - Duration::days(rng.gen_range(0..500)), &mut rng);
            let cancelled = rng.gen_bool(0.1);
            let mut rows = Vec::new();
            for _ in 0..rng.gen_range(1..4) {
                let (tt, event, _) = type_rows.choose(&mut rng).expect("ticket type");
                let ticket = TicketId::generate();
                rows.push(tickets::ActiveModel {
                    organization_id: Set(org_id.clone()),
                    id: Set(ticket.to_string()),
                    order_id: Set(order.to_string()),
                    event_id: Set(event.to_string()),
                    ticket_type_id: Set(tt.to_string()),
                    customer_id: Set(Some(id.to_string())),
                    seat_id: Set(None),
                    ga_area_id: Set(None),
                    // Whole kroner mostly; some with øre, so revenues end between whole units.
                    price_minor: Set(rng.gen_range(0..5) * 10_000
                        + if rng.gen_bool(0.2) {
                            rng.gen_range(1..100)
                        } else {
                            0
                        }),
                    currency: Set("DKK".into()),
                    barcode: Set(ticket.to_string()),
                    delivery_type: Set("VIRTUAL".into()),
                    status: Set(if cancelled || rng.gen_bool(0.1) {
                        "cancelled".into()
                    } else {
                        "valid".into()
                    }),
                    created_at: Set(created_at),
                });
            }
            orders::Entity::insert(orders::ActiveModel {
                organization_id: Set(org_id.clone()),
                id: Set(order.to_string()),
                external_id: Set(None),
                customer_id: Set(Some(id.to_string())),
                channel: Set(if rng.gen_bool(0.5) {
                    "online"
                } else {
                    "box_office"
                }
                .into()),
                // Unpaid holds are no purchase: neither the index nor the reference counts them.
                status: Set(if cancelled {
                    "cancelled"
                } else if rng.gen_bool(0.1) {
                    "awaiting_payment"
                } else {
                    "paid"
                }
                .into()),
                total_minor: Set(0),
                currency: Set("DKK".into()),
                source: Set("test".into()),
                created_at: Set(created_at),
                updated_at: Set(created_at),
                cancelled_at: Set(None),
                referral_code: Set(None),
            })
            .exec_without_returning(conn)
            .await
            .expect("order");
            tickets::Entity::insert_many(rows)
                .exec_without_returning(conn)
                .await
                .expect("tickets");
        }
    }
    World {
        org,
        today,
        venues: venue_ids,
        productions: production_ids,
        events: event_ids,
        customers: customer_count,
    }
}

fn some<T: Clone>(rng: &mut StdRng, list: &[T], p: f64) -> Vec<T> {
    if !rng.gen_bool(p) {
        return Vec::new();
    }
    let n = rng.gen_range(1..=list.len().min(3));
    list.choose_multiple(rng, n).cloned().collect()
}

fn event_filter(rng: &mut StdRng, world: &World) -> EventFilter {
    EventFilter {
        production_ids: some(rng, &world.productions, 0.3),
        event_ids: some(rng, &world.events, 0.2),
        venue_ids: some(rng, &world.venues, 0.2),
        categories: some(
            rng,
            &CATEGORIES.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            0.3,
        ),
        from: rng
            .gen_bool(0.2)
            .then(|| world.today - Duration::days(rng.gen_range(0..400))),
        to: rng
            .gen_bool(0.2)
            .then(|| world.today + Duration::days(rng.gen_range(0..200))),
    }
}

fn mode(rng: &mut StdRng) -> CountMode {
    if rng.gen_bool(0.5) {
        CountMode::AtLeast
    } else {
        CountMode::Exactly
    }
}

fn inclusion(rng: &mut StdRng) -> Inclusion {
    if rng.gen_bool(0.5) {
        Inclusion::Include
    } else {
        Inclusion::Exclude
    }
}

fn filter(rng: &mut StdRng, world: &World) -> Filter {
    match rng.gen_range(0..13) {
        0 => {
            let min = rng.gen_bool(0.7).then(|| rng.gen_range(10..60));
            let max = rng
                .gen_bool(0.7)
                .then(|| min.unwrap_or(0) + rng.gen_range(0..30));
            Filter::Age { min, max }
        }
        1 => Filter::Gender {
            gender: *[
                GenderChoice::Women,
                GenderChoice::Men,
                GenderChoice::Both,
                GenderChoice::All,
            ]
            .choose(rng)
            .expect("gender"),
        },
        2 => Filter::Impulsive {
            max_days: rng.gen_range(0..300),
        },
        3 => Filter::Channel {
            channel: *[
                ChannelChoice::Online,
                ChannelChoice::BoxOffice,
                ChannelChoice::Both,
                ChannelChoice::All,
            ]
            .choose(rng)
            .expect("channel"),
        },
        4 => Filter::Subscriber {
            subscriber: rng.gen_bool(0.5),
        },
        5 => Filter::Tickets {
            count: rng.gen_range(0..8),
            mode: mode(rng),
        },
        6 => Filter::Events {
            count: rng.gen_range(0..5),
            mode: mode(rng),
        },
        7 => Filter::Orders {
            count: rng.gen_range(0..4),
            mode: mode(rng),
        },
        8 => Filter::Revenue {
            minor: rng.gen_range(0..10) * 10_000
                + if rng.gen_bool(0.4) {
                    rng.gen_range(0..100)
                } else {
                    0
                },
            mode: mode(rng),
        },
        9 => Filter::LatestPurchase {
            days: rng.gen_range(0..500),
            mode: *[
                RecencyMode::Within,
                RecencyMode::Exactly,
                RecencyMode::NotWithin,
            ]
            .choose(rng)
            .expect("mode"),
        },
        10 => Filter::Permission {
            permission: PERMISSIONS.choose(rng).expect("permission").to_string(),
            mode: inclusion(rng),
        },
        11 => Filter::Tag {
            tag: TAGS.choose(rng).expect("tag").to_string(),
            mode: inclusion(rng),
        },
        _ => Filter::Distance {
            venue_id: world.venues.choose(rng).expect("venue").clone(),
            max_km: f64::from(rng.gen_range(0..60)),
        },
    }
}

/// A random segment, "view for" and filter combination.
pub fn query(seed: u64, world: &World) -> SegmentQuery {
    let mut rng = StdRng::seed_from_u64(seed);
    let excluded = rng.gen_bool(0.3).then(|| event_filter(&mut rng, world));
    let definition = SegmentDefinition {
        event_filter: event_filter(&mut rng, world),
        days_back: if rng.gen_bool(0.7) {
            rng.gen_range(0..500)
        } else {
            0
        },
        excluded,
    };
    let view_for = ViewFor {
        production_id: rng.gen_bool(0.15).then(|| {
            world
                .productions
                .choose(&mut rng)
                .expect("production")
                .clone()
        }),
        event_id: rng
            .gen_bool(0.15)
            .then(|| world.events.choose(&mut rng).expect("event").clone()),
    };
    let filters = (0..rng.gen_range(0..5))
        .map(|_| filter(&mut rng, world))
        .collect();
    SegmentQuery {
        definition,
        view_for,
        filters,
        today: world.today,
        zone: Tz::Europe__Copenhagen,
    }
}
