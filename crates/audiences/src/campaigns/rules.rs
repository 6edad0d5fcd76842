//! Campaigns as checkout's [`CodeRules`]: what a typed code unlocks or discounts at an event,
//! loyalty for members, seats held back for their codes, and uses taken exactly.

use async_trait::async_trait;
use chrono::Utc;
use fullhouse_checkout::codes::{CodeContext, CodeGrant, CodeRules, Discount, UseTake};
use fullhouse_core::ids::OrgId;
use fullhouse_core::{Error, Result};
use fullhouse_ticketing::{EventId, ProductionId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement, Value,
};

use super::model::*;
use super::service::campaign_from;
use super::store::{campaign_code_uses as uses, campaign_redemptions as redemptions, campaigns};
use crate::model::code_key;
use crate::store::audience_members as members;

/// The campaigns of the `audiences` module, plugged into checkout.
#[derive(Debug, Clone, Copy, Default)]
pub struct CampaignRules;

/// Campaigns running for this event now (active, inside their window).
async fn running(
    txn: &DatabaseTransaction,
    org: &OrgId,
    event: &EventId,
    production: &ProductionId,
    now: Option<chrono::DateTime<Utc>>,
) -> Result<Vec<Campaign>> {
    let rows = campaigns::Entity::find()
        .filter(campaigns::Column::OrganizationId.eq(org.as_str()))
        .filter(campaigns::Column::Status.eq(CampaignStatus::Active.as_str()))
        .all(txn)
        .await?;
    let mut found = Vec::new();
    for row in rows {
        let campaign = campaign_from(row)?;
        let applies =
            campaign.event_ids.contains(event) || campaign.production_ids.contains(production);
        let started = now.is_none_or(|now| campaign.valid_from.is_none_or(|from| from <= now));
        let not_over = now.is_none_or(|now| campaign.valid_until.is_none_or(|until| now < until));
        if applies && started && not_over {
            found.push(campaign);
        }
    }
    found.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    Ok(found)
}

fn audience_keys(campaign: &Campaign) -> Vec<String> {
    campaign
        .audience_ids
        .iter()
        .map(|a| a.to_string())
        .collect()
}

/// The counter a use is taken from: the event, or `*` across the campaign's events.
fn scope_key(campaign: &Campaign, event: &EventId) -> String {
    match campaign.limit_scope {
        LimitScope::PerEvent => event.to_string(),
        LimitScope::AcrossEvents => "*".to_string(),
    }
}

async fn used(
    txn: &DatabaseTransaction,
    org: &OrgId,
    campaign: &Campaign,
    member: &str,
    scope: &str,
) -> Result<i64> {
    Ok(uses::Entity::find()
        .filter(uses::Column::OrganizationId.eq(org.as_str()))
        .filter(uses::Column::CampaignId.eq(campaign.id.as_str()))
        .filter(uses::Column::MemberId.eq(member))
        .filter(uses::Column::ScopeKey.eq(scope))
        .one(txn)
        .await?
        .map_or(0, |u| u.used))
}

async fn grant(
    txn: &DatabaseTransaction,
    org: &OrgId,
    campaign: &Campaign,
    member: members::Model,
    event: &EventId,
    typed: bool,
) -> Result<CodeGrant> {
    let scope = scope_key(campaign, event);
    let taken = used(txn, org, campaign, &member.id, &scope).await?;
    let effects = &campaign.effects;
    Ok(CodeGrant {
        key: format!("{}:{}", campaign.id, member.id),
        code: typed.then(|| member.code.clone()),
        label: campaign.public_label.clone(),
        unlocks_ticket_types: effects.unlock_ticket_types.clone(),
        unlocks_categories: member
            .category
            .clone()
            .filter(|_| effects.unlock_member_category)
            .into_iter()
            .collect(),
        unlocks_seats: member
            .seat_label
            .clone()
            .filter(|_| effects.unlock_member_seat)
            .into_iter()
            .collect(),
        discount: effects.discount.map(|d| Discount {
            kind: d.to_checkout(),
            ticket_types: effects.discount_ticket_types.clone(),
        }),
        max_tickets_per_order: campaign.max_tickets_per_order,
        remaining: Some((member.quantity - taken).max(0)),
        counting: campaign.counting.to_checkout(),
    })
}

