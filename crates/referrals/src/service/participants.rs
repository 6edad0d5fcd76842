//! Participants: enrolled once per buyer and promotion (whoever asks first — the order event,
//! the confirmation page's panel, the back-dating job — gets the same row), found by their
//! tracking code (the redirect) or their progress token (the progress page), and what they
//! have done so far.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fullhouse_core::error::is_unique_violation;
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_ticketing::service::{CatalogService, CustomerService};
use fullhouse_ticketing::{CustomerId, OrderId};
use rand::RngCore;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::Referrals;
use crate::model::*;
use crate::store::{
    referral_hits as hits, referral_orders as orders, referral_participants as participants,
    referral_promotions as promotions, referral_rewards as rewards, referral_salts as salts,
};

/// What a tracking code leads to: everything the redirect needs, read in one lookup.
#[derive(Debug, Clone)]
pub struct CodeTarget {
    pub org: OrgId,
    pub promotion_id: PromotionId,
    pub participant_id: ParticipantId,
    pub code: String,
    /// Where to send the visitor (a path on this server, the code in its query).
    pub landing: String,
    /// How long the tracking cookie lives.
    pub attribution_days: u32,
}

/// What the progress page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Progress {
    pub participant: Participant,
    pub promotion: Promotion,
    /// The promotion's (first) event's title, for the page's heading.
    pub event_title: String,
    pub tracking_link: String,
    pub tally: Tally,
    pub standing: Standing,
}

/// How a participant came to take part.
pub const SOURCE_PURCHASE: &str = "purchase";
/// An earlier ticket holder enrolled by the back-dating job.
pub const SOURCE_BACKDATED: &str = "backdated";

