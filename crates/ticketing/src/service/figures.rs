//! The figures an organizer looks for: tickets sold and revenue today, this week and this
//! season, per day for a chart, and per event (sold / capacity, revenue).
//!
//! A sale is a valid ticket of a paid order (as for the segment index, see [`super::facts`]),
//! counted on the day its order was placed **where the organization is**: the days, the week
//! and the season are cut at midnight in the organization's time zone, so a sale at 23:30 in
//! Copenhagen counts for that Copenhagen day whatever UTC says. Revenue is what the tickets
//! were sold for (after discounts), in minor units of the organization's currency.
//!
//! - **This week** starts on Monday (ISO 8601, as in Denmark and France).
//! - **This season** starts on 1 July: a performing-arts season runs from the autumn to the
//!   summer, so on 16 March 2027 the season is the one that began on 1 July 2026.
//!
//! Every period's figure comes from one statement whose sums are cut by the period bounds
//! computed here (correct across daylight-saving changes on both backends, which have no
//! common way to convert time zones in SQL).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use fullhouse_core::{Db, OrgId, Result};
use sea_orm::sea_query::{Alias, Expr, Func, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::model::ids::EventId;
use crate::model::orders::{OrderStatus, TicketStatus};
use crate::store::{orders, ticket_types, tickets};

/// Days the sales chart shows, today included.
pub const DAYS_CHARTED: u32 = 30;

/// Tickets sold and what they brought in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalesTotals {
    pub tickets: i64,
    pub revenue_minor: i64,
}

/// One local day's sales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalesDay {
    pub day: NaiveDate,
    pub totals: SalesTotals,
}

/// The organization's sales as of one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesFigures {
    /// The local day the figures are for.
    pub today: NaiveDate,
    /// The Monday this week started on.
    pub week_start: NaiveDate,
    /// The 1 July this season started on.
    pub season_start: NaiveDate,
    pub today_totals: SalesTotals,
    pub week_totals: SalesTotals,
    pub season_totals: SalesTotals,
    /// The last [`DAYS_CHARTED`] days, oldest first, today last.
    pub days: Vec<SalesDay>,
}

/// An event's sales.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventFigures {
    /// Tickets taken of its ticket types (held for payment included, as stock counts them).
    pub sold: i64,
    /// The sum of its ticket types' capacities; `None` when one has no limit (or it has none).
    pub capacity: Option<i64>,
    /// What its valid tickets of paid orders were sold for.
    pub revenue_minor: i64,
}

/// Read-only figures over the sales.
#[derive(Clone)]
pub struct FiguresService {
    db: Db,
}

/// The first day of the season `day` falls in: the last 1 July on or before it.
pub fn season_start(day: NaiveDate) -> NaiveDate {
    let year = if day.month() >= 7 {
        day.year()
    } else {
        day.year() - 1
    };
    NaiveDate::from_ymd_opt(year, 7, 1).unwrap_or(day)
}

/// The Monday of `day`'s week.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day.week(Weekday::Mon).first_day()
}

