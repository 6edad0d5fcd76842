//! The reference: the same segment and filters as one SQL query (sea-query, both backends).
//! Tests compare the index with it on random data, and the benchmark times it. It reads the
//! ticketing tables directly on purpose — it is the definition the index is checked against, not
//! a module's way to work.
//!
//! The one backend-specific fragment is the number of calendar days between two timestamps
//! (impulse), which SQLite and PostgreSQL spell differently.

use chrono::NaiveDate;
use fullhouse_core::{Backend, Db, OrgId, Result};
use fullhouse_ticketing::model::orders::OrderStatus;
use fullhouse_ticketing::store::venues;
use sea_orm::sea_query::{
    Alias, Cond, Expr, Func, IntoCondition, Query, SelectStatement, SimpleExpr,
};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};

use crate::index::SegmentQuery;
use crate::model::*;

/// The reference's answer: the segment, the total and each filter's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceCounts {
    pub segment: u64,
    pub total: u64,
    pub filters: Vec<u64>,
}

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn col(table: &str, column: &str) -> Expr {
    Expr::col((a(table), a(column)))
}

/// Runs the reference query for `query` in `org`.
pub async fn counts(db: &Db, org: &OrgId, query: &SegmentQuery) -> Result<ReferenceCounts> {
    let (select, filters) = built(db, org, query).await?;
    let row = db.reader().query_one(select).await?;
    let read = |name: &str| -> Result<u64> {
        let value: Option<i64> = match &row {
            Some(row) => row.try_get("", name)?,
            None => None,
        };
        Ok(u64::try_from(value.unwrap_or(0)).unwrap_or(0))
    };
    Ok(ReferenceCounts {
        segment: read("segment")?,
        total: read("total")?,
        filters: (0..filters)
            .map(|i| read(&format!("f{i}")))
            .collect::<Result<_>>()?,
    })
}

/// The reference query of `query` for the reader's backend, and how many filter counts it
/// answers (`f0`, `f1`, …).
async fn built(db: &Db, org: &OrgId, query: &SegmentQuery) -> Result<(Statement, usize)> {
    let mut conditions = Vec::new();
    for filter in &query.filters {
        conditions.push(condition(db, org, filter, query.today, query.zone).await?);
    }
    let select = statement(db.backend(), org, query, &conditions);
    Ok((
        db.reader().get_database_backend().build(&select),
        conditions.len(),
    ))
}

/// The database's plan for the reference query of `query` (`EXPLAIN`, one line per row), for
/// the bench to print beside its timing.
pub async fn plan(db: &Db, org: &OrgId, query: &SegmentQuery) -> Result<Vec<String>> {
    let (mut explain, _) = built(db, org, query).await?;
    // PostgreSQL answers one text column; SQLite's query plan four (id, parent, unused, detail).
    let (prefix, column) = match db.backend() {
        Backend::Postgres => ("EXPLAIN", 0),
        Backend::Sqlite => ("EXPLAIN QUERY PLAN", 3),
    };
    explain.sql = format!("{prefix} {}", explain.sql);
    let mut lines = Vec::new();
    for row in db.reader().query_all(explain).await? {
        lines.push(row.try_get_by_index::<String>(column)?);
    }
    Ok(lines)
}

fn count_if(condition: Cond) -> SimpleExpr {
    Func::coalesce([
        Func::sum(Expr::case(condition, 1).finally(0)).into(),
        Expr::val(0).into(),
    ])
    .into()
}

