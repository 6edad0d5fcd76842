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

use crate::api::ShopClient;
use crate::buyers::{BuyerSession, SignedIn};
use crate::model::order_form::QUANTITY_PREFIX;
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
    /// The organization's shop slug: sign-in and My tickets are the organization's, not a
    /// secret shop's.
    shop: String,
    brand: ShopBrand,
    /// Where this event's page is: under the public shop or the secret shop the buyer is in.
    page_url: String,
    view: SaleView,
    codes: String,
    /// The referral code of the tracking link the page was opened from (`?ref=`).
    referral: String,
    map: SeatMap,
    basket: Basket,
    quantities: Vec<QuantityField>,
    error: Option<String>,
    email: String,
    first_name: String,
    last_name: String,
    /// The signed-in buyer's address (`_buyer.html`): their email is the order's, not editable.
    buyer: Option<String>,
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
    buyer: Option<&SignedIn>,
) -> Response {
    let customer = buyer.map(|b| &b.customer_id);
    let view = match checkout
        .sale_view_for(org, event, &codes, Channel::Online, customer, secret)
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
            shop,
            codes: codes.join(", "),
            referral: form.referral.clone(),
            map,
            basket,
            quantities,
            error,
            email: buyer.map_or_else(|| form.email.clone(), |b| b.email.clone()),
            buyer: buyer.map(|b| b.email.clone()),
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
    session: BuyerSession,
    Path((shop, id)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let found = resolve(&state, lang, &shop, &id).await;
    event_page_in(
        &checkout,
        lang,
        (client, session),
        (shop, None),
        found,
        query,
    )
    .await
}

/// The event page in the public shop or in a secret shop (`secret`, already found open).
pub(super) async fn event_page_in(
    checkout: &Checkout,
    lang: Lang,
    (client, session): (ShopClient, BuyerSession),
    (shop, secret): (String, Option<&ShopId>),
    found: Result<(OrgId, EventId), Response>,
    query: Vec<(String, String)>,
) -> Response {
    let (org, event) = match found {
        Ok(found) => found,
        Err(response) => return response,
    };
    let buyer = session.signed_in(&org).await;
    // The basket comes back in the address after signing in mid-purchase (seats, quantities
    // and codes as the order form names them): the page is drawn with it chosen.
    let basket = OrderForm::from_pairs(
        query
            .into_iter()
            .filter(|(name, _)| {
                name == "seat"
                    || name == "codes"
                    || name == "ref"
                    || name.starts_with(QUANTITY_PREFIX)
            })
            .collect(),
    );
    let mut codes = basket.code_list();
    let mut refused = None;
    let email = buyer.as_ref().map(|b| b.email.as_str());
    if let Err(err) = client.spend_code_checks(checkout, &codes, email) {
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
        &basket,
        buyer.as_ref(),
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
    session: BuyerSession,
    Path((shop, id)): Path<(String, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let found = resolve(&state, lang, &shop, &id).await;
    place_in(
        &checkout,
        lang,
        (client, session),
        (shop, None),
        found,
        form,
    )
    .await
}

/// Places the order in the public shop or in a secret shop (`secret`, already found open),
/// which the order records.
pub(super) async fn place_in(
    checkout: &Checkout,
    lang: Lang,
    (client, session): (ShopClient, BuyerSession),
    (shop, secret): (String, Option<&ShopId>),
    found: Result<(OrgId, EventId), Response>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (org, event) = match found {
        Ok(found) => found,
        Err(response) => return response,
    };
    let buyer = session.signed_in(&org).await;
    let mut form = OrderForm::from_pairs(pairs);
    if let Some(signed_in) = &buyer {
        // A signed-in buyer's order is theirs: the address typed cannot name someone else.
        form.email = signed_in.email.clone();
    }
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
            buyer.as_ref(),
        )
        .await;
    }
    let placed = match form.cart(&event) {
        Ok(mut cart) => {
            // The server, not the client, names the customer: loyalty and codes bound to
            // this customer count for them (see `code_customer`).
            cart.customer_id = buyer.as_ref().map(|b| b.customer_id.clone());
            // The link's code rides in the page's address; the cookie keeps it across visits.
            if cart.referral_code.is_none() {
                cart.referral_code = client.referral().map(str::to_string);
            }
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
                buyer.as_ref(),
            )
            .await
        }
    }
}