/// The moment a local day begins in `zone`. Where a daylight-saving change skips midnight, the
/// day begins at the first minute that exists.
pub fn start_of_day(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    (0..=180)
        .step_by(15)
        .find_map(|minutes| {
            zone.from_local_datetime(&(midnight + Duration::minutes(minutes)))
                .earliest()
        })
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

impl FiguresService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Sales today, this week, this season and per day for the chart, as of `now`, with days
    /// cut in `zone` (the organization's time zone).
    pub async fn sales(&self, org: &OrgId, zone: Tz, now: DateTime<Utc>) -> Result<SalesFigures> {
        let today = now.with_timezone(&zone).date_naive();
        let week = week_start(today);
        let season = season_start(today);
        let first_charted = today - Duration::days(i64::from(DAYS_CHARTED) - 1);
        let tomorrow = today + Duration::days(1);
        // Bucket 0 is the season, 1 the week, then one per charted day (the last is today).
        let mut spans: Vec<(NaiveDate, NaiveDate)> = vec![(season, tomorrow), (week, tomorrow)];
        spans.extend(
            first_charted
                .iter_days()
                .take_while(|d| *d <= today)
                .map(|d| (d, d + Duration::days(1))),
        );
        let bounds: Vec<(DateTime<Utc>, DateTime<Utc>)> = spans
            .iter()
            .map(|(from, to)| (start_of_day(*from, zone), start_of_day(*to, zone)))
            .collect();
        let sums = self.sums(org, &bounds).await?;
        let total = |i: usize| sums.get(i).copied().unwrap_or_default();
        let days: Vec<SalesDay> = spans
            .iter()
            .enumerate()
            .skip(2)
            .map(|(i, (day, _))| SalesDay {
                day: *day,
                totals: total(i),
            })
            .collect();
        Ok(SalesFigures {
            today,
            week_start: week,
            season_start: season,
            today_totals: days.last().map(|d| d.totals).unwrap_or_default(),
            week_totals: total(1),
            season_totals: total(0),
            days,
        })
    }

    /// The tickets and revenue of sales placed within each `[from, to)`, in one statement.
    async fn sums(
        &self,
        org: &OrgId,
        bounds: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<Vec<SalesTotals>> {
        let (Some(earliest), Some(latest)) = (
            bounds.iter().map(|b| b.0).min(),
            bounds.iter().map(|b| b.1).max(),
        ) else {
            return Ok(Vec::new());
        };
        let t = tickets::Entity;
        let o = orders::Entity;
        let placed = || Expr::col((o, orders::Column::CreatedAt));
        let mut query = Query::select();
        for (i, (from, to)) in bounds.iter().enumerate() {
            let within = placed().gte(*from).and(placed().lt(*to));
            query.expr_as(
                sum_of(Expr::case(within.clone(), 1).finally(0).into()),
                Alias::new(format!("tickets_{i}")),
            );
            query.expr_as(
                sum_of(
                    Expr::case(within, Expr::col((t, tickets::Column::PriceMinor)))
                        .finally(0)
                        .into(),
                ),
                Alias::new(format!("revenue_{i}")),
            );
        }
        query
            .from(t)
            .inner_join(
                o,
                Expr::col((o, orders::Column::OrganizationId))
                    .equals((t, tickets::Column::OrganizationId))
                    .and(Expr::col((o, orders::Column::Id)).equals((t, tickets::Column::OrderId))),
            )
            .and_where(Expr::col((t, tickets::Column::OrganizationId)).eq(org.as_str()))
            .and_where(Expr::col((t, tickets::Column::Status)).eq(TicketStatus::Valid.as_str()))
            .and_where(Expr::col((o, orders::Column::Status)).eq(OrderStatus::Paid.as_str()))
            .and_where(placed().gte(earliest))
            .and_where(placed().lt(latest));
        let conn = self.db.reader();
        let row = conn
            .query_one(conn.get_database_backend().build(&query))
            .await?;
        let mut sums = Vec::with_capacity(bounds.len());
        for i in 0..bounds.len() {
            let get = |name: String| -> Result<i64> {
                Ok(match &row {
                    Some(row) => row.try_get::<Option<i64>>("", &name)?.unwrap_or(0),
                    None => 0,
                })
            };
            sums.push(SalesTotals {
                tickets: get(format!("tickets_{i}"))?,
                revenue_minor: get(format!("revenue_{i}"))?,
            });
        }
        Ok(sums)
    }

    /// Sold / capacity and revenue of each of `events` that exists, keyed by event id.
    pub async fn events(
        &self,
        org: &OrgId,
        events: &[EventId],
    ) -> Result<HashMap<String, EventFigures>> {
        if events.is_empty() {
            return Ok(HashMap::new());
        }
        let conn = self.db.reader();
        let ids: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
        let types: Vec<(String, i64, Option<i64>)> = ticket_types::Entity::find()
            .select_only()
            .column(ticket_types::Column::EventId)
            .column(ticket_types::Column::Sold)
            .column(ticket_types::Column::Capacity)
            .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
            .filter(ticket_types::Column::EventId.is_in(ids.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        let mut figures: HashMap<String, EventFigures> = HashMap::new();
        let mut unlimited: Vec<String> = Vec::new();
        for (event, sold, capacity) in types {
            let entry = figures.entry(event.clone()).or_default();
            entry.sold += sold;
            match capacity {
                Some(c) => entry.capacity = Some(entry.capacity.unwrap_or(0) + c),
                None => unlimited.push(event),
            }
        }
        for event in unlimited {
            if let Some(entry) = figures.get_mut(&event) {
                entry.capacity = None;
            }
        }
        let t = tickets::Entity;
        let o = orders::Entity;
        let query = Query::select()
            .expr_as(
                Expr::col((t, tickets::Column::EventId)),
                Alias::new("event_id"),
            )
            .expr_as(
                sum_of(Expr::col((t, tickets::Column::PriceMinor)).into()),
                Alias::new("revenue"),
            )
            .from(t)
            .inner_join(
                o,
                Expr::col((o, orders::Column::OrganizationId))
                    .equals((t, tickets::Column::OrganizationId))
                    .and(Expr::col((o, orders::Column::Id)).equals((t, tickets::Column::OrderId))),
            )
            .and_where(Expr::col((t, tickets::Column::OrganizationId)).eq(org.as_str()))
            .and_where(Expr::col((t, tickets::Column::EventId)).is_in(ids.iter().copied()))
            .and_where(Expr::col((t, tickets::Column::Status)).eq(TicketStatus::Valid.as_str()))
            .and_where(Expr::col((o, orders::Column::Status)).eq(OrderStatus::Paid.as_str()))
            .group_by_col((t, tickets::Column::EventId))
            .to_owned();
        for row in conn
            .query_all(conn.get_database_backend().build(&query))
            .await?
        {
            let event: String = row.try_get("", "event_id")?;
            let revenue: Option<i64> = row.try_get("", "revenue")?;
            figures.entry(event).or_default().revenue_minor = revenue.unwrap_or(0);
        }
        Ok(figures)
    }
}

/// `CAST(SUM(expr) AS BIGINT)`: PostgreSQL sums a bigint as numeric, which reads back as i64
/// only once cast.
fn sum_of(expr: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::sum(expr), Alias::new("BIGINT")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn the_season_starts_on_the_last_first_of_july() {
        assert_eq!(season_start(day("2027-03-16")), day("2026-07-01"));
        assert_eq!(season_start(day("2026-07-01")), day("2026-07-01"));
        assert_eq!(season_start(day("2026-06-30")), day("2025-07-01"));
    }

    #[test]
    fn the_week_starts_on_monday() {
        // 16 March 2027 is a Tuesday.
        assert_eq!(week_start(day("2027-03-16")), day("2027-03-15"));
        assert_eq!(week_start(day("2027-03-15")), day("2027-03-15"));
        assert_eq!(week_start(day("2027-03-21")), day("2027-03-15"));
    }

    #[test]
    fn a_local_day_starts_at_local_midnight_also_across_daylight_saving() {
        let copenhagen: Tz = "Europe/Copenhagen".parse().expect("zone");
        let winter = start_of_day(day("2027-03-16"), copenhagen);
        assert_eq!(winter.to_rfc3339(), "2027-03-15T23:00:00+00:00");
        let summer = start_of_day(day("2027-03-29"), copenhagen);
        assert_eq!(summer.to_rfc3339(), "2027-03-28T22:00:00+00:00");
        // Santiago skipped midnight on 2022-09-11: the day began at 01:00 local.
        let santiago: Tz = "America/Santiago".parse().expect("zone");
        let skipped = start_of_day(day("2022-09-11"), santiago);
        assert_eq!(skipped.to_rfc3339(), "2022-09-11T04:00:00+00:00");
    }
}