fn statement(
    backend: Backend,
    org: &OrgId,
    query: &SegmentQuery,
    conditions: &[Cond],
) -> SelectStatement {
    let mut select = Query::select();
    select
        .expr_as(Func::count(Expr::col(a("id"))), a("segment"))
        .from_as(a("customers"), a("c"))
        .join_subquery(
            sea_orm::JoinType::LeftJoin,
            sales_summary(backend, org),
            a("s"),
            col("s", "customer_id").equals((a("c"), a("id"))),
        )
        .and_where(col("c", "organization_id").eq(org.as_str()));
    let mut all = Cond::all();
    for condition in conditions {
        all = all.add(condition.clone());
    }
    select.expr_as(count_if(all), a("total"));
    for (i, condition) in conditions.iter().enumerate() {
        select.expr_as(count_if(condition.clone()), a(&format!("f{i}")));
    }
    let definition = &query.definition;
    let window = definition.window_start(query.today, query.zone);
    select.and_where(Expr::exists(holders(org, |cond| {
        cond.add(col("e", "starts_at").gte(window))
            .add(event_filter(&definition.event_filter, query.zone))
    })));
    if let Some(excluded) = definition.effective_exclusion() {
        select.and_where(
            Expr::exists(holders(org, |cond| {
                cond.add(event_filter(excluded, query.zone))
            }))
            .not(),
        );
    }
    if let Some(production) = &query.view_for.production_id {
        select.and_where(
            Expr::exists(holders(org, |cond| {
                cond.add(col("e", "production_id").eq(production.as_str()))
            }))
            .not(),
        );
    }
    if let Some(event) = &query.view_for.event_id {
        select.and_where(
            Expr::exists(holders(org, |cond| {
                cond.add(col("e", "id").eq(event.as_str()))
            }))
            .not(),
        );
    }
    select.to_owned()
}

/// `tickets t ⋈ orders o ⋈ ticket_types tt ⋈ events e`, valid tickets of paid orders (what the
/// index counts as sales: see `fullhouse_ticketing::service::facts`).
fn sales_from(select: &mut SelectStatement, org: &OrgId) {
    select
        .from_as(a("tickets"), a("t"))
        .join_as(
            sea_orm::JoinType::InnerJoin,
            a("orders"),
            a("o"),
            Cond::all()
                .add(col("o", "organization_id").equals((a("t"), a("organization_id"))))
                .add(col("o", "id").equals((a("t"), a("order_id")))),
        )
        .join_as(
            sea_orm::JoinType::InnerJoin,
            a("ticket_types"),
            a("tt"),
            Cond::all()
                .add(col("tt", "organization_id").equals((a("t"), a("organization_id"))))
                .add(col("tt", "id").equals((a("t"), a("ticket_type_id")))),
        )
        .join_as(
            sea_orm::JoinType::InnerJoin,
            a("events"),
            a("e"),
            Cond::all()
                .add(col("e", "organization_id").equals((a("tt"), a("organization_id"))))
                .add(col("e", "id").equals((a("tt"), a("event_id")))),
        )
        .and_where(col("t", "organization_id").eq(org.as_str()))
        .and_where(col("t", "status").eq("valid"))
        .and_where(col("o", "status").eq(OrderStatus::Paid.as_str()));
}

/// The customer holds a sale for which `narrow` holds.
fn holders(org: &OrgId, narrow: impl FnOnce(Cond) -> Cond) -> SelectStatement {
    let mut select = Query::select();
    select.expr(Expr::val(1));
    sales_from(&mut select, org);
    select.cond_where(narrow(
        Cond::all().add(col("t", "customer_id").equals((a("c"), a("id")))),
    ));
    select.to_owned()
}

fn event_filter(filter: &EventFilter, zone: Tz) -> Cond {
    let mut cond = Cond::all();
    if !filter.production_ids.is_empty() {
        cond = cond.add(
            col("e", "production_id").is_in(
                filter
                    .production_ids
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>(),
            ),
        );
    }
    if !filter.event_ids.is_empty() {
        cond = cond.add(
            col("e", "id").is_in(
                filter
                    .event_ids
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>(),
            ),
        );
    }
    if !filter.venue_ids.is_empty() {
        cond = cond.add(
            col("e", "venue_id").is_in(
                filter
                    .venue_ids
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>(),
            ),
        );
    }
    if !filter.categories.is_empty() {
        cond = cond.add(col("tt", "category").is_in(filter.categories.clone()));
    }
    if let Some(from) = filter.from {
        cond = cond.add(col("e", "starts_at").gte(day_start(from, zone)));
    }
    if let Some(to) = filter.to {
        if let Some(next) = to.succ_opt() {
            cond = cond.add(col("e", "starts_at").lt(day_start(next, zone)));
        }
    }
    cond
}

/// Calendar days from the order's day to the event's day (UTC).
fn impulse_days(backend: Backend) -> SimpleExpr {
    match backend {
        Backend::Sqlite => Expr::cust(
            "CAST(julianday(substr(\"e\".\"starts_at\", 1, 10)) - julianday(substr(\"o\".\"created_at\", 1, 10)) AS INTEGER)",
        ),
        Backend::Postgres => Expr::cust(
            "(CAST(\"e\".\"starts_at\" AT TIME ZONE 'UTC' AS DATE) - CAST(\"o\".\"created_at\" AT TIME ZONE 'UTC' AS DATE))",
        ),
    }
}

