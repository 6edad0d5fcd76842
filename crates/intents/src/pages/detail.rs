//! One intent's page: the booking (event on the venue's clock, tickets with seats and prices),
//! the customer, the payment link with a copy button, the status history with who and when, the
//! mails sent, and the actions its status allows now, each a CSRF-checked form.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_checkout::tickets::OrderTickets;
use fullhouse_checkout::PaymentMethod;
use fullhouse_core::{Error, Permission};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_ticketing::model::customers::Customer;
use fullhouse_ticketing::service::{CatalogService, CustomerService};
use fullhouse_web::i18n::error_message;
use fullhouse_web::{CsrfForm, PageError, Ui};
use serde::Deserialize;

use super::{customer_name, local_input, parse_local, status_class, status_label, strategy_label};
use crate::model::{Action, Deadline, HistoryEntry, IntentId, Strategy};
use crate::service::{ActionRequest, IntentDetail, Intents};

/// Actions in the order the page offers them.
const ACTIONS: [Action; 5] = [
    Action::MarkPaid,
    Action::Resend,
    Action::Extend,
    Action::Reopen,
    Action::Cancel,
];

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    created: String,
    #[serde(default)]
    done: String,
}

/// One ticket of the booking.
struct TicketRow {
    place: String,
    type_name: String,
    price: String,
}

/// One line of the history, in words.
struct HistoryRow {
    action: String,
    actor: String,
    detail: String,
    at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/intents/detail.html")]
struct DetailPage {
    ui: Ui,
    detail: IntentDetail,
    customer: Option<Customer>,
    customer_name: String,
    event: Option<Event>,
    tickets: Vec<TicketRow>,
    history: Vec<HistoryRow>,
    mails: Vec<HistoryRow>,
    actions: Vec<&'static str>,
    status: String,
    status_class: &'static str,
    strategy: String,
    deadline: String,
    /// The `datetime-local` value the extend and reopen fields start from.
    deadline_input: String,
    /// What the last action did, or why it was refused.
    notice: Option<String>,
    problem: Option<String>,
    /// How a payment outside Fullhouse was made, for "mark paid".
    methods: Vec<(&'static str, String)>,
}

impl DetailPage {
    fn allowed(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }

    fn pays_by_link(&self) -> bool {
        self.detail.intent.strategy == Strategy::PayByLink
    }
}

fn history_row(ui: &Ui, zone: &str, entry: &HistoryEntry) -> HistoryRow {
    HistoryRow {
        action: ui.lang.term("intent-history", &entry.action),
        actor: match entry.actor.as_str() {
            "system" => ui.lang.t("intents-actor-system"),
            "customer" => ui.lang.t("intents-actor-customer"),
            other => other.to_string(),
        },
        detail: detail_words(ui, zone, entry),
        at: ui.lang.local_time(entry.at, zone),
    }
}

/// A history line's detail in the reader's words: the strategy's name, a deadline on the
/// venue's clock, the mail template's name. Anything else (an organizer's reference) as stored.
fn detail_words(ui: &Ui, zone: &str, entry: &HistoryEntry) -> String {
    let Some(detail) = entry.detail.as_deref() else {
        return String::new();
    };
    match entry.action.as_str() {
        "created" => {
            Strategy::parse(detail).map_or_else(|| detail.to_string(), |s| ui.lang.t(s.label_key()))
        }
        "extended" | "reopened" => chrono::DateTime::parse_from_rfc3339(detail)
            .map(|at| ui.lang.local_time(at.with_timezone(&chrono::Utc), zone))
            .unwrap_or_else(|_| detail.to_string()),
        "mailed" | "reminded" => match detail.split_once(" → ") {
            Some((template, to)) => format!(
                "{} → {to}",
                ui.lang
                    .t(&format!("template-{}", template.replace('_', "-")))
            ),
            None => detail.to_string(),
        },
        _ => detail.to_string(),
    }
}

async fn render(
    intents: &Intents,
    ui: Ui,
    id: &IntentId,
    notice: Option<String>,
    problem: Option<String>,
) -> Result<Response, PageError> {
    let org = ui.caller.org.clone();
    let detail = intents.detail(&org, id).await.map_err(|e| ui.error(e))?;
    let intent = &detail.intent;
    let customer = CustomerService::new(intents.db().clone())
        .customer(&org, &intent.customer_id)
        .await
        .ok();
    let event = CatalogService::new(intents.db().clone())
        .event(&org, &intent.event_id)
        .await
        .ok();
    let zone = event
        .as_ref()
        .map_or_else(|| "UTC".to_string(), |e| e.venue_timezone.clone());
    let tickets = match (&detail.order, &event) {
        (Some(order), Some(event)) => OrderTickets::load(intents.db(), &org, order, event.clone())
            .await
            .map_err(|e| ui.error(e))?
            .lines
            .iter()
            .map(|line| TicketRow {
                place: line.place(ui.lang),
                type_name: line.type_name.clone(),
                price: line.price_line(ui.lang),
            })
            .collect(),
        _ => Vec::new(),
    };
    let history: Vec<HistoryRow> = detail
        .history
        .iter()
        .map(|h| history_row(&ui, &zone, h))
        .collect();
    let mails = detail
        .history
        .iter()
        .filter(|h| matches!(h.action.as_str(), "mailed" | "reminded" | "not_mailed"))
        .map(|h| history_row(&ui, &zone, h))
        .collect();
    let actions = ACTIONS
        .into_iter()
        .filter(|a| a.allowed(intent.strategy, intent.status).is_ok())
        .map(Action::as_str)
        .collect();
    let now = intents.now();
    let suggested = intent
        .pay_by
        .filter(|at| *at > now)
        .unwrap_or(now + chrono::Duration::days(i64::from(crate::model::DEFAULT_PAY_DAYS)));
    let page = DetailPage {
        customer_name: customer
            .as_ref()
            .map_or_else(|| intent.customer_id.to_string(), customer_name),
        status: status_label(ui.lang, intent.status),
        status_class: status_class(intent.status),
        strategy: strategy_label(ui.lang, intent.strategy),
        deadline: intent
            .pay_by
            .map(|at| ui.lang.local_time(at, &zone))
            .unwrap_or_default(),
        deadline_input: local_input(suggested, &zone),
        customer,
        event,
        tickets,
        history,
        mails,
        actions,
        notice,
        problem: problem.clone(),
        methods: PaymentMethod::ALL
            .into_iter()
            .map(|m| (m.as_str(), ui.lang.term("boxoffice-method", m.as_str())))
            .collect(),
        detail,
        ui,
    };
    if problem.is_some() {
        Ok((StatusCode::CONFLICT, page).into_response())
    } else {
        Ok(page.into_response())
    }
}

pub(super) async fn page(
    Extension(intents): Extension<Intents>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = IntentId::parse(&id).map_err(|e| ui.error(e))?;
    let notice = if !query.created.is_empty() {
        Some(ui.lang.t("intents-created"))
    } else if !query.done.is_empty() {
        Some(ui.lang.term("intents-done", &query.done))
    } else {
        None
    };
    render(&intents, ui, &id, notice, None).await
}

/// An action as its form posts it.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ActForm {
    #[serde(default)]
    action: String,
    /// Extend and reopen: the new deadline on the venue's clock (blank: the event's days).
    #[serde(default)]
    deadline: String,
    /// Mark paid: how, and the invoice or transfer reference.
    #[serde(default)]
    payment_method: String,
    #[serde(default)]
    reference: String,
    /// Cancel: the box that says "yes, release the seats".
    #[serde(default)]
    confirm: String,
}

/// Applies an action and shows the intent again with what it did (a redirect, so reloading does
/// not do it twice); a refusal shows the page with the reason.
pub(super) async fn act(
    Extension(intents): Extension<Intents>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<ActForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let id = IntentId::parse(&id).map_err(|e| ui.error(e))?;
    match request(&intents, &ui, &id, &form).await {
        Ok(request) => {
            let action = request.action;
            let actor = intents.actor(&ui.caller).await;
            match intents.act(&ui.caller.org, &id, request, &actor).await {
                Ok(_) => Ok(
                    Redirect::to(&format!("/intents/{id}?done={}", action.as_str()))
                        .into_response(),
                ),
                Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
                    let problem = error_message(ui.lang, &err);
                    render(&intents, ui, &id, None, Some(problem)).await
                }
                Err(err) => Err(ui.error(err)),
            }
        }
        Err(problem) => render(&intents, ui, &id, None, Some(problem)).await,
    }
}

