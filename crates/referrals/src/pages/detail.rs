//! A promotion's page: its figures, the daily charts, the leaderboard, winners by tier, hits by
//! class with their reasons and the latest hits, the reward ledger with a Fulfil button per
//! reward, the tiers' form, Close (with a confirmation) and the CSV export. Every action is a
//! CSRF-checked form that comes back here with what it did.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_core::{Error, FieldError, Permission};
use fullhouse_web::i18n::error_message;
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use super::charts::{series, Chart, Kind};
use super::list::{events_in_date_order, scope_words};
use super::new::{parse_tiers, tier_rows, TierRow};
use super::{class_label, percent, reward_state_label, status_class, status_label, verdict_label};
use crate::api_report::{csv_response, require_fulfil};
use crate::model::*;
use crate::service::report::{HitPage, Report};
use crate::service::Referrals;

/// Leaderboard lines the page shows (the CSV has them all).
const LEADERS_SHOWN: usize = 20;

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    created: String,
    #[serde(default)]
    done: String,
    #[serde(default)]
    hits_page: String,
}

/// One hit line in words.
struct HitLine {
    at: String,
    who: String,
    class: &'static str,
    class_label: String,
    reason: String,
}

/// One ledger line in words.
struct LedgerLine {
    reward: Reward,
    state: String,
    earned: String,
    reminded: String,
    fulfilled: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/referrals/detail.html")]
struct DetailPage {
    ui: Ui,
    report: Report,
    scope: String,
    status: String,
    status_class: &'static str,
    opens: String,
    closes: String,
    revenue: String,
    conversion: String,
    clicks_chart: String,
    tickets_chart: String,
    hits: HitPage,
    hit_lines: Vec<HitLine>,
    ledger: Vec<LedgerLine>,
    tiers: Vec<TierRow>,
    errors: FormErrors,
    notice: Option<String>,
    problem: Option<String>,
}

impl DetailPage {
    fn closed(&self) -> bool {
        self.report.promotion.status == PromotionStatus::Closed
    }

    fn leaders(&self) -> &[crate::service::report::Leader] {
        let n = self.report.leaderboard.len().min(LEADERS_SHOWN);
        self.report.leaderboard.get(..n).unwrap_or_default()
    }

    /// A participant's revenue, in the promotion's currency when they have sold nothing yet.
    fn money(&self, minor: &i64, currency: &Option<String>) -> String {
        let currency = currency
            .as_deref()
            .or(self.report.totals.currency.as_deref())
            .unwrap_or_default();
        self.ui.lang.money(*minor, currency)
    }

    fn class_words(&self, class: &HitClass) -> String {
        class_label(self.ui.lang, *class)
    }

    fn verdict_words(&self, verdict: &Verdict) -> String {
        verdict_label(self.ui.lang, *verdict)
    }

    fn state_words(&self, state: &RewardState) -> String {
        reward_state_label(self.ui.lang, *state)
    }