/// Per customer: tickets, events, orders, revenue, latest order, impulse, channels.
fn sales_summary(backend: Backend, org: &OrgId) -> SelectStatement {
    let mut select = Query::select();
    select
        .expr_as(col("t", "customer_id"), a("customer_id"))
        .expr_as(Func::count(col("t", "id")), a("tickets"))
        .expr_as(Func::count_distinct(col("t", "event_id")), a("events"))
        .expr_as(Func::count_distinct(col("t", "order_id")), a("orders"))
        .expr_as(Func::sum(col("t", "price_minor")), a("revenue"))
        .expr_as(Func::max(col("o", "created_at")), a("last_at"))
        .expr_as(Func::min(impulse_days(backend)), a("impulse"))
        .expr_as(
            Func::max(Expr::case(col("o", "channel").eq("online"), 1).finally(0)),
            a("online"),
        )
        .expr_as(
            Func::max(Expr::case(col("o", "channel").eq("box_office"), 1).finally(0)),
            a("box_office"),
        );
    sales_from(&mut select, org);
    select
        .and_where(col("t", "customer_id").is_not_null())
        .group_by_col((a("t"), a("customer_id")));
    select.to_owned()
}

fn zero_if_null(column: &str) -> SimpleExpr {
    Func::coalesce([col("s", column).into(), Expr::val(0).into()]).into()
}

fn count_condition(column: &str, wanted: u64, mode: CountMode) -> Cond {
    let wanted = i64::try_from(wanted).unwrap_or(i64::MAX);
    let value = Expr::expr(zero_if_null(column));
    match mode {
        CountMode::AtLeast => value.gte(wanted).into_condition(),
        CountMode::Exactly => value.eq(wanted).into_condition(),
    }
}

fn lowered(column: &str) -> SimpleExpr {
    Func::lower(Func::cust(a("TRIM")).arg(col("c", column))).into()
}

fn keyed(table: &str, key_column: &str, key: &str, org: &OrgId, granted: bool) -> SelectStatement {
    let mut select = Query::select();
    select
        .expr(Expr::val(1))
        .from_as(a(table), a("k"))
        .and_where(col("k", "organization_id").eq(org.as_str()))
        .and_where(col("k", "customer_id").equals((a("c"), a("id"))))
        .and_where(col("k", key_column).eq(key));
    if granted {
        select.and_where(col("k", "granted").eq(true));
    }
    select.to_owned()
}

fn include(mode: Inclusion, exists: SelectStatement) -> Cond {
    match mode {
        Inclusion::Include => Expr::exists(exists).into_condition(),
        Inclusion::Exclude => Expr::exists(exists).not().into_condition(),
    }
}

/// Gender as stored, else from the title, else from the first name: `'f'`, `'m'` or NULL.
/// The first names are the organization's own, each read once by the dictionary (the data the
/// index reads too; the SQL keeps the order of the rules).
fn gender_expr(women: Vec<String>, men: Vec<String>) -> SimpleExpr {
    let strs = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    Expr::case(col("c", "gender").eq("female"), "f")
        .case(col("c", "gender").eq("male"), "m")
        .case(
            col("c", "gender").eq("other"),
            Expr::val(Option::<String>::None),
        )
        .case(Expr::expr(lowered("title")).is_in(strs(FEMALE_TITLES)), "f")
        .case(Expr::expr(lowered("title")).is_in(strs(MALE_TITLES)), "m")
        .case(col("c", "first_name").is_in(women), "f")
        .case(col("c", "first_name").is_in(men), "m")
        .finally(Expr::val(Option::<String>::None))
        .into()
}

/// The organization's distinct first names, split by the gender the dictionary reads in them.
async fn first_names_by_gender(db: &Db, org: &OrgId) -> Result<(Vec<String>, Vec<String>)> {
    let conn = db.reader();
    let backend = conn.get_database_backend();
    let select = Query::select()
        .distinct()
        .column(a("first_name"))
        .from(a("customers"))
        .and_where(Expr::col(a("organization_id")).eq(org.as_str()))
        .and_where(Expr::col(a("first_name")).is_not_null())
        .to_owned();
    let rows = conn.query_all(backend.build(&select)).await?;
    let (mut women, mut men) = (Vec::new(), Vec::new());
    for row in rows {
        let name: String = row.try_get_by_index(0)?;
        match infer_gender(None, None, Some(&name)) {
            Some(InferredGender::Female) => women.push(name),
            Some(InferredGender::Male) => men.push(name),
            None => {}
        }
    }
    Ok((women, men))
}

