//! "Today" and every day boundary are the organization's (Copenhagen here), not UTC's: between
//! 23:00 and 24:00 UTC in winter a Danish organization is already in tomorrow.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fullhouse_segments::index::{Registry, SegmentQuery};
use fullhouse_segments::model::*;
use fullhouse_segments::reference;
use fullhouse_segments::service::SegmentService;
use fullhouse_testkit::both_backends;
use fullhouse_ticketing::store::{orders, tickets};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::data;
use crate::{fixture, Fixture};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("time")
}

/// "Bought today" (within the last 0 days), counted at `now` with a fresh index, and checked
/// against the reference SQL for the same day and zone.
async fn bought_today(fx: &Fixture, org: &fullhouse_core::OrgId, now: DateTime<Utc>) -> u64 {
    let registry = Registry::new(fx.db.clone());
    let definition = SegmentDefinition {
        days_back: 1000,
        ..Default::default()
    };
    let filters = vec![Filter::LatestPurchase {
        days: 0,
        mode: RecencyMode::Within,
    }];
    let counts = SegmentService::new(fx.db.clone())
        .count_definition(
            &registry,
            org,
            definition.clone(),
            CountRequest {
                filters: filters.clone(),
                view_for: ViewFor::default(),
            },
            now,
        )
        .await
        .expect("counts");
    let query = SegmentQuery {
        definition,
        view_for: ViewFor::default(),
        filters,
        today: local_date(now, Tz::Europe__Copenhagen),
        zone: Tz::Europe__Copenhagen,
    };
    let expected = reference::counts(&fx.db, org, &query)
        .await
        .expect("reference");
    assert_eq!(counts.total, expected.total, "index and reference at {now}");
    counts.total
}

both_backends! {
    setup = fixture;

    async fn a_purchase_after_the_organizations_midnight_is_today_though_utc_says_yesterday(fx: Fixture) {
        let org = data::new_org(&fx.db, "calendar").await;
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).expect("day");
        data::generate(&fx.db, org.clone(), 11, today).await;
        // One buyer with a valid ticket in a paid order: all their orders move to one instant.
        let valid_holders: Vec<(String, Option<String>)> = tickets::Entity::find()
            .select_only()
            .column(tickets::Column::OrderId)
            .column(tickets::Column::CustomerId)
            .filter(tickets::Column::OrganizationId.eq(org.as_str()))
            .filter(tickets::Column::Status.eq("valid"))
            .into_tuple()
            .all(fx.db.writer())
            .await
            .expect("tickets");
        let paid: Vec<String> = orders::Entity::find()
            .select_only()
            .column(orders::Column::Id)
            .filter(orders::Column::OrganizationId.eq(org.as_str()))
            .filter(orders::Column::Status.eq("paid"))
            .into_tuple()
            .all(fx.db.writer())
            .await
            .expect("orders");
        let buyer = valid_holders
            .into_iter()
            .find(|(order, _)| paid.contains(order))
            .and_then(|(_, customer)| customer)
            .expect("a buyer");
        let move_orders = |at: DateTime<Utc>| {
            let db = fx.db.clone();
            let org = org.clone();
            let buyer = buyer.clone();
            async move {
                orders::Entity::update_many()
                    .col_expr(orders::Column::CreatedAt, Expr::value(at))
                    .filter(orders::Column::OrganizationId.eq(org.as_str()))
                    .filter(orders::Column::CustomerId.eq(buyer))
                    .exec(db.writer())
                    .await
                    .expect("move orders");
            }
        };
        // 23:30 UTC on 4 December is 00:30 on 5 December in Copenhagen.
        let now = utc(2026, 12, 4, 23, 30);
        // 22:50 UTC is 23:50 on the 4th in Copenhagen: yesterday there, though UTC calls it today.
        move_orders(utc(2026, 12, 4, 22, 50)).await;
        let before_midnight = bought_today(&fx, &org, now).await;
        // 23:10 UTC is 00:10 on the 5th in Copenhagen: today there, though UTC says the 4th too.
        move_orders(utc(2026, 12, 4, 23, 10)).await;
        let after_midnight = bought_today(&fx, &org, now).await;
        assert_eq!(after_midnight, before_midnight + 1);
        fx.finish().await;
    }
}