/// The service's request from the form, or what is wrong with the form, in words.
async fn request(
    intents: &Intents,
    ui: &Ui,
    id: &IntentId,
    form: &ActForm,
) -> Result<ActionRequest, String> {
    let action = match form.action.as_str() {
        "resend" => Action::Resend,
        "extend" => Action::Extend,
        "reopen" => Action::Reopen,
        "cancel" => Action::Cancel,
        "mark_paid" => Action::MarkPaid,
        _ => return Err(ui.lang.t("intents-unknown-action")),
    };
    if action == Action::Cancel && form.confirm.is_empty() {
        return Err(ui.lang.t("intents-cancel-confirm-missing"));
    }
    let deadline = if form.deadline.trim().is_empty() {
        None
    } else {
        let intent = intents
            .intent(&ui.caller.org, id)
            .await
            .map_err(|e| error_message(ui.lang, &e))?;
        let zone = CatalogService::new(intents.db().clone())
            .event(&ui.caller.org, &intent.event_id)
            .await
            .map_or_else(|_| "UTC".to_string(), |e| e.venue_timezone);
        Some(Deadline::Until(
            parse_local(&form.deadline, &zone)
                .ok_or_else(|| ui.lang.t("intents-deadline-unreadable"))?,
        ))
    };
    Ok(ActionRequest {
        action,
        deadline,
        payment_method: PaymentMethod::parse(&form.payment_method),
        reference: Some(form.reference.clone()).filter(|r| !r.trim().is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IntentStatus;

    #[test]
    fn the_page_offers_only_what_each_status_allows() {
        let offered = |strategy, status| {
            ACTIONS
                .into_iter()
                .filter(|a| a.allowed(strategy, status).is_ok())
                .map(Action::as_str)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            offered(Strategy::PayByLink, IntentStatus::Pending),
            ["mark_paid", "resend", "extend", "cancel"]
        );
        assert_eq!(
            offered(Strategy::PayByLink, IntentStatus::Expired),
            ["reopen"]
        );
        assert_eq!(
            offered(Strategy::Invoice, IntentStatus::Pending),
            ["mark_paid", "resend", "cancel"]
        );
        assert_eq!(
            offered(Strategy::Complimentary, IntentStatus::Completed),
            ["resend"]
        );
    }
}