/// One filter as a condition on `c` (customers) and `s` (the sales summary).
async fn condition(
    db: &Db,
    org: &OrgId,
    filter: &Filter,
    today: NaiveDate,
    zone: Tz,
) -> Result<Cond> {
    Ok(match filter {
        Filter::Age {
            min: None,
            max: None,
        } => Cond::all(),
        Filter::Age { min, max } => {
            let (earliest, latest) = birth_range(*min, *max, today);
            let mut known = Cond::all();
            if max.is_some() {
                known = known.add(col("c", "birth_date").gte(earliest));
            }
            if min.is_some() {
                known = known.add(col("c", "birth_date").lte(latest));
            }
            Cond::any().add(col("c", "birth_date").is_null()).add(known)
        }
        Filter::Gender { gender } => {
            let (women, men) = first_names_by_gender(db, org).await?;
            let g = Expr::expr(gender_expr(women, men));
            match gender {
                GenderChoice::Women => g.eq("f").into_condition(),
                GenderChoice::Men => g.eq("m").into_condition(),
                GenderChoice::Both => g.is_in(["f", "m"]).into_condition(),
                GenderChoice::All => Cond::all(),
            }
        }
        Filter::Impulsive { max_days } => col("s", "impulse")
            .lte(i64::from(*max_days))
            .into_condition(),
        Filter::Channel { channel } => {
            let online = col("s", "online").eq(1);
            let box_office = col("s", "box_office").eq(1);
            match channel {
                ChannelChoice::Online => online.into_condition(),
                ChannelChoice::BoxOffice => box_office.into_condition(),
                ChannelChoice::Both => Cond::all().add(online).add(box_office),
                ChannelChoice::All => Cond::all(),
            }
        }
        Filter::Subscriber { subscriber } => {
            col("c", "subscriber").eq(*subscriber).into_condition()
        }
        Filter::Tickets { count, mode } => count_condition("tickets", u64::from(*count), *mode),
        Filter::Events { count, mode } => count_condition("events", u64::from(*count), *mode),
        Filter::Orders { count, mode } => count_condition("orders", u64::from(*count), *mode),
        Filter::Revenue { minor, mode } => count_condition("revenue", *minor, *mode),
        Filter::LatestPurchase { days, mode } => {
            let edge = today - chrono::Duration::days(i64::from(*days));
            let start = day_start(edge, zone);
            let end = day_start(edge + chrono::Duration::days(1), zone);
            match mode {
                RecencyMode::Within => col("s", "last_at").gte(start).into_condition(),
                RecencyMode::Exactly => Cond::all()
                    .add(col("s", "last_at").gte(start))
                    .add(col("s", "last_at").lt(end)),
                RecencyMode::NotWithin => Cond::any()
                    .add(col("s", "last_at").is_null())
                    .add(col("s", "last_at").lt(start)),
            }
        }
        Filter::Permission { permission, mode } => include(
            *mode,
            keyed("customer_permissions", "permission", permission, org, true),
        ),
        Filter::Tag { tag, mode } => include(*mode, keyed("customer_tags", "tag", tag, org, false)),
        Filter::Distance { venue_id, max_km } => {
            let venue = venues::Entity::find_by_id((org.to_string(), venue_id.to_string()))
                .one(db.reader())
                .await?;
            let Some((lat0, lon0)) = venue.and_then(|v| v.latitude.zip(v.longitude)) else {
                return Ok(Expr::val(1).eq(0).into_condition());
            };
            let per_lon = KM_PER_DEGREE * lat0.to_radians().cos();
            let dy = || col("c", "latitude").sub(lat0).mul(KM_PER_DEGREE);
            let dx = || col("c", "longitude").sub(lon0).mul(per_lon);
            let squared = dy().mul(dy()).add(dx().mul(dx()));
            Cond::all()
                .add(col("c", "latitude").is_not_null())
                .add(col("c", "longitude").is_not_null())
                .add(Expr::expr(squared).lte(max_km * max_km))
        }
    })
}
