//! The referral programme's mail.
//!
//! **The participant's link mail** (`referral_link`: the programme, its tiers, the tracking
//! link and the private progress link) is **marketing**: it invites the buyer to promote the
//! organizer's event, which is more than the purchase they made needs. So it follows the
//! platform's marketing rule: it is queued with the customer's [`LINK_PERMISSION`] as its
//! consent and an unsubscribe link, and the delivery sends it only when that permission is
//! granted at the moment of sending (otherwise the outbox shows it `suppressed`). This holds for
//! the mail after a purchase and for the back-dated mail alike. The confirmation page's panel
//! (no mail) shows the same links to every buyer.
//!
//! Each participant's link mail goes at most once, whoever asks (the sweep after a purchase, the
//! back-dating job, a second run of it, two processes at once): the claim on `mailed_at` (the
//! same conditional update as [`Referrals::claim_mail`]) is made **in the transaction that
//! queues the message**, so a process that dies in between leaves neither the claim nor the
//! message, and the next run mails that participant exactly once. `mailed_at` means "the link
//! mail was handed to the outbox" (sent, or suppressed for lack of permission), or, for a
//! customer without an address or a promotion closed before it could go, that there was nothing
//! to send.
//!
//! **The staff reminders** go to the promotion's staff addresses, or else to the organization's
//! members who may market: `referral_staff_tier` when rewards are reached (each reward moves
//! earned → reminded) and `referral_staff_closed` once a promotion has closed (its final
//! leaderboard and the rewards still to fulfil). Both are claimed by a conditional update in
//! the transaction that queues them, so two processes never send one twice.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use fullhouse_core::mail::{
    self, templates, MailService, MailTemplate, MarketingConsent, NewMessage, QueuedMessage,
    Rendered,
};
use fullhouse_core::tenancy::model::Permission;
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_web::Lang;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{json, Value};

use super::{promotion_of, Referrals, SOURCE_PURCHASE};
use crate::model::*;
use crate::store::{
    referral_participants as participants, referral_promotions as promotions,
    referral_rewards as rewards,
};

/// The participant's mail with their links.
pub const LINK_TEMPLATE: &str = "referral_link";
/// The staff's reminder that rewards were reached.
pub const STAFF_TIER_TEMPLATE: &str = "referral_staff_tier";
/// The staff's mail when a promotion has closed.
pub const STAFF_CLOSED_TEMPLATE: &str = "referral_staff_closed";
/// The customer permission the link mail needs: the platform's email-marketing permission.
pub const LINK_PERMISSION: &str = "newsletter";
/// New participants mailed per sweep round (the next round takes the rest).
const NEW_PARTICIPANTS_BATCH: u64 = 500;
/// Rewards reminded per sweep round.
const REWARDS_BATCH: u64 = 1_000;
/// Promotions closed early given their closing mail per sweep round.
const CLOSINGS_BATCH: u64 = 50;
/// Participants named on the closing mail's leaderboard.
const LEADERBOARD_SIZE: usize = 10;

/// Someone on the staff, and the language to write to them in.
struct Recipient {
    email: String,
    name: String,
    lang: Lang,
}

/// One message ready to queue, keyed for the outbox.
struct Ready {
    to: String,
    name: Option<String>,
    rendered: Rendered,
    key: String,
}

impl Referrals {
    /// Mails `participant` their links unless they were mailed already; true when this call
    /// queued the mail (see the module's documentation for consent and the claim).
    pub async fn mail_link(&self, org: &OrgId, participant: &Participant) -> Result<bool> {
        Ok(self
            .mail_links(org, std::slice::from_ref(participant))
            .await?
            > 0)
    }

