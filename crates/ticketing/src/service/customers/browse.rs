//! The organizer's customer list: sorted by a column (name, email, city, or when they were
//! added), a page at a time in either direction, with how many customers match.

use fullhouse_core::{OrgId, Result};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use super::{load, search, CustomerService};
use crate::model::customers::{key, Customer, CustomerQuery, CustomerSort};
use crate::service::listing::{fetch_listing, Key, Listing, SortKey, Window};
use crate::store::{customer_tags, customers};

impl CustomerService {
    /// The customers of `query` (its search and tag; its cursor and limit are the page's)
    /// sorted by `sort`, one page from the query's cursor with the previous page's cursor and
    /// how many customers match in all: the organizer's list.
    pub async fn browse(
        &self,
        org: &OrgId,
        query: &CustomerQuery,
        sort: CustomerSort,
        descending: bool,
    ) -> Result<Listing<Customer>> {
        let select = matching(org, query)?;
        let sort_key = match sort {
            CustomerSort::Added => SortKey::plain_text(customers::Column::Id, descending),
            CustomerSort::Name => SortKey::text(customers::Column::LastName, descending),
            CustomerSort::Email => SortKey::text(customers::Column::Email, descending),
            CustomerSort::City => SortKey::text(customers::Column::City, descending),
        };
        let text = |value: &Option<String>| Key::Text(value.clone().unwrap_or_default());
        let listing = fetch_listing(
            self.db.reader(),
            select,
            customers::Column::Id,
            &sort_key,
            Window {
                cursor: query.cursor.as_deref(),
                limit: query.page().limit()?,
                count: true,
            },
            |m| {
                let key = match sort {
                    CustomerSort::Added => Key::Text(m.id.clone()),
                    CustomerSort::Name => text(&m.last_name),
                    CustomerSort::Email => text(&m.email),
                    CustomerSort::City => text(&m.city),
                };
                (key, m.id.clone())
            },
        )
        .await?;
        let items = load(self.db.reader(), org, listing.items).await?;
        Ok(Listing {
            items,
            total: listing.total,
            next_cursor: listing.next_cursor,
            prev_cursor: listing.prev_cursor,
        })
    }
}

/// The customers of the organization that the query's search and tag keep, unordered.
pub(super) fn matching(org: &OrgId, query: &CustomerQuery) -> Result<Select<customers::Entity>> {
    let mut select =
        customers::Entity::find().filter(customers::Column::OrganizationId.eq(org.as_str()));
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(search(q)?);
    }
    if let Some(tag) = query.tag.as_deref().filter(|t| !t.trim().is_empty()) {
        let tag = key("tag", tag)?;
        let tagged = Query::select()
            .column(customer_tags::Column::CustomerId)
            .from(customer_tags::Entity)
            .and_where(customer_tags::Column::OrganizationId.eq(org.as_str()))
            .and_where(customer_tags::Column::Tag.eq(tag))
            .to_owned();
        select = select.filter(customers::Column::Id.in_subquery(tagged));
    }
    Ok(select)
}
