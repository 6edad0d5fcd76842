//! The "Demo Theatre" organization: a realistic data set for trying Fullhouse, for the UI and for
//! benchmarks. Deterministic for a given seed (and day: the schedule is built around today).
//!
//! A theatre in Copenhagen with a main stage (811 seats and 300 standing) and a studio, a dozen
//! productions played over three years back and six months ahead, and `customers` Danish,
//! French and British customers with consents and tags, who bought the tickets of those
//! performances online and at the box office.
//!
//! Everything is planned in memory first (catalog, sales, who bought what), then written in one
//! write transaction by multi-row INSERTs: a blocking thread generates rows and statements while
//! the database runs the previous ones, so a million customers load in about a minute on SQLite.

mod bulk;
mod catalog;
mod clock;
mod customers;
pub(crate) mod names;
mod places;
mod rows;
mod sales;

use chrono::{DateTime, Duration, Utc};
use fullhouse_core::tenancy::service::{NewOrganization, NewUser, TenancyService};
use fullhouse_core::{Db, Error, OrgId, Result, Role};
use rand::rngs::StdRng;
use rand::SeedableRng;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, Statement};
use tokio::sync::mpsc;

use self::bulk::{Output, Stopped};
use self::catalog::Catalog;
use self::sales::{Audience, Sales};

/// The demo organization's slug (the platform's: its pages recognize the demo by it).
pub use fullhouse_core::tenancy::model::DEMO_SLUG;
/// The demo owner's login.
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo-theatre.example";
pub const DEMO_PASSWORD: &str = "fullhouse-demo";
/// More customers than this would not fit the time and memory the demo is meant for.
pub const MAX_CUSTOMERS: u64 = 10_000_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub customers: u64,
    pub seed: u64,
}

/// What was generated, and how to log in.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub organization: OrgId,
    pub organization_slug: String,
    pub admin_email: String,
    pub admin_password: String,
    pub venues: u64,
    pub seats: u64,
    pub productions: u64,
    pub events: u64,
    pub customers: u64,
    pub orders: u64,
    pub tickets: u64,
}

/// Builds the demo organization in `db` (which must be migrated). Fails with a conflict when the
/// database already holds it; when loading fails half-way, the organization is removed again.
pub async fn generate(db: &Db, options: &DemoOptions) -> Result<DemoSummary> {
    if options.customers > MAX_CUSTOMERS {
        return Err(Error::invalid(
            "customers",
            format!("must be at most {MAX_CUSTOMERS}"),
        ));
    }
    let tenancy = TenancyService::new(db.clone());
    if tenancy.organization_by_slug(DEMO_SLUG).await?.is_some() {
        return Err(Error::conflict(
            "slug",
            format!(
                "this database already holds the demo organization `{DEMO_SLUG}`; \
                 use an empty data directory or database for a new demo"
            ),
        ));
    }
    let (customers, seed) = (options.customers as usize, options.seed);
    let now = demo_now();
    // Planning is pure CPU work; it runs while the users' passwords are hashed.
    let plan = tokio::task::spawn_blocking(move || Plan::build(seed, customers, now));
    let org = tenancy
        .create_organization(NewOrganization {
            name: "Demo Theatre".into(),
            slug: DEMO_SLUG.into(),
            default_language: "da".into(),
            timezone: rows::TIMEZONE.into(),
            currency: rows::CURRENCY.into(),
        })
        .await?
        .id;
    let loaded = async {
        add_staff(&tenancy, &org).await?;
        let plan = plan.await.map_err(Error::internal)?;
        load(db, &org, plan).await
    }
    .await;
    if loaded.is_err() {
        remove_organization(db, &org).await;
    }
    loaded
}

/// True when the database holds no organization yet (first start).
pub async fn database_is_empty(db: &Db) -> Result<bool> {
    use fullhouse_core::tenancy::store::organizations;
    use sea_orm::{EntityTrait, PaginatorTrait};
    Ok(organizations::Entity::find().count(db.reader()).await? == 0)
}

