//! The index kept fresh by the refresher, through the outbox follower: events that commit late
//! behind a higher `seq` (PostgreSQL), and orders placed through another process.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use fullhouse_core::events;
use fullhouse_core::{Backend, Db, OrgId};
use fullhouse_segments::index::registry::LiveIndex;
use fullhouse_segments::index::{Registry, SegmentQuery};
use fullhouse_segments::model::*;
use fullhouse_segments::reference;
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::model::customers::NewCustomer;
use fullhouse_ticketing::model::orders::{Channel, NewOrder, NewTicket, OrderSource};
use fullhouse_ticketing::outbox::{CustomerChange, CustomerChanged};
use fullhouse_ticketing::service::orders;
use fullhouse_ticketing::service::{CatalogService, CustomerService, OrderService, VenueService};
use fullhouse_ticketing::store::customer_tags;
use fullhouse_ticketing::{CustomerId, TicketTypeId};
use sea_orm::{DatabaseTransaction, EntityTrait, Set};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::data;
use crate::{fixture, Fixture};

/// How soon a change must show in another index's counts.
const FRESH_WITHIN: Duration = Duration::from_secs(1);

fn query(today: NaiveDate, filters: Vec<Filter>) -> SegmentQuery {
    SegmentQuery {
        definition: SegmentDefinition {
            days_back: 1000,
            ..Default::default()
        },
        view_for: ViewFor::default(),
        filters,
        today,
        zone: Tz::Europe__Copenhagen,
    }
}

fn tagged(today: NaiveDate, tag: &str) -> SegmentQuery {
    query(
        today,
        vec![Filter::Tag {
            tag: tag.into(),
            mode: Inclusion::Include,
        }],
    )
}

