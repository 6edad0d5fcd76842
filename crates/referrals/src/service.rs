//! Referral promotions as operations: make and change a promotion, close it (see below); enrol
//! participants and find them by code or token (see `participants`); attribute orders from the
//! outbox (see `attribution`).
//!
//! The clock is checkout's ([`Checkout::now`]), so that tests that move it see promotions open
//! and close exactly as the sales they judge.

mod attribution;
mod ledger;
mod mails;
mod participants;
pub mod report;

pub use attribution::{Sweep, ORDERS_CONSUMER};
pub use participants::{CodeTarget, Progress, SOURCE_BACKDATED, SOURCE_PURCHASE};

use chrono::{DateTime, Utc};
use fullhouse_checkout::Checkout;
use fullhouse_core::tenancy::model::Caller;
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Db, Error, FieldError, OrgId, Result};
use fullhouse_ticketing::model::catalog::{Event, EventFilter};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::EventId;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::model::*;
use crate::store::referral_promotions as promotions;

/// Referral promotions, judged on `checkout`'s clock, linked at `public_url`.
#[derive(Clone)]
pub struct Referrals {
    db: Db,
    checkout: Checkout,
    public_url: String,
}

impl Referrals {
    pub fn new(db: Db, checkout: Checkout, public_url: &str) -> Self {
        Self {
            db,
            checkout,
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn checkout(&self) -> &Checkout {
        &self.checkout
    }

    /// Now, on checkout's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.checkout.now()
    }

    /// The tracking link of a code.
    pub fn tracking_link(&self, code: &str) -> String {
        format!("{}/r/{code}", self.public_url)
    }

    /// The private progress page of a token.
    pub fn progress_link(&self, token: &str) -> String {
        format!("{}/referrals/progress/{token}", self.public_url)
    }

    /// The public address the server answers at (links in mails).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Makes a promotion: every field checked at once, the scope's event or production found,
    /// the close time defaulting to 24 hours before the first event.
    pub async fn create_promotion(
        &self,
        org: &OrgId,
        new: NewPromotion,
        actor: &str,
    ) -> Result<Promotion> {
        let mut problems = Vec::new();
        check_promotion(&new, &mut problems);
        let events = match self.events_of(org, &new.scope).await {
            Ok(events) => events,
            Err(Error::NotFound(what)) => {
                problems.push(FieldError::new("scope", format!("no such {what}")));
                Vec::new()
            }
            Err(err) => return Err(err),
        };
        let now = self.now();
        let opens_at = new.opens_at.unwrap_or(now);
        let closes_at = match (new.closes_at, events.iter().map(|e| e.starts_at).min()) {
            (Some(closes), _) => Some(closes),
            (None, Some(first)) => Some(default_close(first)),
            (None, None) => {
                if problems.iter().all(|p| p.field != "scope") {
                    problems.push(FieldError::new(
                        "scope",
                        "the production has no events yet: give a close time",
                    ));
                }
                None
            }
        };
        if let Some(closes) = closes_at {
            if closes <= opens_at && new.closes_at.is_none() {
                problems.push(FieldError::new(
                    "closes_at",
                    "the event starts within a day: give a close time",
                ));
            } else if closes <= opens_at && new.opens_at.is_none() {
                problems.push(FieldError::new("closes_at", "must be in the future"));
            }
        }
        refuse(problems)?;
        let closes_at = closes_at.ok_or_else(|| Error::internal("close time checked above"))?;
        let id = PromotionId::generate();
        let (event_id, production_id) = match &new.scope {
            Scope::Event(event) => (Some(event.to_string()), None),
            Scope::Production(production) => (None, Some(production.to_string())),
        };
        let staff: Vec<String> = new
            .staff_emails
            .iter()
            .map(|e| e.trim().to_lowercase())
            .collect();
        let row = promotions::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(id.to_string()),
            name: Set(new.name.trim().to_string()),
            event_id: Set(event_id),
            production_id: Set(production_id),
            opens_at: Set(opens_at),
            closes_at: Set(closes_at),
            attribution_days: Set(i64::from(
                new.attribution_days.unwrap_or(DEFAULT_ATTRIBUTION_DAYS),
            )),
            counts: Set(new.counts.unwrap_or(Counts::Paid).as_str().to_string()),
            tiers: Set(serde_json::to_value(trimmed(&new.tiers))
                .map_err(|e| Error::internal(e.to_string()))?),
            staff_emails: Set(
                serde_json::to_value(&staff).map_err(|e| Error::internal(e.to_string()))?
            ),
            closed_at: Set(None),
            closed_by: Set(None),
            close_notice_sent_at: Set(None),
            created_by: Set(actor.to_string()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        promotions::Entity::insert(row)
            .exec_without_returning(self.db.writer())
            .await?;
        self.promotion(org, &id).await
    }

    /// Replaces a promotion's tiers. A tier someone has reached may not be raised or removed
    /// ([`check_tier_change`]); a closed promotion's tiers are final.
    pub async fn set_tiers(
        &self,
        org: &OrgId,
        id: &PromotionId,
        tiers: Vec<Tier>,
    ) -> Result<Promotion> {
        let promotion = self.promotion(org, id).await?;
        if promotion.status == PromotionStatus::Closed {
            return Err(Error::conflict(
                "tiers",
                "the promotion is closed; its tiers are final",
            ));
        }
        let mut problems = Vec::new();
        check_tiers(&tiers, &mut problems);
        let reached = self.highest_tally(org, id).await?;
        check_tier_change(&promotion.tiers, &tiers, reached, &mut problems);
        refuse(problems)?;
        promotions::Entity::update_many()
            .col_expr(
                promotions::Column::Tiers,
                sea_orm::sea_query::Expr::value(
                    serde_json::to_value(trimmed(&tiers))
                        .map_err(|e| Error::internal(e.to_string()))?,
                ),
            )
            .col_expr(
                promotions::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(self.now()),
            )
            .filter(promotions::Column::OrganizationId.eq(org.as_str()))
            .filter(promotions::Column::Id.eq(id.as_str()))
            .exec(self.db.writer())
            .await?;
        self.award_all(org, id).await?;
        self.promotion(org, id).await
    }

    /// Closes a promotion now: its leaderboard is frozen (later orders and refunds change
    /// nothing) and its report is final. Closing a closed promotion changes nothing.
    pub async fn close(&self, org: &OrgId, id: &PromotionId, actor: &str) -> Result<Promotion> {
        let promotion = self.promotion(org, id).await?;
        if promotion.closed_at.is_none() {
            let at = self.now().min(promotion.closes_at);
            promotions::Entity::update_many()
                .col_expr(
                    promotions::Column::ClosedAt,
                    sea_orm::sea_query::Expr::value(Some(at)),
                )
                .col_expr(
                    promotions::Column::ClosedBy,
                    sea_orm::sea_query::Expr::value(Some(actor.to_string())),
                )
                .col_expr(
                    promotions::Column::UpdatedAt,
                    sea_orm::sea_query::Expr::value(self.now()),
                )
                .filter(promotions::Column::OrganizationId.eq(org.as_str()))
                .filter(promotions::Column::Id.eq(id.as_str()))
                .filter(promotions::Column::ClosedAt.is_null())
                .exec(self.db.writer())
                .await?;
        }
        self.promotion(org, id).await
    }

    pub async fn promotion(&self, org: &OrgId, id: &PromotionId) -> Result<Promotion> {
        let row = promotions::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("promotion"))?;
        promotion_of(row, self.now())
    }

    /// The organization's promotions, newest first.
    pub async fn promotions(&self, org: &OrgId) -> Result<Vec<Promotion>> {
        let now = self.now();
        promotions::Entity::find()
            .filter(promotions::Column::OrganizationId.eq(org.as_str()))
            .order_by_desc(promotions::Column::CreatedAt)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|row| promotion_of(row, now))
            .collect()
    }

