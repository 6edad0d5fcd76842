//! Tests of the orders service: placing, capacity under concurrency, cancelling, bulk ingest.

use chrono::{Duration, Utc};
use fullhouse_core::tenancy::store::domain_events;
use fullhouse_core::{Db, Error, OrgId};
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::model::orders::*;
use fullhouse_ticketing::service::orders as orders_in_txn;
use fullhouse_ticketing::service::OrderService;
use fullhouse_ticketing::store::{
    customers, events, orders, productions, ticket_types, venue_ga_areas, venue_seats, venues,
};
use fullhouse_ticketing::{
    CustomerId, EventId, GaAreaId, ProductionId, SeatId, TicketTypeId, VenueId,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::fixture::*;

/// What the tests sell: an event at a venue with four seats and a GA area, a seated and a GA
/// ticket type, a seat of another venue and a customer. Inserted through the entities directly,
/// so these tests do not depend on the venues and events services.
struct Stage {
    venue: VenueId,
    event: EventId,
    seated: TicketTypeId,
    standing: TicketTypeId,
    floor: GaAreaId,
    seats: Vec<SeatId>,
    foreign_seat: SeatId,
    customer: CustomerId,
}

async fn stage(db: &Db, org: &OrgId) -> Stage {
    let venue = add_venue(db, org, "Main hall").await;
    let mut seats = Vec::new();
    for label in ["1", "2", "3", "4"] {
        seats.push(add_seat(db, org, &venue, "Parterre", "A", "1", label).await);
    }
    let floor = add_ga_area(db, org, &venue, "Floor", 100).await;
    let studio = add_venue(db, org, "Studio").await;
    let foreign_seat = add_seat(db, org, &studio, "Parterre", "A", "1", "1").await;
    let event = add_event(db, org, &venue).await;
    let seated = add_ticket_type(db, org, &event, "Seated", 45_000, None, None).await;
    let standing = add_ticket_type(db, org, &event, "Standing", 20_000, None, Some(&floor)).await;
    let customer = add_customer(db, org, "ann@example.dk").await;
    Stage {
        venue,
        event,
        seated,
        standing,
        floor,
        seats,
        foreign_seat,
        customer,
    }
}

pub(crate) async fn add_venue(db: &Db, org: &OrgId, name: &str) -> VenueId {
    let id = VenueId::generate();
    let now = Utc::now();
    venues::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        name: Set(name.into()),
        address_line: Set(None),
        postal_code: Set(None),
        city: Set(None),
        country: Set(None),
        latitude: Set(None),
        longitude: Set(None),
        timezone: Set("Europe/Copenhagen".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db.writer())
    .await
    .expect("venue");
    id
}

async fn add_seat(
    db: &Db,
    org: &OrgId,
    venue: &VenueId,
    section: &str,
    group: &str,
    row: &str,
    label: &str,
) -> SeatId {
    let id = SeatId::generate();
    venue_seats::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        venue_id: Set(venue.to_string()),
        section_name: Set(section.into()),
        group_name: Set(group.into()),
        row_name: Set(row.into()),
        seat_label: Set(label.into()),
        category: Set(None),
        sort_order: Set(0),
    }
    .insert(db.writer())
    .await
    .expect("seat");
    id
}

pub(crate) async fn add_ga_area(
    db: &Db,
    org: &OrgId,
    venue: &VenueId,
    name: &str,
    capacity: i64,
) -> GaAreaId {
    let id = GaAreaId::generate();
    venue_ga_areas::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        venue_id: Set(venue.to_string()),
        name: Set(name.into()),
        capacity: Set(capacity),
        category: Set(None),
    }
    .insert(db.writer())
    .await
    .expect("GA area");
    id
}

