//! Tests of the sales figures: periods cut at local midnight in the organization's zone, only
//! valid tickets of paid orders, per-event sold / capacity and revenue, the door list.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use fullhouse_core::{Db, OrgId};
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::model::orders::*;
use fullhouse_ticketing::service::figures::DAYS_CHARTED;
use fullhouse_ticketing::service::{FiguresService, OrderService};
use fullhouse_ticketing::{EventId, TicketTypeId};

use crate::fixture::*;
use crate::orders::{add_customer, add_event, add_ga_area, add_ticket_type, add_venue, order_of};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

fn copenhagen() -> Tz {
    "Europe/Copenhagen".parse().expect("zone")
}

/// An event with a general-admission ticket type at 450.00 (capacity `capacity`).
async fn on_sale(db: &Db, org: &OrgId, capacity: Option<i64>) -> (EventId, TicketTypeId) {
    let venue = add_venue(db, org, "Main hall").await;
    let floor = add_ga_area(db, org, &venue, "Floor", 1_000).await;
    let event = add_event(db, org, &venue).await;
    let standing =
        add_ticket_type(db, org, &event, "Standing", 45_000, capacity, Some(&floor)).await;
    (event, standing)
}

/// Places a paid order of tickets at these prices (`None`: the type's) at `at`.
async fn sell(
    db: &Db,
    org: &OrgId,
    ticket_type: &TicketTypeId,
    at: &str,
    prices: &[Option<i64>],
) -> Placed {
    let tickets = prices
        .iter()
        .map(|price| NewTicket {
            price_minor: *price,
            ..NewTicket::of_type(ticket_type.clone())
        })
        .collect();
    let new = NewOrder {
        created_at: Some(utc(at)),
        ..order_of(None, tickets)
    };
    OrderService::new(db.clone())
        .place_order(org, new, OrderSource::Api)
        .await
        .expect("placed")
}