/// Polls `live` until `read` of its counts is `expected`; the counts last seen when `within`
/// runs out.
async fn counts_become(
    live: &LiveIndex,
    query: &SegmentQuery,
    read: impl Fn(&SegmentCounts) -> u64,
    expected: u64,
    within: Duration,
) -> Result<Duration, u64> {
    let started = Instant::now();
    loop {
        let (counts, _) = live.answer(query).expect("answer");
        if read(&counts) == expected {
            return Ok(started.elapsed());
        }
        if started.elapsed() > within {
            return Err(read(&counts));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Tags a customer and records its `customer.changed`, inside `txn`, as the customers service
/// does.
async fn tag_in(txn: &DatabaseTransaction, org: &OrgId, customer: &CustomerId, tag: &str) {
    customer_tags::Entity::insert(customer_tags::ActiveModel {
        organization_id: Set(org.to_string()),
        customer_id: Set(customer.to_string()),
        tag: Set(tag.into()),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(txn)
    .await
    .expect("tag");
    let changed = CustomerChanged::new(customer.clone(), CustomerChange::Updated);
    events::record(txn, org, &changed).await.expect("event");
}

/// A general-admission ticket type of an upcoming event, made through the catalog services so
/// that it can be sold.
async fn standing_room(db: &Db, org: &OrgId) -> TicketTypeId {
    fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
        serde_json::from_value(value).expect("test input")
    }
    let venues = VenueService::new(db.clone());
    let catalog = CatalogService::new(db.clone());
    let venue = venues
        .create_venue(org, body(json!({"name": "Hall"})))
        .await
        .expect("venue");
    let map = venues
        .replace_seat_map(
            org,
            &venue.id,
            body(json!({"sections": [], "ga_areas": [{"name": "Floor", "capacity": 100}]})),
        )
        .await
        .expect("seat map");
    let floor = map.ga_areas.first().expect("the floor").id.clone();
    let production = catalog
        .create_production(org, body(json!({"name": "Hamlet"})))
        .await
        .expect("production");
    let starts_at = Utc::now() + chrono::Duration::days(30);
    let event = catalog
        .create_event(
            org,
            body(json!({"production_id": production.id, "venue_id": venue.id, "starts_at": starts_at})),
        )
        .await
        .expect("event");
    catalog
        .create_ticket_type(
            org,
            &event.id,
            body(json!({"name": "Standing", "price_minor": 20000, "ga_area_id": floor})),
        )
        .await
        .expect("ticket type")
        .id
}

/// A running refresher (`Registry::run_refresher`, as the server starts it).
struct Refresher {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Refresher {
    fn start(registry: &std::sync::Arc<Registry>) -> Self {
        let stop = CancellationToken::new();
        let task = tokio::spawn(registry.clone().run_refresher(stop.clone()));
        Self { stop, task }
    }

    async fn stop(self) {
        self.stop.cancel();
        self.task.await.expect("refresher stops");
    }
}

/// PostgreSQL only: on SQLite one writer at a time makes seq order the commit order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_committed_after_a_higher_seq_was_applied_still_reaches_the_index() {
    let Some(fx) = fixture(Backend::Postgres).await else {
        return;
    };
    let db = fx.db.clone();
    let org = data::new_org(&db, "late").await;
    let today = Utc::now().date_naive();
    data::generate(&db, org.clone(), 11, today).await;
    let registry = Registry::new(db.clone());
    let live = registry.index(&org).await.expect("index");
    let refresher = Refresher::start(&registry);
    let (all, first) = live.answer(&query(today, Vec::new())).expect("answer");
    assert!(all.segment >= 2, "the generated world has two holders");
    let ids: Vec<CustomerId> = first
        .iter()
        .take(2)
        .map(|n| {
            let id = live
                .with(|i| i.customer_id(*n))
                .expect("index")
                .expect("id");
            CustomerId::parse(&id).expect("customer id")
        })
        .collect();
    let [a_customer, b_customer] = &ids[..] else {
        panic!("two customers");
    };
    let late = tagged(today, "late");
    assert_eq!(live.answer(&late).expect("answer").0.total, 0);

    // A takes the lower seq and holds; B takes the higher one and commits.
    let a = db.begin_write().await.expect("txn A");
    tag_in(&a, &org, a_customer, "late").await;
    let b = db.begin_write().await.expect("txn B");
    tag_in(&b, &org, b_customer, "late").await;
    b.commit().await.expect("commit B");
    let total = |c: &SegmentCounts| c.total;
    counts_become(&live, &late, total, 1, Duration::from_secs(5))
        .await
        .unwrap_or_else(|seen| panic!("B never reached the index (total {seen})"));
    // B's seq is the newest visible, and higher than A's.
    let b_seq = events::latest_seq(db.reader(), Some(&org))
        .await
        .expect("seq");
    assert!(
        live.applied_seq().await >= b_seq,
        "the refresher has moved past A's seq before A commits"
    );

    a.commit().await.expect("commit A");
    let took = counts_become(&live, &late, total, 2, FRESH_WITHIN)
        .await
        .unwrap_or_else(|seen| {
            panic!("A, committed late behind B, is not in the index after {FRESH_WITHIN:?} (total {seen})")
        });
    let expected = reference::counts(&db, &org, &late)
        .await
        .expect("reference");
    assert_eq!(expected.total, 2);
    tracing::info!(?took, "late event applied");
    refresher.stop().await;
    fx.finish().await;
}

both_backends! {
    setup = fixture;

    async fn an_order_placed_through_one_process_shows_in_the_others_segment_count_within_a_second(fx: Fixture) {
        // Two "processes": two pools on one database, each with its own registry and refresher.
        // (Spawning the `fullhouse` binary twice would be truer, but its wiring is being
        // rewritten; the registries and refreshers are the same code the binary runs.)
        let one = fx.db.clone();
        let two = Db::connect(&fx.test_db.url).await.expect("second connection");
        let org = data::new_org(&one, "two-nodes").await;
        let today = Utc::now().date_naive();
        data::generate(&one, org.clone(), 5, today).await;
        let ticket_type = standing_room(&one, &org).await;
        let (first, second) = (Registry::new(one.clone()), Registry::new(two.clone()));
        let (live_one, live_two) = (
            first.index(&org).await.expect("index one"),
            second.index(&org).await.expect("index two"),
        );
        let refreshers = [Refresher::start(&first), Refresher::start(&second)];
        let everyone = query(today, Vec::new());
        let before = live_two.answer(&everyone).expect("answer").0.segment;

        let buyer = CustomerService::new(one.clone())
            .create(&org, NewCustomer { email: Some("fresh@example.dk".into()), ..Default::default() })
            .await
            .expect("customer");
        OrderService::new(one.clone())
            .place_order(
                &org,
                NewOrder {
                    referral_code: None,
                    customer_id: Some(buyer.id.clone()),
                    channel: Channel::BoxOffice,
                    external_id: None,
                    created_at: None,
                    tickets: vec![NewTicket {
                        ticket_type_id: ticket_type,
                        event_id: None,
                        seat_id: None,
                        seat: None,
                        ga_name: None,
                        price_minor: None,
                        delivery_type: None,
                        barcode: None,
                    }],
                },
                OrderSource::Api,
            )
            .await
            .expect("order placed through process one");
        let expected = reference::counts(&one, &org, &everyone).await.expect("reference");
        assert_eq!(expected.segment, before + 1, "the buyer joins the segment");

        let segment = |c: &SegmentCounts| c.segment;
        let took = counts_become(&live_two, &everyone, segment, before + 1, FRESH_WITHIN)
            .await
            .unwrap_or_else(|seen| panic!("process two still counts {seen} after {FRESH_WITHIN:?}"));
        counts_become(&live_one, &everyone, segment, before + 1, FRESH_WITHIN)
            .await
            .unwrap_or_else(|seen| panic!("process one still counts {seen}"));
        tracing::info!(?took, "order seen by the other process");
        for refresher in refreshers {
            refresher.stop().await;
        }
        fx.finish().await;
    }

    async fn an_order_held_for_payment_joins_the_segment_when_it_is_paid(fx: Fixture) {
        let db = fx.db.clone();
        let org = data::new_org(&db, "held").await;
        let today = Utc::now().date_naive();
        data::generate(&db, org.clone(), 5, today).await;
        let ticket_type = standing_room(&db, &org).await;
        let registry = Registry::new(db.clone());
        let live = registry.index(&org).await.expect("index");
        let refresher = Refresher::start(&registry);
        let everyone = query(today, Vec::new());
        let before = live.answer(&everyone).expect("answer").0.segment;

        let buyer = CustomerService::new(db.clone())
            .create(&org, NewCustomer { email: Some("held@example.dk".into()), ..Default::default() })
            .await
            .expect("customer");
        let new = NewOrder {
            referral_code: None,
            customer_id: Some(buyer.id.clone()),
            channel: Channel::Online,
            external_id: None,
            created_at: None,
            tickets: vec![NewTicket::of_type(ticket_type)],
        };
        // As checkout places an online order: held until paid.
        let txn = db.begin_write().await.expect("txn");
        let mut booking = orders::plan_booking(&txn, &org, &new, OrderSource::Fullhouse, None).await.expect("planned");
        booking.hold_for_payment();
        let held = orders::write_booking(&txn, &org, booking).await.expect("booked");
        txn.commit().await.expect("commit");
        // Wait until the refresher has applied the hold's `order.placed`: from there only the
        // payment's event can bring the buyer in.
        let placed_seq = events::latest_seq(db.reader(), Some(&org)).await.expect("seq");
        let started = Instant::now();
        while live.applied_seq().await < placed_seq {
            assert!(started.elapsed() < FRESH_WITHIN * 5, "the refresher never read the hold");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let segment = |c: &SegmentCounts| c.segment;
        assert_eq!(live.answer(&everyone).expect("answer").0.segment, before, "a hold is no purchase");
        assert_eq!(reference::counts(&db, &org, &everyone).await.expect("reference").segment, before);

        let txn = db.begin_write().await.expect("txn");
        assert!(orders::mark_paid_in_transaction(&txn, &org, &held.id, Utc::now()).await.expect("paid"));
        txn.commit().await.expect("commit");
        assert_eq!(reference::counts(&db, &org, &everyone).await.expect("reference").segment, before + 1);
        counts_become(&live, &everyone, segment, before + 1, FRESH_WITHIN)
            .await
            .unwrap_or_else(|seen| panic!("the payment did not reach the index: {seen}"));
        refresher.stop().await;
        fx.finish().await;
    }
}