    /// Mails each of `list` (participants of `org`) their links, at most once each; how many
    /// mails this call queued. One transaction claims and queues them all; templates render in
    /// one sandbox exchange per promotion and language.
    pub async fn mail_links(&self, org: &OrgId, list: &[Participant]) -> Result<usize> {
        let pending: Vec<&Participant> = list.iter().filter(|p| p.mailed_at.is_none()).collect();
        if pending.is_empty() {
            return Ok(0);
        }
        let organization = TenancyService::new(self.db.clone())
            .organization(org)
            .await?;
        let fallback = Lang::from_stored(&organization.default_language);
        let mut by_promotion: BTreeMap<&str, Vec<&Participant>> = BTreeMap::new();
        for participant in pending {
            by_promotion
                .entry(participant.promotion_id.as_str())
                .or_default()
                .push(participant);
        }
        // (participant, message): a participant without a message is claimed with nothing sent.
        let mut outcomes: Vec<(ParticipantId, Option<QueuedMessage>)> = Vec::new();
        for (promotion, members) in by_promotion {
            let promotion = self
                .promotion(org, &PromotionId::from_db(promotion.to_string()))
                .await?;
            let event = self.first_event(org, &promotion).await?;
            let mut by_lang: BTreeMap<&'static str, Vec<(&Participant, Value, String)>> =
                BTreeMap::new();
            for participant in members {
                let sendable = !participant.email.trim().is_empty()
                    && promotion.status != PromotionStatus::Closed;
                if !sendable {
                    outcomes.push((participant.id.clone(), None));
                    continue;
                }
                let lang = Lang::parse(&participant.language).unwrap_or(fallback);
                let token = mail::service::new_unsubscribe_token();
                let variables = self.link_variables(
                    &organization.name,
                    &promotion,
                    event.as_ref(),
                    participant,
                    lang,
                    &token,
                );
                by_lang
                    .entry(lang.code())
                    .or_default()
                    .push((participant, variables, token));
            }
            for (code, group) in by_lang {
                let variables = group.iter().map(|(_, v, _)| v.clone()).collect();
                let rendered = self.render_all(org, LINK_TEMPLATE, code, variables).await?;
                for ((participant, _, token), rendered) in group.into_iter().zip(rendered) {
                    let message = NewMessage {
                        to_email: participant.email.clone(),
                        to_name: Some(participant.name.clone())
                            .filter(|n| !n.trim().is_empty() && !n.contains('@')),
                        subject: rendered.subject,
                        html: rendered.html,
                        text: Some(rendered.text),
                        marketing: Some(MarketingConsent {
                            customer_id: participant.customer_id.to_string(),
                            permission: LINK_PERMISSION.to_string(),
                        }),
                        idempotency_key: format!("referral-link:{}", participant.id),
                        attachments: Vec::new(),
                    };
                    outcomes.push((
                        participant.id.clone(),
                        Some(QueuedMessage {
                            message,
                            unsubscribe_token: Some(token),
                        }),
                    ));
                }
            }
        }
        let now = self.now();
        let txn = self.db.begin_write().await?;
        let mut messages = Vec::new();
        for (participant, message) in outcomes {
            if claim_in(&txn, org, &participant, now).await? {
                messages.extend(message);
            }
        }
        let queued = if messages.is_empty() {
            0
        } else {
            mail::queue(&txn, org, messages).await?
        };
        txn.commit().await?;
        Ok(queued)
    }

    /// Mails the participants enrolled by a purchase who have not had their links yet (one
    /// query; the oldest first, a batch per round); how many mails were queued.
    pub(crate) async fn mail_new_participants(&self) -> Result<usize> {
        let rows = participants::Entity::find()
            .filter(participants::Column::MailedAt.is_null())
            .filter(participants::Column::Source.eq(SOURCE_PURCHASE))
            .order_by_asc(participants::Column::CreatedAt)
            .limit(NEW_PARTICIPANTS_BATCH)
            .all(self.db.reader())
            .await?;
        let mut by_org: BTreeMap<String, Vec<Participant>> = BTreeMap::new();
        for row in rows {
            by_org
                .entry(row.organization_id.clone())
                .or_default()
                .push(super::participants::participant_of(row));
        }
        let mut queued = 0;
        for (org, list) in by_org {
            let org = OrgId::from_db(org);
            match self.mail_links(&org, &list).await {
                Ok(count) => queued += count,
                // One organization's broken template or data must not hold up the others.
                Err(err) => tracing::warn!(%org, error = ?err, "referral link mails failed"),
            }
        }
        Ok(queued)
    }

