//! Operations on the ticketing facts: one transaction each, the organization first.

pub mod catalog;
pub mod consent;
pub mod customers;
pub mod facts;
pub mod figures;
pub mod listing;
pub mod orders;
pub mod references;
pub mod sale_facts;
pub mod venues;

use fullhouse_core::http::{Page, PageParams};
use fullhouse_core::Result;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

pub use catalog::CatalogService;
pub use customers::CustomerService;
pub use figures::FiguresService;
pub use listing::Listing;
pub use orders::OrderService;
pub use venues::VenueService;

/// Fetches one page of `select`, ordered by id (ids sort by creation time), after the cursor.
pub(crate) async fn fetch_page<E, C>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
    id_column: C,
    params: &PageParams,
    id_of: impl Fn(&E::Model) -> String,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let limit = params.limit()?;
    let mut select = select;
    if let Some(after) = params.after() {
        select = select.filter(id_column.gt(after));
    }
    let rows = select
        .order_by_asc(id_column)
        .limit(limit + 1)
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, limit, id_of))
}

/// Maps a unique-constraint violation to a conflict on `field`; other errors pass through.
pub(crate) fn conflict_on(
    field: &'static str,
    message: String,
) -> impl FnOnce(sea_orm::DbErr) -> fullhouse_core::Error {
    move |err| {
        if fullhouse_core::error::is_unique_violation(&err) {
            fullhouse_core::Error::conflict(field, message)
        } else {
            err.into()
        }
    }
}
