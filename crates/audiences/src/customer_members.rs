//! Audiences whose members are customers, kept in step with a list of them: the audience a
//! segment view makes for a loyalty campaign (seed 002 → seed 000/001, without a file between).
//!
//! One member per customer, bound to them (`customer_id`), its code the customer id: a loyalty
//! campaign finds the member by the signed-in buyer, never by a typed code, and a customer id is
//! unique in the organization, so it is a code no other member has.
//!
//! **The rule of a refresh** ([`AudienceService::sync_customers`]): customers new to the list
//! become members with the given quantity; members whose customer left the list are removed —
//! unless a campaign has used their code, in which case they stay (removing them would lose the
//! record of what they bought with it, and give the uses back). Members already there keep their
//! quantity and their uses. A refresh of an unchanged list changes nothing.

use std::collections::HashSet;

use chrono::Utc;
use fullhouse_core::ids::OrgId;
use fullhouse_core::{Error, Result};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::campaigns::store::campaign_code_uses as code_uses;
use crate::model::*;
use crate::service::{find_audience, insert_audience, AudienceService};
use crate::store::{self, audience_members as members, MemberRow};

/// What a refresh changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomerSync {
    /// Customers who became members.
    pub added: u64,
    /// Members removed because their customer left the list.
    pub removed: u64,
    /// Members whose customer left the list but whose code a campaign has used: kept.
    pub kept_used: u64,
    /// Members after the refresh.
    pub members: u64,
}

/// Member ids deleted per statement (bound parameters stay far below every backend's limit).
const DELETE_CHUNK: usize = 500;

impl AudienceService {
    /// A new, empty audience that [`AudienceService::sync_customers`] fills.
    pub async fn create_for_customers(&self, org: &OrgId, new: NewAudience) -> Result<Audience> {
        let txn = self.db().begin_write().await?;
        let id = insert_audience(&txn, self.db(), org, new, AudienceSource::Segment).await?;
        txn.commit().await?;
        self.get(org, &id).await
    }

    /// Makes the audience's customer members the customers of `customers` (customer ids), by
    /// the rule in the module's documentation, in one transaction: a refresh that fails changes
    /// nothing. Only audiences made from a segment view can be refreshed.
    pub async fn sync_customers(
        &self,
        org: &OrgId,
        audience: &AudienceId,
        customers: &[String],
        quantity: i64,
    ) -> Result<CustomerSync> {
        let quantity = check_quantity(quantity).map_err(|r| Error::invalid("quantity", r))?;
        let txn = self.db().begin_write().await?;
        let found = find_audience(&txn, org, audience).await?;
        if AudienceSource::parse(&found.source) != AudienceSource::Segment {
            return Err(Error::conflict(
                "audience",
                "only an audience made from a segment view follows the view",
            ));
        }
        let existing: Vec<(String, Option<String>)> = members::Entity::find()
            .select_only()
            .column(members::Column::Id)
            .column(members::Column::CustomerId)
            .filter(members::Column::OrganizationId.eq(org.as_str()))
            .filter(members::Column::AudienceId.eq(audience.as_str()))
            .into_tuple()
            .all(&txn)
            .await?;
        let wanted: HashSet<&str> = customers.iter().map(String::as_str).collect();
        let present: HashSet<&str> = existing
            .iter()
            .filter_map(|(_, customer)| customer.as_deref())
            .collect();
        let leaving: Vec<String> = existing
            .iter()
            .filter(|(_, customer)| customer.as_deref().is_none_or(|c| !wanted.contains(c)))
            .map(|(id, _)| id.clone())
            .collect();
        let used = used_members(&txn, org, &leaving).await?;
        let removed: Vec<&String> = leaving.iter().filter(|id| !used.contains(*id)).collect();
        for chunk in removed.chunks(DELETE_CHUNK) {
            members::Entity::delete_many()
                .filter(members::Column::OrganizationId.eq(org.as_str()))
                .filter(members::Column::Id.is_in(chunk.iter().map(|id| id.as_str())))
                .exec(&txn)
                .await?;
        }
        let mut seen = HashSet::new();
        let rows: Vec<MemberRow> = customers
            .iter()
            .filter(|c| !present.contains(c.as_str()) && seen.insert(c.as_str()))
            .map(|customer| MemberRow {
                id: MemberId::generate().to_string(),
                code_key: code_key(customer),
                code: customer.clone(),
                quantity,
                category: None,
                seat_label: None,
                customer_id: Some(customer.clone()),
            })
            .collect();
        let sql = store::insert_members_sql(txn.get_database_backend(), store::ROWS_PER_INSERT);
        store::insert_members(
            &txn,
            org.as_str(),
            audience.as_str(),
            &rows,
            &sql,
            Utc::now(),
        )
        .await?;
        crate::service::touch(&txn, org, audience).await?;
        txn.commit().await?;
        let members = (existing.len() - removed.len() + rows.len()) as u64;
        Ok(CustomerSync {
            added: rows.len() as u64,
            removed: removed.len() as u64,
            kept_used: used.len() as u64,
            members,
        })
    }
}

/// Of `ids`, the members whose code a campaign has counted a use of.
async fn used_members(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    ids: &[String],
) -> Result<HashSet<String>> {
    let mut used = HashSet::new();
    for chunk in ids.chunks(DELETE_CHUNK) {
        let rows: Vec<String> = code_uses::Entity::find()
            .select_only()
            .column(code_uses::Column::MemberId)
            .filter(code_uses::Column::OrganizationId.eq(org.as_str()))
            .filter(code_uses::Column::MemberId.is_in(chunk.iter().map(String::as_str)))
            .filter(code_uses::Column::Used.gt(0))
            .into_tuple()
            .all(conn)
            .await?;
        used.extend(rows);
    }
    Ok(used)
}