/// The demo's "now": the start of today (UTC), so that everything generated lies in the past
/// or the future whatever the hour, and the same seed gives the same data all day.
fn demo_now() -> DateTime<Utc> {
    let today = Utc::now().date_naive();
    today
        .and_hms_opt(0, 0, 0)
        .map(|midnight| midnight.and_utc())
        .unwrap_or_else(Utc::now)
}

/// Everything the demo will write, decided before the first row is.
struct Plan {
    seed: u64,
    now: DateTime<Utc>,
    catalog: Catalog,
    sales: Sales,
    audience: Audience,
}

impl Plan {
    fn build(seed: u64, customers: usize, now: DateTime<Utc>) -> Plan {
        // One random stream per part, so each part stays the same when another changes.
        let mut catalog_rng = StdRng::seed_from_u64(seed ^ 0xCA7A_1060);
        let mut sales_rng = StdRng::seed_from_u64(seed ^ 0x5A1E_5000);
        let mut buyers_rng = StdRng::seed_from_u64(seed ^ 0xB0B0_CAFE);
        let catalog = Catalog::build(
            &mut catalog_rng,
            now,
            catalog::event_count(customers as u64),
        );
        let mut sales = sales::sell(&mut sales_rng, &catalog, now);
        let imported_at = now
            - Duration::days(catalog::HISTORY_DAYS + catalog::SALES_WINDOW_DAYS + 30)
            + Duration::hours(8);
        let audience = sales::assign_customers(
            &mut buyers_rng,
            &mut sales.orders,
            customers,
            imported_at,
            now,
        );
        Plan {
            seed,
            now,
            catalog,
            sales,
            audience,
        }
    }

    fn summary(&self, org: &OrgId) -> DemoSummary {
        DemoSummary {
            organization: org.clone(),
            organization_slug: DEMO_SLUG.to_string(),
            admin_email: DEMO_ADMIN_EMAIL.to_string(),
            admin_password: DEMO_PASSWORD.to_string(),
            venues: self.catalog.venues.len() as u64,
            seats: self.catalog.seats.len() as u64,
            productions: self.catalog.productions.len() as u64,
            events: self.catalog.events.len() as u64,
            customers: self.audience.len() as u64,
            orders: self.sales.orders.len() as u64,
            tickets: self.sales.tickets as u64,
        }
    }

    /// Turns the plan into INSERT statements, in an order that never references a row not yet
    /// written.
    fn write(&self, org: &OrgId, out: &Output) -> Result<(), Stopped> {
        let org = org.as_str();
        rows::write_catalog(org, &self.catalog, &self.sales.sold, out)?;
        customers::CustomerWriter::new(org, self.seed, &self.audience, self.now).write(out)?;
        let mut rng = StdRng::seed_from_u64(self.seed ^ 0x0DE2_5000);
        rows::write_sales(
            &mut rng,
            org,
            self.seed,
            &self.catalog,
            &self.sales,
            &self.audience,
            out,
        )
    }
}

/// The demo's staff: the owner, a marketer and a box-office user, all with the demo password.
async fn add_staff(tenancy: &TenancyService, org: &OrgId) -> Result<()> {
    let staff = [
        (DEMO_ADMIN_EMAIL, "Demo Admin", Role::Owner, "en"),
        (
            "marketing@demo-theatre.example",
            "Mette Marketing",
            Role::Marketer,
            "da",
        ),
        (
            "boxoffice@demo-theatre.example",
            "Bo Boxoffice",
            Role::BoxOffice,
            "da",
        ),
    ];
    for (email, name, role, language) in staff {
        tenancy
            .create_user(
                org,
                NewUser {
                    email: email.into(),
                    name: name.into(),
                    password: DEMO_PASSWORD.into(),
                    role,
                    language: language.into(),
                },
            )
            .await?;
    }
    Ok(())
}

