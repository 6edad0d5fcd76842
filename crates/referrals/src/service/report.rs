//! The organizer's report on one promotion: totals, a daily series, the leaderboard, winners by
//! tier, the hits with their class and reason, and the reward ledger. Every figure is grouped in
//! SQL (a fixed number of queries whatever the number of participants, hits or orders), and the
//! pages, the JSON API and the CSV export read the same [`Report`], so they cannot disagree.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use fullhouse_core::db::statement;
use fullhouse_core::{Backend, OrgId, Result};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::ledger::reward_of;
use super::participants::participant_of;
use super::Referrals;
use crate::model::*;
use crate::store::{
    referral_hits as hits, referral_orders as orders, referral_participants as participants,
    referral_rewards as rewards,
};

/// Hits per page of the hits list.
pub const HITS_PER_PAGE: u64 = 50;
/// Width of the time buckets the daily series is summed from, in seconds. Every time zone's
/// offset is a whole number of quarter hours, so quarter-hour buckets fall into exactly one
/// local day in any zone (an hour would not: India is UTC+5:30).
const BUCKET_SECONDS: i64 = 900;

/// Hits of one class with one reason.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HitCount {
    pub class: HitClass,
    pub reason: String,
    pub hits: u64,
}

/// Orders recording a participant's code, by verdict.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerdictCount {
    pub verdict: Verdict,
    pub orders: u64,
    pub tickets: u64,
}

/// A promotion's figures so far.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Totals {
    pub participants: u64,
    /// Every hit on the promotion's links, whatever its class.
    pub hits: u64,
    /// Unique human clicks (the only ones that count).
    pub clicks: u64,
    /// Counted orders, their tickets and revenue.
    pub orders: u64,
    pub tickets: u64,
    pub revenue_minor: i64,
    pub currency: Option<String>,
    /// Counted orders per unique human click (0 without clicks).
    pub conversion: f64,
}

/// One day on the venue's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Day {
    /// `YYYY-MM-DD` in the venue's time zone.
    pub date: String,
    pub clicks: u64,
    pub tickets: u64,
}

/// One line of the leaderboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Leader {
    pub rank: usize,
    #[schema(value_type = String)]
    pub participant_id: ParticipantId,
    pub name: String,
    pub email: String,
    pub clicks: u64,
    pub tickets: u64,
    pub revenue_minor: i64,
    pub currency: Option<String>,
    /// The tiers reached, lowest first.
    pub reached: Vec<Tier>,
}

/// The participants who reached a tier, from the ledger.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierWinners {
    pub tier: Tier,
    pub winners: Vec<Winner>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Winner {
    #[schema(value_type = String)]
    pub participant_id: ParticipantId,
    pub name: String,
    pub email: String,
    pub state: RewardState,
}

/// The report on one promotion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub promotion: Promotion,
    /// The venue's time zone, which the daily series and the pages' times use.
    pub timezone: String,
    pub totals: Totals,
    pub hits_by_class: Vec<HitCount>,
    pub orders_by_verdict: Vec<VerdictCount>,
    pub daily: Vec<Day>,
    pub leaderboard: Vec<Leader>,
    pub winners: Vec<TierWinners>,
    pub rewards: Vec<Reward>,
}

/// One hit as the hits list shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HitRow {
    pub at: DateTime<Utc>,
    #[schema(value_type = String)]
    pub participant_id: ParticipantId,
    pub participant_name: String,
    pub class: HitClass,
    pub reason: String,
    pub method: String,
    pub user_agent: Option<String>,
}

/// A page of hits, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HitPage {
    pub items: Vec<HitRow>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}

