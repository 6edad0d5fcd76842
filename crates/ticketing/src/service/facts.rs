//! Bulk reads of the facts other modules index (the segment index): customers with the fields
//! filters read, their tags and granted permissions, their sales (valid tickets of paid orders)
//! and the catalog those sales point at. Read-only; pages by key so millions of rows stream in
//! bounded memory.

use chrono::{DateTime, NaiveDate, Utc};
use fullhouse_core::{Db, OrgId, Result};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::model::orders::OrderStatus;
use crate::store::{
    customer_permissions, customer_tags, customers, events, orders, ticket_types, tickets, venues,
};

/// What the segment filters read of a customer.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct CustomerFacts {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub subscriber: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A tag or a granted permission of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerKey {
    pub customer_id: String,
    pub key: String,
}

/// One valid ticket of a placed order, with what its order says.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleFacts {
    pub ticket_id: String,
    pub customer_id: String,
    pub order_id: String,
    pub ticket_type_id: String,
    pub event_id: String,
    pub price_minor: i64,
    pub ordered_at: DateTime<Utc>,
    pub channel: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VenueFacts {
    pub id: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: String,
    pub production_id: String,
    pub venue_id: String,
    pub starts_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TicketTypeRow {
    pub id: String,
    pub event_id: String,
    pub category: Option<String>,
}

/// Venues, events and ticket types of an organization: small next to its customers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CatalogFacts {
    pub venues: Vec<VenueFacts>,
    pub events: Vec<EventRow>,
    pub ticket_types: Vec<TicketTypeRow>,
}

/// Bulk reads for indexes; one read pool, no transactions.
#[derive(Clone)]
pub struct FactsService {
    db: Db,
}

impl FactsService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Customers ordered by id, after `after`, at most `limit`.
    pub async fn customers_page(
        &self,
        org: &OrgId,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<CustomerFacts>> {
        let mut select = customer_columns()
            .filter(customers::Column::OrganizationId.eq(org.as_str()))
            .order_by_asc(customers::Column::Id)
            .limit(limit);
        if let Some(after) = after {
            select = select.filter(customers::Column::Id.gt(after));
        }
        Ok(select
            .into_model::<CustomerFacts>()
            .all(self.db.reader())
            .await?)
    }

    /// Whole customer records with ids from `from` through `through` (both included), ordered
    /// by id, at most `limit`: an export's keyset page, started at its next member so a small
    /// segment of a large organization skips the customers between its members.
    pub async fn customer_records_page(
        &self,
        org: &OrgId,
        from: &str,
        through: &str,
        limit: u64,
    ) -> Result<Vec<customers::Model>> {
        Ok(customers::Entity::find()
            .filter(customers::Column::OrganizationId.eq(org.as_str()))
            .filter(customers::Column::Id.gte(from))
            .filter(customers::Column::Id.lte(through))
            .order_by_asc(customers::Column::Id)
            .limit(limit)
            .all(self.db.reader())
            .await?)
    }

    /// The customers among `ids` that exist.
    pub async fn customers_in(&self, org: &OrgId, ids: &[String]) -> Result<Vec<CustomerFacts>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(ID_CHUNK) {
            found.extend(
                customer_columns()
                    .filter(customers::Column::OrganizationId.eq(org.as_str()))
                    .filter(customers::Column::Id.is_in(chunk.iter().cloned()))
                    .into_model::<CustomerFacts>()
                    .all(self.db.reader())
                    .await?,
            );
        }
        Ok(found)
    }

    /// The tags of the customers among `ids`.
    pub async fn tags_of(&self, org: &OrgId, ids: &[String]) -> Result<Vec<CustomerKey>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(ID_CHUNK) {
            let rows = customer_tags::Entity::find()
                .filter(customer_tags::Column::OrganizationId.eq(org.as_str()))
                .filter(customer_tags::Column::CustomerId.is_in(chunk.iter().cloned()))
                .all(self.db.reader())
                .await?;
            found.extend(rows.into_iter().map(|r| CustomerKey {
                customer_id: r.customer_id,
                key: r.tag,
            }));
        }
        Ok(found)
    }

    /// The permissions granted (not withdrawn) by the customers among `ids`.
    pub async fn granted_permissions_of(
        &self,
        org: &OrgId,
        ids: &[String],
    ) -> Result<Vec<CustomerKey>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(ID_CHUNK) {
            let rows = customer_permissions::Entity::find()
                .filter(customer_permissions::Column::OrganizationId.eq(org.as_str()))
                .filter(customer_permissions::Column::CustomerId.is_in(chunk.iter().cloned()))
                .filter(customer_permissions::Column::Granted.eq(true))
                .all(self.db.reader())
                .await?;
            found.extend(rows.into_iter().map(|r| CustomerKey {
                customer_id: r.customer_id,
                key: r.permission,
            }));
        }
        Ok(found)
    }

    /// Sales ordered by ticket id, after `after`, at most `limit`.
    pub async fn sales_page(
        &self,
        org: &OrgId,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<SaleFacts>> {
        let mut query = sales_query(org);
        if let Some(after) = after {
            query.and_where(Expr::col((tickets::Entity, tickets::Column::Id)).gt(after));
        }
        query
            .order_by((tickets::Entity, tickets::Column::Id), sea_orm::Order::Asc)
            .limit(limit);
        self.read_sales(query).await
    }

    /// Every sale of the customers among `ids`.
    pub async fn sales_of(&self, org: &OrgId, ids: &[String]) -> Result<Vec<SaleFacts>> {
        let mut found = Vec::new();
        for chunk in ids.chunks(ID_CHUNK) {
            let mut query = sales_query(org);
            query.and_where(
                Expr::col((tickets::Entity, tickets::Column::CustomerId))
                    .is_in(chunk.iter().cloned()),
            );
            found.extend(self.read_sales(query).await?);
        }
        Ok(found)
    }

    async fn read_sales(
        &self,
        query: sea_orm::sea_query::SelectStatement,
    ) -> Result<Vec<SaleFacts>> {
        let conn = self.db.reader();
        let rows = conn
            .query_all(conn.get_database_backend().build(&query))
            .await?;
        let mut sales = Vec::with_capacity(rows.len());
        for row in rows {
            sales.push(SaleFacts {
                ticket_id: row.try_get("", "ticket_id")?,
                customer_id: row.try_get("", "customer_id")?,
                order_id: row.try_get("", "order_id")?,
                ticket_type_id: row.try_get("", "ticket_type_id")?,
                event_id: row.try_get("", "event_id")?,
                price_minor: row.try_get("", "price_minor")?,
                ordered_at: row.try_get("", "ordered_at")?,
                channel: row.try_get("", "channel")?,
            });
        }
        Ok(sales)
    }

    /// Every venue, event and ticket type of the organization.
    pub async fn catalog(&self, org: &OrgId) -> Result<CatalogFacts> {
        let conn = self.db.reader();
        let venues = venues::Entity::find()
            .filter(venues::Column::OrganizationId.eq(org.as_str()))
            .all(conn)
            .await?
            .into_iter()
            .map(|v| VenueFacts {
                id: v.id,
                latitude: v.latitude,
                longitude: v.longitude,
            })
            .collect();
        let events = events::Entity::find()
            .filter(events::Column::OrganizationId.eq(org.as_str()))
            .all(conn)
            .await?
            .into_iter()
            .map(|e| EventRow {
                id: e.id,
                production_id: e.production_id,
                venue_id: e.venue_id,
                starts_at: e.starts_at,
            })
            .collect();
        let ticket_types = ticket_types::Entity::find()
            .filter(ticket_types::Column::OrganizationId.eq(org.as_str()))
            .all(conn)
            .await?
            .into_iter()
            .map(|t| TicketTypeRow {
                id: t.id,
                event_id: t.event_id,
                category: t.category,
            })
            .collect();
        Ok(CatalogFacts {
            venues,
            events,
            ticket_types,
        })
    }
}

