//! The organizer's order page, `/orders/{id}` (behind login, reached by links from the customer
//! page, the box office and the campaign report): the order's tickets and event, seats, prices
//! and discounts, how it was paid, what happened to it and when, and — for a role that sells —
//! Cancel or Refund with a confirmation box, through [`Checkout::call_off`].
//!
//! Times are on the venue's clock (the first event's venue; the organization's zone for an
//! order without tickets), money in the reader's language.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, Permission};
use fullhouse_ticketing::model::orders::{OrderSource, OrderStatus};
use fullhouse_ticketing::service::CustomerService;
use fullhouse_ticketing::OrderId;
use fullhouse_web::i18n::error_message;
use fullhouse_web::{CsrfForm, Lang, PageError, Ui};
use serde::Deserialize;

use crate::service::{OrderAction, OrderView, SaleRecord, StepKind};
use crate::Checkout;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders/{id}", get(page))
        .route("/orders/{id}/cancel", post(call_off))
        .route("/orders/{id}/refund/retry", post(retry_refund))
}

/// A ticket as the page lists it.
struct LineRow {
    event: String,
    place: String,
    type_name: String,
    list_price: String,
    discount: String,
    discount_label: String,
    price: String,
    barcode: String,
    status: &'static str,
}

/// The buyer, linked to their page.
struct CustomerLink {
    id: String,
    name: String,
}

/// An event of the order, on its venue's clock.
struct EventRow {
    id: String,
    title: String,
    venue: String,
    when: String,
    zone: String,
}

/// One move of the order's history.
struct HistoryRow {
    at: String,
    what: String,
    detail: String,
    actor: String,
}

