//! A migrated database with two organizations, a stage to sell (50 seats, a GA area, a public,
//! a hidden and a GA ticket type) and `TableCodes`: code rules kept in a table of their own, with
//! the one conditional update the contract asks for. The `audiences` crate provides the real
//! rules; these are just enough to exercise checkout's side of the contract.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, Utc};
use fullhouse_checkout::codes::{
    CodeContext, CodeGrant, CodeRules, Counting, Discount, DiscountKind, UseTake,
};
use fullhouse_checkout::{Checkout, ManualClock};
use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Backend, Db, OrgId, Result};
use fullhouse_testkit::TestDb;
use fullhouse_ticketing::service::{CatalogService, VenueService};
use fullhouse_ticketing::{EventId, ProductionId, SeatId, TicketTypeId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use sea_orm_migration::prelude::*;
use serde_json::json;

pub mod test_codes {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "test_codes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        /// `None`: every event of the organization, one quantity across all of them.
        pub event_id: Option<String>,
        pub quantity: i64,
        pub used: i64,
        pub unlock_category: Option<String>,
        pub seat_label: Option<String>,
        pub percent_bp: Option<i64>,
        pub per_order: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

struct TestCodesTable;

impl MigrationName for TestCodesTable {
    fn name(&self) -> &str {
        "test_0001_codes"
    }
}

#[async_trait]
impl MigrationTrait for TestCodesTable {
    async fn up(&self, manager: &SchemaManager) -> std::result::Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE TABLE test_codes (organization_id VARCHAR(40) NOT NULL, code VARCHAR(100) NOT NULL, \
                 event_id VARCHAR(40), quantity BIGINT NOT NULL, used BIGINT NOT NULL DEFAULT 0, \
                 unlock_category TEXT, seat_label TEXT, percent_bp BIGINT, per_order BIGINT, \
                 PRIMARY KEY (organization_id, code))",
            )
            .await?;
        Ok(())
    }
}

/// Code rules kept in `test_codes`.
pub struct TableCodes;

fn grant_of(row: test_codes::Model) -> CodeGrant {
    CodeGrant {
        key: row.code.clone(),
        code: Some(row.code.clone()),
        label: format!("code {}", row.code),
        unlocks_ticket_types: Vec::new(),
        unlocks_categories: row.unlock_category.into_iter().collect(),
        unlocks_seats: row.seat_label.into_iter().collect(),
        discount: row.percent_bp.map(|bp| Discount {
            kind: DiscountKind::PercentBasisPoints(
                <u32 as TryFrom<i64>>::try_from(bp).unwrap_or(0),
            ),
            ticket_types: Vec::new(),
        }),
        max_tickets_per_order: row
            .per_order
            .and_then(|n| <u32 as TryFrom<i64>>::try_from(n).ok()),
        remaining: Some(row.quantity - row.used),
        counting: Counting::PerTicket,
    }
}

#[async_trait]
impl CodeRules for TableCodes {
    async fn lookup(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        context: &CodeContext,
        code: &str,
    ) -> Result<Option<CodeGrant>> {
        let found = test_codes::Entity::find_by_id((org.to_string(), code.to_string()))
            .one(txn)
            .await?;
        Ok(found
            .filter(|row| {
                row.event_id
                    .as_deref()
                    .is_none_or(|e| e == context.event_id.as_str())
            })
            .map(grant_of))
    }

    async fn automatic(
        &self,
        _txn: &DatabaseTransaction,
        _org: &OrgId,
        _context: &CodeContext,
    ) -> Result<Vec<CodeGrant>> {
        Ok(Vec::new())
    }

    async fn held_seats(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        event: &EventId,
        _production: &ProductionId,
    ) -> Result<Vec<String>> {
        Ok(test_codes::Entity::find()
            .filter(test_codes::Column::OrganizationId.eq(org.as_str()))
            .filter(test_codes::Column::SeatLabel.is_not_null())
            .all(txn)
            .await?
            .into_iter()
            .filter(|row| row.event_id.as_deref().is_none_or(|e| e == event.as_str()))
            .filter_map(|row| row.seat_label)
            .collect())
    }