/// Ids per `IN (…)` list: far below SQLite's bound-parameter limit.
const ID_CHUNK: usize = 5_000;

fn customer_columns() -> sea_orm::Select<customers::Entity> {
    customers::Entity::find().select_only().columns([
        customers::Column::Id,
        customers::Column::FirstName,
        customers::Column::LastName,
        customers::Column::Email,
        customers::Column::Title,
        customers::Column::Gender,
        customers::Column::BirthDate,
        customers::Column::Subscriber,
        customers::Column::Latitude,
        customers::Column::Longitude,
    ])
}

/// Valid tickets of paid orders that name a customer, with their order's time and channel. A
/// purchase is a paid order: one awaiting payment holds its seats but is not bought yet (the
/// segment index reads the customer again on `order.paid`).
fn sales_query(org: &OrgId) -> sea_orm::sea_query::SelectStatement {
    let t = tickets::Entity;
    let o = orders::Entity;
    Query::select()
        .expr_as(Expr::col((t, tickets::Column::Id)), Alias::new("ticket_id"))
        .expr_as(
            Expr::col((t, tickets::Column::CustomerId)),
            Alias::new("customer_id"),
        )
        .expr_as(
            Expr::col((t, tickets::Column::OrderId)),
            Alias::new("order_id"),
        )
        .expr_as(
            Expr::col((t, tickets::Column::TicketTypeId)),
            Alias::new("ticket_type_id"),
        )
        .expr_as(
            Expr::col((t, tickets::Column::EventId)),
            Alias::new("event_id"),
        )
        .expr_as(
            Expr::col((t, tickets::Column::PriceMinor)),
            Alias::new("price_minor"),
        )
        .expr_as(
            Expr::col((o, orders::Column::CreatedAt)),
            Alias::new("ordered_at"),
        )
        .expr_as(
            Expr::col((o, orders::Column::Channel)),
            Alias::new("channel"),
        )
        .from(t)
        .inner_join(
            o,
            Expr::col((o, orders::Column::OrganizationId))
                .equals((t, tickets::Column::OrganizationId))
                .and(Expr::col((o, orders::Column::Id)).equals((t, tickets::Column::OrderId))),
        )
        .and_where(Expr::col((t, tickets::Column::OrganizationId)).eq(org.as_str()))
        .and_where(Expr::col((t, tickets::Column::Status)).eq("valid"))
        .and_where(Expr::col((t, tickets::Column::CustomerId)).is_not_null())
        .and_where(Expr::col((o, orders::Column::Status)).eq(OrderStatus::Paid.as_str()))
        .to_owned()
}
