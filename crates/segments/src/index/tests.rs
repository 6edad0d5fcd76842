//! The index's counts against a plain per-customer reading of the filters, on records made here:
//! every path (dense words on one and two threads, customer by customer, coded distances and
//! overflowing counts) and an index kept fresh by `replace` against one built afresh.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::columns::Around;
use super::*;

const VENUES: [(f64, f64); 2] = [(55.68, 12.57), (56.15, 10.21)];
const EVENTS: u32 = 6;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default()
}

/// An id as the id types want it: the prefix and a ULID.
fn id(prefix: &str, n: u32) -> String {
    format!("{prefix}_{}", ulid::Ulid::from_parts(1, u128::from(n)))
}

fn catalog() -> Catalog {
    let mut catalog = Catalog::default();
    for (i, at) in VENUES.into_iter().enumerate() {
        catalog.venues.insert(id("ven", i as u32), at);
    }
    for e in 0..EVENTS {
        let starts_at = Utc.from_utc_datetime(
            &(today() + Duration::days(10 + i64::from(e)))
                .and_hms_opt(19, 0, 0)
                .unwrap_or_default(),
        );
        let event = catalog.add_event(EventEntry {
            facts: EventFacts {
                id: id("evt", e),
                production_id: id("prd", e % 2),
                venue_id: id("ven", e % 2),
                starts_at,
            },
            day: model::day_number(starts_at.date_naive()),
        });
        for t in 0..2 {
            catalog.add_ticket_type(TicketTypeEntry {
                id: id("tt", e * 2 + t as u32),
                event,
                category: Some(["A", "B"][t].to_string()),
            });
        }
    }
    catalog
}

fn record(id: u128, rng: &mut SmallRng) -> CustomerRecord {
    let day = |rng: &mut SmallRng, back: i64| today() - Duration::days(rng.gen_range(0..back));
    let small = |rng: &mut SmallRng| {
        if rng.gen_bool(0.02) {
            rng.gen_range(250..70_000)
        } else {
            rng.gen_range(0..12)
        }
    };
    // Event 0 is rare, so a segment of it takes the customer-by-customer path.
    let holdings = (0..rng.gen_range(0..3))
        .map(|_| {
            if rng.gen_bool(0.01) {
                rng.gen_range(0..2)
            } else {
                rng.gen_range(2..EVENTS * 2)
            }
        })
        .collect::<std::collections::BTreeSet<u32>>()
        .into_iter()
        .collect();
    CustomerRecord {
        id,
        gender: [
            None,
            Some(InferredGender::Female),
            Some(InferredGender::Male),
        ][rng.gen_range(0..3)],
        birth_date: rng.gen_bool(0.8).then(|| day(rng, 100 * 365)),
        subscriber: rng.gen_bool(0.3),
        coordinates: rng.gen_bool(0.8).then(|| {
            (
                55.0 + rng.gen_range(0.0..2.0f64),
                9.0 + rng.gen_range(0.0..5.0f64),
            )
        }),
        tags: ["vip", "press"]
            .into_iter()
            .filter(|_| rng.gen_bool(0.3))
            .map(str::to_string)
            .collect(),
        permissions: ["newsletter"]
            .into_iter()
            .filter(|_| rng.gen_bool(0.5))
            .map(str::to_string)
            .collect(),
        sales: SalesSummary {
            tickets: small(rng),
            events: small(rng),
            orders: small(rng),
            revenue_minor: revenue(rng),
            last_day: rng.gen_bool(0.9).then(|| model::day_number(day(rng, 1000))),
            impulse_days: rng.gen_bool(0.9).then(|| rng.gen_range(-5..400)),
            online: rng.gen_bool(0.6),
            box_office: rng.gen_bool(0.4),
        },
        holdings,
    }
}