both_backends! {
    setup = fixture;

    async fn a_sale_counts_for_the_local_day_week_and_season_it_was_placed_in(fx: Fixture) {
        let (_, standing) = on_sale(&fx.db, &fx.org, None).await;
        // Tuesday 17 March 2026, 13:00 in Copenhagen (UTC+1).
        let now = utc("2026-03-17T12:00:00Z");
        // 23:30 on Monday 16 March in Copenhagen: Monday, this week — not today.
        sell(&fx.db, &fx.org, &standing, "2026-03-16T22:30:00Z", &[None]).await;
        // 00:30 on Tuesday in Copenhagen, still Monday in UTC: today.
        sell(&fx.db, &fx.org, &standing, "2026-03-16T23:30:00Z", &[None, Some(30_000)]).await;
        // 23:59 on Sunday 15 March: last week, this season.
        sell(&fx.db, &fx.org, &standing, "2026-03-15T22:59:00Z", &[None]).await;
        // 23:30 on 30 June 2025 (UTC+2): the season before.
        sell(&fx.db, &fx.org, &standing, "2025-06-30T21:30:00Z", &[None]).await;
        // 00:30 on 1 July 2025: the first day of this season.
        sell(&fx.db, &fx.org, &standing, "2025-06-30T22:30:00Z", &[None]).await;
        // Today, but cancelled: no sale.
        let cancelled = sell(&fx.db, &fx.org, &standing, "2026-03-17T10:00:00Z", &[None]).await;
        OrderService::new(fx.db.clone()).cancel_order(&fx.org, &cancelled.order.id).await.expect("cancel");
        // Another organization's sale today: not ours.
        let (_, theirs) = on_sale(&fx.db, &fx.other_org, None).await;
        sell(&fx.db, &fx.other_org, &theirs, "2026-03-17T09:00:00Z", &[None]).await;

        let figures = FiguresService::new(fx.db.clone()).sales(&fx.org, copenhagen(), now).await.expect("figures");
        assert_eq!(figures.today, day("2026-03-17"));
        assert_eq!(figures.week_start, day("2026-03-16"));
        assert_eq!(figures.season_start, day("2025-07-01"));
        assert_eq!((figures.today_totals.tickets, figures.today_totals.revenue_minor), (2, 75_000));
        assert_eq!((figures.week_totals.tickets, figures.week_totals.revenue_minor), (3, 120_000));
        assert_eq!((figures.season_totals.tickets, figures.season_totals.revenue_minor), (5, 210_000));
        assert_eq!(figures.days.len(), DAYS_CHARTED as usize);
        let per_day: Vec<(NaiveDate, i64)> = figures.days.iter().rev().take(3).map(|d| (d.day, d.totals.tickets)).collect();
        assert_eq!(per_day, [(day("2026-03-17"), 2), (day("2026-03-16"), 1), (day("2026-03-15"), 1)]);
        assert_eq!(figures.days.first().map(|d| d.day), Some(day("2026-02-16")));

        // The same sales read from UTC: the 00:30 sale is Monday's there.
        let in_utc = FiguresService::new(fx.db.clone()).sales(&fx.org, Tz::UTC, now).await.expect("figures");
        assert_eq!(in_utc.today_totals.tickets, 0);
        assert_eq!(in_utc.week_totals.tickets, 3);
        fx.finish().await;
    }

    async fn an_event_has_its_sold_capacity_and_paid_revenue(fx: Fixture) {
        let (event, standing) = on_sale(&fx.db, &fx.org, Some(10)).await;
        sell(&fx.db, &fx.org, &standing, "2026-03-16T22:30:00Z", &[None, Some(20_000)]).await;
        let cancelled = sell(&fx.db, &fx.org, &standing, "2026-03-16T22:40:00Z", &[None]).await;
        OrderService::new(fx.db.clone()).cancel_order(&fx.org, &cancelled.order.id).await.expect("cancel");
        let (unlimited, _) = on_sale(&fx.db, &fx.org, None).await;
        let service = FiguresService::new(fx.db.clone());
        let figures = service.events(&fx.org, &[event.clone(), unlimited.clone()]).await.expect("figures");
        let ours = figures.get(event.as_str()).copied().unwrap_or_default();
        assert_eq!((ours.sold, ours.capacity, ours.revenue_minor), (2, Some(10), 65_000));
        let open = figures.get(unlimited.as_str()).copied().unwrap_or_default();
        assert_eq!((open.sold, open.capacity, open.revenue_minor), (0, None, 0));
        assert!(service.events(&fx.other_org, &[event]).await.expect("other org").is_empty(), "tenants stay apart");
        fx.finish().await;
    }

    async fn the_door_list_has_every_valid_ticket_with_its_holder(fx: Fixture) {
        let (event, standing) = on_sale(&fx.db, &fx.org, None).await;
        let ann = add_customer(&fx.db, &fx.org, "ann@example.dk").await;
        let tickets = vec![NewTicket::of_type(standing.clone())];
        let new = NewOrder { created_at: Some(utc("2026-03-16T22:30:00Z")), ..order_of(Some(&ann), tickets) };
        OrderService::new(fx.db.clone()).place_order(&fx.org, new, OrderSource::Api).await.expect("placed");
        sell(&fx.db, &fx.org, &standing, "2026-03-16T22:40:00Z", &[Some(10_000)]).await;
        let holders = OrderService::new(fx.db.clone()).ticket_holders(&fx.org, &event).await.expect("holders");
        assert_eq!(holders.len(), 2);
        let named = holders.iter().find(|h| h.email.is_some()).expect("Ann's ticket");
        assert_eq!(named.email.as_deref(), Some("ann@example.dk"));
        assert_eq!(named.first_name.as_deref(), Some("Ann"));
        assert_eq!(named.place.as_deref(), Some("Floor"));
        assert_eq!(named.ticket_type, "Standing");
        assert!(holders.iter().any(|h| h.email.is_none() && h.price_minor == 10_000), "an anonymous sale is on the list too");
        assert!(OrderService::new(fx.db.clone()).ticket_holders(&fx.other_org, &event).await.expect("other").is_empty());
        fx.finish().await;
    }
}
