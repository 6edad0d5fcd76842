//! Campaigns as checkout's [`CodeRules`]: what a typed code unlocks or discounts at an event,
//! loyalty for members, seats held back for their codes, and uses taken exactly.

use async_trait::async_trait;
use chrono::Utc;
use fullhouse_checkout::codes::{CodeContext, CodeGrant, CodeRules, Discount, UseTake};
use fullhouse_core::db::{statement, wanted_rows, SqlType};
use fullhouse_core::ids::OrgId;
use fullhouse_core::{Error, Result};
use fullhouse_ticketing::{EventId, ProductionId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Value,
};

use super::model::*;
use super::service::campaign_from;
use super::store::{campaign_code_uses as uses, campaign_redemptions as redemptions, campaigns};
use crate::model::code_key;
use crate::store::audience_members as members;

/// The campaigns of the `audiences` module, plugged into checkout.
#[derive(Debug, Clone, Copy, Default)]
pub struct CampaignRules;

/// The organization's active campaigns, by id.
async fn active(txn: &DatabaseTransaction, org: &OrgId) -> Result<Vec<Campaign>> {
    let rows = campaigns::Entity::find()
        .filter(campaigns::Column::OrganizationId.eq(org.as_str()))
        .filter(campaigns::Column::Status.eq(CampaignStatus::Active.as_str()))
        .all(txn)
        .await?;
    let mut found = rows
        .into_iter()
        .map(campaign_from)
        .collect::<Result<Vec<_>>>()?;
    found.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    Ok(found)
}

/// Whether an active campaign runs for this event now (any time when `now` is `None`).
fn runs_for(
    campaign: &Campaign,
    event: &EventId,
    production: &ProductionId,
    now: Option<chrono::DateTime<Utc>>,
) -> bool {
    let applies =
        campaign.event_ids.contains(event) || campaign.production_ids.contains(production);
    let started = now.is_none_or(|now| campaign.valid_from.is_none_or(|from| from <= now));
    let not_over = now.is_none_or(|now| campaign.valid_until.is_none_or(|until| now < until));
    applies && started && not_over
}

/// Campaigns running for this event now (active, inside their window), by id.
async fn running(
    txn: &DatabaseTransaction,
    org: &OrgId,
    event: &EventId,
    production: &ProductionId,
    now: Option<chrono::DateTime<Utc>>,
) -> Result<Vec<Campaign>> {
    Ok(active(txn, org)
        .await?
        .into_iter()
        .filter(|c| runs_for(c, event, production, now))
        .collect())
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
    Ok(grant_of(campaign, member, &scope, taken, typed))
}

/// What a member's code (or membership) grants in a campaign, with `taken` uses of the
/// counter `scope` already gone. The key names the counter (campaign, member, scope), so that
/// taking and recording uses need not read the campaign again.
fn grant_of(
    campaign: &Campaign,
    member: members::Model,
    scope: &str,
    taken: i64,
    typed: bool,
) -> CodeGrant {
    let effects = &campaign.effects;
    CodeGrant {
        key: format!("{}:{}:{scope}", campaign.id, member.id),
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
    }
}

/// The campaign and member of a grant key (`campaign:member:scope`; orders placed before the
/// scope joined the key have `campaign:member`, which cancelling them still reads).
fn split_key(key: &str) -> Result<(&str, &str)> {
    let mut parts = key.splitn(3, ':');
    match (parts.next(), parts.next()) {
        (Some(campaign), Some(member)) => Ok((campaign, member)),
        _ => Err(Error::internal(format!(
            "a code grant key without a campaign: {key}"
        ))),
    }
}

