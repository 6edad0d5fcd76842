//! The ticketing tables. Every table leads with `organization_id` (DESIGN §2.2a).

use fullhouse_core::schema::*;
use sea_orm_migration::prelude::*;

/// Ticketing's own migrations (core's come first, from the platform module).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(M0001Ticketing),
        Box::new(M0002GaSales),
        Box::new(M0003BuyerEmails),
        Box::new(M0004PaidOrders),
        Box::new(M0005ShopOpen),
        Box::new(M0006OrderReferralCode),
    ]
}

struct M0005ShopOpen;

impl MigrationName for M0005ShopOpen {
    fn name(&self) -> &str {
        "ticketing_0005_shop_open"
    }
}

/// Shops open and close (a closed secret shop's page is not found); every existing shop stays
/// open, as it was.
#[async_trait::async_trait]
impl MigrationTrait for M0005ShopOpen {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("shops"))
                    .add_column(boolean("open", true))
                    .to_owned(),
            )
            .await
    }
}

struct M0006OrderReferralCode;

impl MigrationName for M0006OrderReferralCode {
    fn name(&self) -> &str {
        "ticketing_0006_order_referral_code"
    }
}

/// An order remembers the referral code it was placed through (a tracking link's cookie, or an
/// external platform's field), so attribution needs no cookie once the order exists (DESIGN §4).
#[async_trait::async_trait]
impl MigrationTrait for M0006OrderReferralCode {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(name("orders"))
                    .add_column(text_null("referral_code"))
                    .to_owned(),
            )
            .await
    }
}

struct M0001Ticketing;

impl MigrationName for M0001Ticketing {
    fn name(&self) -> &str {
        "ticketing_0001_facts"
    }
}

