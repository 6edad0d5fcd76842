//! A view feeds the campaigns (issue #19 point 6): from a segment view, an audience of its
//! customers — one member per customer, bound to them, for a loyalty campaign — refreshed on
//! demand or kept in step daily. The organizer goes from "who" to "what they get" without a
//! file in between.
//!
//! The audience belongs to the audiences module and is changed only through its service
//! ([`AudienceService::sync_customers`], whose rule says what a refresh adds, removes and
//! keeps). This module keeps the link: which selection feeds which audience, how often, and what
//! the last refresh did. A refresh is the job `segments.audience`
//! ([`crate::jobs::audience`]); a daily link is refreshed by the sweep in the same file.

use chrono::{DateTime, Duration, Utc};
use fullhouse_audiences::customer_members::CustomerSync;
use fullhouse_audiences::model::{AudienceId, NewAudience};
use fullhouse_audiences::service::AudienceService;
use fullhouse_core::schema::*;
use fullhouse_core::{Db, Error, OrgId, Result};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use sea_orm_migration::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::selection::Selection;

/// How a view's audience follows the view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AudienceSync {
    /// Refreshed when someone asks.
    #[default]
    Manual,
    /// Refreshed once a day, and when someone asks.
    Daily,
}

impl AudienceSync {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Daily => "daily",
        }
    }

    fn parse(value: &str) -> Self {
        if value == "daily" {
            Self::Daily
        } else {
            Self::Manual
        }
    }
}

/// How often a daily audience is refreshed.
pub const DAILY: Duration = Duration::hours(24);

/// An audience fed by a segment selection.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ViewAudience {
    pub audience_id: AudienceId,
    pub selection: Selection,
    /// Uses each member's code holds.
    pub quantity: i64,
    pub sync: AudienceSync,
    pub last_synced_at: Option<DateTime<Utc>>,
    /// What the last refresh changed.
    pub last_sync: Option<CustomerSync>,
    /// When the daily sweep refreshes it next (daily audiences only).
    pub next_sync_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// The links between selections and audiences.
#[derive(Clone)]
pub struct ViewAudiences {
    db: Db,
}

impl ViewAudiences {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Makes the (empty) audience and its link; the caller enqueues its first refresh.
    pub async fn create(
        &self,
        org: &OrgId,
        selection: Selection,
        new: NewAudience,
        quantity: i64,
        sync: AudienceSync,
        actor: &str,
    ) -> Result<ViewAudience> {
        let audiences = AudienceService::new(self.db.clone());
        fullhouse_audiences::model::check_quantity(quantity)
            .map_err(|r| Error::invalid("quantity", r))?;
        let audience = audiences.create_for_customers(org, new).await?;
        let now = Utc::now();
        let row = entity::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(audience.id.to_string()),
            segment_id: Set(selection.segment_id.to_string()),
            selection: Set(serde_json::to_value(&selection).map_err(Error::internal)?),
            quantity: Set(quantity),
            sync: Set(sync.as_str().to_string()),
            last_synced_at: Set(None),
            last_sync: Set(None),
            next_sync_at: Set((sync == AudienceSync::Daily).then_some(now + DAILY)),
            created_by: Set(actor.to_string()),
            created_at: Set(now),
        };
        let txn = self.db.begin_write().await?;
        let model = row.insert(&txn).await?;
        txn.commit().await?;
        to_link(model)
    }

    pub async fn get(&self, org: &OrgId, audience: &AudienceId) -> Result<ViewAudience> {
        find(self.db.reader(), org, audience)
            .await
            .and_then(to_link)
    }

    /// The organization's view audiences, newest first; of one segment when given.
    pub async fn list(
        &self,
        org: &OrgId,
        segment: Option<&crate::model::SegmentId>,
    ) -> Result<Vec<ViewAudience>> {
        let mut query = entity::Entity::find()
            .filter(entity::Column::OrganizationId.eq(org.as_str()))
            .order_by_desc(entity::Column::CreatedAt)
            .order_by_desc(entity::Column::Id);
        if let Some(segment) = segment {
            query = query.filter(entity::Column::SegmentId.eq(segment.as_str()));
        }
        query
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(to_link)
            .collect()
    }

    /// Changes how the audience follows its view.
    pub async fn set_sync(
        &self,
        org: &OrgId,
        audience: &AudienceId,
        sync: AudienceSync,
    ) -> Result<ViewAudience> {
        let txn = self.db.begin_write().await?;
        let mut row = find(&txn, org, audience).await?.into_active_model();
        row.sync = Set(sync.as_str().to_string());
        row.next_sync_at = Set((sync == AudienceSync::Daily).then(|| Utc::now() + DAILY));
        let model = row.update(&txn).await?;
        txn.commit().await?;
        to_link(model)
    }

    /// Records what a refresh did.
    pub async fn record_sync(
        &self,
        org: &OrgId,
        audience: &AudienceId,
        outcome: CustomerSync,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.db.begin_write().await?;
        let mut row = find(&txn, org, audience).await?.into_active_model();
        row.last_synced_at = Set(Some(at));
        row.last_sync = Set(Some(
            serde_json::to_value(outcome).map_err(Error::internal)?,
        ));
        let model = row.update(&txn).await?;
        txn.commit().await?;
        let _ = model;
        Ok(())
    }

    /// Daily links due at `now`, each claimed by moving its next refresh a day on (a
    /// conditional update, so two sweeping processes never both claim one link). The claimed
    /// ones are returned for the caller to enqueue, in the same transaction.
    pub async fn claim_due(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        now: DateTime<Utc>,
    ) -> Result<Vec<(OrgId, AudienceId)>> {
        let due = entity::Entity::find()
            .filter(entity::Column::Sync.eq(AudienceSync::Daily.as_str()))
            .filter(entity::Column::NextSyncAt.lte(now))
            .all(txn)
            .await?;
        let mut claimed = Vec::new();
        for row in due {
            let result = entity::Entity::update_many()
                .col_expr(
                    entity::Column::NextSyncAt,
                    sea_orm::sea_query::Expr::value(Some(now + DAILY)),
                )
                .filter(entity::Column::OrganizationId.eq(row.organization_id.as_str()))
                .filter(entity::Column::Id.eq(row.id.as_str()))
                .filter(entity::Column::NextSyncAt.eq(row.next_sync_at))
                .exec(txn)
                .await?;
            if result.rows_affected == 1 {
                claimed.push((
                    OrgId::from_db(row.organization_id),
                    AudienceId::from_db(row.id),
                ));
            }
        }
        Ok(claimed)
    }
}