    async fn take_uses(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        take: &UseTake,
    ) -> Result<bool> {
        use test_codes::Column;
        let result = test_codes::Entity::update_many()
            .col_expr(Column::Used, Expr::col(Column::Used).add(take.uses))
            .filter(Column::OrganizationId.eq(org.as_str()))
            .filter(Column::Code.eq(take.key.as_str()))
            .filter(
                Expr::expr(Expr::col(Column::Used).add(take.uses)).lte(Expr::col(Column::Quantity)),
            )
            .exec(txn)
            .await?;
        Ok(result.rows_affected == 1)
    }

    async fn give_back_uses(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        take: &UseTake,
    ) -> Result<()> {
        use test_codes::Column;
        test_codes::Entity::update_many()
            .col_expr(Column::Used, Expr::col(Column::Used).sub(take.uses))
            .filter(Column::OrganizationId.eq(org.as_str()))
            .filter(Column::Code.eq(take.key.as_str()))
            .filter(Column::Used.gte(take.uses))
            .exec(txn)
            .await?;
        Ok(())
    }
}

pub struct Fixture {
    pub test_db: TestDb,
    pub db: Db,
    pub org: OrgId,
    pub other_org: OrgId,
    pub clock: ManualClock,
    pub checkout: Checkout,
    pub stage: Stage,
}

/// What the tests sell.
pub struct Stage {
    pub event: EventId,
    pub second_event: EventId,
    /// 40 seats of category A, then 10 of category VIP (labels 1–50 in row A).
    pub seats: Vec<SeatId>,
    /// Public, seated, 300.00.
    pub seated: TicketTypeId,
    /// Hidden, seated, category VIP, 500.00.
    pub vip: TicketTypeId,
    /// Public, general admission in `Floor` (capacity 100), 200.00.
    pub standing: TicketTypeId,
    /// Public GA of the second event.
    pub second_standing: TicketTypeId,
    /// Public GA in `Field` (capacity 1,000,000), 100.00: room for throughput runs.
    pub field: TicketTypeId,
}

/// The setup of `both_backends!` for checkout tests.
pub async fn fixture(backend: Backend) -> Option<Fixture> {
    let mut migrations = fullhouse_core::module::migrations_with_core(&[
        &fullhouse_ticketing::Ticketing,
        &fullhouse_checkout::CheckoutModule::new(),
    ]);
    migrations.push(Box::new(TestCodesTable));
    let test_db = TestDb::new(backend, migrations).await?;
    let db = test_db.db.clone();
    let tenancy = TenancyService::new(db.clone());
    let mut orgs = Vec::new();
    for slug in ["theatre-a", "theatre-b"] {
        let org = tenancy
            .create_organization(NewOrganization {
                name: slug.to_string(),
                slug: slug.to_string(),
                default_language: "en".into(),
                timezone: "Europe/Copenhagen".into(),
                currency: "DKK".into(),
            })
            .await
            .expect("organization");
        orgs.push(org.id);
    }
    let other_org = orgs.pop().expect("two orgs");
    let org = orgs.pop().expect("two orgs");
    let stage = stage(&db, &org).await;
    let clock = ManualClock::starting_at(Utc::now());
    let checkout = Checkout::new(db.clone())
        .with_code_rules(Arc::new(TableCodes))
        .with_clock(Arc::new(clock.clone()))
        .with_hold(Duration::minutes(15));
    Some(Fixture {
        test_db,
        db,
        org,
        other_org,
        clock,
        checkout,
        stage,
    })
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("test input")
}