    /// The promotions on `event` (on it, or on its production), whatever their state.
    pub async fn promotions_of_event(&self, org: &OrgId, event: &Event) -> Result<Vec<Promotion>> {
        let now = self.now();
        promotions::Entity::find()
            .filter(promotions::Column::OrganizationId.eq(org.as_str()))
            .filter(
                Condition::any()
                    .add(promotions::Column::EventId.eq(event.id.as_str()))
                    .add(promotions::Column::ProductionId.eq(event.production_id.as_str())),
            )
            .order_by_asc(promotions::Column::CreatedAt)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|row| promotion_of(row, now))
            .collect()
    }

    /// Whether `promotion` covers `event` (its own event, or an event of its production).
    pub fn covers(promotion: &Promotion, event: &Event) -> bool {
        match &promotion.scope {
            Scope::Event(id) => *id == event.id,
            Scope::Production(id) => *id == event.production_id,
        }
    }

    /// The events a scope names (one, or every event of the production); not found when the
    /// event or production is not the organization's.
    pub async fn events_of(&self, org: &OrgId, scope: &Scope) -> Result<Vec<Event>> {
        let catalog = CatalogService::new(self.db.clone());
        match scope {
            Scope::Event(id) => Ok(vec![catalog.event(org, id).await?]),
            Scope::Production(id) => {
                catalog.production(org, id).await?;
                let filter = EventFilter {
                    production_id: Some(id.clone()),
                    ..EventFilter::default()
                };
                let mut events = Vec::new();
                let mut params = fullhouse_core::http::PageParams {
                    cursor: None,
                    limit: Some(500),
                };
                loop {
                    let page = catalog.list_events(org, &filter, &params).await?;
                    events.extend(page.items);
                    match page.next_cursor {
                        Some(cursor) => params.cursor = Some(cursor),
                        None => break,
                    }
                }
                Ok(events)
            }
        }
    }

    /// The page a tracking link lands on: the event's storefront page (for a production, its
    /// next event that has not started, else its latest), with the code in the address.
    pub async fn landing_path(&self, org: &OrgId, scope: &Scope, code: &str) -> Result<String> {
        let slug = self.slug(org).await?;
        let event: Option<EventId> = match scope {
            Scope::Event(id) => Some(id.clone()),
            Scope::Production(_) => {
                let now = self.now();
                let mut events = self.events_of(org, scope).await?;
                events.sort_by_key(|e| e.starts_at);
                events
                    .iter()
                    .find(|e| e.starts_at > now)
                    .or(events.last())
                    .map(|e| e.id.clone())
            }
        };
        Ok(match event {
            Some(event) => format!("/shop/{slug}/events/{event}?ref={code}"),
            None => format!("/shop/{slug}?ref={code}"),
        })
    }

    /// Who did something, as history and the ledger name them.
    pub async fn actor(&self, caller: &Caller) -> String {
        match &caller.user {
            Some(user) => match TenancyService::new(self.db.clone())
                .user(&caller.org, user)
                .await
            {
                Ok(user) => user.email,
                Err(_) => user.to_string(),
            },
            None => "API token".to_string(),
        }
    }

    /// The organization's currency: what revenue is shown in before anything has sold.
    pub(crate) async fn currency(&self, org: &OrgId) -> Result<String> {
        Ok(TenancyService::new(self.db.clone())
            .organization(org)
            .await?
            .currency)
    }

    pub(crate) async fn slug(&self, org: &OrgId) -> Result<String> {
        Ok(TenancyService::new(self.db.clone())
            .organization(org)
            .await?
            .slug)
    }
}

