//! Sales → Box office: the organizer sells at the counter through the same checkout as the
//! storefront (channel `box_office`, paid at the counter), with hidden types and held seats on
//! sale, a code for discounts, and an optional buyer who becomes a customer.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, Permission};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::EventId;
use fullhouse_web::i18n::error_message;
use fullhouse_web::{CsrfForm, PageError, Ui};

use super::storefront::{quantity_fields, seat_rows, QuantityField, SeatRowView};
use crate::model::{CheckoutOrder, OrderForm};
use crate::service::SaleView;
use crate::{Checkout, PlaceOrder};

pub fn router() -> Router<AppState> {
    Router::new().route("/box-office/{id}", get(page).post(sell))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/boxoffice/sell.html")]
struct SellPage {
    ui: Ui,
    view: SaleView,
    rows: Vec<SeatRowView>,
    quantities: Vec<QuantityField>,
    codes: String,
    sold: Option<CheckoutOrder>,
    error: Option<String>,
}

async fn render(
    checkout: &Checkout,
    ui: Ui,
    event: &EventId,
    form: &OrderForm,
    sold: Option<CheckoutOrder>,
    refused: Option<Error>,
) -> Result<Response, PageError> {
    let view = checkout
        .sale_view(&ui.caller.org, event, &[], Channel::BoxOffice)
        .await
        .map_err(|e| ui.error(e))?;
    let chosen = if sold.is_some() {
        &[][..]
    } else {
        &form.seats[..]
    };
    let rows = seat_rows(&view, ui.lang, chosen);
    let quantities = quantity_fields(&view, ui.lang, refused.as_ref());
    let error = refused.map(|err| error_message(ui.lang, &err));
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((
        status,
        SellPage {
            ui,
            view,
            rows,
            quantities,
            codes: if sold.is_some() {
                String::new()
            } else {
                form.codes.clone()
            },
            sold,
            error,
        },
    )
        .into_response())
}

async fn page(
    Extension(checkout): Extension<Checkout>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let event = EventId::parse(&id).map_err(|e| ui.error(e))?;
    render(&checkout, ui, &event, &OrderForm::default(), None, None).await
}

async fn sell(
    Extension(checkout): Extension<Checkout>,
    Path(id): Path<String>,
    CsrfForm { ui, form: pairs }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let event = EventId::parse(&id).map_err(|e| ui.error(e))?;
    let form = OrderForm::from_pairs(pairs);
    let buyer = Some(form.buyer()).filter(|b| !b.email.trim().is_empty());
    let placed = match form.cart(&event) {
        Ok(cart) => {
            checkout
                .place(
                    &ui.caller.org,
                    PlaceOrder {
                        cart,
                        channel: Channel::BoxOffice,
                        buyer,
                        paid_at_counter: true,
                    },
                )
                .await
        }
        Err(err) => Err(err),
    };
    match placed {
        Ok(order) => render(&checkout, ui, &event, &form, Some(order), None).await,
        Err(err) => render(&checkout, ui, &event, &form, None, Some(err)).await,
    }
}
