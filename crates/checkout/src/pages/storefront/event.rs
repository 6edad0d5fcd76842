//! An event's page: what is on sale to this buyer (with their codes), and placing the order.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, OrgId};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::EventId;
use fullhouse_web::i18n::error_message;
use fullhouse_web::Lang;

use crate::api::{CodesQuery, ShopClient};
use crate::model::OrderForm;
use crate::service::{OfferedType, SaleView};
use crate::{Checkout, PlaceOrder};
use fullhouse_ticketing::ShopId;

use super::basket::Basket;
use super::brand::ShopBrand;
use super::seats::{discount_text, seat_map, SeatMap};
use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/event.html")]
struct EventPage {
    lang: Lang,
    brand: ShopBrand,
    /// Where this event's page is: under the public shop or the secret shop the buyer is in.
    page_url: String,
    view: SaleView,
    codes: String,
    map: SeatMap,
    basket: Basket,
    quantities: Vec<QuantityField>,
    error: Option<String>,
    email: String,
    first_name: String,
    last_name: String,
}

impl EventPage {
    /// The discount named after a ticket type's price, in the visitor's language.
    fn discount_of(&self, offered: &OfferedType) -> String {
        discount_text(self.lang, offered).unwrap_or_default()
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_event(
    checkout: &Checkout,
    org: &OrgId,
    lang: Lang,
    (shop, secret): (String, Option<&ShopId>),
    event: &EventId,
    codes: Vec<String>,
    refused: Option<Error>,
    form: &OrderForm,
) -> Response {
    let view = match checkout
        .sale_view_in(org, event, &codes, Channel::Online, secret)
        .await
    {
        Ok(view) => view,
        Err(err) => return failure(lang, err),
    };
    let brand = match ShopBrand::of(checkout.db(), org, &shop, secret).await {
        Ok(brand) => brand,
        Err(err) => return failure(lang, err),
    };
    let map = seat_map(&view, lang, &form.seats);
    let quantities = quantity_fields(&view, lang, form, refused.as_ref());
    let basket = Basket::of(&view, &map, &quantities);
    let error = refused.map(|err| error_message(lang, &err));
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        EventPage {
            lang,
            page_url: format!("{}/events/{}", brand.home, view.event.id),
            brand,
            codes: codes.join(", "),
            map,
            basket,
            quantities,
            error,
            email: form.email.clone(),
            first_name: form.first_name.clone(),
            last_name: form.last_name.clone(),
            view,
        },
    )
        .into_response()
}

pub(super) async fn event_page(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    client: ShopClient,
    Path((shop, id)): Path<(String, String)>,
    query: Query<CodesQuery>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let found = resolve(&state, lang, &shop, &id).await;
    event_page_in(&checkout, lang, client, (shop, None), found, query).await
}

/// The event page in the public shop or in a secret shop (`secret`, already found open).
pub(super) async fn event_page_in(
    checkout: &Checkout,
    lang: Lang,
    client: ShopClient,
    (shop, secret): (String, Option<&ShopId>),
    found: Result<(OrgId, EventId), Response>,
    Query(query): Query<CodesQuery>,
) -> Response {
    let (org, event) = match found {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut codes = query.list();
    let mut refused = None;
    if let Err(err) = client.spend_code_checks(checkout, &codes, None) {
        refused = Some(err);
        codes.clear();
    }
    let mut response = render_event(
        checkout,
        &org,
        lang,
        (shop, secret),
        &event,
        codes,
        refused,
        &OrderForm::default(),
    )
    .await;
    if let Some(cookie) = client.cookie() {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, cookie);
    }
    response
}

pub(super) async fn place(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    client: ShopClient,
    Path((shop, id)): Path<(String, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let found = resolve(&state, lang, &shop, &id).await;
    place_in(&checkout, lang, client, (shop, None), found, form).await
}

/// Places the order in the public shop or in a secret shop (`secret`, already found open),
/// which the order records.
pub(super) async fn place_in(
    checkout: &Checkout,
    lang: Lang,
    client: ShopClient,
    (shop, secret): (String, Option<&ShopId>),
    found: Result<(OrgId, EventId), Response>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (org, event) = match found {
        Ok(found) => found,
        Err(response) => return response,
    };
    let form = OrderForm::from_pairs(pairs);
    let codes = form.code_list();
    if let Err(err) = client.spend_code_checks(checkout, &codes, Some(&form.email)) {
        return render_event(
            checkout,
            &org,
            lang,
            (shop, secret),
            &event,
            Vec::new(),
            Some(err),
            &form,
        )
        .await;
    }
    let placed = match form.cart(&event) {
        Ok(cart) => {
            checkout
                .place_in(
                    &org,
                    PlaceOrder {
                        cart,
                        channel: Channel::Online,
                        buyer: Some(form.buyer()),
                        paid_at_counter: false,
                        payment_method: None,
                    },
                    secret.cloned(),
                )
                .await
        }
        Err(err) => Err(err),
    };
    match placed {
        Ok(order) => Redirect::to(&format!("/shop/{shop}/orders/{}", order.id)).into_response(),
        Err(err) => {
            render_event(
                checkout,
                &org,
                lang,
                (shop, secret),
                &event,
                codes,
                Some(err),
                &form,
            )
            .await
        }
    }
}