impl Referrals {
    /// Enrols `customer` in `promotion` (idempotent: a second call returns the same
    /// participant, with `false`). The participant's name, email and language are the
    /// customer's at enrolment.
    pub async fn enrol(
        &self,
        org: &OrgId,
        promotion: &PromotionId,
        customer: &CustomerId,
        order: Option<&OrderId>,
        source: &str,
    ) -> Result<(Participant, bool)> {
        if let Some(existing) = self.participant_of(org, promotion, customer).await? {
            return Ok((existing, false));
        }
        let found = CustomerService::new(self.db.clone())
            .customer(org, customer)
            .await?;
        let now = self.now();
        for _ in 0..3 {
            let row = participants::ActiveModel {
                organization_id: Set(org.to_string()),
                id: Set(ParticipantId::generate().to_string()),
                promotion_id: Set(promotion.to_string()),
                customer_id: Set(customer.to_string()),
                email: Set(found.email.clone().unwrap_or_default().to_lowercase()),
                name: Set(found.display_name()),
                code: Set(new_code()),
                token: Set(new_token()),
                source: Set(source.to_string()),
                language: Set(found.language.clone().unwrap_or_else(|| "en".to_string())),
                first_order_id: Set(order.map(|o| o.to_string())),
                mailed_at: Set(None),
                created_at: Set(now),
            };
            let inserted = participants::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        participants::Column::OrganizationId,
                        participants::Column::PromotionId,
                        participants::Column::CustomerId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(self.db.writer())
                .await;
            match inserted {
                Ok(count) => {
                    let participant = self
                        .participant_of(org, promotion, customer)
                        .await?
                        .ok_or_else(|| Error::internal("participant written and not found"))?;
                    return Ok((participant, count == 1));
                }
                // A code (or token) already taken: draw again. 50 bits make this a
                // once-in-a-lifetime event, but it must not be an error.
                Err(err) if is_unique_violation(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(Error::internal("could not draw a free tracking code"))
    }

    /// Enrols the buyer of `order` in every promotion on `event` that is not closed; the
    /// participants, in the promotions' order, each with whether this call enrolled them.
    pub async fn enrol_buyer(
        &self,
        org: &OrgId,
        event: &Event,
        customer: &CustomerId,
        order: &OrderId,
    ) -> Result<Vec<(Participant, bool)>> {
        let mut enrolled = Vec::new();
        for promotion in self.promotions_of_event(org, event).await? {
            if promotion.status == PromotionStatus::Closed {
                continue;
            }
            enrolled.push(
                self.enrol(org, &promotion.id, customer, Some(order), SOURCE_PURCHASE)
                    .await?,
            );
        }
        Ok(enrolled)
    }

    /// The participant of `customer` in `promotion`, if enrolled.
    pub async fn participant_of(
        &self,
        org: &OrgId,
        promotion: &PromotionId,
        customer: &CustomerId,
    ) -> Result<Option<Participant>> {
        Ok(participants::Entity::find()
            .filter(participants::Column::OrganizationId.eq(org.as_str()))
            .filter(participants::Column::PromotionId.eq(promotion.as_str()))
            .filter(participants::Column::CustomerId.eq(customer.as_str()))
            .one(self.db.writer())
            .await?
            .map(participant_of))
    }

    pub async fn participant(&self, org: &OrgId, id: &ParticipantId) -> Result<Participant> {
        participants::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(self.db.reader())
            .await?
            .map(participant_of)
            .ok_or(Error::NotFound("participant"))
    }

    /// The participants of a promotion, in enrolment order.
    pub async fn participants(
        &self,
        org: &OrgId,
        promotion: &PromotionId,
    ) -> Result<Vec<Participant>> {
        Ok(participants::Entity::find()
            .filter(participants::Column::OrganizationId.eq(org.as_str()))
            .filter(participants::Column::PromotionId.eq(promotion.as_str()))
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(participant_of)
            .collect())
    }

    /// The participant a tracking code names, with their organization (a code is unique across
    /// organizations; `/r/{code}` names none).
    pub async fn participant_by_code(&self, code: &str) -> Result<(OrgId, Participant)> {
        if !looks_like_code(code) {
            return Err(Error::NotFound("tracking link"));
        }
        let row = participants::Entity::find()
            .filter(participants::Column::Code.eq(code))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("tracking link"))?;
        Ok((
            OrgId::from_db(row.organization_id.clone()),
            participant_of(row),
        ))
    }

    /// What a tracking code leads to (the redirect's one lookup, and where it lands).
    pub async fn target(&self, code: &str) -> Result<CodeTarget> {
        let (org, participant) = self.participant_by_code(code).await?;
        let promotion = self.promotion(&org, &participant.promotion_id).await?;
        let landing = self.landing_path(&org, &promotion.scope, code).await?;
        Ok(CodeTarget {
            org,
            promotion_id: promotion.id,
            participant_id: participant.id,
            code: participant.code,
            landing,
            attribution_days: promotion.attribution_days,
        })
    }

    /// The participant a progress token names, with their organization.
    pub async fn participant_by_token(&self, token: &str) -> Result<(OrgId, Participant)> {
        if !token.starts_with(PROGRESS_TOKEN_PREFIX) || token.len() > 64 {
            return Err(Error::NotFound("progress page"));
        }
        let row = participants::Entity::find()
            .filter(participants::Column::Token.eq(token))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("progress page"))?;
        Ok((
            OrgId::from_db(row.organization_id.clone()),
            participant_of(row),
        ))
    }

    /// The progress page of a token.
    pub async fn progress(&self, token: &str) -> Result<(OrgId, Progress)> {
        let (org, participant) = self.participant_by_token(token).await?;
        let progress = self.progress_of(&org, participant).await?;
        Ok((org, progress))
    }

    /// Where a participant stands.
    pub async fn progress_of(&self, org: &OrgId, participant: Participant) -> Result<Progress> {
        let promotion = self.promotion(org, &participant.promotion_id).await?;
        let events = self.events_of(org, &promotion.scope).await?;
        let event_title = events
            .iter()
            .min_by_key(|e| e.starts_at)
            .map(|e| e.title.clone())
            .unwrap_or_else(|| promotion.name.clone());
        let mut tally = self.tally(org, &participant.id).await?;
        if tally.currency.is_none() {
            tally.currency = Some(self.currency(org).await?);
        }
        let standing = standing(&promotion.tiers, tally.tickets);
        Ok(Progress {
            tracking_link: self.tracking_link(&participant.code),
            participant,
            promotion,
            event_title,
            tally,
            standing,
        })
    }

    /// A participant's unique human clicks and counted tickets and revenue.
    pub async fn tally(&self, org: &OrgId, participant: &ParticipantId) -> Result<Tally> {
        let tallies = self.tallies(org, None, Some(participant)).await?;
        Ok(tallies.get(participant).cloned().unwrap_or_default())
    }

    /// Tallies per participant, of one promotion or of one participant: two grouped queries.
    pub async fn tallies(
        &self,
        org: &OrgId,
        promotion: Option<&PromotionId>,
        participant: Option<&ParticipantId>,
    ) -> Result<HashMap<ParticipantId, Tally>> {
        #[derive(FromQueryResult)]
        struct Clicks {
            participant_id: String,
            clicks: i64,
        }
        #[derive(FromQueryResult)]
        struct Sales {
            participant_id: String,
            tickets: Option<i64>,
            revenue: Option<i64>,
            currency: Option<String>,
        }
        let mut clicks = hits::Entity::find()
            .select_only()
            .column(hits::Column::ParticipantId)
            .column_as(hits::Column::Id.count(), "clicks")
            .filter(hits::Column::OrganizationId.eq(org.as_str()))
            .filter(hits::Column::Class.eq(HitClass::Human.as_str()))
            .group_by(hits::Column::ParticipantId);
        let mut sales = orders::Entity::find()
            .select_only()
            .column(orders::Column::ParticipantId)
            // PostgreSQL sums BIGINT as NUMERIC, which does not read back as i64: cast it.
            .column_as(bigint(orders::Column::Tickets.sum()), "tickets")
            .column_as(bigint(orders::Column::RevenueMinor.sum()), "revenue")
            .column_as(orders::Column::Currency.max(), "currency")
            .filter(orders::Column::OrganizationId.eq(org.as_str()))
            .filter(orders::Column::Verdict.eq(Verdict::Counted.as_str()))
            .group_by(orders::Column::ParticipantId);
        if let Some(promotion) = promotion {
            clicks = clicks.filter(hits::Column::PromotionId.eq(promotion.as_str()));
            sales = sales.filter(orders::Column::PromotionId.eq(promotion.as_str()));
        }
        if let Some(participant) = participant {
            clicks = clicks.filter(hits::Column::ParticipantId.eq(participant.as_str()));
            sales = sales.filter(orders::Column::ParticipantId.eq(participant.as_str()));
        }
        let conn = self.db.reader();
        let mut tallies: HashMap<ParticipantId, Tally> = HashMap::new();
        for row in clicks.into_model::<Clicks>().all(conn).await? {
            tallies
                .entry(ParticipantId::from_db(row.participant_id))
                .or_default()
                .clicks = u64::try_from(row.clicks).unwrap_or(0);
        }
        for row in sales.into_model::<Sales>().all(conn).await? {
            let tally = tallies
                .entry(ParticipantId::from_db(row.participant_id))
                .or_default();
            tally.tickets = u64::try_from(row.tickets.unwrap_or(0)).unwrap_or(0);
            tally.revenue_minor = row.revenue.unwrap_or(0);
            tally.currency = row.currency;
        }
        Ok(tallies)
    }

    /// The most tickets any participant of a promotion has.
    pub(crate) async fn highest_tally(&self, org: &OrgId, promotion: &PromotionId) -> Result<u32> {
        let tallies = self.tallies(org, Some(promotion), None).await?;
        let highest = tallies.values().map(|t| t.tickets).max().unwrap_or(0);
        Ok(u32::try_from(highest).unwrap_or(u32::MAX))
    }

    /// Writes a ledger row (earned) for every tier `participant` has reached and has no row
    /// for; the number written. Rows are never removed: a refund that drops a participant
    /// back below a tier shows on the ledger as "below the tier now".
    pub(crate) async fn award(
        &self,
        org: &OrgId,
        promotion: &Promotion,
        participant: &ParticipantId,
        tickets: u64,
    ) -> Result<usize> {
        let reached = standing(&promotion.tiers, tickets).reached;
        if reached.is_empty() {
            return Ok(0);
        }
        let now = self.now();
        let mut written = 0;
        for tier in reached {
            let row = rewards::ActiveModel {
                organization_id: Set(org.to_string()),
                id: Set(RewardId::generate().to_string()),
                promotion_id: Set(promotion.id.to_string()),
                participant_id: Set(participant.to_string()),
                tier_tickets: Set(i64::from(tier.tickets)),
                reward: Set(tier.reward.clone()),
                state: Set(RewardState::Earned.as_str().to_string()),
                earned_at: Set(now),
                reminded_at: Set(None),
                fulfilled_at: Set(None),
                fulfilled_by: Set(None),
            };
            written += rewards::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        rewards::Column::OrganizationId,
                        rewards::Column::ParticipantId,
                        rewards::Column::TierTickets,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(self.db.writer())
                .await?;
        }
        Ok(usize::try_from(written).unwrap_or(0))
    }

    /// [`Self::award`] for every participant of a promotion (after its tiers changed).
    pub(crate) async fn award_all(&self, org: &OrgId, promotion: &PromotionId) -> Result<usize> {
        let promotion = self.promotion(org, promotion).await?;
        let mut written = 0;
        for (participant, tally) in self.tallies(org, Some(&promotion.id), None).await? {
            written += self
                .award(org, &promotion, &participant, tally.tickets)
                .await?;
        }
        Ok(written)
    }

    /// The organization's salt for hashing visitors' addresses, made on first use. It never
    /// leaves the database: a hash cannot be matched against another organization's, nor
    /// reversed by trying every IPv4 network without it.
    pub async fn salt(&self, org: &OrgId) -> Result<String> {
        let find = || salts::Entity::find_by_id((org.to_string(), org.to_string()));
        if let Some(row) = find().one(self.db.reader()).await? {
            return Ok(row.salt);
        }
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let row = salts::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(org.to_string()),
            salt: Set(hex::encode(bytes)),
            created_at: Set(self.now()),
        };
        salts::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([salts::Column::OrganizationId, salts::Column::Id])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(self.db.writer())
            .await?;
        find()
            .one(self.db.writer())
            .await?
            .map(|row| row.salt)
            .ok_or_else(|| Error::internal("salt written and not found"))
    }