/// `$1`-style SQL for PostgreSQL, `?1`-style for SQLite (both bind by position).
fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => sql.to_string(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn split_key(key: &str) -> Result<(&str, &str)> {
    key.split_once(':')
        .ok_or_else(|| Error::internal(format!("a code grant key without a campaign: {key}")))
}

#[async_trait]
impl CodeRules for CampaignRules {
    async fn lookup(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        context: &CodeContext,
        code: &str,
    ) -> Result<Option<CodeGrant>> {
        let key = code_key(code);
        if key.is_empty() {
            return Ok(None);
        }
        for campaign in running(
            txn,
            org,
            &context.event_id,
            &context.production_id,
            Some(context.now),
        )
        .await?
        {
            // A loyalty campaign's members are customers, not codes: typing one does nothing.
            if campaign.effects.loyalty {
                continue;
            }
            let member = members::Entity::find()
                .filter(members::Column::OrganizationId.eq(org.as_str()))
                .filter(members::Column::AudienceId.is_in(audience_keys(&campaign)))
                .filter(members::Column::CodeKey.eq(key.as_str()))
                .one(txn)
                .await?;
            let Some(member) = member else { continue };
            // A code "for a specific user" works only for that customer.
            if let Some(owner) = &member.customer_id {
                if context.customer_id.as_ref().map(|c| c.as_str()) != Some(owner.as_str()) {
                    continue;
                }
            }
            return grant(txn, org, &campaign, member, &context.event_id, true)
                .await
                .map(Some);
        }
        Ok(None)
    }

    async fn automatic(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        context: &CodeContext,
    ) -> Result<Vec<CodeGrant>> {
        let Some(customer) = &context.customer_id else {
            return Ok(Vec::new());
        };
        let mut grants = Vec::new();
        for campaign in running(
            txn,
            org,
            &context.event_id,
            &context.production_id,
            Some(context.now),
        )
        .await?
        {
            if !campaign.effects.loyalty {
                continue;
            }
            let member = members::Entity::find()
                .filter(members::Column::OrganizationId.eq(org.as_str()))
                .filter(members::Column::AudienceId.is_in(audience_keys(&campaign)))
                .filter(members::Column::CustomerId.eq(customer.as_str()))
                .one(txn)
                .await?;
            if let Some(member) = member {
                grants.push(grant(txn, org, &campaign, member, &context.event_id, false).await?);
            }
        }
        Ok(grants)
    }

    async fn held_seats(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        event: &EventId,
        production: &ProductionId,
    ) -> Result<Vec<String>> {
        let mut seats = Vec::new();
        for campaign in running(txn, org, event, production, None).await? {
            if !campaign.effects.unlock_member_seat {
                continue;
            }
            let labels: Vec<Option<String>> = members::Entity::find()
                .select_only()
                .column(members::Column::SeatLabel)
                .filter(members::Column::OrganizationId.eq(org.as_str()))
                .filter(members::Column::AudienceId.is_in(audience_keys(&campaign)))
                .filter(members::Column::SeatLabel.is_not_null())
                .into_tuple()
                .all(txn)
                .await?;
            seats.extend(labels.into_iter().flatten());
        }
        seats.sort();
        seats.dedup();
        Ok(seats)
    }

    async fn take_uses(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        take: &UseTake,
    ) -> Result<bool> {
        let (campaign_id, member_id) = split_key(&take.key)?;
        let campaign = campaign_from(
            super::service::find(txn, org, &CampaignId::from_db(campaign_id.to_string())).await?,
        )?;
        let scope = scope_key(&campaign, &take.event_id);
        let backend = txn.get_database_backend();
        let text = |v: &str| Value::String(Some(Box::new(v.to_string())));
        // Uses are taken with one conditional upsert rather than read-then-write: two checkouts
        // that read `used = 9` at once would both write 10 and sell the last use twice. The
        // counter row is created by the first use (when the quantity allows it), else raised
        // only while `used + n <= quantity`; the row lock makes concurrent takes wait in turn.
        let taken = txn
            .execute(statement(
                backend,
                "INSERT INTO campaign_code_uses (organization_id, campaign_id, member_id, scope_key, used) \
                 SELECT $2, $3, $4, $5, $1 FROM audience_members \
                 WHERE organization_id = $2 AND id = $4 AND $1 <= quantity \
                 ON CONFLICT (organization_id, campaign_id, member_id, scope_key) \
                 DO UPDATE SET used = campaign_code_uses.used + excluded.used \
                 WHERE campaign_code_uses.used + excluded.used <= (SELECT quantity FROM audience_members \
                                                                 WHERE organization_id = $2 AND id = $4)",
                vec![Value::BigInt(Some(take.uses)), text(org.as_str()), text(campaign_id), text(member_id), text(&scope)],
            ))
            .await?
            .rows_affected()
            == 1;
        if !taken {
            return Ok(false);
        }
        let code = match &take.code {
            Some(code) => code.clone(),
            None => members::Entity::find()
                .filter(members::Column::OrganizationId.eq(org.as_str()))
                .filter(members::Column::Id.eq(member_id))
                .one(txn)
                .await?
                .map(|m| m.code)
                .unwrap_or_default(),
        };
        redemptions::Entity::insert(redemptions::ActiveModel {
            organization_id: sea_orm::Set(org.to_string()),
            id: sea_orm::Set(format!("red_{}", ulid::Ulid::new())),
            campaign_id: sea_orm::Set(campaign_id.to_string()),
            member_id: sea_orm::Set(member_id.to_string()),
            code: sea_orm::Set(code),
            order_id: sea_orm::Set(take.order_id.to_string()),
            event_id: sea_orm::Set(take.event_id.to_string()),
            scope_key: sea_orm::Set(scope),
            uses: sea_orm::Set(take.uses),
            created_at: sea_orm::Set(Utc::now()),
            returned_at: sea_orm::Set(None),
        })
        .exec_without_returning(txn)
        .await?;
        Ok(true)
    }

    async fn give_back_uses(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        take: &UseTake,
    ) -> Result<()> {
        let (campaign_id, member_id) = split_key(&take.key)?;
        let standing = redemptions::Entity::find()
            .filter(redemptions::Column::OrganizationId.eq(org.as_str()))
            .filter(redemptions::Column::OrderId.eq(take.order_id.as_str()))
            .filter(redemptions::Column::CampaignId.eq(campaign_id))
            .filter(redemptions::Column::MemberId.eq(member_id))
            .filter(redemptions::Column::ReturnedAt.is_null())
            .all(txn)
            .await?;
        let backend = txn.get_database_backend();
        let text = |v: &str| Value::String(Some(Box::new(v.to_string())));
        for redemption in standing {
            txn.execute(statement(
                backend,
                "UPDATE campaign_code_uses SET used = used - $1 \
                 WHERE organization_id = $2 AND campaign_id = $3 AND member_id = $4 AND scope_key = $5 AND used >= $1",
                vec![
                    Value::BigInt(Some(redemption.uses)),
                    text(org.as_str()),
                    text(campaign_id),
                    text(member_id),
                    text(&redemption.scope_key),
                ],
            ))
            .await?;
            redemptions::Entity::update_many()
                .col_expr(
                    redemptions::Column::ReturnedAt,
                    sea_orm::sea_query::Expr::value(Utc::now()),
                )
                .filter(redemptions::Column::OrganizationId.eq(org.as_str()))
                .filter(redemptions::Column::Id.eq(redemption.id.as_str()))
                .exec(txn)
                .await?;
        }
        Ok(())
    }
}
