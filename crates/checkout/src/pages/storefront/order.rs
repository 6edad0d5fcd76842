//! The order page: the payment step, then the confirmation.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, OrgId};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::OrderId;
use fullhouse_web::i18n::error_message;
use fullhouse_web::Lang;

use crate::api::shop_org;
use crate::model::{CheckoutOrder, CheckoutStatus};
use crate::Checkout;

use super::discounts::Discounts;
use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/order.html")]
struct OrderPage {
    lang: Lang,
    shop: String,
    brand: ShopBrand,
    /// The discount itemized (list prices, the discount, then the total), when there is one.
    discounts: Option<Discounts>,
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
        Ok((org, order, event)) => OrderPage {
            brand: ShopBrand::of(checkout.db(), &org, &shop, order.shop_id.as_ref())
                .await
                .or_logged(),
            discounts: Discounts::of(checkout.db(), &org, &order).await.or_logged(),
            lang,
            shop,
            order,
            event,
            payment_label: checkout.payments().label().to_string(),
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
    match checkout.pay(&org, &order.id, token).await {
        Ok(_) => Redirect::to(&format!("/shop/{shop}/orders/{}", order.id)).into_response(),
        Err(err) => {
            let error = Some(error_message(lang, &err));
            let order = checkout.order(&org, &order.id).await.unwrap_or(order);
            (
                err.code().status(),
                OrderPage {
                    brand: ShopBrand::of(checkout.db(), &org, &shop, order.shop_id.as_ref())
                        .await
                        .or_logged(),
                    discounts: Discounts::of(checkout.db(), &org, &order).await.or_logged(),
                    lang,
                    shop,
                    order,
                    event,
                    payment_label: checkout.payments().label().to_string(),
                    error,
                },
            )
                .into_response()
        }
    }
}