    /// Staff reminders that are due: rewards earned and not yet reminded, then promotions that
    /// have closed and had no closing mail. Returns how many mails were queued.
    pub async fn send_due_staff_reminders(&self) -> Result<usize> {
        let mut queued = 0;
        let due = rewards::Entity::find()
            .filter(rewards::Column::State.eq(RewardState::Earned.as_str()))
            .order_by_asc(rewards::Column::EarnedAt)
            .limit(REWARDS_BATCH)
            .all(self.db.reader())
            .await?;
        let mut by_promotion: BTreeMap<(String, String), Vec<rewards::Model>> = BTreeMap::new();
        for row in due {
            by_promotion
                .entry((row.organization_id.clone(), row.promotion_id.clone()))
                .or_default()
                .push(row);
        }
        for ((org, promotion), rows) in by_promotion {
            let org = OrgId::from_db(org);
            let promotion = PromotionId::from_db(promotion);
            match self.remind_tiers(&org, &promotion, rows).await {
                Ok(count) => queued += count,
                Err(err) => {
                    tracing::warn!(%org, %promotion, error = ?err, "a referral tier reminder failed")
                }
            }
        }
        let now = self.now();
        // Past their close time, and closed early by the organizer.
        let mut closed = self.due_close_notices().await?;
        closed.extend(
            promotions::Entity::find()
                .filter(promotions::Column::CloseNoticeSentAt.is_null())
                .filter(promotions::Column::ClosedAt.is_not_null())
                .filter(promotions::Column::ClosesAt.gt(now))
                .limit(CLOSINGS_BATCH)
                .all(self.db.reader())
                .await?,
        );
        for row in closed {
            let org = OrgId::from_db(row.organization_id.clone());
            let id = row.id.clone();
            let result = match promotion_of(row, now) {
                Ok(promotion) => self.send_closing(&org, &promotion).await,
                Err(err) => Err(err),
            };
            match result {
                Ok(count) => queued += count,
                Err(err) => {
                    tracing::warn!(%org, promotion = %id, error = ?err, "a referral closing mail failed")
                }
            }
        }
        Ok(queued)
    }

    /// Tells the staff about the rewards of one promotion that are earned and not reminded.
    async fn remind_tiers(
        &self,
        org: &OrgId,
        promotion: &PromotionId,
        rows: Vec<rewards::Model>,
    ) -> Result<usize> {
        let promotion = self.promotion(org, promotion).await?;
        let (organization, staff) = self.staff(org, &promotion).await?;
        if staff.is_empty() {
            // Left earned: the next round tries again once someone may receive it.
            tracing::warn!(%org, promotion = %promotion.id, "no staff to remind of referral rewards");
            return Ok(0);
        }
        let names = self.names(org, &promotion.id).await?;
        let tallies = self.tallies(org, Some(&promotion.id), None).await?;
        let templates = self.templates_for(org, STAFF_TIER_TEMPLATE, &staff).await?;
        let now = self.now();
        let txn = self.db.begin_write().await?;
        let mut claimed = Vec::new();
        for row in rows {
            let moved = rewards::Entity::update_many()
                .col_expr(
                    rewards::Column::State,
                    Expr::value(RewardState::Reminded.as_str()),
                )
                .col_expr(rewards::Column::RemindedAt, Expr::value(Some(now)))
                .filter(rewards::Column::OrganizationId.eq(org.as_str()))
                .filter(rewards::Column::Id.eq(row.id.as_str()))
                .filter(rewards::Column::State.eq(RewardState::Earned.as_str()))
                .exec(&txn)
                .await?
                .rows_affected;
            if moved == 1 {
                claimed.push(row);
            }
        }
        let Some(first) = claimed.first().map(|r| r.id.clone()) else {
            txn.rollback().await?;
            return Ok(0);
        };
        let listed: Vec<Value> = claimed
            .iter()
            .map(|r| {
                let (name, email) = names.get(&r.participant_id).cloned().unwrap_or_default();
                let tickets = tallies
                    .get(&ParticipantId::from_db(r.participant_id.clone()))
                    .map(|t| t.tickets)
                    .unwrap_or(0);
                json!({"participant": name, "email": email, "tier_tickets": r.tier_tickets, "reward": r.reward, "tickets": tickets})
            })
            .collect();
        let mut ready = Vec::new();
        for recipient in &staff {
            let variables = json!({
                "organization": organization,
                "recipient": recipient.name,
                "promotion": {"name": promotion.name, "url": self.promotion_url(&promotion.id)},
                "count": listed.len(),
                "rewards": listed,
            });
            let template = templates
                .get(recipient.lang.code())
                .ok_or_else(|| Error::internal("a staff template was not loaded"))?;
            ready.push(Ready {
                to: recipient.email.clone(),
                name: Some(recipient.name.clone()),
                rendered: render_one(template, STAFF_TIER_TEMPLATE, recipient.lang, &variables)
                    .await?,
                // The first reward this call claimed names the batch: no other batch has it.
                key: format!("referral-tier:{first}:{}", recipient.email),
            });
        }
        let queued = mail::queue(&txn, org, transactional(ready)).await?;
        txn.commit().await?;
        Ok(queued)
    }