/// A table keyed by `(organization_id, <columns>)` rather than by its own id.
fn keyed_table(table: &str, key: &[&str]) -> TableCreateStatement {
    let mut create = Table::create();
    create.table(name(table)).col(
        ColumnDef::new(name("organization_id"))
            .string_len(40)
            .not_null(),
    );
    let mut primary = Index::create();
    primary.col(name("organization_id"));
    for column in key {
        primary.col(name(column));
    }
    create.primary_key(&mut primary);
    create
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Ticketing {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let venues = tenant_table("venues")
            .col(text("name"))
            .col(text_null("address_line"))
            .col(text_null("postal_code"))
            .col(text_null("city"))
            .col(text_null("country"))
            .col(float_null("latitude"))
            .col(float_null("longitude"))
            .col(text("timezone"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let venue_seats = tenant_table("venue_seats")
            .col(id_ref("venue_id"))
            .col(text("section_name"))
            .col(text("group_name"))
            .col(text("row_name"))
            .col(text("seat_label"))
            .col(text_null("category"))
            .col(int_default("sort_order", 0))
            .to_owned();
        let venue_ga_areas = tenant_table("venue_ga_areas")
            .col(id_ref("venue_id"))
            .col(text("name"))
            .col(int("capacity"))
            .col(text_null("category"))
            .to_owned();
        let productions = tenant_table("productions")
            .col(text("name"))
            .col(text_null("description"))
            .col(text_null("genre"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let events = tenant_table("events")
            .col(id_ref("production_id"))
            .col(id_ref("venue_id"))
            .col(text_null("name"))
            .col(timestamp("starts_at"))
            .col(timestamp_null("ends_at"))
            .col(text("status"))
            .col(timestamp_null("sales_start"))
            .col(timestamp_null("sales_end"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let shops = tenant_table("shops")
            .col(text("name"))
            .col(text("kind"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let ticket_types = tenant_table("ticket_types")
            .col(id_ref("event_id"))
            .col(id_ref_null("shop_id"))
            .col(text("name"))
            .col(text_null("category"))
            .col(int("price_minor"))
            .col(text("currency"))
            .col(int_null("capacity"))
            .col(int_default("sold", 0))
            .col(boolean("hidden", false))
            .col(id_ref_null("ga_area_id"))
            .col(timestamp_null("sales_start"))
            .col(timestamp_null("sales_end"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let customers = tenant_table("customers")
            .col(text_null("external_id"))
            .col(text_null("first_name"))
            .col(text_null("last_name"))
            .col(text_null("email"))
            .col(text_null("phone"))
            .col(text_null("company"))
            .col(text_null("title"))
            .col(text_null("gender"))
            .col(date_null("birth_date"))
            .col(text_null("address_line"))
            .col(text_null("postal_code"))
            .col(text_null("city"))
            .col(text_null("country"))
            .col(float_null("latitude"))
            .col(float_null("longitude"))
            .col(text_null("language"))
            .col(boolean("subscriber", false))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .to_owned();
        let customer_permissions =
            keyed_table("customer_permissions", &["customer_id", "permission"])
                .col(id_ref("customer_id"))
                .col(ColumnDef::new(name("permission")).string_len(80).not_null())
                .col(boolean("granted", false))
                .col(timestamp("changed_at"))
                .col(text("source"))
                .to_owned();
        let customer_tags = keyed_table("customer_tags", &["customer_id", "tag"])
            .col(id_ref("customer_id"))
            .col(ColumnDef::new(name("tag")).string_len(80).not_null())
            .col(timestamp("created_at"))
            .to_owned();
        let orders = tenant_table("orders")
            .col(text_null("external_id"))
            .col(id_ref_null("customer_id"))
            .col(text("channel"))
            .col(text("status"))
            .col(int("total_minor"))
            .col(text("currency"))
            .col(text("source"))
            .col(timestamp("created_at"))
            .col(timestamp("updated_at"))
            .col(timestamp_null("cancelled_at"))
            .to_owned();
        let tickets = tenant_table("tickets")
            .col(id_ref("order_id"))
            .col(id_ref("event_id"))
            .col(id_ref("ticket_type_id"))
            .col(id_ref_null("customer_id"))
            .col(id_ref_null("seat_id"))
            .col(id_ref_null("ga_area_id"))
            .col(int("price_minor"))
            .col(text("currency"))
            .col(text("barcode"))
            .col(text("delivery_type"))
            .col(text("status"))
            .col(timestamp("created_at"))
            .to_owned();
        create_all(
            manager,
            vec![
                venues,
                venue_seats,
                venue_ga_areas,
                productions,
                events,
                shops,
                ticket_types,
                customers,
                customer_permissions,
                customer_tags,
                orders,
                tickets,
            ],
            vec![
                unique(
                    "venue_seats",
                    &[
                        "organization_id",
                        "venue_id",
                        "section_name",
                        "group_name",
                        "row_name",
                        "seat_label",
                    ],
                ),
                unique("venue_ga_areas", &["organization_id", "venue_id", "name"]),
                index("events", &["organization_id", "starts_at"]),
                index("events", &["organization_id", "production_id"]),
                index("ticket_types", &["organization_id", "event_id"]),
                unique("customers", &["organization_id", "external_id"]),
                index("customers", &["organization_id", "email"]),
                index("customer_tags", &["organization_id", "tag"]),
                unique("orders", &["organization_id", "external_id"]),
                index("orders", &["organization_id", "customer_id"]),
                index("orders", &["organization_id", "created_at"]),
                unique("tickets", &["organization_id", "barcode"]),
                index("tickets", &["organization_id", "order_id"]),
                index("tickets", &["organization_id", "event_id"]),
                index("tickets", &["organization_id", "customer_id"]),
            ],
        )
        .await?;
        // A seat is sold at most once per event: the database enforces it, whatever the race.
        // Partial indexes are the same SQL on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_tickets_seat_per_event ON tickets (organization_id, event_id, seat_id) \
                 WHERE status = 'valid' AND seat_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }
}

struct M0002GaSales;

impl MigrationName for M0002GaSales {
    fn name(&self) -> &str {
        "ticketing_0002_event_ga_sales"
    }
}

/// Places sold per general-admission area and event. A GA area's capacity belongs to the venue
/// and is shared by every ticket type that sells it, so each event needs a counter of its own
/// that orders take with one conditional update.
#[async_trait::async_trait]
impl MigrationTrait for M0002GaSales {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sales = keyed_table("event_ga_sales", &["event_id", "ga_area_id"])
            .col(id_ref("event_id"))
            .col(id_ref("ga_area_id"))
            .col(int_default("sold", 0))
            .to_owned();
        create_all(manager, vec![sales], Vec::new()).await
    }
}

struct M0003BuyerEmails;

impl MigrationName for M0003BuyerEmails {
    fn name(&self) -> &str {
        "ticketing_0003_buyer_emails"
    }
}

/// Storefront buyers are matched to customers by email, case-insensitively (imports keep the
/// case they were given): an index on `lower(email)` answers that without reading every
/// customer of the organization. Both backends index expressions with the same text.
#[async_trait::async_trait]
impl MigrationTrait for M0003BuyerEmails {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_customers_organization_id_lower_email \
                 ON customers (organization_id, lower(email))",
            )
            .await?;
        Ok(())
    }
}

struct M0004PaidOrders;

impl MigrationName for M0004PaidOrders {
    fn name(&self) -> &str {
        "ticketing_0004_paid_orders"
    }
}

/// Orders get the states an organizer can read (`OrderStatus`): what was `placed` is `paid`,
/// because every way into ticketing (its API, imports, webhooks, the box office) recorded sales
/// that were paid. Checkout's held and expired orders take checkout's state in checkout_0005,
/// which knows them.
#[async_trait::async_trait]
impl MigrationTrait for M0004PaidOrders {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("UPDATE orders SET status = 'paid' WHERE status = 'placed'")
            .await?;
        Ok(())
    }
}
