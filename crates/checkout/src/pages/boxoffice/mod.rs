//! Sales → Box office: the clerk sells at the counter through the same checkout as the
//! storefront (channel `box_office`, paid at the counter), in three steps, so nothing is sold
//! that the clerk has not seen priced:
//!
//! 1. `GET /box-office/{id}`: the seat map, the general-admission quantities and a code field.
//!    `POST /box-office/{id}/seats` applies a typed code (hidden ticket types and held seats it
//!    unlocks appear) or comes back from the basket, keeping what was ticked.
//! 2. `POST /box-office/{id}/basket`: the basket, priced by [`Checkout::quote`] like the API's
//!    quote: a line per ticket with a choice of ticket type for each seat (among the types of its
//!    category on sale to the codes typed, the public one first), the total, and each problem
//!    beside its line; htmx re-prices it on every change (the partial `#basket`).
//! 3. `POST /box-office/{id}`: sells the basket, with the payment method the clerk recorded, and
//!    sends the clerk back to the seat map with a confirmation (`?sold=`), so that reloading the
//!    page does not sell again. A basket whose total changed since the clerk saw it is shown
//!    again instead of sold.
//!
//! Every step posts the fields of [`OrderForm`] (seat values `<ticket type>:<seat>`), plus
//! `payment_method` and the `quoted_total` the clerk saw.

mod basket;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, FieldError, OrgId, Permission};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::{EventId, OrderId};
use fullhouse_web::i18n::error_message;
use fullhouse_web::{vary_on_htmx, CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use self::basket::{basket, lenient_cart, Basket, BasketInput};
use super::storefront::{quantity_fields, seat_rows, QuantityField, SeatRowView};
use crate::model::{CheckoutOrder, OrderForm, PaymentMethod, Quote};
use crate::service::SaleView;
use crate::{Checkout, PlaceOrder};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/box-office/{id}", get(page).post(sell))
        .route("/box-office/{id}/seats", post(seats))
        .route("/box-office/{id}/basket", post(review))
}

/// What the box office's forms post: the order form, and what only the counter asks.
struct CounterForm {
    order: OrderForm,
    /// As posted: blank until the clerk chooses.
    payment_method: String,
    /// The total of the basket the clerk last saw, in minor units.
    quoted_total: Option<i64>,
}

impl CounterForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let payment_method = field("payment_method").unwrap_or_default();
        let quoted_total = field("quoted_total").and_then(|v| v.trim().parse().ok());
        Self {
            order: OrderForm::from_pairs(pairs),
            payment_method,
            quoted_total,
        }
    }

    fn blank() -> Self {
        Self {
            order: OrderForm::default(),
            payment_method: String::new(),
            quoted_total: None,
        }
    }

    fn payment_method(&self) -> Option<PaymentMethod> {
        PaymentMethod::parse(&self.payment_method)
    }
}

/// A payment method as the basket offers it.
struct MethodChoice {
    value: &'static str,
    label: String,
    checked: bool,
}