    /// The closing mail of one promotion, once: the claim is `close_notice_sent_at`.
    async fn send_closing(&self, org: &OrgId, promotion: &Promotion) -> Result<usize> {
        let (organization, staff) = self.staff(org, promotion).await?;
        let names = self.names(org, &promotion.id).await?;
        let tallies = self.tallies(org, Some(&promotion.id), None).await?;
        let winners: Vec<Value> = self
            .rewards(org, &promotion.id)
            .await?
            .into_iter()
            .filter(|r| r.state != RewardState::Fulfilled)
            .map(|r| json!({"participant": r.participant_name, "email": r.participant_email, "tier_tickets": r.tier.tickets, "reward": r.tier.reward, "state": r.state.as_str()}))
            .collect();
        let mut board: Vec<(&ParticipantId, &Tally)> =
            tallies.iter().filter(|(_, t)| t.tickets > 0).collect();
        board.sort_by(|a, b| {
            (b.1.tickets, b.1.clicks, a.0.as_str()).cmp(&(a.1.tickets, a.1.clicks, b.0.as_str()))
        });
        let currency = tallies
            .values()
            .find_map(|t| t.currency.clone())
            .unwrap_or_default();
        let tickets: u64 = tallies.values().map(|t| t.tickets).sum();
        let revenue: i64 = tallies.values().map(|t| t.revenue_minor).sum();
        let zone = self
            .first_event(org, promotion)
            .await?
            .map(|e| e.venue_timezone)
            .unwrap_or_else(|| "UTC".to_string());
        let closed_at = promotion
            .closed_at
            .unwrap_or(promotion.closes_at)
            .min(promotion.closes_at);
        let templates = self
            .templates_for(org, STAFF_CLOSED_TEMPLATE, &staff)
            .await?;
        let now = self.now();
        let txn = self.db.begin_write().await?;
        let claimed = promotions::Entity::update_many()
            .col_expr(
                promotions::Column::CloseNoticeSentAt,
                Expr::value(Some(now)),
            )
            .filter(promotions::Column::OrganizationId.eq(org.as_str()))
            .filter(promotions::Column::Id.eq(promotion.id.as_str()))
            .filter(promotions::Column::CloseNoticeSentAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            txn.rollback().await?;
            return Ok(0);
        }
        let mut ready = Vec::new();
        for recipient in &staff {
            let lang = recipient.lang;
            let leaderboard: Vec<Value> = board
                .iter()
                .take(LEADERBOARD_SIZE)
                .enumerate()
                .map(|(i, (id, tally))| {
                    let name = names
                        .get(id.as_str())
                        .map(|(name, _)| name.clone())
                        .unwrap_or_default();
                    json!({
                        "rank": i + 1,
                        "participant": name,
                        "tickets": tally.tickets,
                        "revenue": lang.money(tally.revenue_minor, tally.currency.as_deref().unwrap_or(&currency)),
                        "clicks": tally.clicks,
                    })
                })
                .collect();
            let variables = json!({
                "organization": organization,
                "recipient": recipient.name,
                "promotion": {
                    "name": promotion.name,
                    "url": self.promotion_url(&promotion.id),
                    "closes_at": lang.local_time(closed_at, &zone),
                },
                "totals": {"participants": names.len(), "tickets": tickets, "revenue": lang.money(revenue, &currency)},
                "leaderboard": leaderboard,
                "count": winners.len(),
                "winners": winners,
            });
            let template = templates
                .get(lang.code())
                .ok_or_else(|| Error::internal("a staff template was not loaded"))?;
            ready.push(Ready {
                to: recipient.email.clone(),
                name: Some(recipient.name.clone()),
                rendered: render_one(template, STAFF_CLOSED_TEMPLATE, lang, &variables).await?,
                key: format!("referral-closed:{}:{}", promotion.id, recipient.email),
            });
        }
        let queued = if ready.is_empty() {
            0
        } else {
            mail::queue(&txn, org, transactional(ready)).await?
        };
        txn.commit().await?;
        Ok(queued)
    }