/// Tiers with their reward names trimmed.
fn trimmed(tiers: &[Tier]) -> Vec<Tier> {
    tiers
        .iter()
        .map(|t| Tier {
            tickets: t.tickets,
            reward: t.reward.trim().to_string(),
        })
        .collect()
}

pub(crate) fn promotion_of(row: promotions::Model, now: DateTime<Utc>) -> Result<Promotion> {
    let unreadable = |what: &str, e: serde_json::Error| {
        Error::internal(format!("promotion {} has unreadable {what}: {e}", row.id))
    };
    let tiers: Vec<Tier> =
        serde_json::from_value(row.tiers.clone()).map_err(|e| unreadable("tiers", e))?;
    let staff_emails: Vec<String> = serde_json::from_value(row.staff_emails.clone())
        .map_err(|e| unreadable("staff addresses", e))?;
    let scope = match (&row.event_id, &row.production_id) {
        (Some(event), _) => Scope::Event(EventId::from_db(event.clone())),
        (None, Some(production)) => Scope::Production(fullhouse_ticketing::ProductionId::from_db(
            production.clone(),
        )),
        (None, None) => {
            return Err(Error::internal(format!(
                "promotion {} has no event or production",
                row.id
            )))
        }
    };
    Ok(Promotion {
        status: status_at(row.opens_at, row.closes_at, row.closed_at, now),
        id: PromotionId::from_db(row.id),
        name: row.name,
        scope,
        opens_at: row.opens_at,
        closes_at: row.closes_at,
        attribution_days: u32::try_from(row.attribution_days).unwrap_or(DEFAULT_ATTRIBUTION_DAYS),
        counts: Counts::from_db(&row.counts),
        tiers,
        staff_emails,
        closed_at: row.closed_at,
        created_at: row.created_at,
    })
}