impl Referrals {
    /// The whole report on a promotion.
    #[tracing::instrument(skip_all, err, fields(org = %org, promotion = %id))]
    pub async fn report(&self, org: &OrgId, id: &PromotionId) -> Result<Report> {
        let promotion = self.promotion(org, id).await?;
        let timezone = self
            .first_event(org, &promotion)
            .await?
            .map_or_else(|| "UTC".to_string(), |e| e.venue_timezone);
        let people: HashMap<String, Participant> = participants::Entity::find()
            .filter(participants::Column::OrganizationId.eq(org.as_str()))
            .filter(participants::Column::PromotionId.eq(id.as_str()))
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|row| (row.id.clone(), participant_of(row)))
            .collect();
        let tallies = self.tallies(org, Some(id), None).await?;
        // Revenue before the first sale is still money: shown in the organization's currency.
        let currency = match tallies.values().find_map(|t| t.currency.clone()) {
            Some(sold_in) => sold_in,
            None => self.currency(org).await?,
        };
        let hits_by_class = self.hits_by_class(org, id).await?;
        let orders_by_verdict = self.orders_by_verdict(org, id).await?;
        let counted = orders_by_verdict
            .iter()
            .find(|v| v.verdict == Verdict::Counted);
        let clicks = hits_by_class
            .iter()
            .filter(|h| h.class == HitClass::Human)
            .map(|h| h.hits)
            .sum::<u64>();
        let orders = counted.map_or(0, |c| c.orders);
        let mut totals = Totals {
            participants: u64::try_from(people.len()).unwrap_or(u64::MAX),
            hits: hits_by_class.iter().map(|h| h.hits).sum(),
            clicks,
            orders,
            tickets: counted.map_or(0, |c| c.tickets),
            revenue_minor: tallies.values().map(|t| t.revenue_minor).sum(),
            currency: Some(currency.clone()),
            conversion: 0.0,
        };
        if clicks > 0 {
            // Counts stay far below 2^52: the conversion is exact enough as a float.
            totals.conversion = orders as f64 / clicks as f64;
        }
        let leaderboard = leaderboard(&promotion, &people, &tallies, &currency);
        let rewards = self.ledger(org, &promotion, &people, &tallies).await?;
        let winners = winners(&promotion, &rewards);
        let daily = self.daily(org, id, &timezone).await?;
        Ok(Report {
            promotion,
            timezone,
            totals,
            hits_by_class,
            orders_by_verdict,
            daily,
            leaderboard,
            winners,
            rewards,
        })
    }

    /// Hits per class and reason, most first.
    async fn hits_by_class(&self, org: &OrgId, id: &PromotionId) -> Result<Vec<HitCount>> {
        #[derive(FromQueryResult)]
        struct Row {
            class: String,
            reason: String,
            hits: i64,
        }
        let mut rows: Vec<HitCount> = hits::Entity::find()
            .select_only()
            .column(hits::Column::Class)
            .column(hits::Column::Reason)
            .column_as(hits::Column::Id.count(), "hits")
            .filter(hits::Column::OrganizationId.eq(org.as_str()))
            .filter(hits::Column::PromotionId.eq(id.as_str()))
            .group_by(hits::Column::Class)
            .group_by(hits::Column::Reason)
            .into_model::<Row>()
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|r| HitCount {
                class: HitClass::from_db(&r.class),
                reason: r.reason,
                hits: u64::try_from(r.hits).unwrap_or(0),
            })
            .collect();
        let order = |c: HitClass| HitClass::ALL.iter().position(|x| *x == c);
        rows.sort_by(|a, b| {
            order(a.class)
                .cmp(&order(b.class))
                .then(b.hits.cmp(&a.hits))
                .then(a.reason.cmp(&b.reason))
        });
        Ok(rows)
    }

    /// Orders recording a code, by verdict.
    async fn orders_by_verdict(&self, org: &OrgId, id: &PromotionId) -> Result<Vec<VerdictCount>> {
        #[derive(FromQueryResult)]
        struct Row {
            verdict: String,
            orders: i64,
            tickets: Option<i64>,
        }
        Ok(orders::Entity::find()
            .select_only()
            .column(orders::Column::Verdict)
            .column_as(orders::Column::Id.count(), "orders")
            // PostgreSQL sums BIGINT as NUMERIC: cast back, on both backends alike.
            .column_as(Expr::cust("CAST(SUM(\"tickets\") AS BIGINT)"), "tickets")
            .filter(orders::Column::OrganizationId.eq(org.as_str()))
            .filter(orders::Column::PromotionId.eq(id.as_str()))
            .group_by(orders::Column::Verdict)
            .order_by_asc(orders::Column::Verdict)
            .into_model::<Row>()
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|r| VerdictCount {
                verdict: Verdict::from_db(&r.verdict),
                orders: u64::try_from(r.orders).unwrap_or(0),
                tickets: u64::try_from(r.tickets.unwrap_or(0)).unwrap_or(0),
            })
            .collect())
    }

    /// Human clicks and counted tickets per day on the venue's calendar, every day from the
    /// first to the last with any (days without are zero, so a chart's gaps show). Summed in
    /// SQL per quarter hour, then folded into local days here: the zone's rules (summer time)
    /// are chrono-tz's, not each database's.
    async fn daily(&self, org: &OrgId, id: &PromotionId, timezone: &str) -> Result<Vec<Day>> {
        #[derive(FromQueryResult)]
        struct Bucket {
            bucket: i64,
            n: i64,
        }
        let bucket = |column: &str| match self.db.backend() {
            Backend::Postgres => {
                format!(
                    "CAST(FLOOR(EXTRACT(EPOCH FROM \"{column}\") / {BUCKET_SECONDS}) AS BIGINT)"
                )
            }
            Backend::Sqlite => {
                format!("(CAST(strftime('%s', \"{column}\") AS INTEGER) / {BUCKET_SECONDS})")
            }
        };
        let clicks_sql = format!(
            "SELECT {b} AS bucket, CAST(COUNT(*) AS BIGINT) AS n FROM referral_hits \
             WHERE organization_id = $1 AND promotion_id = $2 AND class = $3 GROUP BY {b}",
            b = bucket("at")
        );
        let tickets_sql = format!(
            "SELECT {b} AS bucket, CAST(SUM(tickets) AS BIGINT) AS n FROM referral_orders \
             WHERE organization_id = $1 AND promotion_id = $2 AND verdict = $3 GROUP BY {b}",
            b = bucket("placed_at")
        );
        let run = |sql: String, wanted: &'static str| {
            let values = vec![org.as_str().into(), id.as_str().into(), wanted.into()];
            Bucket::find_by_statement(statement(self.db.db_backend(), &sql, values))
                .all(self.db.reader())
        };
        let clicks = run(clicks_sql, HitClass::Human.as_str()).await?;
        let tickets = run(tickets_sql, Verdict::Counted.as_str()).await?;
        let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
        let day_of = |bucket: i64| {
            DateTime::<Utc>::from_timestamp(bucket.saturating_mul(BUCKET_SECONDS), 0)
                .map(|at| at.with_timezone(&tz).date_naive())
        };
        let mut days: BTreeMap<NaiveDate, (u64, u64)> = BTreeMap::new();
        for row in clicks {
            if let Some(day) = day_of(row.bucket) {
                days.entry(day).or_default().0 += u64::try_from(row.n).unwrap_or(0);
            }
        }
        for row in tickets {
            if let Some(day) = day_of(row.bucket) {
                days.entry(day).or_default().1 += u64::try_from(row.n).unwrap_or(0);
            }
        }
        Ok(fill_days(&days))
    }

    /// The reward ledger of a promotion: earliest first, with whether the participant has since
    /// fallen below the tier (a refund).
    async fn ledger(
        &self,
        org: &OrgId,
        promotion: &Promotion,
        people: &HashMap<String, Participant>,
        tallies: &HashMap<ParticipantId, Tally>,
    ) -> Result<Vec<Reward>> {
        let rows = rewards::Entity::find()
            .filter(rewards::Column::OrganizationId.eq(org.as_str()))
            .filter(rewards::Column::PromotionId.eq(promotion.id.as_str()))
            .order_by_asc(rewards::Column::TierTickets)
            .order_by_asc(rewards::Column::EarnedAt)
            .all(self.db.reader())
            .await?;
        let names: HashMap<String, (String, String)> = people
            .iter()
            .map(|(id, p)| (id.clone(), (p.name.clone(), p.email.clone())))
            .collect();
        let tickets =
            |participant: &ParticipantId| tallies.get(participant).map_or(0, |t| t.tickets);
        Ok(rows
            .into_iter()
            .map(|row| reward_of(row, &names, tickets))
            .collect())
    }

    /// One page (from 1) of a promotion's hits, newest first.
    pub async fn hits(&self, org: &OrgId, id: &PromotionId, page: u64) -> Result<HitPage> {
        self.promotion(org, id).await?;
        let find = || {
            hits::Entity::find()
                .filter(hits::Column::OrganizationId.eq(org.as_str()))
                .filter(hits::Column::PromotionId.eq(id.as_str()))
        };
        let total = find().count(self.db.reader()).await?;
        let pages = total.div_ceil(HITS_PER_PAGE).max(1);
        let page = page.clamp(1, pages);
        let rows = find()
            .order_by_desc(hits::Column::At)
            .order_by_desc(hits::Column::Id)
            .offset((page - 1) * HITS_PER_PAGE)
            .limit(HITS_PER_PAGE)
            .all(self.db.reader())
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.participant_id.clone()).collect();
        let names: HashMap<String, String> = participants::Entity::find()
            .filter(participants::Column::OrganizationId.eq(org.as_str()))
            .filter(participants::Column::Id.is_in(ids))
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let items = rows
            .into_iter()
            .map(|row| HitRow {
                at: row.at,
                participant_name: names.get(&row.participant_id).cloned().unwrap_or_default(),
                participant_id: ParticipantId::from_db(row.participant_id),
                class: HitClass::from_db(&row.class),
                reason: row.reason,
                method: row.method,
                user_agent: row.user_agent,
            })
            .collect();
        Ok(HitPage {
            items,
            page,
            pages,
            total,
        })
    }
}