    /// The organization's name and who hears about a promotion's rewards: its staff addresses
    /// (in the language of the member with that address, else the organization's), or else
    /// every enabled member who may market.
    async fn staff(&self, org: &OrgId, promotion: &Promotion) -> Result<(String, Vec<Recipient>)> {
        let tenancy = TenancyService::new(self.db.clone());
        let organization = tenancy.organization(org).await?;
        let fallback = Lang::from_stored(&organization.default_language);
        let users = tenancy.list_users(org).await?;
        let recipients = if promotion.staff_emails.is_empty() {
            users
                .into_iter()
                .filter(|u| !u.disabled && u.role.allows(Permission::Market))
                .map(|u| Recipient {
                    lang: Lang::from_stored(&u.language),
                    email: u.email,
                    name: u.name,
                })
                .collect()
        } else {
            let by_email: HashMap<String, _> = users
                .into_iter()
                .map(|u| (u.email.to_lowercase(), u))
                .collect();
            promotion
                .staff_emails
                .iter()
                .map(|email| match by_email.get(&email.to_lowercase()) {
                    Some(user) => Recipient {
                        email: email.clone(),
                        name: user.name.clone(),
                        lang: Lang::from_stored(&user.language),
                    },
                    None => Recipient {
                        email: email.clone(),
                        name: email.clone(),
                        lang: fallback,
                    },
                })
                .collect()
        };
        Ok((organization.name, recipients))
    }