    fn tier_names(&self, tiers: &[Tier]) -> String {
        tiers
            .iter()
            .map(|t| t.reward.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn may_fulfil(&self) -> bool {
        self.ui.may(Permission::Sell) || self.ui.may(Permission::Market)
    }
}

/// What the page says after an action.
fn notice(ui: &Ui, query: &PageQuery) -> Option<String> {
    if !query.created.is_empty() {
        Some(ui.lang.t("referrals-created"))
    } else {
        match query.done.as_str() {
            "closed" => Some(ui.lang.t("referrals-closed-notice")),
            "tiers" => Some(ui.lang.t("referrals-tiers-saved")),
            "fulfilled" => Some(ui.lang.t("referrals-fulfilled-notice")),
            _ => None,
        }
    }
}

struct Refused {
    tickets: Vec<String>,
    rewards: Vec<String>,
    error: Error,
}

async fn render(
    referrals: &Referrals,
    ui: Ui,
    id: &PromotionId,
    query: PageQuery,
    refused: Option<Refused>,
    problem: Option<String>,
) -> Result<Response, PageError> {
    let org = ui.caller.org.clone();
    let report = referrals.report(&org, id).await.map_err(|e| ui.error(e))?;
    let hits = referrals
        .hits(&org, id, query.hits_page.trim().parse().unwrap_or(1))
        .await
        .map_err(|e| ui.error(e))?;
    let events = events_in_date_order(referrals.db(), &org)
        .await
        .map_err(|e| ui.error(e))?;
    let (scope, _) = scope_words(&ui, &report.promotion.scope, &events);
    let zone = report.timezone.clone();
    let lang = ui.lang;
    let clicks_chart = Chart {
        id: "clicks-chart",
        title: lang.t("referrals-chart-clicks"),
        desc: lang.t("referrals-chart-clicks-desc"),
        unit: lang.t("referrals-clicks").to_lowercase(),
        kind: Kind::Line,
        points: series(&report.daily, |d| d.clicks),
    }
    .svg();
    let tickets_chart = Chart {
        id: "tickets-chart",
        title: lang.t("referrals-chart-tickets"),
        desc: lang.t("referrals-chart-tickets-desc"),
        unit: lang.t("referrals-tickets").to_lowercase(),
        kind: Kind::Bars,
        points: series(&report.daily, |d| d.tickets),
    }
    .svg();
    let hit_lines = hits
        .items
        .iter()
        .map(|h| HitLine {
            at: lang.local_time(h.at, &zone),
            who: h.participant_name.clone(),
            class: h.class.as_str(),
            class_label: class_label(lang, h.class),
            reason: h.reason.clone(),
        })
        .collect();
    let ledger = report
        .rewards
        .iter()
        .map(|r| LedgerLine {
            state: reward_state_label(lang, r.state),
            earned: lang.local_time(r.earned_at, &zone),
            reminded: r
                .reminded_at
                .map(|at| lang.local_time(at, &zone))
                .unwrap_or_default(),
            fulfilled: r
                .fulfilled_at
                .map(|at| lang.local_time(at, &zone))
                .unwrap_or_default(),
            reward: r.clone(),
        })
        .collect();
    let (errors, tiers) = match refused {
        Some(refused) => {
            let errors = FormErrors::from_error(lang, &refused.error);
            let tiers = tier_rows(&refused.tickets, &refused.rewards, &errors);
            (errors, tiers)
        }
        None => {
            let tickets: Vec<String> = report
                .promotion
                .tiers
                .iter()
                .map(|t| t.tickets.to_string())
                .collect();
            let rewards: Vec<String> = report
                .promotion
                .tiers
                .iter()
                .map(|t| t.reward.clone())
                .collect();
            let errors = FormErrors::default();
            (errors.clone(), tier_rows(&tickets, &rewards, &errors))
        }
    };
    let page = DetailPage {
        status: status_label(lang, report.promotion.status),
        status_class: status_class(report.promotion.status),
        opens: lang.local_time(report.promotion.opens_at, &zone),
        closes: lang.local_time(
            report
                .promotion
                .closed_at
                .unwrap_or(report.promotion.closes_at),
            &zone,
        ),
        revenue: lang.money(
            report.totals.revenue_minor,
            report.totals.currency.as_deref().unwrap_or_default(),
        ),
        conversion: percent(lang, report.totals.conversion),
        notice: notice(&ui, &query),
        clicks_chart,
        tickets_chart,
        scope,
        hits,
        hit_lines,
        ledger,
        tiers,
        errors,
        problem,
        report,
        ui,
    };
    let errors = page.errors.clone();
    if page.problem.is_some() {
        return Ok((axum::http::StatusCode::CONFLICT, page).into_response());
    }
    Ok(with_status(&errors, page))
}

pub(super) async fn page(
    Extension(referrals): Extension<Referrals>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = PromotionId::parse(&id).map_err(|e| ui.error(e))?;
    render(&referrals, ui, &id, query, None, None).await
}

/// The close form: the box that says "yes, freeze the leaderboard".
#[derive(Debug, Default, Deserialize)]
pub(super) struct CloseForm {
    #[serde(default)]
    confirm: String,
}

pub(super) async fn close(
    Extension(referrals): Extension<Referrals>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<CloseForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = PromotionId::parse(&id).map_err(|e| ui.error(e))?;
    if form.confirm.is_empty() {
        let problem = Some(ui.lang.t("referrals-close-confirm-missing"));
        return render(&referrals, ui, &id, PageQuery::default(), None, problem).await;
    }
    let actor = referrals.actor(&ui.caller).await;
    referrals
        .close(&ui.caller.org, &id, &actor)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to(&format!("/referrals/{id}?done=closed")).into_response())
}

/// The tiers' form as posted.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TiersForm {
    #[serde(default)]
    tier_tickets: Vec<String>,
    #[serde(default)]
    tier_reward: Vec<String>,
}

pub(super) async fn tiers(
    Extension(referrals): Extension<Referrals>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<TiersForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = PromotionId::parse(&id).map_err(|e| ui.error(e))?;
    let mut problems: Vec<FieldError> = Vec::new();
    let tiers = parse_tiers(&form.tier_tickets, &form.tier_reward, &mut problems);
    let saved = match refuse(problems) {
        Ok(()) => referrals
            .set_tiers(&ui.caller.org, &id, tiers)
            .await
            .map(|_| ()),
        Err(err) => Err(err),
    };
    match saved {
        Ok(()) => Ok(Redirect::to(&format!("/referrals/{id}?done=tiers")).into_response()),
        Err(err @ Error::Validation { .. }) => {
            let refused = Refused {
                tickets: form.tier_tickets,
                rewards: form.tier_reward,
                error: err,
            };
            render(
                &referrals,
                ui,
                &id,
                PageQuery::default(),
                Some(refused),
                None,
            )
            .await
        }
        Err(err @ Error::Conflict { .. }) => {
            let problem = Some(error_message(ui.lang, &err));
            render(&referrals, ui, &id, PageQuery::default(), None, problem).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

/// The leaderboard as CSV, from the page (the session's own download).
pub(super) async fn csv(
    Extension(referrals): Extension<Referrals>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = PromotionId::parse(&id).map_err(|e| ui.error(e))?;
    let report = referrals
        .report(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(csv_response(&report))
}

/// Marks a reward fulfilled by the person logged in, then shows the promotion again.
pub(super) async fn fulfil(
    Extension(referrals): Extension<Referrals>,
    Path(id): Path<String>,
    CsrfForm { ui, form: _ }: CsrfForm<CloseForm>,
) -> Result<Response, PageError> {
    require_fulfil(&ui.caller).map_err(|e| ui.error(e))?;
    let id = RewardId::parse(&id).map_err(|e| ui.error(e))?;
    let who = referrals.actor(&ui.caller).await;
    let reward = referrals
        .fulfil(&ui.caller.org, &id, &who)
        .await
        .map_err(|e| ui.error(e))?;
    let participant = referrals
        .participant(&ui.caller.org, &reward.participant_id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to(&format!(
        "/referrals/{}?done=fulfilled#ledger",
        participant.promotion_id
    ))
    .into_response())
}
