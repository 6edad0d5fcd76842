//! The form that makes a promotion: what it is on (an event, or every event of a production),
//! its reward tiers, its open and close times on the venue's clock, the attribution window,
//! which orders count and where staff reminders go. Everything refused comes back beside its
//! field, all at once.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_core::{Error, FieldError, Permission};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_ticketing::{EventId, ProductionId};
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use super::list::events_in_date_order;
use super::parse_local;
use crate::model::*;
use crate::service::Referrals;

/// Tier rows the form offers beyond those filled in.
const SPARE_TIERS: usize = 2;

/// The form as posted, unparsed: what a person typed comes back as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct NewForm {
    #[serde(default)]
    name: String,
    /// `event:<id>` or `production:<id>`.
    #[serde(default)]
    scope: String,
    #[serde(default)]
    opens_at: String,
    #[serde(default)]
    closes_at: String,
    #[serde(default)]
    attribution_days: String,
    #[serde(default)]
    counts: String,
    #[serde(default)]
    staff_emails: String,
    #[serde(default)]
    tier_tickets: Vec<String>,
    #[serde(default)]
    tier_reward: Vec<String>,
}

/// One tier row of the form.
pub(super) struct TierRow {
    pub tickets: String,
    pub reward: String,
    pub tickets_error: Option<String>,
    pub reward_error: Option<String>,
}

/// One choice of what a promotion is on.
struct ScopeChoice {
    value: String,
    label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/referrals/new.html")]
struct NewPage {
    ui: Ui,
    form: NewForm,
    events: Vec<ScopeChoice>,
    productions: Vec<ScopeChoice>,
    tiers: Vec<TierRow>,
    errors: FormErrors,
    staff_error: Option<String>,
}

/// The tier rows of a form: those typed (blank rows dropped), then spare ones, with each
/// row's problems.
pub(super) fn tier_rows(
    tickets: &[String],
    rewards: &[String],
    errors: &FormErrors,
) -> Vec<TierRow> {
    let mut rows: Vec<TierRow> = tickets
        .iter()
        .zip(rewards.iter().chain(std::iter::repeat(&String::new())))
        .filter(|(t, r)| !t.trim().is_empty() || !r.trim().is_empty())
        .enumerate()
        .map(|(i, (t, r))| TierRow {
            tickets: t.clone(),
            reward: r.clone(),
            tickets_error: errors
                .field(&format!("tiers[{i}].tickets"))
                .map(str::to_string),
            reward_error: errors
                .field(&format!("tiers[{i}].reward"))
                .map(str::to_string),
        })
        .collect();
    for _ in 0..SPARE_TIERS {
        rows.push(TierRow {
            tickets: String::new(),
            reward: String::new(),
            tickets_error: None,
            reward_error: None,
        });
    }
    rows
}

/// The tiers typed, in order, blank rows left out; a count that is not a whole number is
/// named with its field.
pub(super) fn parse_tiers(
    tickets: &[String],
    rewards: &[String],
    problems: &mut Vec<FieldError>,
) -> Vec<Tier> {
    tickets
        .iter()
        .zip(rewards.iter().chain(std::iter::repeat(&String::new())))
        .filter(|(t, r)| !t.trim().is_empty() || !r.trim().is_empty())
        .enumerate()
        .map(|(i, (t, r))| {
            let tickets = t.trim().parse::<u32>().unwrap_or_else(|_| {
                problems.push(FieldError::new(
                    format!("tiers[{i}].tickets"),
                    "give a whole number of tickets",
                ));
                u32::MAX
            });
            Tier {
                tickets,
                reward: r.clone(),
            }
        })
        .collect()
}

impl NewForm {
    /// The scope chosen, and the venue's zone its times are typed in.
    fn scope(&self, events: &[Event]) -> Option<(Scope, String)> {
        let (kind, id) = self.scope.split_once(':')?;
        match kind {
            "event" => {
                let id = EventId::parse(id).ok()?;
                let zone = events
                    .iter()
                    .find(|e| e.id == id)
                    .map_or_else(|| "UTC".to_string(), |e| e.venue_timezone.clone());
                Some((Scope::Event(id), zone))
            }
            "production" => {
                let id = ProductionId::parse(id).ok()?;
                let zone = events
                    .iter()
                    .find(|e| e.production_id == id)
                    .map_or_else(|| "UTC".to_string(), |e| e.venue_timezone.clone());
                Some((Scope::Production(id), zone))
            }
            _ => None,
        }
    }

