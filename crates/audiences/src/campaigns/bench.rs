//! `fullhouse bench redeem`: code-redeeming orders per second through the one checkout, on SQLite
//! and PostgreSQL, beside the same number of orders without a code in the same run (what the
//! code costs). Every order redeems a different code of a presale campaign that runs over the
//! season's [`EVENTS`] events, concurrently; orders go round the events as buyers' would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use fullhouse_checkout::model::{Cart, CartItem};
use fullhouse_checkout::{Checkout, PlaceOrder};
use fullhouse_core::{Backend, Db, OrgId};
use fullhouse_ticketing::model::catalog::{NewEvent, NewProduction, NewTicketType};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::model::venues::{GaAreaInput, NewVenue, SeatMapInput};
use fullhouse_ticketing::service::{CatalogService, VenueService};
use fullhouse_ticketing::{EventId, TicketTypeId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::model::{DiscountRule, Effects, LimitScope, NewCampaign};
use super::{CampaignRules, CampaignService};
use crate::bench::{bench_org, fail, BenchResult, ScratchPostgres};
use crate::model::{Generate, NewGeneratedAudience};
use crate::store::audience_members as members;
use crate::AudienceService;

/// Orders placed at once.
/// Events of the season the campaign runs over (the reference orders go to the same events).
const EVENTS: usize = 20;

pub async fn run(
    orders: usize,
    in_flight: usize,
    dir: &std::path::Path,
    postgres_admin_url: Option<&str>,
) -> BenchResult<()> {
    let in_flight = in_flight.max(1);
    let sqlite_url = format!("sqlite://{}", dir.join("redeem.db").display());
    one_backend(&sqlite_url, orders, in_flight).await?;
    if let Some(admin) = postgres_admin_url {
        let database = ScratchPostgres::create(admin, "redeem").await?;
        let outcome = one_backend(&database.url, orders, in_flight).await;
        database.drop().await;
        outcome?;
    }
    Ok(())
}

async fn one_backend(url: &str, orders: usize, in_flight: usize) -> BenchResult<()> {
    let db = Db::connect(url).await.map_err(fail)?;
    db.migrate(crate::all_migrations()).await.map_err(fail)?;
    let org = bench_org(&db, "redeem-bench").await?;
    let label = match db.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let events = stage(&db, &org, orders).await?;
    let event_ids: Vec<EventId> = events.iter().map(|(e, _)| e.clone()).collect();
    let codes = campaign_codes(&db, &org, orders, &event_ids).await?;
    // A live database has planner statistics; a freshly bulk-loaded one has none until
    // autovacuum comes round, and without them the planner scans the code list for each group.
    db.writer()
        .execute_unprepared("ANALYZE")
        .await
        .map_err(fail)?;
    let checkout = Checkout::new(db.clone()).with_code_rules(Arc::new(CampaignRules));

    let events = Arc::new(events);
    let plain = rush(&checkout, &org, &events, None, in_flight).await?;
    let plain_rate = plain.placed as f64 / plain.seconds;
    let plain_placed = plain.placed;
    let coded = rush(&checkout, &org, &events, Some(Arc::new(codes)), in_flight).await?;
    let (placed, seconds) = (coded.placed, coded.seconds);
    let rate = placed as f64 / seconds;
    println!(
        "{label}: {placed} code-redeeming orders (each a different code, 20 % off, over {EVENTS} events, {in_flight} in flight) in {seconds:.2} s = {rate:.0} orders/s (target: ≥ 2,000/s on SQLite, ≥ 5,000/s on PostgreSQL)"
    );
    println!(
        "{label}: time from placing an order to its answer: p50 {:.1} ms, p99 {:.1} ms",
        coded.latency_ms(0.50),
        coded.latency_ms(0.99)
    );
    println!(
        "{label}: reference, {plain_placed} orders without a code in the same run: {plain_rate:.0} orders/s; with code / without = {:.2}",
        rate / plain_rate
    );
    Ok(())
}

/// [`EVENTS`] events with a general-admission ticket type each.
async fn stage(db: &Db, org: &OrgId, orders: usize) -> BenchResult<Vec<(EventId, TicketTypeId)>> {
    let venue = VenueService::new(db.clone())
        .create_venue(
            org,
            NewVenue {
                name: "Arena".into(),
                address_line: None,
                postal_code: None,
                city: None,
                country: None,
                latitude: None,
                longitude: None,
                timezone: None,
            },
        )
        .await
        .map_err(fail)?;
    let capacity = i64::try_from(orders * 2 + 10).unwrap_or(i64::MAX);
    let map = VenueService::new(db.clone())
        .replace_seat_map(
            org,
            &venue.id,
            SeatMapInput {
                sections: vec![],
                ga_areas: vec![GaAreaInput {
                    id: None,
                    name: "Floor".into(),
                    capacity,
                    category: None,
                }],
                seat_count: None,
            },
        )
        .await
        .map_err(fail)?;
    let floor = map
        .ga_areas
        .first()
        .map(|a| a.id.clone())
        .ok_or("no GA area")?;
    let catalog = CatalogService::new(db.clone());
    let production = catalog
        .create_production(
            org,
            NewProduction {
                name: "Festival".into(),
                description: None,
                genre: None,
            },
        )
        .await
        .map_err(fail)?;
    let mut events = Vec::new();
    for day in 0..EVENTS as i64 {
        let event = catalog
            .create_event(
                org,
                NewEvent {
                    production_id: production.id.clone(),
                    venue_id: venue.id.clone(),
                    name: None,
                    starts_at: Utc::now() + Duration::days(40 + day),
                    ends_at: None,
                    status: None,
                    sales_start: None,
                    sales_end: None,
                },
            )
            .await
            .map_err(fail)?;
        let ticket_type = catalog
            .create_ticket_type(
                org,
                &event.id,
                NewTicketType {
                    name: "Floor".into(),
                    category: None,
                    price_minor: 45_000,
                    currency: None,
                    capacity: Some(capacity),
                    hidden: false,
                    shop_id: None,
                    ga_area_id: Some(floor.clone()),
                    sales_start: None,
                    sales_end: None,
                },
            )
            .await
            .map_err(fail)?;
        events.push((event.id, ticket_type.id));
    }
    Ok(events)
}

/// `orders` codes of quantity 1 in a campaign on `events`; returns the codes.
async fn campaign_codes(
    db: &Db,
    org: &OrgId,
    orders: usize,
    events: &[EventId],
) -> BenchResult<Vec<String>> {
    let audience = AudienceService::new(db.clone())
        .generate(
            org,
            NewGeneratedAudience {
                name: "Redeem bench".into(),
                description: None,
                generate: Generate::Codes {
                    pattern: "R-XXXXXXXX".into(),
                    count: orders as u64,
                    quantity: 1,
                },
            },
        )
        .await
        .map_err(fail)?;
    CampaignService::new(db.clone())
        .create(
            org,
            NewCampaign {
                name: "Presale".into(),
                audience_ids: vec![audience.id.clone()],
                event_ids: events.to_vec(),
                effects: Effects {
                    discount: Some(DiscountRule::Percent { percent: 20.0 }),
                    ..Effects::default()
                },
                limit_scope: LimitScope::PerEvent,
                ..NewCampaign::default()
            },
        )
        .await
        .map_err(fail)?;
    members::Entity::find()
        .select_only()
        .column(members::Column::Code)
        .filter(members::Column::OrganizationId.eq(org.as_str()))
        .filter(members::Column::AudienceId.eq(audience.id.as_str()))
        .into_tuple()
        .all(db.reader())
        .await
        .map_err(fail)
}

/// What a rush measured.
struct Rush {
    placed: usize,
    seconds: f64,
    /// Every order's time to its answer, sorted.
    latencies: Vec<std::time::Duration>,
}

impl Rush {
    fn latency_ms(&self, quantile: f64) -> f64 {
        let last = self.latencies.len().saturating_sub(1);
        let at = ((last as f64) * quantile).round() as usize;
        self.latencies
            .get(at.min(last))
            .map_or(0.0, |d| d.as_secs_f64() * 1_000.0)
    }
}

/// Places one order per code (or [`PLAIN_ORDERS`] orders without codes), `in_flight` at once.
async fn rush(
    checkout: &Checkout,
    org: &OrgId,
    events: &Arc<Vec<(EventId, TicketTypeId)>>,
    codes: Option<Arc<Vec<String>>>,
    in_flight: usize,
) -> BenchResult<Rush> {
    let total = codes.as_ref().map_or(PLAIN_ORDERS, |c| c.len());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..in_flight {
        let (checkout, org, next, codes) =
            (checkout.clone(), org.clone(), next.clone(), codes.clone());
        let events = events.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, String>(latencies);
                }
                let code = codes.as_ref().and_then(|c| c.get(i).cloned());
                let Some((event, ticket_type)) = events.get(i % events.len().max(1)) else {
                    return Err("no event".to_string());
                };
                let order = PlaceOrder {
                    cart: Cart {
                        referral_code: None,
                        event_id: event.clone(),
                        items: vec![CartItem {
                            ticket_type_id: ticket_type.clone(),
                            quantity: Some(1),
                            seats: vec![],
                            ga_name: None,
                        }],
                        codes: code.into_iter().collect(),
                        customer_id: None,
                    },
                    channel: Channel::BoxOffice,
                    buyer: None,
                    paid_at_counter: true,
                    payment_method: Some(fullhouse_checkout::PaymentMethod::Cash),
                };
                let asked = Instant::now();
                checkout.place(&org, order).await.map_err(fail)?;
                latencies.push(asked.elapsed());
            }
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    for worker in workers {
        latencies.extend(worker.await.map_err(fail)??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort();
    Ok(Rush {
        placed: latencies.len(),
        seconds,
        latencies,
    })
}

/// Orders without a code in the reference run.
const PLAIN_ORDERS: usize = 5_000;
