//! Operations on campaigns: create, change, pause, delete, and the redemption report.

use chrono::Utc;
use fullhouse_core::http::{Page, PageParams};
use fullhouse_core::ids::OrgId;
use fullhouse_core::{Db, Error, Result};
use fullhouse_ticketing::service::references;
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::{EventId, ProductionId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::figures::CampaignFigures;
use super::model::*;
use super::store::{campaign_code_uses as uses, campaign_redemptions as redemptions, campaigns};
use crate::model::AudienceId;
use crate::service::find_audience;

#[derive(Clone)]
pub struct CampaignService {
    db: Db,
}

impl CampaignService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn create(&self, org: &OrgId, new: NewCampaign) -> Result<Campaign> {
        self.check(org, &new).await?;
        let id = CampaignId::generate();
        let now = Utc::now();
        let label = new
            .public_label
            .clone()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| new.name.trim().to_string());
        campaigns::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(id.to_string()),
            name: Set(new.name.trim().to_string()),
            public_label: Set(label.trim().to_string()),
            status: Set(CampaignStatus::Active.as_str().to_string()),
            audience_ids: Set(serde_json::json!(new.audience_ids)),
            event_ids: Set(serde_json::json!(new.event_ids)),
            production_ids: Set(serde_json::json!(new.production_ids)),
            effects: Set(
                serde_json::to_value(&new.effects).map_err(|e| Error::internal(e.to_string()))?
            ),
            valid_from: Set(new.valid_from),
            valid_until: Set(new.valid_until),
            max_tickets_per_order: Set(new.max_tickets_per_order.map(i64::from)),
            limit_scope: Set(new.limit_scope.as_str().to_string()),
            counting: Set(new.counting.unwrap_or_default().as_str().to_string()),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(self.db.writer())
        .await?;
        self.get(org, &id).await
    }

    /// Every problem of a definition, including audiences, events and productions that are not
    /// the organization's.
    async fn check(&self, org: &OrgId, new: &NewCampaign) -> Result<()> {
        let problems = new.problems();
        if !problems.is_empty() {
            return Err(Error::invalid_fields(problems));
        }
        for audience in &new.audience_ids {
            find_audience(self.db.reader(), org, audience)
                .await
                .map_err(|_| {
                    Error::invalid(
                        "audience_ids",
                        format!("no audience {audience} in this organization"),
                    )
                })?;
        }
        references::known_names(&self.db, org, None, &new.event_ids).await?;
        let catalog = CatalogService::new(self.db.clone());
        for production in &new.production_ids {
            catalog.production(org, production).await.map_err(|_| {
                Error::invalid(
                    "production_ids",
                    format!("no production {production} in this organization"),
                )
            })?;
        }
        Ok(())
    }

    pub async fn get(&self, org: &OrgId, id: &CampaignId) -> Result<Campaign> {
        campaign_from(find(self.db.reader(), org, id).await?)
    }

    pub async fn list(&self, org: &OrgId, params: &PageParams) -> Result<Page<Campaign>> {
        let limit = params.limit()?;
        let mut select =
            campaigns::Entity::find().filter(campaigns::Column::OrganizationId.eq(org.as_str()));
        if let Some(after) = params.after() {
            select = select.filter(campaigns::Column::Id.gt(after));
        }
        let rows = select
            .order_by_asc(campaigns::Column::Id)
            .limit(limit + 1)
            .all(self.db.reader())
            .await?;
        let page = Page::from_rows(rows, limit, |c| c.id.clone());
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(campaign_from)
                .collect::<Result<_>>()?,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn update(
        &self,
        org: &OrgId,
        id: &CampaignId,
        patch: CampaignPatch,
    ) -> Result<Campaign> {
        let current = self.get(org, id).await?;
        let merged = NewCampaign {
            name: patch.name.unwrap_or(current.name),
            public_label: Some(patch.public_label.unwrap_or(current.public_label)),
            audience_ids: patch.audience_ids.unwrap_or(current.audience_ids),
            event_ids: patch.event_ids.unwrap_or(current.event_ids),
            production_ids: patch.production_ids.unwrap_or(current.production_ids),
            effects: patch.effects.unwrap_or(current.effects),
            valid_from: patch.valid_from.unwrap_or(current.valid_from),
            valid_until: patch.valid_until.unwrap_or(current.valid_until),
            max_tickets_per_order: patch
                .max_tickets_per_order
                .unwrap_or(current.max_tickets_per_order),
            limit_scope: patch.limit_scope.unwrap_or(current.limit_scope),
            counting: Some(patch.counting.unwrap_or(current.counting)),
        };
        self.check(org, &merged).await?;
        let row = find(self.db.reader(), org, id).await?;
        let mut active: campaigns::ActiveModel = row.into();
        active.name = Set(merged.name.trim().to_string());
        active.public_label = Set(merged.public_label.unwrap_or_default().trim().to_string());
        active.status = Set(patch.status.unwrap_or(current.status).as_str().to_string());
        active.audience_ids = Set(serde_json::json!(merged.audience_ids));
        active.event_ids = Set(serde_json::json!(merged.event_ids));
        active.production_ids = Set(serde_json::json!(merged.production_ids));
        active.effects =
            Set(serde_json::to_value(&merged.effects)
                .map_err(|e| Error::internal(e.to_string()))?);
        active.valid_from = Set(merged.valid_from);
        active.valid_until = Set(merged.valid_until);
        active.max_tickets_per_order = Set(merged.max_tickets_per_order.map(i64::from));
        active.limit_scope = Set(merged.limit_scope.as_str().to_string());
        active.counting = Set(merged.counting.unwrap_or_default().as_str().to_string());
        active.updated_at = Set(Utc::now());
        active.update(self.db.writer()).await?;
        self.get(org, id).await
    }

    /// Deletes a campaign that no order has used (a used campaign is paused instead, so its
    /// report and the uses of standing orders stay).
    pub async fn delete(&self, org: &OrgId, id: &CampaignId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        find(&txn, org, id).await?;
        let used = redemptions::Entity::find()
            .filter(redemptions::Column::OrganizationId.eq(org.as_str()))
            .filter(redemptions::Column::CampaignId.eq(id.as_str()))
            .one(&txn)
            .await?;
        if used.is_some() {
            return Err(Error::conflict(
                "id",
                "orders have used this campaign; pause it instead",
            ));
        }
        super::links::delete_of_campaign(&txn, org, id).await?;
        uses::Entity::delete_many()
            .filter(uses::Column::OrganizationId.eq(org.as_str()))
            .filter(uses::Column::CampaignId.eq(id.as_str()))
            .exec(&txn)
            .await?;
        campaigns::Entity::delete_many()
            .filter(campaigns::Column::OrganizationId.eq(org.as_str()))
            .filter(campaigns::Column::Id.eq(id.as_str()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Per code and in total: uses of paid orders, uses held by orders awaiting payment, which
    /// orders, and what is left (see [`super::report`]).
    pub async fn report(&self, org: &OrgId, id: &CampaignId) -> Result<CampaignReport> {
        find(self.db.reader(), org, id).await?;
        super::report::report(self.db.reader(), org, id).await
    }

    /// Revenue, discount, redemption rate, each use with its order, channel and buyer, and the
    /// unused codes (see [`super::figures`]).
    pub async fn figures(&self, org: &OrgId, id: &CampaignId) -> Result<CampaignFigures> {
        let campaign = self.get(org, id).await?;
        super::figures::figures(&self.db, org, &campaign).await
    }

    /// The campaigns that apply to `event`: those naming it and those of its production.
    pub async fn for_event(&self, org: &OrgId, event: &EventId) -> Result<Vec<Campaign>> {
        let event = CatalogService::new(self.db.clone())
            .event(org, event)
            .await?;
        let mut found = Vec::new();
        let mut params = PageParams {
            cursor: None,
            limit: Some(PageParams::MAX_LIMIT),
        };
        loop {
            let page = self.list(org, &params).await?;
            found.extend(page.items.into_iter().filter(|c| {
                c.event_ids.contains(&event.id) || c.production_ids.contains(&event.production_id)
            }));
            match page.next_cursor {
                Some(cursor) => params.cursor = Some(cursor),
                None => return Ok(found),
            }
        }
    }
}

pub(crate) async fn find(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    id: &CampaignId,
) -> Result<campaigns::Model> {
    campaigns::Entity::find()
        .filter(campaigns::Column::OrganizationId.eq(org.as_str()))
        .filter(campaigns::Column::Id.eq(id.as_str()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("campaign"))
}

fn ids<T>(value: &serde_json::Value, make: fn(String) -> T) -> Vec<T> {
    serde_json::from_value::<Vec<String>>(value.clone())
        .unwrap_or_default()
        .into_iter()
        .map(make)
        .collect()
}

pub(crate) fn campaign_from(row: campaigns::Model) -> Result<Campaign> {
    Ok(Campaign {
        id: CampaignId::from_db(row.id),
        name: row.name,
        public_label: row.public_label,
        status: CampaignStatus::parse(&row.status),
        audience_ids: ids(&row.audience_ids, AudienceId::from_db),
        event_ids: ids(&row.event_ids, EventId::from_db),
        production_ids: ids(&row.production_ids, ProductionId::from_db),
        effects: serde_json::from_value(row.effects)
            .map_err(|e| Error::internal(format!("a campaign's effects: {e}")))?,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        max_tickets_per_order: row
            .max_tickets_per_order
            .and_then(|n| u32::try_from(n).ok()),
        limit_scope: LimitScope::parse(&row.limit_scope),
        counting: UseCounting::parse(&row.counting),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