    /// Marks the participant's links mailed, unless they were already: true when this call
    /// claimed the mail (so that two runs of a job never mail one person twice).
    pub async fn claim_mail(&self, org: &OrgId, participant: &ParticipantId) -> Result<bool> {
        let claimed = participants::Entity::update_many()
            .col_expr(
                participants::Column::MailedAt,
                Expr::value(Some(self.now())),
            )
            .filter(participants::Column::OrganizationId.eq(org.as_str()))
            .filter(participants::Column::Id.eq(participant.as_str()))
            .filter(participants::Column::MailedAt.is_null())
            .exec(self.db.writer())
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    /// Gives a claim back (the mail could not be queued), so that a later run tries again.
    pub async fn release_mail_claim(&self, org: &OrgId, participant: &ParticipantId) -> Result<()> {
        participants::Entity::update_many()
            .col_expr(
                participants::Column::MailedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(participants::Column::OrganizationId.eq(org.as_str()))
            .filter(participants::Column::Id.eq(participant.as_str()))
            .exec(self.db.writer())
            .await?;
        Ok(())
    }

    /// How many participants a promotion has.
    pub async fn participant_count(&self, org: &OrgId, promotion: &PromotionId) -> Result<u64> {
        Ok(participants::Entity::find()
            .filter(participants::Column::OrganizationId.eq(org.as_str()))
            .filter(participants::Column::PromotionId.eq(promotion.as_str()))
            .count(self.db.reader())
            .await?)
    }

    /// The event a participant's link is for (the promotion's first event), for mails.
    pub async fn first_event(&self, org: &OrgId, promotion: &Promotion) -> Result<Option<Event>> {
        let mut events = self.events_of(org, &promotion.scope).await?;
        events.sort_by_key(|e| e.starts_at);
        let now = self.now();
        let upcoming = events.iter().position(|e| e.starts_at > now);
        Ok(match upcoming {
            Some(i) => Some(events.swap_remove(i)),
            None => events.pop(),
        })
    }

    /// The promotion rows that are not closed yet but whose close time has passed (for the
    /// closing reminders).
    pub async fn due_close_notices(&self) -> Result<Vec<promotions::Model>> {
        Ok(promotions::Entity::find()
            .filter(promotions::Column::ClosesAt.lte(self.now()))
            .filter(promotions::Column::CloseNoticeSentAt.is_null())
            .all(self.db.reader())
            .await?)
    }

    /// The catalog, for callers that need events.
    pub(crate) fn catalog(&self) -> CatalogService {
        CatalogService::new(self.db.clone())
    }
}

pub(crate) fn participant_of(row: participants::Model) -> Participant {
    Participant {
        id: ParticipantId::from_db(row.id),
        promotion_id: PromotionId::from_db(row.promotion_id),
        customer_id: CustomerId::from_db(row.customer_id),
        email: row.email,
        name: row.name,
        code: row.code,
        token: row.token,
        source: row.source,
        language: row.language,
        mailed_at: row.mailed_at,
        created_at: row.created_at,
    }
}

/// `expr` as a BIGINT on both backends.
fn bigint(expr: sea_orm::sea_query::SimpleExpr) -> sea_orm::sea_query::SimpleExpr {
    expr.cast_as(sea_orm::sea_query::Alias::new("BIGINT"))
}

/// A fresh progress token: the prefix and 32 random bytes, URL-safe.
fn new_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "{PROGRESS_TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}