    /// The service's request, or every problem found here (the service finds the rest).
    fn parse(&self, events: &[Event]) -> Result<NewPromotion, Error> {
        let mut problems = Vec::new();
        let scope = self.scope(events);
        if scope.is_none() {
            problems.push(FieldError::new("scope", "choose an event or a production"));
        }
        let zone = scope.as_ref().map_or("UTC", |(_, z)| z.as_str());
        let mut time = |field: &str, value: &str| {
            if value.trim().is_empty() {
                return None;
            }
            let at = parse_local(value, zone);
            if at.is_none() {
                problems.push(FieldError::new(field, "give a date and time"));
            }
            at
        };
        let opens_at = time("opens_at", &self.opens_at);
        let closes_at = time("closes_at", &self.closes_at);
        let attribution_days = match self.attribution_days.trim() {
            "" => None,
            days => match days.parse::<u32>() {
                Ok(days) => Some(days),
                Err(_) => {
                    problems.push(FieldError::new(
                        "attribution_days",
                        "give a whole number of days",
                    ));
                    None
                }
            },
        };
        let tiers = parse_tiers(&self.tier_tickets, &self.tier_reward, &mut problems);
        let staff_emails = self
            .staff_emails
            .split([',', '\n', ';'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect();
        let new = NewPromotion {
            name: self.name.clone(),
            scope: scope
                .map(|(s, _)| s)
                .unwrap_or_else(|| Scope::Event(EventId::generate())),
            opens_at,
            closes_at,
            attribution_days,
            counts: Some(if self.counts == "paid_or_awaiting" {
                Counts::PaidOrAwaiting
            } else {
                Counts::Paid
            }),
            tiers,
            staff_emails,
        };
        // The model's own checks too, so that every problem shows at once.
        check_promotion(&new, &mut problems);
        problems.dedup_by(|a, b| a.field == b.field);
        refuse(problems)?;
        Ok(new)
    }
}

async fn render(
    referrals: &Referrals,
    ui: Ui,
    form: NewForm,
    refused: Option<&Error>,
) -> Result<Response, PageError> {
    let events = events_in_date_order(referrals.db(), &ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    let errors = refused.map_or_else(FormErrors::default, |e| FormErrors::from_error(ui.lang, e));
    let staff: Vec<String> = (0..MAX_TIERS * 10)
        .filter_map(|i| {
            errors
                .field(&format!("staff_emails[{i}]"))
                .map(str::to_string)
        })
        .collect();
    let mut productions: Vec<ScopeChoice> = Vec::new();
    for e in &events {
        let value = format!("production:{}", e.production_id);
        if !productions.iter().any(|p| p.value == value) {
            productions.push(ScopeChoice {
                value,
                label: ui
                    .lang
                    .t1("referrals-scope-production", "name", &e.production_name),
            });
        }
    }
    let choices = events
        .iter()
        .map(|e| ScopeChoice {
            value: format!("event:{}", e.id),
            label: format!(
                "{} · {} · {}",
                ui.lang.local_time(e.starts_at, &e.venue_timezone),
                e.title,
                e.venue_name
            ),
        })
        .collect();
    let page = NewPage {
        tiers: tier_rows(&form.tier_tickets, &form.tier_reward, &errors),
        staff_error: (!staff.is_empty()).then(|| staff.join(" ")),
        events: choices,
        productions,
        form,
        errors,
        ui,
    };
    let errors = page.errors.clone();
    Ok(with_status(&errors, page))
}

pub(super) async fn form(
    Extension(referrals): Extension<Referrals>,
    ui: Ui,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let form = NewForm {
        attribution_days: DEFAULT_ATTRIBUTION_DAYS.to_string(),
        ..NewForm::default()
    };
    render(&referrals, ui, form, None).await
}

pub(super) async fn create(
    Extension(referrals): Extension<Referrals>,
    CsrfForm { ui, form }: CsrfForm<NewForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let events = events_in_date_order(referrals.db(), &ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    let made = match form.parse(&events) {
        Ok(new) => {
            let actor = referrals.actor(&ui.caller).await;
            referrals
                .create_promotion(&ui.caller.org, new, &actor)
                .await
        }
        Err(err) => Err(err),
    };
    match made {
        Ok(promotion) => {
            Ok(Redirect::to(&format!("/referrals/{}?created=1", promotion.id)).into_response())
        }
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            render(&referrals, ui, form, Some(&err)).await
        }
        Err(err) => Err(ui.error(err)),
    }
}
