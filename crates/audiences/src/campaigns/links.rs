//! Campaign links: a named storefront link that applies one campaign at one of its events or
//! productions (seed 002, "Kampagnelink": first create the campaign link you want to send).
//!
//! **The rule.** A link binds a campaign, one target the campaign applies to — an event of the
//! campaign (or of one of its productions), or one of the campaign's productions — and one code
//! of a member of one of the campaign's audiences. The code is shared: everyone who receives the
//! link uses the same code, so the member's quantity is how many uses the whole send may take
//! (an organizer mailing 10,000 customers gives the member a quantity to match, or a campaign
//! whose counting allows it). The link itself is only the storefront address with the code in
//! its `codes` parameter, which the event page already reads and checks with the campaign's own
//! rules (window, pauses, limits, quantity): a link never grants more than typing the code does.
//!
//! **Where it opens.** An event link opens that event's page. The shop has no page for a
//! production, so a production link opens the production's next event that has not started
//! (worked out each time the address is made, so a mail sent next month still leads to an event
//! on sale); with no such event it opens the shop's front page, without the code.

use chrono::{DateTime, Utc};
use fullhouse_core::define_id;
use fullhouse_core::http::PageParams;
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Db, Error, OrgId, Result};
use fullhouse_ticketing::model::catalog::{EventFilter, EventStatus};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::{EventId, ProductionId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::CampaignId;
use super::service::CampaignService;
use crate::model::code_key;
use crate::store::audience_members as members;

define_id!(
    /// A campaign link: a storefront address that applies a campaign's code.
    CampaignLinkId, "cml", "campaign link"
);

/// A campaign link as the API and the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CampaignLink {
    pub id: CampaignLinkId,
    pub campaign_id: CampaignId,
    /// What the organizer calls it, e.g. "Spring mail, Hamlet 12 May".
    pub name: String,
    /// The event it opens (exactly one of `event_id` and `production_id` is set).
    pub event_id: Option<EventId>,
    /// The production whose next event it opens.
    pub production_id: Option<ProductionId>,
    /// The audience member's code the link applies.
    pub code: String,
    /// The address to send, as of now (see the module's documentation for productions).
    pub url: String,
    pub created_at: DateTime<Utc>,
}

/// A link to create.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaignLink {
    pub name: String,
    #[serde(default)]
    pub event_id: Option<EventId>,
    #[serde(default)]
    pub production_id: Option<ProductionId>,
    pub code: String,
}

/// A change to a link: its name or its code (the target stays; make a new link for another).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignLinkPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

/// Links of an organization, and their addresses.
#[derive(Clone)]
pub struct CampaignLinkService {
    db: Db,
}