/// The confirmation form, when the order may be cancelled or refunded.
struct ActionForm {
    action: &'static str,
    /// What it does, in words: where the money goes.
    explain: String,
    confirm: String,
    button: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/orders/detail.html")]
struct OrderPage {
    ui: Ui,
    view: OrderView,
    customer: Option<CustomerLink>,
    zone: String,
    events: Vec<EventRow>,
    lines: Vec<LineRow>,
    several_events: bool,
    total: String,
    list_total: String,
    discount_total: String,
    payment: String,
    paid_at: String,
    held_until: String,
    source: String,
    history: Vec<HistoryRow>,
    action: Option<ActionForm>,
    /// An open order the reader's role may not cancel or refund.
    action_refused: bool,
    may_retry: bool,
    done: Option<String>,
    /// The confirmation box was left unticked, or the action was refused.
    problem: Option<String>,
}

/// How the order was paid, in words.
fn payment(lang: Lang, view: &OrderView) -> String {
    let Some(sale) = &view.sale else {
        return lang.t("orders-paid-outside");
    };
    if sale.test_payment {
        return lang.t("orders-provider-test");
    }
    match (sale.at_counter(), sale.method) {
        (true, Some(method)) => format!(
            "{} — {}",
            lang.t("orders-provider-box-office"),
            lang.term("boxoffice-method", method.as_str())
        ),
        _ => lang.term("orders-provider", &sale.provider),
    }
}

/// Where the money goes when the order is refunded, in words.
fn refund_explained(lang: Lang, view: &OrderView, sale: Option<&SaleRecord>) -> String {
    let amount = lang.money(view.order.total_minor, &view.order.currency);
    match sale {
        Some(sale) if sale.test_payment => lang.t("orders-refund-test"),
        Some(sale) if sale.at_counter() => {
            let method = sale
                .method
                .map(|m| lang.term("boxoffice-method", m.as_str()))
                .unwrap_or_default();
            let text = lang.t1("orders-refund-counter", "amount", &amount);
            if method.is_empty() {
                text
            } else {
                format!("{text} ({method})")
            }
        }
        Some(sale) => format!(
            "{} ({})",
            lang.t1("orders-refund-provider", "amount", &amount),
            lang.term("orders-provider", &sale.provider)
        ),
        None => lang.t("orders-cancel-explain"),
    }
}

fn action_form(lang: Lang, view: &OrderView) -> Option<ActionForm> {
    let amount = lang.money(view.order.total_minor, &view.order.currency);
    Some(match view.action()? {
        OrderAction::Refund => ActionForm {
            action: OrderAction::Refund.as_str(),
            explain: format!(
                "{} {}",
                lang.t("orders-gives-back"),
                refund_explained(lang, view, view.sale.as_ref())
            ),
            confirm: lang.t1("orders-refund-confirm", "amount", &amount),
            button: lang.t1("orders-refund-button", "amount", &amount),
        },
        OrderAction::Cancel => ActionForm {
            action: OrderAction::Cancel.as_str(),
            explain: format!(
                "{} {}",
                lang.t("orders-gives-back"),
                lang.t("orders-cancel-explain")
            ),
            confirm: lang.t("orders-cancel-confirm"),
            button: lang.t("orders-cancel-button"),
        },
    })
}

fn history(lang: Lang, view: &OrderView, zone: &str) -> Vec<HistoryRow> {
    view.history
        .iter()
        .map(|step| {
            let (what, detail) = match &step.kind {
                StepKind::PlacedPaid => (lang.t("orders-step-placed-paid"), String::new()),
                StepKind::PlacedHeld(until) => (
                    lang.t("orders-step-placed-held"),
                    until
                        .map(|u| lang.t1("orders-held-until", "time", lang.local_time(u, zone)))
                        .unwrap_or_default(),
                ),
                StepKind::Paid => (lang.t("orders-step-paid"), String::new()),
                StepKind::Ended(status) => (
                    lang.term("order-status", status.as_str()),
                    match status {
                        OrderStatus::Refunded
                            if view.sale.as_ref().is_some_and(SaleRecord::at_counter) =>
                        {
                            lang.t("orders-step-refunded-counter")
                        }
                        OrderStatus::Expired => lang.t("orders-step-expired"),
                        _ => String::new(),
                    },
                ),
                StepKind::RefundAsked => (lang.t("orders-step-refund-asked"), String::new()),
                StepKind::Refunded(reference) => (
                    lang.t("orders-step-refund-done"),
                    reference.clone().unwrap_or_default(),
                ),
                StepKind::RefundFailed(error) => (
                    lang.t("orders-step-refund-failed"),
                    error.clone().unwrap_or_default(),
                ),
            };
            HistoryRow {
                at: lang.local_time(step.at, zone),
                what,
                detail,
                actor: step
                    .actor
                    .as_ref()
                    .map(|a| lang.t1("orders-by", "name", a))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn source(lang: Lang, view: &OrderView) -> String {
    if view.order.source == OrderSource::Fullhouse {
        return String::new();
    }
    let mut text = lang.term("orders-source", view.order.source.as_str());
    if let Some(external) = &view.order.external_id {
        text = format!("{text} ({external})");
    }
    text
}

async fn render(
    checkout: &Checkout,
    ui: Ui,
    id: &OrderId,
    done: Option<String>,
    problem: Option<String>,
) -> Result<Response, PageError> {
    let view = checkout
        .order_view(&ui.caller.org, id)
        .await
        .map_err(|e| ui.error(e))?;
    let lang = ui.lang;
    let zone = view.events.first().map_or_else(
        || ui.timezone.name().to_string(),
        |e| e.venue_timezone.clone(),
    );
    let customer = match &view.order.customer_id {
        Some(customer) => CustomerService::new(checkout.db.clone())
            .customer(&ui.caller.org, customer)
            .await
            .ok()
            .map(|c| CustomerLink {
                id: c.id.to_string(),
                name: c.display_name(),
            }),
        None => None,
    };
    let events = view
        .events
        .iter()
        .map(|e| EventRow {
            id: e.id.to_string(),
            title: e.title.clone(),
            venue: e.venue_name.clone(),
            when: lang.local_time(e.starts_at, &e.venue_timezone),
            zone: e.venue_timezone.clone(),
        })
        .collect();
    let lines = view
        .lines
        .iter()
        .map(|l| LineRow {
            event: view
                .event(&l.event_id)
                .map(|e| e.title.clone())
                .unwrap_or_default(),
            place: l.ticket.place(lang),
            type_name: l.ticket.type_name.clone(),
            list_price: lang.money(l.ticket.list_price_minor, &l.ticket.currency),
            discount: match l.ticket.discount_minor() {
                0 => String::new(),
                minor => lang.money(-minor, &l.ticket.currency),
            },
            discount_label: l.ticket.discount_label.clone().unwrap_or_default(),
            price: lang.money(l.ticket.price_minor, &l.ticket.currency),
            barcode: l.ticket.barcode.clone(),
            status: l.status.as_str(),
        })
        .collect();
    let currency = view.order.currency.clone();
    let discount_total = match view.discount_total_minor() {
        0 => String::new(),
        minor => lang.money(-minor, &currency),
    };
    let open = view.action().is_some();
    let action = action_form(lang, &view).filter(|_| ui.may(Permission::Sell));
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = OrderPage {
        customer,
        several_events: view.events.len() > 1,
        total: lang.money(view.order.total_minor, &currency),
        list_total: lang.money(view.list_total_minor(), &currency),
        discount_total,
        payment: payment(lang, &view),
        paid_at: view
            .sale
            .as_ref()
            .and_then(|s| s.paid_at)
            .map(|at| lang.local_time(at, &zone))
            .unwrap_or_default(),
        held_until: view
            .sale
            .as_ref()
            .and_then(|s| s.expires_at)
            .filter(|_| view.order.status == OrderStatus::AwaitingPayment)
            .map(|at| lang.local_time(at, &zone))
            .unwrap_or_default(),
        source: source(lang, &view),
        history: history(lang, &view, &zone),
        action_refused: open && action.is_none(),
        action,
        may_retry: ui.may(Permission::Administer) && view.failed_refund().is_some(),
        done: done.map(|d| lang.term("orders-done", &d)),
        problem,
        events,
        lines,
        zone,
        view,
        ui,
    };
    Ok((status, page).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn page(
    Extension(checkout): Extension<Checkout>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = OrderId::parse(&id).map_err(|e| ui.error(e))?;
    // Only the states this page redirects with are said back.
    let done = query.done.filter(|d| {
        d == "retried"
            || OrderStatus::ALL
                .iter()
                .any(|s| s.as_str() == d && !s.is_open())
    });
    render(&checkout, ui, &id, done, None).await
}

#[derive(Debug, Deserialize)]
struct CallOffForm {
    #[serde(default)]
    action: String,
    /// The box that says "yes, cancel (refund) this order".
    #[serde(default)]
    confirm: String,
}

/// Cancels or refunds the order once its box is ticked, and shows it again with the new state
/// (a redirect, so reloading does nothing twice).
async fn call_off(
    Extension(checkout): Extension<Checkout>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<CallOffForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let id = OrderId::parse(&id).map_err(|e| ui.error(e))?;
    let Some(action) = OrderAction::parse(form.action.trim()) else {
        return Err(ui.error(Error::invalid("action", "is `cancel` or `refund`")));
    };
    if form.confirm != "yes" {
        let problem = Some(ui.lang.t("orders-confirm-missing"));
        return render(&checkout, ui, &id, None, problem).await;
    }
    match checkout.call_off(&ui.caller, &id, action).await {
        Ok(now) => Ok(Redirect::to(&format!("/orders/{id}?done={}", now.as_str())).into_response()),
        Err(err @ Error::Conflict { .. }) => {
            let problem = Some(format!(
                "{} {}",
                ui.lang.t("orders-moved-meanwhile"),
                error_message(ui.lang, &err)
            ));
            render(&checkout, ui, &id, None, problem).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

/// Asks the provider again for a refund that failed (owners and admins, as the API).
async fn retry_refund(
    Extension(checkout): Extension<Checkout>,
    Path(id): Path<String>,
    CsrfForm { ui, form: _ }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let id = OrderId::parse(&id).map_err(|e| ui.error(e))?;
    checkout
        .retry_refund(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to(&format!("/orders/{id}?done=retried")).into_response())
}
