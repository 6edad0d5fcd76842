//! The reward ledger's moves: a reward is earned (attribution writes it), reminded (the staff
//! were mailed, see `mails`) and fulfilled (someone on the staff gave it; who and when are
//! kept). Rows are never removed: a participant who falls back under a tier after a refund
//! keeps the row, shown as "below the tier now", because the reward may already be given.

use std::collections::HashMap;

use fullhouse_core::{Error, OrgId, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Referrals;
use crate::model::*;
use crate::store::{referral_participants as participants, referral_rewards as rewards};

impl Referrals {
    /// Marks a reward fulfilled by `actor` now. Idempotent: a reward already fulfilled is
    /// returned as it is, with the first fulfiller and time kept (two staff clicking at once
    /// both see the same row, and the ledger names whoever was first).
    pub async fn fulfil(&self, org: &OrgId, id: &RewardId, actor: &str) -> Result<Reward> {
        let row = rewards::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(self.db.reader())
            .await?
            .ok_or(Error::NotFound("reward"))?;
        if RewardState::from_db(&row.state) != RewardState::Fulfilled {
            // Conditional on the state it moves from: of two clicks at once, one writes.
            rewards::Entity::update_many()
                .col_expr(
                    rewards::Column::State,
                    Expr::value(RewardState::Fulfilled.as_str()),
                )
                .col_expr(rewards::Column::FulfilledAt, Expr::value(Some(self.now())))
                .col_expr(
                    rewards::Column::FulfilledBy,
                    Expr::value(Some(actor.to_string())),
                )
                .filter(rewards::Column::OrganizationId.eq(org.as_str()))
                .filter(rewards::Column::Id.eq(id.as_str()))
                .filter(
                    rewards::Column::State
                        .is_in([RewardState::Earned.as_str(), RewardState::Reminded.as_str()]),
                )
                .exec(self.db.writer())
                .await?;
        }
        let row = rewards::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(self.db.writer())
            .await?
            .ok_or(Error::NotFound("reward"))?;
        let promotion = PromotionId::from_db(row.promotion_id.clone());
        let participant = ParticipantId::from_db(row.participant_id.clone());
        let names = self.names(org, &promotion).await?;
        let tickets = self.tally(org, &participant).await?.tickets;
        Ok(reward_of(row, &names, |_| tickets))
    }

    /// A promotion's reward ledger, oldest first (then by tier): three queries whatever its size.
    pub async fn rewards(&self, org: &OrgId, promotion: &PromotionId) -> Result<Vec<Reward>> {
        let rows = rewards::Entity::find()
            .filter(rewards::Column::OrganizationId.eq(org.as_str()))
            .filter(rewards::Column::PromotionId.eq(promotion.as_str()))
            .order_by_asc(rewards::Column::EarnedAt)
            .order_by_asc(rewards::Column::TierTickets)
            .order_by_asc(rewards::Column::Id)
            .all(self.db.reader())
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let names = self.names(org, promotion).await?;
        let tallies = self.tallies(org, Some(promotion), None).await?;
        let tickets =
            |participant: &ParticipantId| tallies.get(participant).map(|t| t.tickets).unwrap_or(0);
        Ok(rows
            .into_iter()
            .map(|row| reward_of(row, &names, tickets))
            .collect())
    }

    /// Every participant's name and email in a promotion, by id.
    pub(crate) async fn names(
        &self,
        org: &OrgId,
        promotion: &PromotionId,
    ) -> Result<HashMap<String, (String, String)>> {
        Ok(participants::Entity::find()
            .filter(participants::Column::OrganizationId.eq(org.as_str()))
            .filter(participants::Column::PromotionId.eq(promotion.as_str()))
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|p| (p.id, (p.name, p.email)))
            .collect())
    }
}

/// A ledger row as shown; `tickets` tells how many tickets its participant has now.
pub(crate) fn reward_of(
    row: rewards::Model,
    names: &HashMap<String, (String, String)>,
    tickets: impl Fn(&ParticipantId) -> u64,
) -> Reward {
    let participant = ParticipantId::from_db(row.participant_id.clone());
    let (name, email) = names.get(&row.participant_id).cloned().unwrap_or_default();
    let tier_tickets = u32::try_from(row.tier_tickets).unwrap_or(u32::MAX);
    Reward {
        id: RewardId::from_db(row.id),
        below_tier_now: tickets(&participant) < u64::from(tier_tickets),
        participant_id: participant,
        participant_name: name,
        participant_email: email,
        tier: Tier {
            tickets: tier_tickets,
            reward: row.reward,
        },
        state: RewardState::from_db(&row.state),
        earned_at: row.earned_at,
        reminded_at: row.reminded_at,
        fulfilled_at: row.fulfilled_at,
        fulfilled_by: row.fulfilled_by,
    }
}