impl CampaignLinkService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Creates a link after checking the target is the campaign's and the code one of its
    /// audiences' (see the module's rule).
    pub async fn create(
        &self,
        org: &OrgId,
        campaign: &CampaignId,
        new: NewCampaignLink,
        public_url: &str,
    ) -> Result<CampaignLink> {
        let code = self.check(org, campaign, &new).await?;
        let id = CampaignLinkId::generate();
        store::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(id.to_string()),
            campaign_id: Set(campaign.to_string()),
            name: Set(new.name.trim().to_string()),
            event_id: Set(new.event_id.map(EventId::into_string)),
            production_id: Set(new.production_id.map(ProductionId::into_string)),
            code: Set(code),
            created_at: Set(Utc::now()),
        }
        .insert(self.db.writer())
        .await?;
        self.get(org, campaign, &id, public_url).await
    }

    /// The name (required), the target (one, and the campaign's) and the code (a member's of
    /// one of the campaign's audiences, as the member has it).
    async fn check(
        &self,
        org: &OrgId,
        campaign: &CampaignId,
        new: &NewCampaignLink,
    ) -> Result<String> {
        let campaign = CampaignService::new(self.db.clone())
            .get(org, campaign)
            .await?;
        if new.name.trim().is_empty() {
            return Err(Error::invalid("name", "give the link a name"));
        }
        let catalog = CatalogService::new(self.db.clone());
        match (&new.event_id, &new.production_id) {
            (Some(event), None) => {
                let found = catalog
                    .event(org, event)
                    .await
                    .map_err(|_| Error::invalid("event_id", "no such event"))?;
                if !campaign.event_ids.contains(event)
                    && !campaign.production_ids.contains(&found.production_id)
                {
                    return Err(Error::invalid(
                        "event_id",
                        "the campaign does not apply to this event",
                    ));
                }
            }
            (None, Some(production)) => {
                if !campaign.production_ids.contains(production) {
                    return Err(Error::invalid(
                        "production_id",
                        "the campaign does not apply to this production",
                    ));
                }
            }
            _ => {
                return Err(Error::invalid(
                    "event_id",
                    "give either an event or a production",
                ))
            }
        }
        self.member_code(org, &campaign.audience_ids, &new.code)
            .await
    }

    /// The code as the member has it, when a member of one of `audiences` has it.
    async fn member_code(
        &self,
        org: &OrgId,
        audiences: &[crate::model::AudienceId],
        code: &str,
    ) -> Result<String> {
        if code.trim().is_empty() {
            return Err(Error::invalid(
                "code",
                "give a code of the campaign's audiences",
            ));
        }
        let found = members::Entity::find()
            .filter(members::Column::OrganizationId.eq(org.as_str()))
            .filter(members::Column::CodeKey.eq(code_key(code)))
            .filter(members::Column::AudienceId.is_in(audiences.iter().map(|a| a.to_string())))
            .one(self.db.reader())
            .await?;
        found.map(|m| m.code).ok_or_else(|| {
            Error::invalid(
                "code",
                format!(
                    "no member of the campaign's audiences has the code {}",
                    code.trim()
                ),
            )
        })
    }

    pub async fn get(
        &self,
        org: &OrgId,
        campaign: &CampaignId,
        id: &CampaignLinkId,
        public_url: &str,
    ) -> Result<CampaignLink> {
        let row = find(self.db.reader(), org, campaign, id).await?;
        let shop = Shop::of(&self.db, org, public_url).await?;
        self.link_of(&shop, org, row, Utc::now()).await
    }

    /// The campaign's links, oldest first (a campaign has a handful).
    pub async fn list(
        &self,
        org: &OrgId,
        campaign: &CampaignId,
        public_url: &str,
    ) -> Result<Vec<CampaignLink>> {
        CampaignService::new(self.db.clone())
            .get(org, campaign)
            .await?;
        let rows = store::Entity::find()
            .filter(store::Column::OrganizationId.eq(org.as_str()))
            .filter(store::Column::CampaignId.eq(campaign.as_str()))
            .order_by_asc(store::Column::Id)
            .all(self.db.reader())
            .await?;
        self.links_of(org, rows, public_url).await
    }

    /// Every link of the organization that opens `event`, or `production`: what a
    /// campaign-link send for a view shown for that event or production may choose from.
    pub async fn covering(
        &self,
        org: &OrgId,
        event: Option<&EventId>,
        production: Option<&ProductionId>,
        public_url: &str,
    ) -> Result<Vec<CampaignLink>> {
        let mut select =
            store::Entity::find().filter(store::Column::OrganizationId.eq(org.as_str()));
        select = match (event, production) {
            (Some(event), _) => select.filter(store::Column::EventId.eq(event.as_str())),
            (None, Some(production)) => {
                select.filter(store::Column::ProductionId.eq(production.as_str()))
            }
            (None, None) => return Ok(Vec::new()),
        };
        let rows = select
            .order_by_asc(store::Column::Id)
            .all(self.db.reader())
            .await?;
        self.links_of(org, rows, public_url).await
    }

    /// One link of the organization, whatever its campaign (a send names only the link).
    pub async fn find_any(
        &self,
        org: &OrgId,
        id: &CampaignLinkId,
        public_url: &str,
    ) -> Result<CampaignLink> {
        let row = store::Entity::find()
            .filter(store::Column::OrganizationId.eq(org.as_str()))
            .filter(store::Column::Id.eq(id.as_str()))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("campaign link"))?;
        let shop = Shop::of(&self.db, org, public_url).await?;
        self.link_of(&shop, org, row, Utc::now()).await
    }

    pub async fn update(
        &self,
        org: &OrgId,
        campaign: &CampaignId,
        id: &CampaignLinkId,
        patch: CampaignLinkPatch,
        public_url: &str,
    ) -> Result<CampaignLink> {
        let row = find(self.db.reader(), org, campaign, id).await?;
        let merged = NewCampaignLink {
            name: patch.name.unwrap_or_else(|| row.name.clone()),
            event_id: row.event_id.clone().map(EventId::from_db),
            production_id: row.production_id.clone().map(ProductionId::from_db),
            code: patch.code.unwrap_or_else(|| row.code.clone()),
        };
        let code = self.check(org, campaign, &merged).await?;
        let mut active: store::ActiveModel = row.into();
        active.name = Set(merged.name.trim().to_string());
        active.code = Set(code);
        active.update(self.db.writer()).await?;
        self.get(org, campaign, id, public_url).await
    }

    /// Removes a link. Mails already sent keep their address: it is the storefront's, with the
    /// code, and works as long as the campaign does.
    pub async fn delete(
        &self,
        org: &OrgId,
        campaign: &CampaignId,
        id: &CampaignLinkId,
    ) -> Result<()> {
        find(self.db.reader(), org, campaign, id).await?;
        store::Entity::delete_many()
            .filter(store::Column::OrganizationId.eq(org.as_str()))
            .filter(store::Column::Id.eq(id.as_str()))
            .exec(self.db.writer())
            .await?;
        Ok(())
    }

    async fn links_of(
        &self,
        org: &OrgId,
        rows: Vec<store::Model>,
        public_url: &str,
    ) -> Result<Vec<CampaignLink>> {
        let shop = Shop::of(&self.db, org, public_url).await?;
        let now = Utc::now();
        let mut links = Vec::with_capacity(rows.len());
        for row in rows {
            links.push(self.link_of(&shop, org, row, now).await?);
        }
        Ok(links)
    }

    async fn link_of(
        &self,
        shop: &Shop,
        org: &OrgId,
        row: store::Model,
        now: DateTime<Utc>,
    ) -> Result<CampaignLink> {
        let event = match (&row.event_id, &row.production_id) {
            (Some(event), _) => Some(EventId::from_db(event.clone())),
            (None, Some(production)) => {
                next_event(
                    &self.db,
                    org,
                    &ProductionId::from_db(production.clone()),
                    now,
                )
                .await?
            }
            (None, None) => None,
        };
        Ok(CampaignLink {
            url: shop.url(event.as_ref(), &row.code),
            id: CampaignLinkId::from_db(row.id),
            campaign_id: CampaignId::from_db(row.campaign_id),
            name: row.name,
            event_id: row.event_id.map(EventId::from_db),
            production_id: row.production_id.map(ProductionId::from_db),
            code: row.code,
            created_at: row.created_at,
        })
    }
}

