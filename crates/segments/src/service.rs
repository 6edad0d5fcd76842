//! Segment and view operations: one transaction each, the organization first.

use chrono::{DateTime, Utc};
use fullhouse_core::{Db, Error, OrgId, Result};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};

use fullhouse_core::error::FieldError;
use fullhouse_ticketing::service::venues::VenueService;
use fullhouse_ticketing::service::CatalogService;

use std::sync::Arc;

use crate::index::registry::LiveIndex;
use crate::index::{Registry, SegmentQuery};
use crate::model::*;
use crate::store::{segment_views, segments};

/// Segments, views and their counts.
#[derive(Clone)]
pub struct SegmentService {
    db: Db,
}

/// Which segments a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Listing {
    #[default]
    Active,
    Removed,
}

impl SegmentService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Segments by name, the active or the removed ones.
    pub async fn list(&self, org: &OrgId, listing: Listing) -> Result<Vec<Segment>> {
        let mut select = segments::Entity::find()
            .filter(segments::Column::OrganizationId.eq(org.as_str()))
            .order_by_asc(segments::Column::Name)
            .order_by_asc(segments::Column::Id);
        select = match listing {
            Listing::Active => select.filter(segments::Column::RemovedAt.is_null()),
            Listing::Removed => select.filter(segments::Column::RemovedAt.is_not_null()),
        };
        select
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(to_segment)
            .collect()
    }

    pub async fn create(&self, org: &OrgId, new: NewSegment) -> Result<Segment> {
        let mut problems = Vec::new();
        let name = check_name("name", &new.name, &mut problems);
        let description = check_description(new.description, &mut problems);
        let definition = SegmentDefinition {
            event_filter: new.event_filter,
            days_back: new.days_back,
            excluded: new.excluded,
        };
        definition.check(&mut problems);
        finish(problems)?;
        let now = Utc::now();
        let row = segments::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(SegmentId::generate().into_string()),
            name: Set(name),
            description: Set(description),
            definition: Set(definition_json(&definition)?),
            removed_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let txn = self.db.begin_write().await?;
        let model = row.insert(&txn).await?;
        txn.commit().await?;
        to_segment(model)
    }

    /// A segment, removed or not.
    pub async fn segment(&self, org: &OrgId, id: &SegmentId) -> Result<Segment> {
        to_segment(find(self.db.reader(), org, id).await?)
    }

    pub async fn update(
        &self,
        org: &OrgId,
        id: &SegmentId,
        patch: SegmentPatch,
    ) -> Result<Segment> {
        let txn = self.db.begin_write().await?;
        let current = find(&txn, org, id).await?;
        let segment = to_segment(current.clone())?;
        let mut problems = Vec::new();
        let name = match &patch.name {
            Some(name) => check_name("name", name, &mut problems),
            None => segment.name.clone(),
        };
        let description = match patch.description {
            Some(value) => check_description(value, &mut problems),
            None => segment.description.clone(),
        };
        let mut definition = segment.definition.clone();
        if let Some(filter) = patch.event_filter {
            definition.event_filter = filter;
        }
        if let Some(days_back) = patch.days_back {
            definition.days_back = days_back;
        }
        if let Some(excluded) = patch.excluded {
            definition.excluded = excluded;
        }
        definition.check(&mut problems);
        finish(problems)?;
        let mut active = current.into_active_model();
        active.name = Set(name);
        active.description = Set(description);
        active.definition = Set(definition_json(&definition)?);
        active.updated_at = Set(Utc::now());
        let model = active.update(&txn).await?;
        txn.commit().await?;
        to_segment(model)
    }

    /// Soft removal: the segment leaves the list and can be restored.
    pub async fn remove(&self, org: &OrgId, id: &SegmentId) -> Result<Segment> {
        self.set_removed(org, id, true).await
    }

    pub async fn restore(&self, org: &OrgId, id: &SegmentId) -> Result<Segment> {
        self.set_removed(org, id, false).await
    }

    async fn set_removed(&self, org: &OrgId, id: &SegmentId, removed: bool) -> Result<Segment> {
        let txn = self.db.begin_write().await?;
        let current = find(&txn, org, id).await?;
        if current.removed_at.is_some() == removed {
            txn.rollback().await?;
            return to_segment(current);
        }
        let now = Utc::now();
        let mut active = current.into_active_model();
        active.removed_at = Set(removed.then_some(now));
        active.updated_at = Set(now);
        let model = active.update(&txn).await?;
        txn.commit().await?;
        to_segment(model)
    }

    /// "Fetch data": the segment's customers refined by `request`, counted by the index.
    pub async fn count(
        &self,
        registry: &Registry,
        org: &OrgId,
        id: &SegmentId,
        request: CountRequest,
        now: DateTime<Utc>,
    ) -> Result<SegmentCounts> {
        let segment = self.segment(org, id).await?;
        self.count_definition(registry, org, segment.definition, request, now)
            .await
    }

    /// Counts an unsaved definition (the create and edit forms' "fetch data").
    pub async fn count_definition(
        &self,
        registry: &Registry,
        org: &OrgId,
        definition: SegmentDefinition,
        request: CountRequest,
        now: DateTime<Utc>,
    ) -> Result<SegmentCounts> {
        let (index, query) = self
            .resolve(registry, org, definition, request, now)
            .await?;
        let (mut counts, first) = index.answer(&query)?;
        counts.customers = registry.summaries(org, &first).await?;
        Ok(counts)
    }

    /// Checks a definition and its refinement and turns them into a query of the organization's
    /// index, brought up to date: what a count and an action (see [`crate::selection`]) share.
    pub(crate) async fn resolve(
        &self,
        registry: &Registry,
        org: &OrgId,
        definition: SegmentDefinition,
        mut request: CountRequest,
        now: DateTime<Utc>,
    ) -> Result<(Arc<LiveIndex>, SegmentQuery)> {
        let mut problems = Vec::new();
        definition.check(&mut problems);
        check_filters(&mut request.filters, &mut problems);
        self.check_references(org, &request, &mut problems).await?;
        finish(problems)?;
        let index = registry.index(org).await?;
        // Read your own writes: a count asked right after a change (a customer saved, an order
        // paid) applies the outbox events the background refresher has not applied yet. When
        // there are none this is one small query.
        registry.refresh(&index).await?;
        // "Today" is the organization's day, not UTC's.
        let (today, zone) = index.with(|index| (index.today(now), index.zone()))?;
        let query = SegmentQuery {
            definition,
            view_for: request.view_for,
            filters: request.filters,
            today,
            zone,
        };
        Ok((index, query))
    }

    /// The production or event viewed for and the venues distances are measured from must be
    /// this organization's: a typo is said, never counted as "nobody" (or "everybody").
    /// A production without events yet is fine: viewing for it leaves the segment unchanged.
    async fn check_references(
        &self,
        org: &OrgId,
        request: &CountRequest,
        problems: &mut Vec<FieldError>,
    ) -> Result<()> {
        let catalog = CatalogService::new(self.db.clone());
        if let Some(production) = &request.view_for.production_id {
            if let Err(Error::NotFound(_)) = catalog.production(org, production).await {
                problems.push(FieldError::new("production_id", "no such production"));
            }
        }
        if let Some(event) = &request.view_for.event_id {
            if let Err(Error::NotFound(_)) = catalog.event(org, event).await {
                problems.push(FieldError::new("event_id", "no such event"));
            }
        }
        let venues = VenueService::new(self.db.clone());
        for (i, filter) in request.filters.iter().enumerate() {
            let Filter::Distance { venue_id, .. } = filter else {
                continue;
            };
            let field = format!("filters[{i}].venue_id");
            match venues.venue(org, venue_id).await {
                Ok(venue) if venue.latitude.is_none() || venue.longitude.is_none() => {
                    problems.push(FieldError::new(
                        field,
                        format!(
                            "venue `{}` has no coordinates: give it a latitude and a longitude to measure distances from it",
                            venue.name
                        ),
                    ));
                }
                Ok(_) => {}
                Err(Error::NotFound(_)) => problems.push(FieldError::new(field, "no such venue")),
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------------------------------
    // Views.
    // ------------------------------------------------------------------------------------------

    pub async fn views(&self, org: &OrgId, segment: &SegmentId) -> Result<Vec<SegmentView>> {
        find(self.db.reader(), org, segment).await?;
        segment_views::Entity::find()
            .filter(segment_views::Column::OrganizationId.eq(org.as_str()))
            .filter(segment_views::Column::SegmentId.eq(segment.as_str()))
            .order_by_asc(segment_views::Column::Name)
            .order_by_asc(segment_views::Column::Id)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(to_view)
            .collect()
    }

    pub async fn view(&self, org: &OrgId, segment: &SegmentId, id: &ViewId) -> Result<SegmentView> {
        to_view(find_view(self.db.reader(), org, segment, id).await?)
    }

    pub async fn create_view(
        &self,
        org: &OrgId,
        segment: &SegmentId,
        new: NewView,
    ) -> Result<SegmentView> {
        let (name, filters) = check_view(new)?;
        let txn = self.db.begin_write().await?;
        find(&txn, org, segment).await?;
        let now = Utc::now();
        let model = segment_views::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(ViewId::generate().into_string()),
            segment_id: Set(segment.to_string()),
            name: Set(name),
            filters: Set(filters),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        to_view(model)
    }

    /// Replaces a view's name and filters.
    pub async fn update_view(
        &self,
        org: &OrgId,
        segment: &SegmentId,
        id: &ViewId,
        new: NewView,
    ) -> Result<SegmentView> {
        let (name, filters) = check_view(new)?;
        let txn = self.db.begin_write().await?;
        let mut active = find_view(&txn, org, segment, id).await?.into_active_model();
        active.name = Set(name);
        active.filters = Set(filters);
        active.updated_at = Set(Utc::now());
        let model = active.update(&txn).await?;
        txn.commit().await?;
        to_view(model)
    }

    pub async fn delete_view(&self, org: &OrgId, segment: &SegmentId, id: &ViewId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        let model = find_view(&txn, org, segment, id).await?;
        segment_views::Entity::delete(model.into_active_model())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

fn check_view(mut new: NewView) -> Result<(String, serde_json::Value)> {
    let mut problems = Vec::new();
    let name = check_name("name", &new.name, &mut problems);
    check_filters(&mut new.filters, &mut problems);
    finish(problems)?;
    let filters = serde_json::to_value(&new.filters).map_err(Error::internal)?;
    Ok((name, filters))
}

async fn find(
    conn: &impl sea_orm::ConnectionTrait,
    org: &OrgId,
    id: &SegmentId,
) -> Result<segments::Model> {
    segments::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("segment"))
}

async fn find_view(
    conn: &impl sea_orm::ConnectionTrait,
    org: &OrgId,
    segment: &SegmentId,
    id: &ViewId,
) -> Result<segment_views::Model> {
    segment_views::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .filter(|v| v.segment_id == segment.as_str())
        .ok_or(Error::NotFound("segment view"))
}

fn definition_json(definition: &SegmentDefinition) -> Result<serde_json::Value> {
    serde_json::to_value(definition).map_err(Error::internal)
}

fn to_segment(model: segments::Model) -> Result<Segment> {
    let definition: SegmentDefinition = serde_json::from_value(model.definition)
        .map_err(|e| Error::internal(format!("stored segment definition: {e}")))?;
    Ok(Segment {
        id: SegmentId::from_db(model.id),
        name: model.name,
        description: model.description,
        definition,
        removed_at: model.removed_at,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

fn to_view(model: segment_views::Model) -> Result<SegmentView> {
    let filters: Vec<Filter> = serde_json::from_value(model.filters)
        .map_err(|e| Error::internal(format!("stored view filters: {e}")))?;
    Ok(SegmentView {
        id: ViewId::from_db(model.id),
        segment_id: SegmentId::from_db(model.segment_id),
        name: model.name,
        filters,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}