async fn stage(db: &Db, org: &OrgId) -> Stage {
    let venues = VenueService::new(db.clone());
    let catalog = CatalogService::new(db.clone());
    let venue = venues
        .create_venue(org, from_json(json!({"name": "Main hall"})))
        .await
        .expect("venue");
    let seats: Vec<serde_json::Value> = (1..=50)
        .map(|n| json!({"label": n.to_string(), "category": if n <= 40 { "A" } else { "VIP" }}))
        .collect();
    let map = venues
        .replace_seat_map(
            org,
            &venue.id,
            from_json(json!({
                "sections": [{"name": "Parterre", "groups": [{"name": "Centre", "rows": [{"name": "A", "seats": seats}]}]}],
                "ga_areas": [{"name": "Floor", "capacity": 100}, {"name": "Field", "capacity": 1000000}]
            })),
        )
        .await
        .expect("seat map");
    let seat_ids: Vec<SeatId> = map
        .sections
        .iter()
        .flat_map(|s| s.groups.iter())
        .flat_map(|g| g.rows.iter())
        .flat_map(|r| r.seats.iter())
        .map(|s| s.id.clone())
        .collect();
    let area = |name: &str| {
        map.ga_areas
            .iter()
            .find(|a| a.name == name)
            .expect("area")
            .id
            .clone()
    };
    let (floor, field) = (area("Floor"), area("Field"));
    let production = catalog
        .create_production(org, from_json(json!({"name": "Hamlet"})))
        .await
        .expect("production");
    let mut events = Vec::new();
    for day in 1..=2 {
        let event = catalog
            .create_event(
                org,
                from_json(json!({"production_id": production.id, "venue_id": venue.id,
                    "starts_at": format!("2031-01-0{day}T19:30:00Z")})),
            )
            .await
            .expect("event");
        events.push(event.id);
    }
    let (event, second_event) = (events[0].clone(), events[1].clone());
    let ticket_type = |event: EventId, body: serde_json::Value| {
        let catalog = catalog.clone();
        async move {
            catalog
                .create_ticket_type(org, &event, from_json(body))
                .await
                .expect("ticket type")
                .id
        }
    };
    let seated = ticket_type(
        event.clone(),
        json!({"name": "Seated", "category": "A", "price_minor": 30000}),
    )
    .await;
    let vip = ticket_type(
        event.clone(),
        json!({"name": "VIP", "category": "VIP", "price_minor": 50000, "hidden": true}),
    )
    .await;
    let standing = ticket_type(
        event.clone(),
        json!({"name": "Standing", "price_minor": 20000, "ga_area_id": floor}),
    )
    .await;
    let field = ticket_type(
        event.clone(),
        json!({"name": "Field", "price_minor": 10000, "ga_area_id": field}),
    )
    .await;
    let second_standing = ticket_type(
        second_event.clone(),
        json!({"name": "Standing", "price_minor": 20000, "ga_area_id": floor}),
    )
    .await;
    Stage {
        event,
        second_event,
        seats: seat_ids,
        seated,
        vip,
        standing,
        second_standing,
        field,
    }
}

impl Fixture {
    /// Adds a code to the test rules.
    pub async fn add_code(
        &self,
        code: &str,
        event: Option<&EventId>,
        quantity: i64,
        extra: CodeExtra,
    ) {
        test_codes::Entity::insert(test_codes::ActiveModel {
            organization_id: Set(self.org.to_string()),
            code: Set(code.to_string()),
            event_id: Set(event.map(|e| e.to_string())),
            quantity: Set(quantity),
            used: Set(0),
            unlock_category: Set(extra.unlock_category),
            seat_label: Set(extra.seat_label),
            percent_bp: Set(extra.percent_bp),
            per_order: Set(extra.per_order),
        })
        .exec_without_returning(self.db.writer())
        .await
        .expect("code");
    }

    pub async fn used(&self, code: &str) -> i64 {
        test_codes::Entity::find_by_id((self.org.to_string(), code.to_string()))
            .one(self.db.reader())
            .await
            .expect("read")
            .map_or(-1, |row| row.used)
    }

    pub async fn finish(self) {
        self.test_db.finish().await;
    }
}

#[derive(Default)]
pub struct CodeExtra {
    pub unlock_category: Option<String>,
    pub seat_label: Option<String>,
    pub percent_bp: Option<i64>,
    pub per_order: Option<i64>,
}