async fn find(
    conn: &impl sea_orm::ConnectionTrait,
    org: &OrgId,
    audience: &AudienceId,
) -> Result<entity::Model> {
    entity::Entity::find_by_id((org.to_string(), audience.to_string()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("segment audience"))
}

fn to_link(model: entity::Model) -> Result<ViewAudience> {
    let selection: Selection = serde_json::from_value(model.selection)
        .map_err(|e| Error::internal(format!("stored audience selection: {e}")))?;
    let last_sync = model
        .last_sync
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| Error::internal(format!("stored audience refresh: {e}")))?;
    Ok(ViewAudience {
        audience_id: AudienceId::from_db(model.id),
        selection,
        quantity: model.quantity,
        sync: AudienceSync::parse(&model.sync),
        last_synced_at: model.last_synced_at,
        last_sync,
        next_sync_at: model.next_sync_at,
        created_by: model.created_by,
        created_at: model.created_at,
    })
}

/// The table: one row per audience a selection feeds (its id is the audience's).
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "segment_audiences")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub segment_id: String,
        pub selection: Json,
        pub quantity: i64,
        pub sync: String,
        pub last_synced_at: Option<DateTimeUtc>,
        pub last_sync: Option<Json>,
        pub next_sync_at: Option<DateTimeUtc>,
        pub created_by: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `segment_audiences`: the audiences segment selections feed.
pub struct M0005ViewAudiences;

impl MigrationName for M0005ViewAudiences {
    fn name(&self) -> &str {
        "segments_0005_view_audiences"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005ViewAudiences {
    async fn up(&self, manager: &SchemaManager) -> std::result::Result<(), DbErr> {
        let table = tenant_table("segment_audiences")
            .col(id_ref("segment_id"))
            .col(json("selection"))
            .col(int("quantity"))
            .col(text("sync"))
            .col(timestamp_null("last_synced_at"))
            .col(ColumnDef::new(name("last_sync")).json().null())
            .col(timestamp_null("next_sync_at"))
            .col(text("created_by"))
            .col(timestamp("created_at"))
            .to_owned();
        create_all(
            manager,
            vec![table],
            vec![
                index("segment_audiences", &["organization_id", "segment_id"]),
                index("segment_audiences", &["sync", "next_sync_at"]),
            ],
        )
        .await
    }
}
