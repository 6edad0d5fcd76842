//! One tag added to, or removed from, many customers in the caller's transaction: the segments'
//! bulk tag writes its own record of whom it tagged in the same transaction, so the record and
//! the tags can never disagree. Like the one-customer functions, every customer whose tags
//! change is touched and gets a `customer.changed` event (the segment index follows from it);
//! customers whose tags do not change get neither.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use fullhouse_core::{OrgId, Result};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use super::{add_tags, record_change, IN_CHUNK};
use crate::model::customers::key;
use crate::model::ids::CustomerId;
use crate::outbox::CustomerChange;
use crate::service::CustomerService;
use crate::store::{customer_tags, customers};

impl CustomerService {
    /// Adds `tag` to those of `ids` (customer ids) that exist and lack it; returns the ones it
    /// was added to, in the order given. A customer who already had the tag is left out of the
    /// answer, so undoing removes only what this call added.
    pub async fn add_tag_to_many(
        txn: &DatabaseTransaction,
        org: &OrgId,
        ids: &[String],
        tag: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let tag = key("tag", tag)?;
        let existing = existing(txn, org, ids).await?;
        let had = tagged(txn, org, ids, &tag).await?;
        let lacking: Vec<String> = unique(ids)
            .filter(|id| existing.contains(*id) && !had.contains(*id))
            .cloned()
            .collect();
        let pairs = lacking.iter().map(|id| (id.clone(), tag.clone())).collect();
        add_tags(txn, org, pairs, now).await?;
        changed(txn, org, &lacking, now).await?;
        Ok(lacking)
    }

    /// Removes `tag` from those of `ids` that have it; returns the ones it was removed from.
    pub async fn remove_tag_from_many(
        txn: &DatabaseTransaction,
        org: &OrgId,
        ids: &[String],
        tag: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let tag = key("tag", tag)?;
        let had = tagged(txn, org, ids, &tag).await?;
        let having: Vec<String> = unique(ids)
            .filter(|id| had.contains(*id))
            .cloned()
            .collect();
        for chunk in having.chunks(IN_CHUNK) {
            customer_tags::Entity::delete_many()
                .filter(customer_tags::Column::OrganizationId.eq(org.as_str()))
                .filter(customer_tags::Column::Tag.eq(tag.as_str()))
                .filter(customer_tags::Column::CustomerId.is_in(chunk.iter().map(String::as_str)))
                .exec(txn)
                .await?;
        }
        changed(txn, org, &having, now).await?;
        Ok(having)
    }
}

/// Each id once, first place kept.
fn unique(ids: &[String]) -> impl Iterator<Item = &String> {
    let mut seen = HashSet::new();
    ids.iter().filter(move |id| seen.insert(id.as_str()))
}

/// Which of `ids` are customers of the organization (an erased one has left meanwhile).
async fn existing(
    txn: &DatabaseTransaction,
    org: &OrgId,
    ids: &[String],
) -> Result<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let rows: Vec<String> = customers::Entity::find()
            .select_only()
            .column(customers::Column::Id)
            .filter(customers::Column::OrganizationId.eq(org.as_str()))
            .filter(customers::Column::Id.is_in(chunk.iter().map(String::as_str)))
            .into_tuple()
            .all(txn)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Which of `ids` have `tag`.
async fn tagged(
    txn: &DatabaseTransaction,
    org: &OrgId,
    ids: &[String],
    tag: &str,
) -> Result<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let rows: Vec<String> = customer_tags::Entity::find()
            .select_only()
            .column(customer_tags::Column::CustomerId)
            .filter(customer_tags::Column::OrganizationId.eq(org.as_str()))
            .filter(customer_tags::Column::Tag.eq(tag))
            .filter(customer_tags::Column::CustomerId.is_in(chunk.iter().map(String::as_str)))
            .into_tuple()
            .all(txn)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Touches the customers whose tags changed and records their `customer.changed` events.
async fn changed(
    txn: &DatabaseTransaction,
    org: &OrgId,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in ids.chunks(IN_CHUNK) {
        customers::Entity::update_many()
            .col_expr(
                customers::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(customers::Column::OrganizationId.eq(org.as_str()))
            .filter(customers::Column::Id.is_in(chunk.iter().map(String::as_str)))
            .exec(txn)
            .await?;
    }
    for id in ids {
        let id = CustomerId::parse(id)?;
        record_change(txn, org, &id, CustomerChange::Updated).await?;
    }
    Ok(())
}