    /// The organization's version of `key` in each language the recipients read.
    async fn templates_for(
        &self,
        org: &OrgId,
        key: &str,
        staff: &[Recipient],
    ) -> Result<HashMap<&'static str, MailTemplate>> {
        let service = MailService::new(self.db.clone());
        let mut loaded = HashMap::new();
        for recipient in staff {
            let code = recipient.lang.code();
            if !loaded.contains_key(code) {
                loaded.insert(code, service.template(org, key, code).await?);
            }
        }
        Ok(loaded)
    }

    /// Renders `key` in language `code` once per variable set, in one sandbox exchange; an
    /// organization's template that fails falls back to the built-in one (the mail still goes).
    async fn render_all(
        &self,
        org: &OrgId,
        key: &str,
        code: &str,
        variables: Vec<Value>,
    ) -> Result<Vec<Rendered>> {
        let template = MailService::new(self.db.clone())
            .template(org, key, code)
            .await?;
        let renderer = mail::sandbox::renderer();
        let results = match renderer.render_many(&template, variables.clone()).await {
            Ok(results) => results,
            Err(err) if !template.built_in => {
                tracing::warn!(%org, key, error = %err, "the organization's template failed; using the built-in one");
                renderer
                    .render_many(&built_in(key, code)?, variables.clone())
                    .await?
            }
            Err(err) => return Err(err),
        };
        let mut rendered = Vec::with_capacity(results.len());
        for (result, variables) in results.into_iter().zip(variables) {
            rendered.push(match result {
                Ok(done) => done,
                Err(_) if !template.built_in => {
                    renderer.render(&built_in(key, code)?, &variables).await?
                }
                Err(err) => return Err(err),
            });
        }
        Ok(rendered)
    }

    /// The link mail's variables in `lang` (times on the venue's clock).
    fn link_variables(
        &self,
        organization: &str,
        promotion: &Promotion,
        event: Option<&Event>,
        participant: &Participant,
        lang: Lang,
        unsubscribe_token: &str,
    ) -> Value {
        let zone = event.map_or("UTC", |e| e.venue_timezone.as_str());
        let name = participant.name.trim();
        let first_name = if name.contains('@') || name == participant.customer_id.as_str() {
            ""
        } else {
            name
        };
        json!({
            "organization": organization,
            "customer": {"first_name": first_name},
            "promotion": {
                "name": promotion.name,
                "closes_at": lang.local_time(promotion.closes_at, zone),
            },
            "event": {
                "title": event.map(|e| e.title.clone()).unwrap_or_else(|| promotion.name.clone()),
                "starts_at": event.map(|e| lang.local_time(e.starts_at, zone)).unwrap_or_default(),
            },
            "tiers": promotion.tiers,
            "tracking_link": self.tracking_link(&participant.code),
            "progress_link": self.progress_link(&participant.token),
            "unsubscribe_url": mail::unsubscribe_url(self.public_url(), unsubscribe_token),
        })
    }

    /// The organizer's page of a promotion (its report and reward ledger).
    pub fn promotion_url(&self, promotion: &PromotionId) -> String {
        format!("{}/referrals/{promotion}", self.public_url())
    }
}

/// Claims a participant's link mail inside `txn` (see the module's documentation).
async fn claim_in(
    txn: &DatabaseTransaction,
    org: &OrgId,
    participant: &ParticipantId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let claimed = participants::Entity::update_many()
        .col_expr(participants::Column::MailedAt, Expr::value(Some(now)))
        .filter(participants::Column::OrganizationId.eq(org.as_str()))
        .filter(participants::Column::Id.eq(participant.as_str()))
        .filter(participants::Column::MailedAt.is_null())
        .exec(txn)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Renders one staff mail, falling back to the built-in template when the organization's fails.
async fn render_one(
    template: &MailTemplate,
    key: &str,
    lang: Lang,
    variables: &Value,
) -> Result<Rendered> {
    let renderer = mail::sandbox::renderer();
    match renderer.render(template, variables).await {
        Ok(rendered) => Ok(rendered),
        Err(err) if !template.built_in => {
            tracing::warn!(key, error = %err, "the organization's template failed; using the built-in one");
            renderer
                .render(&built_in(key, lang.code())?, variables)
                .await
        }
        Err(err) => Err(err),
    }
}

fn built_in(key: &str, code: &str) -> Result<MailTemplate> {
    templates::built_in(key, code).ok_or(Error::NotFound("template"))
}

/// Staff mail: transactional (no permission, no unsubscribe link).
fn transactional(ready: Vec<Ready>) -> Vec<QueuedMessage> {
    ready
        .into_iter()
        .map(|r| QueuedMessage {
            message: NewMessage {
                to_email: r.to,
                to_name: r.name,
                subject: r.rendered.subject,
                html: r.rendered.html,
                text: Some(r.rendered.text),
                marketing: None,
                idempotency_key: r.key,
                attachments: Vec::new(),
            },
            unsubscribe_token: None,
        })
        .collect()
}