pub(crate) async fn add_event(db: &Db, org: &OrgId, venue: &VenueId) -> EventId {
    let now = Utc::now();
    let production = ProductionId::generate();
    productions::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(production.to_string()),
        name: Set("Hamlet".into()),
        description: Set(None),
        genre: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db.writer())
    .await
    .expect("production");
    let id = EventId::generate();
    events::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        production_id: Set(production.to_string()),
        venue_id: Set(venue.to_string()),
        name: Set(None),
        starts_at: Set(now + Duration::days(30)),
        ends_at: Set(None),
        status: Set("scheduled".into()),
        sales_start: Set(None),
        sales_end: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db.writer())
    .await
    .expect("event");
    id
}

pub(crate) async fn add_ticket_type(
    db: &Db,
    org: &OrgId,
    event: &EventId,
    name: &str,
    price_minor: i64,
    capacity: Option<i64>,
    ga_area: Option<&GaAreaId>,
) -> TicketTypeId {
    let id = TicketTypeId::generate();
    let now = Utc::now();
    ticket_types::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        event_id: Set(event.to_string()),
        shop_id: Set(None),
        name: Set(name.into()),
        category: Set(None),
        price_minor: Set(price_minor),
        currency: Set("DKK".into()),
        capacity: Set(capacity),
        sold: Set(0),
        hidden: Set(false),
        ga_area_id: Set(ga_area.map(|a| a.to_string())),
        sales_start: Set(None),
        sales_end: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db.writer())
    .await
    .expect("ticket type");
    id
}

pub(crate) async fn add_customer(db: &Db, org: &OrgId, email: &str) -> CustomerId {
    let id = CustomerId::generate();
    let now = Utc::now();
    customers::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        email: Set(Some(email.into())),
        first_name: Set(Some("Ann".into())),
        subscriber: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db.writer())
    .await
    .expect("customer");
    id
}

async fn sold(db: &Db, org: &OrgId, ticket_type: &TicketTypeId) -> i64 {
    ticket_types::Entity::find_by_id((org.to_string(), ticket_type.to_string()))
        .one(db.reader())
        .await
        .expect("query")
        .expect("ticket type")
        .sold
}

async fn order_count(db: &Db, org: &OrgId) -> u64 {
    orders::Entity::find()
        .filter(orders::Column::OrganizationId.eq(org.as_str()))
        .count(db.reader())
        .await
        .expect("count")
}

async fn outbox_count(db: &Db, org: &OrgId, kind: &str) -> u64 {
    domain_events::Entity::find()
        .filter(domain_events::Column::OrganizationId.eq(org.as_str()))
        .filter(domain_events::Column::Kind.eq(kind))
        .count(db.reader())
        .await
        .expect("count")
}

fn seat_ticket(ticket_type: &TicketTypeId, seat: &SeatId) -> NewTicket {
    NewTicket {
        seat_id: Some(seat.clone()),
        ..NewTicket::of_type(ticket_type.clone())
    }
}

pub(crate) fn order_of(customer: Option<&CustomerId>, tickets: Vec<NewTicket>) -> NewOrder {
    NewOrder {
        referral_code: None,
        customer_id: customer.cloned(),
        channel: Channel::Online,
        external_id: None,
        created_at: None,
        tickets,
    }
}