/// Revenues of whole units and a few minor units more, and some about and past the last code:
/// every branch of the two-byte revenue codes.
fn revenue(rng: &mut SmallRng) -> i64 {
    match rng.gen_range(0..100) {
        0..=1 => LAST_REVENUE_CODE + rng.gen_range(-150..150),
        2 => PAST_U32 + rng.gen_range(0..3),
        3..=7 => rng.gen_range(0..400_000),
        _ => rng.gen_range(0..30) * 10_000 + rng.gen_range(0..3),
    }
}

/// Minor units where the two-byte codes end (code 65,534 is the last whole value).
const LAST_REVENUE_CODE: i64 = 6_553_500;
/// More minor units than four bytes hold.
const PAST_U32: i64 = 5_000_000_000;

/// A revenue a filter asks for, on and beside the values [`revenue`] gives.
fn wanted_revenue(rng: &mut SmallRng) -> u64 {
    let minor = match rng.gen_range(0..10) {
        0 => LAST_REVENUE_CODE + rng.gen_range(-150..150),
        1 => PAST_U32 + rng.gen_range(-1..3),
        2..=4 => rng.gen_range(0..30) * 10_000 + rng.gen_range(0..3),
        _ => rng.gen_range(0..30) * 10_000,
    };
    u64::try_from(minor).unwrap_or(0)
}

fn filter(rng: &mut SmallRng) -> Filter {
    let kind = rng.gen_range(0..13);
    filter_of(kind, rng)
}

/// A filter of kind `kind` (0 to 12) with random values.
fn filter_of(kind: u32, rng: &mut SmallRng) -> Filter {
    let mode = |rng: &mut SmallRng| {
        if rng.gen_bool(0.5) {
            CountMode::AtLeast
        } else {
            CountMode::Exactly
        }
    };
    let count = |rng: &mut SmallRng| {
        if rng.gen_bool(0.2) {
            rng.gen_range(250..300)
        } else {
            rng.gen_range(0..12)
        }
    };
    let inclusion = |rng: &mut SmallRng| {
        if rng.gen_bool(0.5) {
            Inclusion::Include
        } else {
            Inclusion::Exclude
        }
    };
    match kind {
        0 => {
            let min = rng.gen_bool(0.8).then(|| rng.gen_range(0..80));
            let max = rng
                .gen_bool(0.8)
                .then(|| min.unwrap_or(0) + rng.gen_range(0..40));
            Filter::Age { min, max }
        }
        1 => Filter::Gender {
            gender: [
                GenderChoice::Women,
                GenderChoice::Men,
                GenderChoice::Both,
                GenderChoice::All,
            ][rng.gen_range(0..4)],
        },
        2 => Filter::Impulsive {
            max_days: rng.gen_range(0..400),
        },
        3 => Filter::Channel {
            channel: [
                ChannelChoice::Online,
                ChannelChoice::BoxOffice,
                ChannelChoice::Both,
                ChannelChoice::All,
            ][rng.gen_range(0..4)],
        },
        4 => Filter::Subscriber {
            subscriber: rng.gen_bool(0.5),
        },
        5 => Filter::Tickets {
            count: count(rng),
            mode: mode(rng),
        },
        6 => Filter::Events {
            count: count(rng),
            mode: mode(rng),
        },
        7 => Filter::Orders {
            count: count(rng),
            mode: mode(rng),
        },
        8 => Filter::Revenue {
            minor: wanted_revenue(rng),
            mode: mode(rng),
        },
        9 => Filter::LatestPurchase {
            days: rng.gen_range(0..1100),
            mode: [
                RecencyMode::Within,
                RecencyMode::Exactly,
                RecencyMode::NotWithin,
            ][rng.gen_range(0..3)],
        },
        10 => Filter::Permission {
            permission: ["newsletter", "unknown"][rng.gen_range(0..2)].to_string(),
            mode: inclusion(rng),
        },
        11 => Filter::Tag {
            tag: ["vip", "press"][rng.gen_range(0..2)].to_string(),
            mode: inclusion(rng),
        },
        _ => Filter::Distance {
            venue_id: fullhouse_ticketing::VenueId::parse(&id("ven", rng.gen_range(0..2)))
                .unwrap_or_else(|_| fullhouse_ticketing::VenueId::generate()),
            max_km: f64::from(rng.gen_range(0..2000)) / 10.0,
        },
    }
}