/// Writes the plan in one write transaction: statements are made on a blocking thread and run
/// here as they come, so generating and writing overlap.
async fn load(db: &Db, org: &OrgId, plan: Plan) -> Result<DemoSummary> {
    let summary = plan.summary(org);
    let (sender, mut receiver) = mpsc::channel::<Statement>(4);
    let out = Output::new(db.db_backend(), sender);
    let producer_org = org.clone();
    let producer = tokio::task::spawn_blocking(move || plan.write(&producer_org, &out));
    let txn = db.begin_write().await?;
    while let Some(statement) = receiver.recv().await {
        txn.execute(statement).await?;
    }
    producer
        .await
        .map_err(Error::internal)?
        .map_err(|Stopped| Error::internal("the demo generator stopped early"))?;
    txn.execute(count_ga_sales(db, org)?).await?;
    txn.commit().await?;
    Ok(summary)
}

/// Fills the per-event counters of general-admission places from the tickets just written, so
/// that the next sale through the checkout finds the demo's standing areas as full as they are.
fn count_ga_sales(db: &Db, org: &OrgId) -> Result<Statement> {
    let column = |name: &str| Expr::col(Alias::new(name));
    let valid_ga_tickets = Query::select()
        .expr(column("organization_id"))
        .expr(column("event_id"))
        .expr(column("ga_area_id"))
        .expr(Expr::col(Alias::new("id")).count())
        .from(Alias::new("tickets"))
        .and_where(column("organization_id").eq(org.as_str()))
        .and_where(column("status").eq("valid"))
        .and_where(column("ga_area_id").is_not_null())
        .group_by_columns([
            Alias::new("organization_id"),
            Alias::new("event_id"),
            Alias::new("ga_area_id"),
        ])
        .to_owned();
    let insert = Query::insert()
        .into_table(Alias::new("event_ga_sales"))
        .columns(["organization_id", "event_id", "ga_area_id", "sold"].map(Alias::new))
        .select_from(valid_ga_tickets)
        .map_err(Error::internal)?
        .to_owned();
    Ok(db.db_backend().build(&insert))
}