/// The field paths of a validation error.
fn fields_of(err: &Error) -> Vec<String> {
    match err {
        Error::Validation { fields, .. } => fields.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn is_conflict(result: &Result<Placed, Error>) -> bool {
    matches!(result, Err(Error::Conflict { .. }))
}

both_backends! {
    setup = fixture;

    async fn an_order_with_a_seated_and_a_ga_ticket_is_placed_and_read_back(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let new = order_of(
            Some(&stage.customer),
            vec![
                NewTicket {
                    seat: Some(SeatNames {
                        section_name: "Parterre".into(),
                        group_name: "A".into(),
                        row_name: "1".into(),
                        seat_label: " 2 ".into(),
                    }),
                    ..NewTicket::of_type(stage.seated.clone())
                },
                NewTicket {
                    ga_name: Some("floor".into()),
                    delivery_type: Some(DeliveryType::Hard),
                    ..NewTicket::of_type(stage.standing.clone())
                },
            ],
        );
        let placed = service.place_order(&fx.org, new, OrderSource::Api).await.expect("placed");
        assert!(placed.created);
        let order = service.order(&fx.org, &placed.order.id).await.expect("read back");
        assert_eq!(order.status, OrderStatus::Paid, "a sale recorded through ticketing is paid");
        assert_eq!(order.source, OrderSource::Api);
        assert_eq!(order.customer_id.as_ref(), Some(&stage.customer));
        assert_eq!(order.total_minor, 65_000);
        assert_eq!(order.currency, "DKK");
        assert_eq!(order.tickets.len(), 2);
        let seated = &order.tickets[0];
        assert_eq!(seated.seat.as_ref().map(|s| &s.id), Some(&stage.seats[1]));
        assert_eq!(seated.seat.as_ref().map(|s| s.seat_label.as_str()), Some("2"));
        assert_eq!(seated.price_minor, 45_000);
        assert_eq!(seated.delivery_type, DeliveryType::Virtual);
        assert!(seated.barcode.len() >= 12 && seated.barcode.chars().all(|c| c.is_ascii_alphanumeric()));
        let standing = &order.tickets[1];
        assert_eq!(standing.ga_area.as_ref().map(|a| (&a.id, a.name.as_str())), Some((&stage.floor, "Floor")));
        assert_eq!(standing.delivery_type, DeliveryType::Hard);
        assert_eq!(standing.customer_id.as_ref(), Some(&stage.customer));
        assert_ne!(seated.barcode, standing.barcode);
        assert_eq!(sold(&fx.db, &fx.org, &stage.seated).await, 1);
        assert_eq!(sold(&fx.db, &fx.org, &stage.standing).await, 1);
        assert_eq!(outbox_count(&fx.db, &fx.org, "order.placed").await, 1);
        fx.finish().await;
    }

    async fn a_seat_of_another_venue_is_refused_naming_the_field(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let new = order_of(None, vec![seat_ticket(&stage.seated, &stage.foreign_seat)]);
        let err = service.place_order(&fx.org, new, OrderSource::Api).await.expect_err("refused");
        assert_eq!(fields_of(&err), vec!["tickets[0].seat_id"]);
        assert!(err.to_string().contains("another venue"), "{err}");
        assert_eq!(order_count(&fx.db, &fx.org).await, 0);
        assert_eq!(sold(&fx.db, &fx.org, &stage.seated).await, 0);
        fx.finish().await;
    }

    async fn every_bad_field_of_an_order_is_reported_at_once(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let new = NewOrder {
            customer_id: Some(CustomerId::generate()),
            created_at: Some(Utc::now() + Duration::days(2)),
            ..order_of(
                None,
                vec![
                    NewTicket::of_type(stage.seated.clone()),
                    NewTicket { ga_name: Some("Balcony".into()), ..NewTicket::of_type(stage.standing.clone()) },
                    NewTicket { price_minor: Some(-1), ..seat_ticket(&stage.seated, &stage.seats[0]) },
                ],
            )
        };
        let err = service.place_order(&fx.org, new, OrderSource::Api).await.expect_err("refused");
        assert_eq!(
            fields_of(&err),
            vec!["created_at", "customer_id", "tickets[0].seat", "tickets[1].ga_name", "tickets[2].price_minor"]
        );
        fx.finish().await;
    }

    async fn a_sold_seat_is_a_conflict_that_names_the_seat(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let first = order_of(None, vec![seat_ticket(&stage.seated, &stage.seats[0])]);
        service.place_order(&fx.org, first.clone(), OrderSource::Api).await.expect("first");
        let err = service.place_order(&fx.org, first, OrderSource::Api).await.expect_err("taken");
        assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
        assert_eq!(err.to_string(), "seat Parterre / A / row 1 / seat 1 is already sold for this event");
        fx.finish().await;
    }

    async fn cancelling_gives_places_back_and_cancelling_twice_changes_nothing(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let single = add_ticket_type(&fx.db, &fx.org, &stage.event, "Last one", 10_000, Some(1), Some(&stage.floor)).await;
        let new = order_of(None, vec![NewTicket::of_type(single.clone()), seat_ticket(&stage.seated, &stage.seats[0])]);
        let placed = service.place_order(&fx.org, new.clone(), OrderSource::Api).await.expect("placed");
        assert!(is_conflict(&service.place_order(&fx.org, new.clone(), OrderSource::Api).await));

        let cancelled = service.cancel_order(&fx.org, &placed.order.id).await.expect("cancelled");
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert!(cancelled.cancelled_at.is_some());
        assert!(cancelled.tickets.iter().all(|t| t.status == TicketStatus::Cancelled));
        assert_eq!(sold(&fx.db, &fx.org, &single).await, 0);
        assert_eq!(sold(&fx.db, &fx.org, &stage.seated).await, 0);

        let again = service.cancel_order(&fx.org, &placed.order.id).await.expect("no-op");
        assert_eq!(again.cancelled_at, cancelled.cancelled_at);
        assert_eq!(sold(&fx.db, &fx.org, &single).await, 0);
        assert_eq!(outbox_count(&fx.db, &fx.org, "order.cancelled").await, 1);

        // The place and the seat are free again.
        service.place_order(&fx.org, new, OrderSource::Api).await.expect("sold again");
        assert_eq!(sold(&fx.db, &fx.org, &single).await, 1);
        fx.finish().await;
    }

    async fn a_cancelled_event_refuses_live_sales_but_takes_its_history(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        events::Entity::update_many()
            .col_expr(events::Column::Status, sea_orm::sea_query::Expr::value("cancelled"))
            .filter(events::Column::Id.eq(stage.event.as_str()))
            .exec(fx.db.writer())
            .await
            .expect("cancel event");
        let live = order_of(None, vec![NewTicket::of_type(stage.standing.clone())]);
        let err = service.place_order(&fx.org, live, OrderSource::Api).await.expect_err("refused");
        assert_eq!(fields_of(&err), vec!["tickets[0].ticket_type_id"]);
        assert!(err.to_string().contains("cancelled"), "{err}");
        let history = NewOrder {
            external_id: Some("old-9".into()),
            created_at: Some(Utc::now() - Duration::days(90)),
            ..order_of(None, vec![NewTicket::of_type(stage.standing.clone())])
        };
        let summary = service.bulk_orders(&fx.org, BulkOrders { orders: vec![history] }).await.expect("ingested");
        assert_eq!(summary.created, 1);
        fx.finish().await;
    }

    async fn a_ga_area_is_never_sold_beyond_its_capacity_across_ticket_types(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let pit = add_ga_area(&fx.db, &fx.org, &stage.venue, "Pit", 3).await;
        let adult = add_ticket_type(&fx.db, &fx.org, &stage.event, "Pit adult", 30_000, None, Some(&pit)).await;
        let child = add_ticket_type(&fx.db, &fx.org, &stage.event, "Pit child", 15_000, None, Some(&pit)).await;
        let two_adults = order_of(None, vec![NewTicket::of_type(adult.clone()), NewTicket::of_type(adult)]);
        service.place_order(&fx.org, two_adults, OrderSource::Api).await.expect("two");
        let child_order = order_of(None, vec![NewTicket::of_type(child.clone())]);
        service.place_order(&fx.org, child_order.clone(), OrderSource::Api).await.expect("third");
        let err = service.place_order(&fx.org, child_order, OrderSource::Api).await.expect_err("full");
        assert!(matches!(&err, Error::Conflict { field: Some(field), .. } if field == "tickets[0].ga_name"), "{err:?}");
        assert_eq!(sold(&fx.db, &fx.org, &child).await, 1);
        fx.finish().await;
    }

    async fn fifty_concurrent_orders_for_ten_places_sell_exactly_ten(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let last_ten = add_ticket_type(&fx.db, &fx.org, &stage.event, "Last ten", 10_000, Some(10), Some(&stage.floor)).await;
        let attempts = (0..50).map(|_| {
            let service = service.clone();
            let org = fx.org.clone();
            let new = order_of(None, vec![NewTicket::of_type(last_ten.clone())]);
            tokio::spawn(async move { service.place_order(&org, new, OrderSource::Api).await })
        });
        let results: Vec<_> = futures::future::join_all(attempts).await.into_iter().map(|r| r.expect("task")).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10);
        assert_eq!(results.iter().filter(|r| is_conflict(r)).count(), 40);
        assert_eq!(sold(&fx.db, &fx.org, &last_ten).await, 10);
        assert_eq!(order_count(&fx.db, &fx.org).await, 10);
        fx.finish().await;
    }

    async fn twenty_concurrent_orders_for_one_seat_sell_it_once(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let attempts = (0..20).map(|_| {
            let service = service.clone();
            let org = fx.org.clone();
            let new = order_of(None, vec![seat_ticket(&stage.seated, &stage.seats[3])]);
            tokio::spawn(async move { service.place_order(&org, new, OrderSource::Api).await })
        });
        let results: Vec<_> = futures::future::join_all(attempts).await.into_iter().map(|r| r.expect("task")).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        assert_eq!(results.iter().filter(|r| is_conflict(r)).count(), 19);
        assert_eq!(sold(&fx.db, &fx.org, &stage.seated).await, 1);
        fx.finish().await;
    }

    async fn the_same_external_id_sent_ten_times_at_once_makes_one_order(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let new = NewOrder {
            external_id: Some("EXT-1".into()),
            ..order_of(Some(&stage.customer), vec![NewTicket::of_type(stage.standing.clone())])
        };
        let attempts = (0..10).map(|_| {
            let service = service.clone();
            let org = fx.org.clone();
            let new = new.clone();
            tokio::spawn(async move { service.place_order(&org, new, OrderSource::Api).await })
        });
        let placed: Vec<Placed> = futures::future::join_all(attempts)
            .await
            .into_iter()
            .map(|r| r.expect("task").expect("placed or replayed"))
            .collect();
        assert_eq!(placed.iter().filter(|p| p.created).count(), 1);
        assert!(placed.iter().all(|p| p.order.id == placed[0].order.id && p.order.tickets.len() == 1));
        assert_eq!(order_count(&fx.db, &fx.org).await, 1);
        assert_eq!(sold(&fx.db, &fx.org, &stage.standing).await, 1);
        fx.finish().await;
    }

    async fn a_bulk_with_one_bad_item_names_it_and_writes_nothing(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let historical = |external_id: &str, ticket: NewTicket| NewOrder {
            external_id: Some(external_id.into()),
            created_at: Some(Utc::now() - Duration::days(400)),
            ..order_of(Some(&stage.customer), vec![ticket])
        };
        let mut bulk = BulkOrders {
            orders: vec![
                historical("H-1", seat_ticket(&stage.seated, &stage.seats[0])),
                historical("H-2", NewTicket::of_type(stage.standing.clone())),
                historical("H-3", NewTicket::of_type(TicketTypeId::generate())),
            ],
        };
        let err = service.bulk_orders(&fx.org, bulk.clone()).await.expect_err("refused");
        assert_eq!(fields_of(&err), vec!["orders[2].tickets[0].ticket_type_id"]);
        assert_eq!(order_count(&fx.db, &fx.org).await, 0);
        assert_eq!(sold(&fx.db, &fx.org, &stage.seated).await, 0);

        bulk.orders[2] = historical("H-3", seat_ticket(&stage.seated, &stage.seats[1]));
        let summary = service.bulk_orders(&fx.org, bulk.clone()).await.expect("ingested");
        assert_eq!(summary, IngestSummary { created: 3, skipped: 0 });
        let again = service.bulk_orders(&fx.org, bulk).await.expect("replayed");
        assert_eq!(again, IngestSummary { created: 0, skipped: 3 });
        assert_eq!(order_count(&fx.db, &fx.org).await, 3);
        assert_eq!(sold(&fx.db, &fx.org, &stage.seated).await, 2);
        assert_eq!(outbox_count(&fx.db, &fx.org, "order.placed").await, 3);
        fx.finish().await;
    }

    async fn a_bulk_reports_repeated_seats_and_external_ids(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let with_id = |external_id: Option<&str>| NewOrder {
            external_id: external_id.map(str::to_string),
            ..order_of(None, vec![seat_ticket(&stage.seated, &stage.seats[0])])
        };
        let bulk = BulkOrders { orders: vec![with_id(Some("A")), with_id(Some("A")), with_id(None)] };
        let err = service.bulk_orders(&fx.org, bulk).await.expect_err("refused");
        assert_eq!(
            fields_of(&err),
            vec!["orders[1].external_id", "orders[1].tickets[0].seat", "orders[2].external_id", "orders[2].tickets[0].seat"]
        );
        fx.finish().await;
    }

    async fn orders_are_listed_by_customer_and_event(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let other_event = add_event(&fx.db, &fx.org, &stage.venue).await;
        let other_type = add_ticket_type(&fx.db, &fx.org, &other_event, "Seated", 45_000, None, None).await;
        let first = service
            .place_order(&fx.org, order_of(Some(&stage.customer), vec![seat_ticket(&stage.seated, &stage.seats[0])]), OrderSource::Api)
            .await
            .expect("first");
        let second = service
            .place_order(&fx.org, order_of(None, vec![seat_ticket(&other_type, &stage.seats[0])]), OrderSource::Api)
            .await
            .expect("same seat, other event");
        let ids = |page: fullhouse_core::http::Page<Order>| page.items.into_iter().map(|o| o.id).collect::<Vec<_>>();
        let all = service.list_orders(&fx.org, &OrderFilter::default(), &Default::default()).await.expect("list");
        assert_eq!(ids(all), vec![first.order.id.clone(), second.order.id.clone()]);
        let by_customer = OrderFilter { customer_id: Some(stage.customer.clone()), event_id: None };
        let listed = service.list_orders(&fx.org, &by_customer, &Default::default()).await.expect("list");
        assert_eq!(ids(listed), vec![first.order.id.clone()]);
        let by_event = OrderFilter { customer_id: None, event_id: Some(other_event.clone()) };
        let listed = service.list_orders(&fx.org, &by_event, &Default::default()).await.expect("list");
        assert_eq!(ids(listed), vec![second.order.id.clone()]);
        let page = fullhouse_core::http::PageParams { cursor: None, limit: Some(1) };
        let first_page = service.list_orders(&fx.org, &OrderFilter::default(), &page).await.expect("page");
        assert_eq!(first_page.items.len(), 1);
        assert_eq!(first_page.items[0].tickets.len(), 1);
        assert_eq!(first_page.next_cursor.as_deref(), Some(first.order.id.as_str()));
        let tickets = service.event_tickets(&fx.org, &other_event, &Default::default()).await.expect("tickets");
        assert_eq!(tickets.items.len(), 1);
        assert_eq!(tickets.items[0].order_id, second.order.id);
        fx.finish().await;
    }

    async fn the_holders_of_an_event_are_its_customers_with_a_valid_ticket_each_once_by_pages(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let standing = || NewTicket::of_type(stage.standing.clone());
        let mut holders = vec![stage.customer.clone()];
        for i in 0..4 {
            holders.push(add_customer(&fx.db, &fx.org, &format!("h{i}@example.dk")).await);
        }
        // Ann twice (two orders), each other holder once; one order cancelled; one without customer.
        for customer in holders.iter().chain([&stage.customer]) {
            service.place_order(&fx.org, order_of(Some(customer), vec![standing()]), OrderSource::Api).await.expect("order");
        }
        let gone = add_customer(&fx.db, &fx.org, "gone@example.dk").await;
        let cancelled = service.place_order(&fx.org, order_of(Some(&gone), vec![standing()]), OrderSource::Api).await.expect("order");
        service.cancel_order(&fx.org, &cancelled.order.id).await.expect("cancel");
        service.place_order(&fx.org, order_of(None, vec![standing()]), OrderSource::Api).await.expect("anonymous");

        let events = [stage.event.clone()];
        assert_eq!(service.count_event_holders(&fx.org, &events).await.expect("count"), 5);
        let mut walked = Vec::new();
        let mut after = None;
        loop {
            let page = service.event_holders(&fx.org, &events, after.as_ref(), 2).await.expect("page");
            walked.extend(page.iter().cloned());
            if page.len() < 2 {
                break;
            }
            after = page.last().cloned();
        }
        holders.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        assert_eq!(walked, holders, "each holder once, in id order, the cancelled one left out");
        assert!(service.event_holders(&fx.other_org, &events, None, 10).await.expect("other").is_empty());
        assert!(service.event_holders(&fx.org, &[], None, 10).await.expect("none").is_empty());
        fx.finish().await;
    }

    async fn another_organization_cannot_see_or_cancel_an_order(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let placed = service
            .place_order(&fx.org, order_of(None, vec![NewTicket::of_type(stage.standing.clone())]), OrderSource::Api)
            .await
            .expect("placed");
        assert!(matches!(service.order(&fx.other_org, &placed.order.id).await, Err(Error::NotFound(_))));
        assert!(matches!(service.cancel_order(&fx.other_org, &placed.order.id).await, Err(Error::NotFound(_))));
        let listed = service.list_orders(&fx.other_org, &OrderFilter::default(), &Default::default()).await.expect("list");
        assert!(listed.items.is_empty());
        // Nor can it sell org A's ticket types.
        let err = service
            .place_order(&fx.other_org, order_of(None, vec![NewTicket::of_type(stage.standing.clone())]), OrderSource::Api)
            .await
            .expect_err("refused");
        assert_eq!(fields_of(&err), vec!["tickets[0].ticket_type_id"]);
        fx.finish().await;
    }

    async fn a_webhook_finds_its_customer_by_email_and_redelivery_books_nothing(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let hook = WebhookOrder {
            referral_code: None,
            id: "tm-991".into(),
            created_at: Utc::now() - Duration::hours(1),
            channel: Channel::Online,
            customer: WebhookCustomer {
                external_id: "tm-cust-7".into(),
                email: "ANN@example.dk".into(),
                first_name: "Ann".into(),
                last_name: "Berg".into(),
                phone: None,
            },
            tickets: vec![WebhookTicket {
                event_id: stage.event.clone(),
                ticket_type_id: stage.standing.clone(),
                seat: None,
                ga_name: None,
                price_minor: 18_000,
                barcode: Some("TM-0001".into()),
                delivery_type: None,
            }],
        };
        let first = service.receive_webhook(&fx.org, hook.clone()).await.expect("placed");
        assert!(first.created);
        assert_eq!(first.order.source, OrderSource::Webhook);
        assert_eq!(first.order.customer_id.as_ref(), Some(&stage.customer));
        assert_eq!(first.order.total_minor, 18_000);
        let again = service.receive_webhook(&fx.org, hook).await.expect("redelivered");
        assert!(!again.created);
        assert_eq!(again.order.id, first.order.id);
        assert_eq!(sold(&fx.db, &fx.org, &stage.standing).await, 1);
        let customer = customers::Entity::find_by_id((fx.org.to_string(), stage.customer.to_string()))
            .one(fx.db.reader())
            .await
            .expect("query")
            .expect("customer");
        assert_eq!(customer.external_id.as_deref(), Some("tm-cust-7"));
        assert_eq!(customer.last_name.as_deref(), Some("Berg"));
        fx.finish().await;
    }

    async fn a_held_order_is_paid_once_and_only_then_counts_as_a_sale(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let new = order_of(Some(&stage.customer), vec![seat_ticket(&stage.seated, &stage.seats[0])]);
        let txn = fx.db.begin_write().await.expect("txn");
        let mut booking = orders_in_txn::plan_booking(&txn, &fx.org, &new, OrderSource::Fullhouse, None).await.expect("planned");
        booking.hold_for_payment();
        let held = orders_in_txn::write_booking(&txn, &fx.org, booking).await.expect("booked");
        txn.commit().await.expect("commit");
        assert_eq!(held.status, OrderStatus::AwaitingPayment);
        let service = OrderService::new(fx.db.clone());
        assert_eq!(service.order(&fx.org, &held.id).await.expect("read").status, OrderStatus::AwaitingPayment);
        assert_eq!(sold(&fx.db, &fx.org, &stage.seated).await, 1, "a held order keeps its seat");
        let facts = fullhouse_ticketing::service::facts::FactsService::new(fx.db.clone());
        let customer = vec![stage.customer.to_string()];
        assert!(facts.sales_of(&fx.org, &customer).await.expect("sales").is_empty(), "not bought yet");

        let txn = fx.db.begin_write().await.expect("txn");
        assert!(orders_in_txn::mark_paid_in_transaction(&txn, &fx.org, &held.id, Utc::now()).await.expect("paid"));
        assert!(!orders_in_txn::mark_paid_in_transaction(&txn, &fx.org, &held.id, Utc::now()).await.expect("again"), "paid once");
        txn.commit().await.expect("commit");
        assert_eq!(service.order(&fx.org, &held.id).await.expect("read").status, OrderStatus::Paid);
        assert_eq!(outbox_count(&fx.db, &fx.org, "order.paid").await, 1);
        assert_eq!(facts.sales_of(&fx.org, &customer).await.expect("sales").len(), 1, "a paid order is a sale");
        fx.finish().await;
    }

    async fn a_release_moves_an_order_only_where_its_state_allows(fx: Fixture) {
        let stage = stage(&fx.db, &fx.org).await;
        let service = OrderService::new(fx.db.clone());
        let paid = service.place_order(&fx.org, order_of(None, vec![NewTicket::of_type(stage.standing.clone())]), OrderSource::Api).await.expect("placed").order;
        let txn = fx.db.begin_write().await.expect("txn");
        let expired = orders_in_txn::release_in_transaction(&txn, &fx.org, &paid.id, OrderStatus::Expired).await.expect("release");
        assert!(matches!(expired, orders_in_txn::Cancelled::Already(ref o) if o.status == OrderStatus::Paid), "a paid order does not expire: {expired:?}");
        let refunded = orders_in_txn::release_in_transaction(&txn, &fx.org, &paid.id, OrderStatus::Refunded).await.expect("release");
        assert!(matches!(refunded, orders_in_txn::Cancelled::Now(ref o) if o.status == OrderStatus::Refunded), "{refunded:?}");
        let cancelled = orders_in_txn::release_in_transaction(&txn, &fx.org, &paid.id, OrderStatus::Cancelled).await.expect("release");
        assert!(matches!(cancelled, orders_in_txn::Cancelled::Already(ref o) if o.status == OrderStatus::Refunded), "an end state is final: {cancelled:?}");
        assert!(orders_in_txn::release_in_transaction(&txn, &fx.org, &paid.id, OrderStatus::Paid).await.is_err(), "paid is no end state");
        txn.commit().await.expect("commit");
        let read = service.order(&fx.org, &paid.id).await.expect("read");
        assert_eq!(read.status, OrderStatus::Refunded);
        assert!(read.tickets.iter().all(|t| t.status == TicketStatus::Cancelled));
        assert_eq!(sold(&fx.db, &fx.org, &stage.standing).await, 0, "its place was given back");
        assert_eq!(outbox_count(&fx.db, &fx.org, "order.cancelled").await, 1);
        let again = service.cancel_order(&fx.org, &paid.id).await.expect("no-op");
        assert_eq!(again.status, OrderStatus::Refunded, "ticketing's cancel leaves a refunded order as it is");
        fx.finish().await;
    }
}