/// The filter read plainly off one record.
fn passes(filter: &Filter, r: &CustomerRecord, catalog: &Catalog) -> bool {
    let s = &r.sales;
    match filter {
        Filter::Age { min, max } => r.birth_date.is_none_or(|b| {
            let age = age_on(b, today());
            min.is_none_or(|m| age >= m as i32) && max.is_none_or(|m| age <= m as i32)
        }),
        Filter::Gender { gender } => match gender {
            GenderChoice::Women => r.gender == Some(InferredGender::Female),
            GenderChoice::Men => r.gender == Some(InferredGender::Male),
            GenderChoice::Both => r.gender.is_some(),
            GenderChoice::All => true,
        },
        Filter::Impulsive { max_days } => s.impulse_days.is_some_and(|d| d <= *max_days as i32),
        Filter::Channel { channel } => match channel {
            ChannelChoice::Online => s.online,
            ChannelChoice::BoxOffice => s.box_office,
            ChannelChoice::Both => s.online && s.box_office,
            ChannelChoice::All => true,
        },
        Filter::Subscriber { subscriber } => r.subscriber == *subscriber,
        Filter::Tickets { count, mode } => mode.accepts(s.tickets.into(), (*count).into()),
        Filter::Events { count, mode } => mode.accepts(s.events.into(), (*count).into()),
        Filter::Orders { count, mode } => mode.accepts(s.orders.into(), (*count).into()),
        Filter::Revenue { minor, mode } => mode.accepts(s.revenue_minor as u64, *minor),
        Filter::LatestPurchase { days, mode } => {
            let edge = model::day_number(today()) - *days as i32;
            match mode {
                RecencyMode::Within => s.last_day.is_some_and(|d| d >= edge),
                RecencyMode::Exactly => s.last_day == Some(edge),
                RecencyMode::NotWithin => s.last_day.is_none_or(|d| d < edge),
            }
        }
        Filter::Permission { permission, mode } => {
            r.permissions.contains(permission) == (*mode == Inclusion::Include)
        }
        Filter::Tag { tag, mode } => r.tags.contains(tag) == (*mode == Inclusion::Include),
        Filter::Distance { venue_id, max_km } => {
            let Some(&at) = catalog.venues.get(venue_id.as_str()) else {
                return false;
            };
            r.coordinates
                .is_some_and(|c| Around::new(at).within(c, max_km * max_km))
        }
    }
}

/// A query of a random segment; its first filter is of kind `kind`, then up to eight random.
fn query(rng: &mut SmallRng, rare_event: bool, kind: u32) -> SegmentQuery {
    SegmentQuery {
        definition: SegmentDefinition {
            event_filter: EventFilter {
                event_ids: if rare_event {
                    fullhouse_ticketing::EventId::parse(&id("evt", 0))
                        .into_iter()
                        .collect()
                } else {
                    Vec::new()
                },
                ..Default::default()
            },
            days_back: 30,
            excluded: None,
        },
        view_for: ViewFor::default(),
        filters: std::iter::once(filter_of(kind, rng))
            .chain((0..rng.gen_range(0..9)).map(|_| filter(rng)))
            .collect(),
        today: today(),
        zone: Tz::UTC,
    }
}