fn method_choices(ui: &Ui, form: &CounterForm) -> Vec<MethodChoice> {
    let chosen = form.payment_method();
    PaymentMethod::ALL
        .into_iter()
        .map(|method| MethodChoice {
            value: method.as_str(),
            label: ui.lang.term("boxoffice-method", method.as_str()),
            checked: chosen == Some(method),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/boxoffice/sell.html")]
struct SellPage {
    ui: Ui,
    view: SaleView,
    rows: Vec<SeatRowView>,
    quantities: Vec<QuantityField>,
    form: CounterForm,
    /// What was wrong with the typed codes.
    code_problem: Option<String>,
    sold: Option<Sold>,
}

/// The confirmation of the last sale.
struct Sold {
    order: CheckoutOrder,
    method: String,
    places: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/boxoffice/basket.html")]
struct BasketPage {
    ui: Ui,
    event: Event,
    event_id: String,
    basket: Basket,
    form: CounterForm,
    methods: Vec<MethodChoice>,
    errors: FormErrors,
    payment_problem: Option<String>,
    message: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/boxoffice/_basket.html")]
struct BasketPartial {
    ui: Ui,
    event_id: String,
    basket: Basket,
}

/// What is on sale at the counter to the codes typed. Codes the checkout refuses outright (too
/// many, too long) are dropped from the view and their refusal returned, for the code field.
async fn sale_view(
    checkout: &Checkout,
    ui: &Ui,
    event: &EventId,
    codes: &[String],
) -> Result<(SaleView, Option<Error>), PageError> {
    let org = &ui.caller.org;
    match checkout
        .sale_view(org, event, codes, Channel::BoxOffice)
        .await
    {
        Ok(view) => Ok((view, None)),
        Err(err @ Error::Validation { .. }) if !codes.is_empty() => {
            let view = checkout
                .sale_view(org, event, &[], Channel::BoxOffice)
                .await
                .map_err(|e| ui.error(e))?;
            Ok((view, Some(err)))
        }
        Err(err) => Err(ui.error(err)),
    }
}

async fn render_seats(
    checkout: &Checkout,
    ui: Ui,
    event: &EventId,
    form: CounterForm,
    sold: Option<CheckoutOrder>,
) -> Result<Response, PageError> {
    let (view, code_refusal) = sale_view(checkout, &ui, event, &form.order.code_list()).await?;
    let rows = seat_rows(&view, ui.lang, &form.order.seats);
    let quantities = quantity_fields(&view, ui.lang, &form.order, None);
    let code_problem = code_refusal.map(|err| error_message(ui.lang, &err));
    let sold = sold.map(|order| Sold {
        method: order
            .payment_method
            .map(|m| ui.lang.term("boxoffice-method", m.as_str()))
            .unwrap_or_default(),
        places: order
            .order
            .tickets
            .iter()
            .map(|t| {
                let place = match (&t.seat, &t.ga_area) {
                    (Some(seat), _) => format!(
                        "{} · {} · {} {}",
                        seat.section_name,
                        seat.row_name,
                        ui.lang.t("shop-seat"),
                        seat.seat_label
                    ),
                    (None, Some(area)) => area.name.clone(),
                    (None, None) => ui.lang.t("shop-general-admission"),
                };
                (place, ui.lang.money(t.price_minor, &t.currency))
            })
            .collect(),
        order,
    });
    let status = if code_problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        SellPage {
            ui,
            view,
            rows,
            quantities,
            form,
            code_problem,
            sold,
        },
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
struct SoldQuery {
    sold: Option<String>,
}

/// Step 1, fresh: after a sale, with its confirmation.
async fn page(
    Extension(checkout): Extension<Checkout>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<SoldQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let event = EventId::parse(&id).map_err(|e| ui.error(e))?;
    let sold = match query.sold.as_deref().map(OrderId::parse) {
        Some(Ok(order)) => sold_here(&checkout, &ui.caller.org, &event, &order).await,
        _ => None,
    };
    render_seats(&checkout, ui, &event, CounterForm::blank(), sold).await
}

/// The order of a confirmation link, when it is a counter sale of this event.
async fn sold_here(
    checkout: &Checkout,
    org: &OrgId,
    event: &EventId,
    id: &OrderId,
) -> Option<CheckoutOrder> {
    checkout
        .order(org, id)
        .await
        .ok()
        .filter(|o| o.channel == Channel::BoxOffice && &o.event_id == event)
}

/// Step 1 again, keeping the form: a code applied, or back from the basket.
async fn seats(
    Extension(checkout): Extension<Checkout>,
    Path(id): Path<String>,
    CsrfForm { ui, form: pairs }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let event = EventId::parse(&id).map_err(|e| ui.error(e))?;
    render_seats(&checkout, ui, &event, CounterForm::from_pairs(pairs), None).await
}

/// The fields of the basket page outside the basket partial.
const PAGE_FIELDS: [&str; 4] = ["payment_method", "email", "first_name", "last_name"];

/// A refusal (of the form, the payment method, the sale) to show in the basket.
struct Refusal {
    problems: Vec<FieldError>,
    error: Option<Error>,
}

impl Refusal {
    fn none() -> Self {
        Self {
            problems: Vec::new(),
            error: None,
        }
    }

    fn add(&mut self, err: Error) {
        match err {
            Error::Validation { fields, .. } => self.problems.extend(fields),
            Error::Conflict {
                field: Some(field),
                message,
            } => self.problems.push(FieldError::new(field, message)),
            other => self.error = Some(other),
        }
    }
}

/// The basket priced as posted, with the problems of `refusal` beside their lines and fields.
async fn render_basket(
    checkout: &Checkout,
    ui: Ui,
    event: &EventId,
    form: CounterForm,
    mut refusal: Refusal,
    message: Option<String>,
) -> Result<Response, PageError> {
    let (cart, form_problems) = lenient_cart(&form.order, event);
    let (view, code_refusal) = sale_view(checkout, &ui, event, &cart.codes).await?;
    refusal.problems.extend(form_problems);
    let codes_refused = code_refusal.is_some();
    if let Some(err) = code_refusal {
        refusal.add(err);
    }
    let quote = match checkout
        .quote(&ui.caller.org, &cart, Channel::BoxOffice)
        .await
    {
        Ok(quote) => Some(quote),
        // The codes' refusal is the view's, already kept.
        Err(Error::Validation { .. }) if codes_refused => None,
        Err(err @ Error::Validation { .. }) => {
            refusal.add(err);
            None
        }
        Err(err) => return Err(ui.error(err)),
    };
    let mut problems = quote
        .as_ref()
        .map(|q| q.problems.clone())
        .unwrap_or_default();
    problems.extend(refusal.problems.iter().cloned());
    // The payment method and the buyer are the page's fields, outside the basket.
    let in_basket: Vec<FieldError> = problems
        .iter()
        .filter(|p| {
            !PAGE_FIELDS
                .iter()
                .any(|f| p.field == *f || p.field.starts_with("buyer"))
        })
        .cloned()
        .collect();
    let basket = basket(
        ui.lang,
        BasketInput {
            view: &view,
            form: &form.order,
            cart: &cart,
            quote: quote.as_ref(),
            problems: in_basket,
            refused: refusal.error.as_ref(),
        },
    );
    let event_id = event.to_string();
    if ui.htmx {
        // A partial is always swapped in (htmx leaves 4xx answers out): its problems show.
        return Ok(vary_on_htmx(
            BasketPartial {
                ui,
                event_id,
                basket,
            }
            .into_response(),
        ));
    }
    let errors = if problems.is_empty() {
        FormErrors::default()
    } else {
        FormErrors::from_error(ui.lang, &Error::invalid_fields(problems))
    };
    let payment_problem = errors
        .field("payment_method")
        .map(|_| ui.lang.t("boxoffice-payment-required"));
    let refused = !basket.sellable() || message.is_some() || payment_problem.is_some();
    let message = message.or_else(|| errors.message.clone().filter(|_| refused));
    let status = match &refusal.error {
        Some(err) => err.code().status(),
        None if refused => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let page = BasketPage {
        methods: method_choices(&ui, &form),
        event: view.event,
        ui,
        event_id,
        basket,
        form,
        errors,
        payment_problem,
        message,
    };
    Ok(vary_on_htmx((status, page).into_response()))
}

/// Step 2: the basket, priced (as a page, or as the `#basket` partial to htmx).
async fn review(
    Extension(checkout): Extension<Checkout>,
    Path(id): Path<String>,
    CsrfForm { ui, form: pairs }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let event = EventId::parse(&id).map_err(|e| ui.error(e))?;
    let form = CounterForm::from_pairs(pairs);
    render_basket(&checkout, ui, &event, form, Refusal::none(), None).await
}

/// Step 3: sells the basket the clerk saw, paid at the counter by the method chosen.
async fn sell(
    Extension(checkout): Extension<Checkout>,
    Path(id): Path<String>,
    CsrfForm { ui, form: pairs }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let event = EventId::parse(&id).map_err(|e| ui.error(e))?;
    let form = CounterForm::from_pairs(pairs);
    let mut refusal = Refusal::none();
    let method = match PaymentMethod::for_sale(true, form.payment_method()) {
        Ok(method) => method,
        Err(err) => {
            refusal.add(err);
            None
        }
    };
    let cart = match form.order.cart(&event) {
        Ok(cart) => cart,
        Err(err) => {
            refusal.add(err);
            return render_basket(&checkout, ui, &event, form, refusal, None).await;
        }
    };
    let quote: Quote = checkout
        .quote(&ui.caller.org, &cart, Channel::BoxOffice)
        .await
        .map_err(|e| ui.error(e))?;
    if !quote.problems.is_empty() {
        return render_basket(&checkout, ui, &event, form, refusal, None).await;
    }
    if form
        .quoted_total
        .is_some_and(|seen| seen != quote.total_minor)
    {
        let message = Some(ui.lang.t("boxoffice-basket-changed"));
        return render_basket(&checkout, ui, &event, form, refusal, message).await;
    }
    let Some(payment_method) = method else {
        return render_basket(&checkout, ui, &event, form, refusal, None).await;
    };
    let buyer = Some(form.order.buyer()).filter(|b| !b.email.trim().is_empty());
    let placed = checkout
        .place(
            &ui.caller.org,
            PlaceOrder {
                cart,
                channel: Channel::BoxOffice,
                buyer,
                paid_at_counter: true,
                payment_method: Some(payment_method),
            },
        )
        .await;
    match placed {
        Ok(order) => {
            Ok(Redirect::to(&format!("/box-office/{event}?sold={}", order.id)).into_response())
        }
        Err(err) => {
            refusal.add(err);
            render_basket(&checkout, ui, &event, form, refusal, None).await
        }
    }
}