/// The organization's public shop: where links point.
struct Shop {
    home: String,
}

impl Shop {
    async fn of(db: &Db, org: &OrgId, public_url: &str) -> Result<Self> {
        let organization = TenancyService::new(db.clone()).organization(org).await?;
        Ok(Self {
            home: format!(
                "{}/shop/{}",
                public_url.trim_end_matches('/'),
                organization.slug
            ),
        })
    }

    /// The event's page with the code applied, or the front page when there is no event.
    fn url(&self, event: Option<&EventId>, code: &str) -> String {
        match event {
            Some(event) => {
                let mut url = format!("{}/events/{event}?codes=", self.home);
                url.extend(url::form_urlencoded::byte_serialize(code.as_bytes()));
                url
            }
            None => self.home.clone(),
        }
    }
}

/// The production's event that starts soonest and has not started yet.
async fn next_event(
    db: &Db,
    org: &OrgId,
    production: &ProductionId,
    now: DateTime<Utc>,
) -> Result<Option<EventId>> {
    let filter = EventFilter {
        production_id: Some(production.clone()),
        from: Some(now),
        ..EventFilter::default()
    };
    let all = PageParams {
        cursor: None,
        limit: Some(PageParams::MAX_LIMIT),
    };
    let events = CatalogService::new(db.clone())
        .list_events(org, &filter, &all)
        .await?
        .items;
    Ok(events
        .into_iter()
        .filter(|e| e.status != EventStatus::Cancelled)
        .min_by_key(|e| e.starts_at)
        .map(|e| e.id))
}

async fn find(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    campaign: &CampaignId,
    id: &CampaignLinkId,
) -> Result<store::Model> {
    store::Entity::find()
        .filter(store::Column::OrganizationId.eq(org.as_str()))
        .filter(store::Column::CampaignId.eq(campaign.as_str()))
        .filter(store::Column::Id.eq(id.as_str()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("campaign link"))
}

/// Removes a campaign's links with the campaign, in its transaction.
pub(crate) async fn delete_of_campaign(
    conn: &impl ConnectionTrait,
    org: &OrgId,
    campaign: &CampaignId,
) -> Result<()> {
    store::Entity::delete_many()
        .filter(store::Column::OrganizationId.eq(org.as_str()))
        .filter(store::Column::CampaignId.eq(campaign.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// The `campaign_links` table.
pub struct M0004CampaignLinks;

impl sea_orm_migration::MigrationName for M0004CampaignLinks {
    fn name(&self) -> &str {
        "audiences_0004_campaign_links"
    }
}

#[async_trait::async_trait]
impl sea_orm_migration::MigrationTrait for M0004CampaignLinks {
    async fn up(
        &self,
        manager: &sea_orm_migration::SchemaManager,
    ) -> std::result::Result<(), sea_orm::DbErr> {
        use fullhouse_core::schema::*;
        let links = tenant_table("campaign_links")
            .col(id_ref("campaign_id"))
            .col(text("name"))
            .col(id_ref_null("event_id"))
            .col(id_ref_null("production_id"))
            .col(text("code"))
            .col(timestamp("created_at"))
            .to_owned();
        create_all(
            manager,
            vec![links],
            vec![
                index("campaign_links", &["organization_id", "campaign_id"]),
                index("campaign_links", &["organization_id", "event_id"]),
                index("campaign_links", &["organization_id", "production_id"]),
            ],
        )
        .await
    }
}

pub mod store {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "campaign_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub campaign_id: String,
        pub name: String,
        pub event_id: Option<String>,
        pub production_id: Option<String>,
        pub code: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_link_carries_the_code_escaped_and_a_link_without_event_opens_the_shop() {
        let shop = Shop {
            home: "https://tickets.example/shop/demo".to_string(),
        };
        let event = EventId::from_db("evt_1".to_string());
        assert_eq!(
            shop.url(Some(&event), "VIP 1&2"),
            "https://tickets.example/shop/demo/events/evt_1?codes=VIP+1%262"
        );
        assert_eq!(shop.url(None, "VIP"), "https://tickets.example/shop/demo");
    }
}