/// Checks every query against the records the index was given.
fn check(index: &OrgIndex, records: &[CustomerRecord], queries: &[SegmentQuery]) {
    for query in queries {
        let (counts, first) = index.answer(query).expect("answer");
        let window = &query.definition.event_filter;
        let in_segment: Vec<(u32, &CustomerRecord)> = records
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.holdings.iter().any(|&tt| {
                    let event = &index.catalog.events
                        [index.catalog.ticket_types[tt as usize].event as usize];
                    window.matches(&event.facts, None, Tz::UTC)
                })
            })
            .map(|(n, r)| (n as u32, r))
            .collect();
        let expected: Vec<u64> = query
            .filters
            .iter()
            .map(|f| {
                in_segment
                    .iter()
                    .filter(|(_, r)| passes(f, r, &index.catalog))
                    .count() as u64
            })
            .collect();
        let matching: Vec<u32> = in_segment
            .iter()
            .filter(|(_, r)| query.filters.iter().all(|f| passes(f, r, &index.catalog)))
            .map(|(n, _)| *n)
            .collect();
        let got: Vec<u64> = counts.filters.iter().map(|f| f.count).collect();
        assert_eq!(
            (counts.segment, counts.total, &got),
            (in_segment.len() as u64, matching.len() as u64, &expected),
            "{:#?}",
            query.filters
        );
        assert_eq!(
            first,
            matching
                .iter()
                .take(FIRST_CUSTOMERS)
                .copied()
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn every_path_counts_what_the_records_say() {
    let mut rng = SmallRng::seed_from_u64(7);
    // Enough customers for the two-thread path.
    let records: Vec<CustomerRecord> = (0..300_000).map(|i| record(i, &mut rng)).collect();
    let mut index = OrgIndex::new(catalog());
    for r in records.iter().cloned() {
        index.push(r);
    }
    index.optimize();
    let queries: Vec<SegmentQuery> = (0..52)
        .map(|i| query(&mut rng, i % 4 == 0, i % 13))
        .collect();
    check(&index, &records, &queries);
}

#[test]
fn replace_keeps_counts_equal_to_a_fresh_build() {
    let mut rng = SmallRng::seed_from_u64(11);
    let mut records: Vec<CustomerRecord> = (0..5_000).map(|i| record(i, &mut rng)).collect();
    let mut live = OrgIndex::new(catalog());
    for r in records.iter().cloned() {
        live.push(r);
    }
    live.optimize();
    let queries: Vec<SegmentQuery> = (0..39)
        .map(|i| query(&mut rng, i % 3 == 0, i % 13))
        .collect();
    // Warm the segment cache, so a stale one would show.
    check(&live, &records, &queries);
    // Change a tenth of the customers (big counts to small and back, coordinates gone and
    // new), and add some.
    let mut changed: Vec<CustomerRecord> = (0..records.len())
        .step_by(10)
        .map(|i| record(i as u128, &mut rng))
        .collect();
    changed.extend((5_000..5_100).map(|i| record(i, &mut rng)));
    for r in &changed {
        match records.get_mut(r.id as usize) {
            Some(slot) => *slot = r.clone(),
            None => records.push(r.clone()),
        }
    }
    live.replace(changed, &[]);
    // A venue moves: its distance column is computed again.
    let mut moved = live.catalog.clone();
    if let Some(at) = moved.venues.values_mut().next() {
        *at = (at.0 + 0.3, at.1 - 0.2);
    }
    live.set_catalog(moved.clone());
    let mut fresh = OrgIndex::new(moved);
    for r in records.iter().cloned() {
        fresh.push(r);
    }
    fresh.optimize();
    check(&fresh, &records, &queries);
    check(&live, &records, &queries);
    assert_eq!(live.serialized_size(), fresh.serialized_size());
}

#[test]
fn the_tags_and_permissions_to_choose_from_are_those_current_customers_hold() {
    let customer = |id: u128, tags: &[&str], permissions: &[&str]| CustomerRecord {
        id,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        permissions: permissions.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    let mut index = OrgIndex::new(catalog());
    index.push(customer(1, &["vip", "press"], &["newsletter"]));
    index.push(customer(2, &["press"], &["sms", "newsletter"]));
    index.push(customer(3, &["board"], &[]));
    assert_eq!(index.tag_names(), ["board", "press", "vip"]);
    assert_eq!(index.permission_names(), ["newsletter", "sms"]);

    // The only VIP loses the tag, the only board member and texter is erased: neither is a
    // choice any more.
    index.replace(vec![customer(1, &["press"], &["newsletter"])], &[2, 3]);
    assert_eq!(index.tag_names(), ["press"]);
    assert_eq!(index.permission_names(), ["newsletter"]);
}
