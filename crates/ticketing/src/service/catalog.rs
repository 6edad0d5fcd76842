//! Productions, events, ticket types and shops.

use chrono::Utc;
use fullhouse_core::http::{Page, PageParams};
use fullhouse_core::tenancy::service::required;
use fullhouse_core::{Db, Error, OrgId, Result};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};

use super::fetch_page;
use crate::model::catalog::*;
use crate::model::ids::*;
use crate::model::rules::optional_text;
use crate::store::{events, productions};

#[derive(Clone)]
pub struct CatalogService {
    db: Db,
}

impl CatalogService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn create_production(&self, org: &OrgId, new: NewProduction) -> Result<Production> {
        let now = Utc::now();
        let model = productions::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(ProductionId::generate().into_string()),
            name: Set(required("name", &new.name)?),
            description: Set(optional_text("description", new.description, 5000)?),
            genre: Set(optional_text("genre", new.genre, 100)?),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let txn = self.db.begin_write().await?;
        let saved = model.insert(&txn).await?;
        txn.commit().await?;
        Ok(production_from(saved))
    }

    pub async fn list_productions(
        &self,
        org: &OrgId,
        params: &PageParams,
    ) -> Result<Page<Production>> {
        let select = productions::Entity::find()
            .filter(productions::Column::OrganizationId.eq(org.as_str()));
        let page = fetch_page(
            self.db.reader(),
            select,
            productions::Column::Id,
            params,
            |m| m.id.clone(),
        )
        .await?;
        Ok(page.map(production_from))
    }

    pub async fn production(&self, org: &OrgId, id: &ProductionId) -> Result<Production> {
        productions::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(self.db.reader())
            .await?
            .map(production_from)
            .ok_or(Error::NotFound("production"))
    }

    pub async fn update_production(
        &self,
        org: &OrgId,
        id: &ProductionId,
        patch: ProductionPatch,
    ) -> Result<Production> {
        let txn = self.db.begin_write().await?;
        let found = productions::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("production"))?;
        let mut active = found.into_active_model();
        if let Some(name) = patch.name {
            active.name = Set(required("name", &name)?);
        }
        if patch.description.is_some() {
            active.description = Set(optional_text("description", patch.description, 5000)?);
        }
        if patch.genre.is_some() {
            active.genre = Set(optional_text("genre", patch.genre, 100)?);
        }
        active.updated_at = Set(Utc::now());
        let saved = active.update(&txn).await?;
        txn.commit().await?;
        Ok(production_from(saved))
    }

    /// Deletes a production that has no events; one with events is a conflict, so that sales
    /// history is never orphaned.
    pub async fn delete_production(&self, org: &OrgId, id: &ProductionId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        productions::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(&txn)
            .await?
            .ok_or(Error::NotFound("production"))?;
        let event_count = events::Entity::find()
            .filter(events::Column::OrganizationId.eq(org.as_str()))
            .filter(events::Column::ProductionId.eq(id.as_str()))
            .count(&txn)
            .await?;
        if event_count > 0 {
            return Err(Error::conflict(
                "id",
                format!("the production has {event_count} events; delete them first"),
            ));
        }
        productions::Entity::delete_by_id((org.to_string(), id.to_string()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

fn production_from(m: productions::Model) -> Production {
    Production {
        id: ProductionId::from_db(m.id),
        name: m.name,
        description: m.description,
        genre: m.genre,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}