/// Removes a half-loaded demo organization (its users, then itself) so that the next attempt can
/// start afresh; the demo's own rows went with the rolled-back transaction. Best effort: the
/// error that made the load fail is what the caller needs to see.
async fn remove_organization(db: &Db, org: &OrgId) {
    use fullhouse_core::tenancy::store::{organizations, users};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let Ok(txn) = db.begin_write().await else {
        return;
    };
    let users_removed = users::Entity::delete_many()
        .filter(users::Column::OrganizationId.eq(org.as_str()))
        .exec(&txn)
        .await;
    let organization_removed = organizations::Entity::delete_by_id(org.as_str())
        .exec(&txn)
        .await;
    if users_removed.is_ok() && organization_removed.is_ok() {
        let _ = txn.commit().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fullhouse_core::Backend;
    use fullhouse_testkit::TestDb;

    async fn migrated(backend: Backend) -> Option<TestDb> {
        TestDb::new(
            backend,
            fullhouse_core::module::migrations_with_core(&[&crate::Ticketing]),
        )
        .await
    }

    async fn small_demo(db: &Db, customers: u64, seed: u64) -> DemoSummary {
        generate(db, &DemoOptions { customers, seed })
            .await
            .expect("demo generated")
    }

    /// The rows of a query as text, one string per row (columns joined by `|`).
    async fn rows(db: &Db, sql: &str, columns: &[&str]) -> Vec<String> {
        let found = db
            .reader()
            .query_all(Statement::from_string(db.db_backend(), sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        found
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .map(|c| {
                        row.try_get::<Option<String>>("", c)
                            .map(|v| v.unwrap_or_else(|| "NULL".into()))
                            .or_else(|_| row.try_get::<i64>("", c).map(|v| v.to_string()))
                            .unwrap_or_else(|e| panic!("{sql}: column {c}: {e}"))
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    }

    async fn number(db: &Db, sql: &str) -> i64 {
        let found = db
            .reader()
            .query_one(Statement::from_string(db.db_backend(), sql))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .expect("one row");
        found
            .try_get::<i64>("", "n")
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fullhouse_testkit::both_backends! {
        setup = migrated;

        async fn a_small_demo_is_a_full_theatre_whose_sales_add_up(test_db: TestDb) {
            let db = &test_db.db;
            let summary = small_demo(db, 500, 42).await;
            assert_eq!(summary.customers, 500);

            // The hall, the productions and the schedule.
            let biggest_hall = number(db, "SELECT MAX(n) AS n FROM \
                (SELECT COUNT(*) AS n FROM venue_seats GROUP BY venue_id) AS per_venue").await;
            assert!(biggest_hall >= 800, "{biggest_hall} seats");
            assert_eq!(number(db, "SELECT COUNT(*) AS n FROM venue_ga_areas WHERE capacity = 300").await, 1);
            assert!(number(db, "SELECT COUNT(DISTINCT production_id) AS n FROM events").await >= 5);
            let events = number(db, "SELECT COUNT(*) AS n FROM events").await;
            assert!(events >= 40, "{events} events");
            assert_eq!(events as u64, summary.events);
            let (past, upcoming) = past_and_upcoming(db).await;
            assert!(past > 0 && upcoming > 0, "{past} past, {upcoming} upcoming");
            assert!(upcoming < past, "most of the schedule lies in the past");

            // Every event sells per category, standing, a hidden type and a secret-shop type.
            assert_eq!(
                number(db, "SELECT COUNT(*) AS n FROM events e WHERE NOT EXISTS \
                    (SELECT 1 FROM ticket_types t WHERE t.event_id = e.id AND t.hidden) \
                    OR NOT EXISTS (SELECT 1 FROM ticket_types t WHERE t.event_id = e.id \
                                   AND t.ga_area_id IS NOT NULL) \
                    OR NOT EXISTS (SELECT 1 FROM ticket_types t JOIN shops s ON s.id = t.shop_id \
                                   WHERE t.event_id = e.id AND s.kind = 'secret')").await,
                0
            );

            // Customers: three languages, some genders unknown, unique emails.
            let languages = rows(db, "SELECT DISTINCT language FROM customers ORDER BY language",
                &["language"]).await;
            assert_eq!(languages, ["da", "en", "fr"]);
            assert!(number(db, "SELECT COUNT(*) AS n FROM customers WHERE gender IS NULL").await > 0);
            assert_eq!(
                number(db, "SELECT COUNT(DISTINCT email) AS n FROM customers").await,
                500
            );
            assert!(number(db, "SELECT COUNT(*) AS n FROM customer_permissions").await > 0);

            // Sales: no seat twice, standing within capacity, counters and totals that add up.
            assert_eq!(
                number(db, "SELECT COUNT(*) AS n FROM (SELECT event_id, seat_id FROM tickets \
                    WHERE status = 'valid' AND seat_id IS NOT NULL \
                    GROUP BY event_id, seat_id HAVING COUNT(*) > 1) AS doubles").await,
                0
            );
            assert_eq!(
                number(db, "SELECT COUNT(*) AS n FROM (SELECT t.event_id, t.ga_area_id \
                    FROM tickets t JOIN venue_ga_areas a ON a.id = t.ga_area_id \
                    WHERE t.status = 'valid' GROUP BY t.event_id, t.ga_area_id, a.capacity \
                    HAVING COUNT(*) > a.capacity) AS over").await,
                0
            );
            assert_eq!(
                number(db, "SELECT COUNT(*) AS n FROM ticket_types tt WHERE tt.sold <> \
                    (SELECT COUNT(*) FROM tickets t WHERE t.organization_id = tt.organization_id \
                     AND t.event_id = tt.event_id AND t.ticket_type_id = tt.id \
                     AND t.status = 'valid')").await,
                0
            );
            assert!(number(db, "SELECT COUNT(*) AS n FROM ticket_types WHERE sold > 0").await > 0);
            assert_eq!(
                number(db, "SELECT COUNT(*) AS n FROM orders o WHERE o.total_minor <> \
                    (SELECT SUM(t.price_minor) FROM tickets t \
                     WHERE t.organization_id = o.organization_id AND t.order_id = o.id)").await,
                0
            );
            assert_eq!(
                number(db, "SELECT COUNT(*) AS n FROM orders o WHERE NOT EXISTS \
                    (SELECT 1 FROM tickets t \
                     WHERE t.organization_id = o.organization_id AND t.order_id = o.id)").await,
                0
            );
            assert_eq!(
                number(db, "SELECT COUNT(*) AS n FROM event_ga_sales g WHERE g.sold <> \
                    (SELECT COUNT(*) FROM tickets t WHERE t.organization_id = g.organization_id \
                     AND t.event_id = g.event_id \
                     AND t.ga_area_id = g.ga_area_id AND t.status = 'valid')").await,
                0
            );
            assert!(number(db, "SELECT COUNT(*) AS n FROM event_ga_sales").await > 0);
            assert_eq!(
                number(db, "SELECT COUNT(*) AS n FROM tickets").await as u64,
                summary.tickets
            );
            let channels = rows(db, "SELECT DISTINCT channel FROM orders ORDER BY channel",
                &["channel"]).await;
            assert_eq!(channels, ["box_office", "online"]);
            assert!(number(db, "SELECT COUNT(*) AS n FROM orders WHERE status = 'cancelled'").await > 0);

            // The owner can log in.
            let session = TenancyService::new(db.clone())
                .login(DEMO_ADMIN_EMAIL, DEMO_PASSWORD, None)
                .await
                .expect("the demo admin logs in");
            assert_eq!(session.organization.slug, DEMO_SLUG);
            assert_eq!(session.organization.id, summary.organization);
            test_db.finish().await;
        }
    }

    /// How many events start before the demo's "now", and how many after.
    async fn past_and_upcoming(db: &Db) -> (usize, usize) {
        use sea_orm::EntityTrait;
        let now = demo_now();
        let found = crate::store::events::Entity::find()
            .all(db.reader())
            .await
            .expect("events");
        let past = found.iter().filter(|e| e.starts_at < now).count();
        (past, found.len() - past)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_same_seed_gives_the_same_customers() {
        let query = "SELECT first_name, last_name, email FROM customers ORDER BY id";
        let columns = ["first_name", "last_name", "email"];
        let mut runs = Vec::new();
        for seed in [7, 7, 8] {
            let test_db = migrated(Backend::Sqlite).await.expect("sqlite");
            small_demo(&test_db.db, 200, seed).await;
            runs.push(rows(&test_db.db, query, &columns).await);
            test_db.finish().await;
        }
        assert_eq!(runs[0].len(), 200);
        assert_eq!(runs[0], runs[1], "seed 7 twice");
        assert_ne!(runs[0], runs[2], "seeds 7 and 8");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_demo_in_the_same_database_is_refused() {
        let test_db = migrated(Backend::Sqlite).await.expect("sqlite");
        small_demo(&test_db.db, 50, 1).await;
        let err = generate(
            &test_db.db,
            &DemoOptions {
                customers: 50,
                seed: 1,
            },
        )
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("already holds the demo organization"), "{err}");
        assert_eq!(
            number(&test_db.db, "SELECT COUNT(*) AS n FROM organizations").await,
            1
        );
        test_db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_demo_that_fails_to_load_leaves_no_organization_behind() {
        let test_db = migrated(Backend::Sqlite).await.expect("sqlite");
        test_db
            .db
            .writer()
            .execute_unprepared("DROP TABLE customer_tags")
            .await
            .expect("table dropped");
        let failed = generate(
            &test_db.db,
            &DemoOptions {
                customers: 50,
                seed: 1,
            },
        )
        .await;
        assert!(failed.is_err());
        for table in ["organizations", "users", "venues", "customers"] {
            let sql = format!("SELECT COUNT(*) AS n FROM {table}");
            assert_eq!(number(&test_db.db, &sql).await, 0, "{table}");
        }
        test_db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_demo_without_customers_still_has_anonymous_sales() {
        let test_db = migrated(Backend::Sqlite).await.expect("sqlite");
        let summary = small_demo(&test_db.db, 0, 3).await;
        assert_eq!(summary.customers, 0);
        assert!(summary.orders > 0);
        assert_eq!(
            number(
                &test_db.db,
                "SELECT COUNT(*) AS n FROM orders WHERE customer_id IS NOT NULL"
            )
            .await,
            0
        );
        test_db.finish().await;
    }
}
