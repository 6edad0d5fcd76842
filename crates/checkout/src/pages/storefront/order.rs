//! The order page: the payment step, then the confirmation.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, OrgId};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::{EventId, OrderId};
use fullhouse_web::i18n::error_message;
use fullhouse_web::{FormErrors, Lang};

use crate::api::{shop_org, CodesQuery, ShopClient};
use crate::model::order_form::QUANTITY_PREFIX;
use crate::model::{CheckoutOrder, CheckoutStatus, OrderForm};
use crate::service::{OfferedType, SaleView, SeatState};
use crate::{Checkout, PayStep, PlaceOrder};

use super::*;

/// What the payment step says about the order's provider: the test provider's own label, or
/// for Stripe where the buyer will pay, in the buyer's language.
fn payment_label(lang: Lang, checkout: &Checkout, order: &CheckoutOrder) -> String {
    if order.payment_provider == crate::payment::settings::STRIPE {
        lang.t("shop-pay-with-stripe")
    } else {
        checkout.payments().label().to_string()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/order.html")]
struct OrderPage {
    lang: Lang,
    shop: String,
    order: CheckoutOrder,
    /// The event the order is for: its title, venue and time in the venue's zone head the page.
    event: fullhouse_ticketing::model::catalog::Event,
    payment_label: String,
    error: Option<String>,
}

impl OrderPage {
    fn awaiting(&self) -> bool {
        self.order.status == CheckoutStatus::AwaitingPayment
    }

    fn paid(&self) -> bool {
        self.order.status == CheckoutStatus::Paid
    }
}

async fn find_order(
    state: &AppState,
    checkout: &Checkout,
    lang: Lang,
    shop: &str,
    id: &str,
) -> Result<
    (
        OrgId,
        CheckoutOrder,
        fullhouse_ticketing::model::catalog::Event,
    ),
    Response,
> {
    let org = shop_org(state, shop).await.map_err(|e| failure(lang, e))?;
    let id = OrderId::parse(id)
        .map_err(not_found("order"))
        .map_err(|e| failure(lang, e))?;
    let order = checkout
        .order(&org, &id)
        .await
        .map_err(|e| failure(lang, e))?;
    if order.channel != Channel::Online {
        return Err(failure(lang, Error::NotFound("order")));
    }
    let event = fullhouse_ticketing::service::CatalogService::new(state.db.clone())
        .event(&org, &order.event_id)
        .await
        .map_err(|e| failure(lang, e))?;
    Ok((org, order, event))
}

pub(super) async fn order_page(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    Path((shop, id)): Path<(String, String)>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    match find_order(&state, &checkout, lang, &shop, &id).await {
        Ok((_, order, event)) => OrderPage {
            payment_label: payment_label(lang, &checkout, &order),
            lang,
            shop,
            order,
            event,
            error: None,
        }
        .into_response(),
        Err(response) => response,
    }
}

pub(super) async fn pay(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    Path((shop, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let (org, order, event) = match find_order(&state, &checkout, lang, &shop, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let token = pairs
        .into_iter()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty());
    let order_page = format!("/shop/{shop}/orders/{}", order.id);
    let return_url = format!(
        "{}{order_page}",
        state.settings.public_url.trim_end_matches('/')
    );
    match checkout
        .pay_step(&org, &order.id, token, Some(return_url))
        .await
    {
        Ok(PayStep::Paid(_)) => Redirect::to(&order_page).into_response(),
        // Stripe's hosted page: the order stays awaiting payment until its webhook.
        Ok(PayStep::Redirect(url)) => Redirect::to(&url).into_response(),
        Err(err) => {
            let error = Some(error_message(lang, &err));
            let order = checkout.order(&org, &order.id).await.unwrap_or(order);
            (
                err.code().status(),
                OrderPage {
                    payment_label: payment_label(lang, &checkout, &order),
                    lang,
                    shop,
                    order,
                    event,
                    error,
                },
            )
                .into_response()
        }
    }
}