/// The counters `takes` raise, named by their keys (`campaign:member:scope`, as
/// [`grant_of`] makes them for every grant it hands checkout).
fn counters_of(takes: &[UseTake]) -> Result<Vec<CounterTake>> {
    takes
        .iter()
        .map(|take| {
            let mut parts = take.key.splitn(3, ':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(campaign), Some(member), Some(scope)) => Ok(CounterTake {
                    campaign_id: campaign.to_string(),
                    member_id: member.to_string(),
                    scope: scope.to_string(),
                    uses: take.uses,
                }),
                _ => Err(Error::internal(format!(
                    "a code grant key without its counter: {}",
                    take.key
                ))),
            }
        })
        .collect()
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
        let wanted = [(context.clone(), code.to_string())];
        Ok(self
            .lookup_many(txn, org, &wanted)
            .await?
            .into_iter()
            .next()
            .flatten())
    }

    /// Three statements whatever the number of codes: the active campaigns, the members with
    /// one of the codes in their audiences, and those members' counters.
    async fn lookup_many(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        wanted: &[(CodeContext, String)],
    ) -> Result<Vec<Option<CodeGrant>>> {
        let keys: Vec<String> = wanted.iter().map(|(_, code)| code_key(code)).collect();
        if keys.iter().all(String::is_empty) {
            return Ok(wanted.iter().map(|_| None).collect());
        }
        let campaigns = active(txn, org).await?;
        // A loyalty campaign's members are customers, not codes: typing one does nothing.
        let candidates: Vec<Vec<&Campaign>> = wanted
            .iter()
            .map(|(context, _)| {
                campaigns
                    .iter()
                    .filter(|c| !c.effects.loyalty)
                    .filter(|c| {
                        runs_for(
                            c,
                            &context.event_id,
                            &context.production_id,
                            Some(context.now),
                        )
                    })
                    .collect()
            })
            .collect();
        let audiences: Vec<String> = candidates
            .iter()
            .flatten()
            .flat_map(|c| audience_keys(c))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut distinct_keys: Vec<String> =
            keys.iter().filter(|k| !k.is_empty()).cloned().collect();
        distinct_keys.sort();
        distinct_keys.dedup();
        let mut found: Vec<members::Model> = Vec::new();
        if !audiences.is_empty() {
            for chunk in distinct_keys.chunks(IN_CHUNK) {
                found.extend(
                    members::Entity::find()
                        .filter(members::Column::OrganizationId.eq(org.as_str()))
                        .filter(members::Column::AudienceId.is_in(audiences.iter().cloned()))
                        .filter(members::Column::CodeKey.is_in(chunk.iter().cloned()))
                        .all(txn)
                        .await?,
                );
            }
        }
        found.sort_by(|a, b| a.id.cmp(&b.id));
        // For each request: the first campaign (by id) with a member holding the code that this
        // customer may use (a code "for a specific user" works only for that customer).
        let chosen: Vec<Option<(&Campaign, &members::Model)>> = wanted
            .iter()
            .zip(&keys)
            .zip(&candidates)
            .map(|(((context, _), key), campaigns)| {
                campaigns.iter().find_map(|campaign| {
                    let member = found.iter().find(|m| {
                        &m.code_key == key
                            && campaign
                                .audience_ids
                                .iter()
                                .any(|a| a.as_str() == m.audience_id)
                    })?;
                    let owner_ok = member.customer_id.as_ref().is_none_or(|owner| {
                        context.customer_id.as_ref().map(|c| c.as_str()) == Some(owner.as_str())
                    });
                    owner_ok.then_some((*campaign, member))
                })
            })
            .collect();
        // Each counter by its whole key, so that the primary key serves every one of them.
        let keys: Vec<(String, String, String)> = wanted
            .iter()
            .zip(&chosen)
            .filter_map(|((context, _), chosen)| {
                let (campaign, member) = chosen.as_ref()?;
                Some((
                    campaign.id.to_string(),
                    member.id.clone(),
                    scope_key(campaign, &context.event_id),
                ))
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut counters = std::collections::HashMap::new();
        for chunk in keys.chunks(IN_CHUNK) {
            counters.extend(read_counters(txn, org, chunk).await?);
        }
        Ok(wanted
            .iter()
            .zip(chosen)
            .map(|((context, _), chosen)| {
                let (campaign, member) = chosen?;
                let scope = scope_key(campaign, &context.event_id);
                let taken = counters
                    .get(&(campaign.id.to_string(), member.id.clone(), scope.clone()))
                    .copied()
                    .unwrap_or(0);
                Some(grant_of(campaign, member.clone(), &scope, taken, true))
            })
            .collect())
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
        let takes = std::slice::from_ref(take);
        let taken = self.take_counters(txn, org, takes).await?.first() == Some(&true);
        if taken {
            self.record_takes(txn, org, takes).await?;
        }
        Ok(taken)
    }

    /// One read of the campaigns, then the takes as conditional upserts: first every counter
    /// once, raised by all its takes together; a counter without room for all of them then
    /// goes take by take, in order (each statement raises a counter at most once).
    async fn take_counters(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        takes: &[UseTake],
    ) -> Result<Vec<bool>> {
        let counters = counters_of(takes)?;
        let mut by_counter: Vec<(CounterTake, Vec<usize>)> = Vec::new();
        let mut position: std::collections::HashMap<(String, String, String), usize> =
            std::collections::HashMap::new();
        for (i, take) in counters.iter().enumerate() {
            match position.get(&take.counter()) {
                Some(&p) => {
                    if let Some((together, takes)) = by_counter.get_mut(p) {
                        together.uses += take.uses;
                        takes.push(i);
                    }
                }
                None => {
                    position.insert(take.counter(), by_counter.len());
                    by_counter.push((take.clone(), vec![i]));
                }
            }
        }
        let together: Vec<&CounterTake> = by_counter.iter().map(|(c, _)| c).collect();
        let raised = raise_in_chunks(txn, org, &together).await?;
        let mut answers = vec![false; takes.len()];
        let mut pending = Vec::new();
        for (counter, indices) in &by_counter {
            if raised.contains(&counter.counter()) {
                for i in indices {
                    if let Some(answer) = answers.get_mut(*i) {
                        *answer = true;
                    }
                }
            } else if indices.len() > 1 {
                pending.extend(indices.iter().copied());
            }
        }
        pending.sort_unstable();
        while !pending.is_empty() {
            let mut seen = std::collections::HashSet::new();
            let (round, later): (Vec<usize>, Vec<usize>) = pending
                .into_iter()
                .partition(|i| counters.get(*i).is_some_and(|c| seen.insert(c.counter())));
            let batch: Vec<&CounterTake> = round.iter().filter_map(|i| counters.get(*i)).collect();
            let raised = raise_in_chunks(txn, org, &batch).await?;
            for i in round {
                if let (Some(answer), Some(counter)) = (answers.get_mut(i), counters.get(i)) {
                    *answer = raised.contains(&counter.counter());
                }
            }
            pending = later;
        }
        Ok(answers)
    }

    /// The redemptions of the kept takes, in one multi-row insert (for the report).
    async fn record_takes(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        takes: &[UseTake],
    ) -> Result<()> {
        if takes.is_empty() {
            return Ok(());
        }
        let counters = counters_of(takes)?;
        // Loyalty takes carry no typed code: the report shows the member's.
        let codeless: Vec<String> = takes
            .iter()
            .filter(|t| t.code.is_none())
            .filter_map(|t| split_key(&t.key).ok().map(|(_, m)| m.to_string()))
            .collect();
        let mut member_codes = std::collections::HashMap::new();
        for chunk in codeless.chunks(IN_CHUNK) {
            for member in members::Entity::find()
                .filter(members::Column::OrganizationId.eq(org.as_str()))
                .filter(members::Column::Id.is_in(chunk.iter().cloned()))
                .all(txn)
                .await?
            {
                member_codes.insert(member.id, member.code);
            }
        }
        let now = Utc::now();
        let mut rows = Vec::with_capacity(takes.len());
        for (take, counter) in takes.iter().zip(counters) {
            let code = match &take.code {
                Some(code) => code.clone(),
                None => member_codes
                    .get(&counter.member_id)
                    .cloned()
                    .unwrap_or_default(),
            };
            rows.push(redemptions::ActiveModel {
                organization_id: sea_orm::Set(org.to_string()),
                id: sea_orm::Set(format!("red_{}", ulid::Ulid::new())),
                campaign_id: sea_orm::Set(counter.campaign_id),
                member_id: sea_orm::Set(counter.member_id),
                code: sea_orm::Set(code),
                order_id: sea_orm::Set(take.order_id.to_string()),
                event_id: sea_orm::Set(take.event_id.to_string()),
                scope_key: sea_orm::Set(counter.scope),
                uses: sea_orm::Set(take.uses),
                created_at: sea_orm::Set(now),
                returned_at: sea_orm::Set(None),
                // Stamped by `uses_paid` in the same transaction when the order is paid.
                paid_at: sea_orm::Set(None),
            });
        }
        fullhouse_core::db::insert_rows(txn, rows).await?;
        Ok(())
    }

    /// Lowers the counter a take raised (its order was refused later in its group; nothing
    /// was recorded for it).
    async fn untake(&self, txn: &DatabaseTransaction, org: &OrgId, take: &UseTake) -> Result<()> {
        for counter in counters_of(std::slice::from_ref(take))? {
            lower_counter(
                txn,
                org,
                &counter.campaign_id,
                &counter.member_id,
                &counter.scope,
                counter.uses,
            )
            .await?;
        }
        Ok(())
    }

    /// Stamps the payment on the orders' standing redemptions: one update per chunk of orders,
    /// on the `(organization_id, order_id)` index.
    async fn uses_paid(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        orders: &[fullhouse_ticketing::OrderId],
    ) -> Result<()> {
        let now = Utc::now();
        for chunk in orders.chunks(IN_CHUNK) {
            redemptions::Entity::update_many()
                .col_expr(
                    redemptions::Column::PaidAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(redemptions::Column::OrganizationId.eq(org.as_str()))
                .filter(redemptions::Column::OrderId.is_in(chunk.iter().map(|o| o.as_str())))
                .filter(redemptions::Column::ReturnedAt.is_null())
                .filter(redemptions::Column::PaidAt.is_null())
                .exec(txn)
                .await?;
        }
        Ok(())
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
        for redemption in standing {
            lower_counter(
                txn,
                org,
                campaign_id,
                member_id,
                &redemption.scope_key,
                redemption.uses,
            )
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

/// Rows per `IN (…)` list or multi-row insert: far below either backend's parameter limit.
const IN_CHUNK: usize = 500;

/// Gives `uses` back to a counter (never below zero).
async fn lower_counter(
    txn: &DatabaseTransaction,
    org: &OrgId,
    campaign_id: &str,
    member_id: &str,
    scope: &str,
    uses: i64,
) -> Result<()> {
    let text = |v: &str| Value::String(Some(Box::new(v.to_string())));
    txn.execute(statement(
        txn.get_database_backend(),
        "UPDATE campaign_code_uses SET used = used - $1 \
         WHERE organization_id = $2 AND campaign_id = $3 AND member_id = $4 AND scope_key = $5 AND used >= $1",
        vec![
            Value::BigInt(Some(uses)),
            text(org.as_str()),
            text(campaign_id),
            text(member_id),
            text(scope),
        ],
    ))
    .await?;
    Ok(())
}

/// A counter's key as the set-wise statements hand it over: campaign, member, scope.
const COUNTER_KEY: [(&str, SqlType); 3] = [
    ("campaign_id", SqlType::Text),
    ("member_id", SqlType::Text),
    ("scope_key", SqlType::Text),
];

/// One take as the counter it raises.
#[derive(Clone)]
struct CounterTake {
    campaign_id: String,
    member_id: String,
    scope: String,
    uses: i64,
}

impl CounterTake {
    fn counter(&self) -> (String, String, String) {
        (
            self.campaign_id.clone(),
            self.member_id.clone(),
            self.scope.clone(),
        )
    }
}

async fn raise_in_chunks(
    txn: &DatabaseTransaction,
    org: &OrgId,
    takes: &[&CounterTake],
) -> Result<std::collections::HashSet<(String, String, String)>> {
    let mut raised = std::collections::HashSet::new();
    for chunk in takes.chunks(IN_CHUNK) {
        raised.extend(raise_counters(txn, org, chunk).await?);
    }
    Ok(raised)
}

/// Raises each counter by its take's uses where the member's quantity allows it, with ONE
/// conditional upsert for all (the counters must be distinct); returns the counters raised.
///
/// Uses are never taken read-then-write: two checkouts that read `used = 9` at once would both
/// write 10 and sell the last use twice. A counter row is created by its first use (when the
/// quantity allows it), else raised only while `used + n <= quantity`; the row lock makes
/// concurrent takes of one counter wait in turn, and each sees the other's result.
async fn raise_counters(
    txn: &DatabaseTransaction,
    org: &OrgId,
    takes: &[&CounterTake],
) -> Result<std::collections::HashSet<(String, String, String)>> {
    if takes.is_empty() {
        return Ok(Default::default());
    }
    let text = |v: &str| Value::String(Some(Box::new(v.to_string())));
    let mut values = vec![text(org.as_str())];
    let rows: Vec<Vec<Value>> = takes
        .iter()
        .map(|take| {
            vec![
                text(&take.campaign_id),
                text(&take.member_id),
                text(&take.scope),
                Value::BigInt(Some(take.uses)),
            ]
        })
        .collect();
    let wanted = wanted_rows(
        txn.get_database_backend(),
        "wanted",
        &[COUNTER_KEY.as_slice(), &[("uses", SqlType::BigInt)]].concat(),
        &rows,
        &mut values,
    );
    // The member is looked up by its primary key in a correlated subquery, not joined: a join
    // lets the planner hash the whole code list once it is large beside its guess of the wanted
    // rows (PostgreSQL guesses 100 for a function's result), and the statement slowed as the
    // list grew. SQLite needs the `WHERE` anyway, so as not to read `ON CONFLICT` as a join's.
    let sql = format!(
        "WITH {wanted} \
         INSERT INTO campaign_code_uses (organization_id, campaign_id, member_id, scope_key, used) \
         SELECT $1, wanted.campaign_id, wanted.member_id, wanted.scope_key, wanted.uses \
         FROM wanted \
         WHERE wanted.uses <= (SELECT m.quantity FROM audience_members AS m \
                               WHERE m.organization_id = $1 AND m.id = wanted.member_id) \
         ON CONFLICT (organization_id, campaign_id, member_id, scope_key) \
         DO UPDATE SET used = campaign_code_uses.used + excluded.used \
         WHERE campaign_code_uses.used + excluded.used <= (SELECT quantity FROM audience_members \
                                                         WHERE organization_id = $1 AND id = excluded.member_id) \
         RETURNING campaign_id, member_id, scope_key"
    );
    let mut raised = std::collections::HashSet::new();
    for row in txn
        .query_all(statement(txn.get_database_backend(), &sql, values))
        .await?
    {
        raised.insert((
            row.try_get::<String>("", "campaign_id")?,
            row.try_get::<String>("", "member_id")?,
            row.try_get::<String>("", "scope_key")?,
        ));
    }
    Ok(raised)
}

/// The counters with these keys (campaign, member, scope) that exist, with their uses: each key
/// looked up by the counters' primary key in a correlated subquery, one index lookup per key on
/// either backend whatever the planner guesses. (As a join, PostgreSQL hashed the whole table
/// once it outgrew its guess of 100 keys: 0.8 ms a group at 5,000 orders in `bench redeem`,
/// 4–5 ms at 20,000.)
async fn read_counters(
    txn: &DatabaseTransaction,
    org: &OrgId,
    keys: &[(String, String, String)],
) -> Result<Vec<((String, String, String), i64)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let text = |v: &str| Value::String(Some(Box::new(v.to_string())));
    let mut values = vec![text(org.as_str())];
    let rows: Vec<Vec<Value>> = keys
        .iter()
        .map(|(campaign, member, scope)| vec![text(campaign), text(member), text(scope)])
        .collect();
    let wanted = wanted_rows(
        txn.get_database_backend(),
        "wanted",
        &COUNTER_KEY,
        &rows,
        &mut values,
    );
    let sql = format!(
        "WITH {wanted} \
         SELECT campaign_id, member_id, scope_key, used FROM ( \
           SELECT wanted.campaign_id, wanted.member_id, wanted.scope_key, \
                  (SELECT u.used FROM campaign_code_uses AS u \
                   WHERE u.organization_id = $1 AND u.campaign_id = wanted.campaign_id \
                     AND u.member_id = wanted.member_id AND u.scope_key = wanted.scope_key) AS used \
           FROM wanted) AS found \
         WHERE used IS NOT NULL"
    );
    let mut found = Vec::new();
    for row in txn
        .query_all(statement(txn.get_database_backend(), &sql, values))
        .await?
    {
        found.push((
            (
                row.try_get::<String>("", "campaign_id")?,
                row.try_get::<String>("", "member_id")?,
                row.try_get::<String>("", "scope_key")?,
            ),
            row.try_get::<i64>("", "used")?,
        ));
    }
    Ok(found)
}