/// Participants by tickets, then clicks, then name; ranks shared by equal figures.
fn leaderboard(
    promotion: &Promotion,
    people: &HashMap<String, Participant>,
    tallies: &HashMap<ParticipantId, Tally>,
    currency: &str,
) -> Vec<Leader> {
    let mut lines: Vec<Leader> = people
        .values()
        .map(|p| {
            let tally = tallies.get(&p.id).cloned().unwrap_or_default();
            Leader {
                rank: 0,
                participant_id: p.id.clone(),
                name: p.name.clone(),
                email: p.email.clone(),
                clicks: tally.clicks,
                tickets: tally.tickets,
                revenue_minor: tally.revenue_minor,
                currency: tally.currency.or_else(|| Some(currency.to_string())),
                reached: standing(&promotion.tiers, tally.tickets).reached,
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        b.tickets
            .cmp(&a.tickets)
            .then(b.clicks.cmp(&a.clicks))
            .then(a.name.cmp(&b.name))
            .then(a.participant_id.as_str().cmp(b.participant_id.as_str()))
    });
    let mut previous: Option<(u64, u64, usize)> = None;
    for (i, line) in lines.iter_mut().enumerate() {
        line.rank = match previous {
            Some((tickets, clicks, rank)) if tickets == line.tickets && clicks == line.clicks => {
                rank
            }
            _ => i + 1,
        };
        previous = Some((line.tickets, line.clicks, line.rank));
    }
    lines
}

/// The ledger's rows grouped by the promotion's tiers (a tier since removed still shows, with
/// the reward it had).
fn winners(promotion: &Promotion, rewards: &[Reward]) -> Vec<TierWinners> {
    let mut tiers: Vec<Tier> = promotion.tiers.clone();
    for reward in rewards {
        if !tiers.iter().any(|t| t.tickets == reward.tier.tickets) {
            tiers.push(reward.tier.clone());
        }
    }
    tiers.sort_by_key(|t| t.tickets);
    tiers
        .into_iter()
        .map(|tier| TierWinners {
            winners: rewards
                .iter()
                .filter(|r| r.tier.tickets == tier.tickets)
                .map(|r| Winner {
                    participant_id: r.participant_id.clone(),
                    name: r.participant_name.clone(),
                    email: r.participant_email.clone(),
                    state: r.state,
                })
                .collect(),
            tier,
        })
        .collect()
}

/// Every day from the first to the last, zeros where nothing happened.
fn fill_days(days: &BTreeMap<NaiveDate, (u64, u64)>) -> Vec<Day> {
    let (Some(first), Some(last)) = (days.keys().next(), days.keys().next_back()) else {
        return Vec::new();
    };
    first
        .iter_days()
        .take_while(|d| d <= last)
        .map(|d| {
            let (clicks, tickets) = days.get(&d).copied().unwrap_or_default();
            Day {
                date: d.format("%Y-%m-%d").to_string(),
                clicks,
                tickets,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daily_series_has_every_day_between_the_first_and_the_last() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2031, 1, d).expect("a date");
        let days = BTreeMap::from([(day(1), (3, 0)), (day(4), (1, 2))]);
        let filled = fill_days(&days);
        let dates: Vec<_> = filled.iter().map(|d| d.date.as_str()).collect();
        assert_eq!(
            dates,
            ["2031-01-01", "2031-01-02", "2031-01-03", "2031-01-04"]
        );
        assert_eq!(filled.last().map(|d| (d.clicks, d.tickets)), Some((1, 2)));
        assert!(fill_days(&BTreeMap::new()).is_empty());
    }
}
