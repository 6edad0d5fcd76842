//! The buyer's storefront (public, no login): an event page with its ticket types, a seat-map
//! picker and a code field that reveals what a code unlocks; the payment step (behind the
//! checkout's payment provider, labelled when it is the test provider); the confirmation.
//!
//! Everything goes through [`Checkout`], like the JSON storefront; codes typed here spend the
//! same rate-limit budget as the API's code checks.
//!
//! The storefront has no login, hence no session and no CSRF token: its forms post plain
//! fields, guarded like the JSON storefront's requests by the shop client's rate limit on codes
//! ([`ShopClient`]), not by [`fullhouse_web::CsrfForm`].

mod account;
mod basket;
mod brand;
mod discounts;
mod event;
mod order;
mod seats;
mod secret;
mod shop;

pub use brand::ShopBrand;

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, OrgId};
use fullhouse_ticketing::EventId;
use fullhouse_web::i18n::error_message;
use fullhouse_web::Lang;

use crate::api::shop_org;

pub use seats::{quantity_fields, seat_rows, types_for_seat, QuantityField, SeatRowView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/shop/{shop}", get(shop::shop_page))
        .route(
            "/shop/{shop}/events/{id}",
            get(event::event_page).post(event::place),
        )
        .route(
            "/shop/{shop}/orders/{id}",
            get(order::order_page).post(order::pay),
        )
        .route(
            "/shop/{shop}/orders/{id}/tickets.pdf",
            get(order::tickets_pdf),
        )
        .route(
            "/shop/{shop}/sign-in",
            get(account::sign_in_form).post(account::ask_link),
        )
        .route(
            "/shop/{shop}/sign-in/{token}",
            get(account::link_page).post(account::use_link),
        )
        .route(
            "/shop/{shop}/sign-out",
            axum::routing::post(account::sign_out),
        )
        .route("/shop/{shop}/my-tickets", get(account::my_tickets))
        .route("/shop/{shop}/s/{shop_id}", get(secret::shop_page))
        .route(
            "/shop/{shop}/s/{shop_id}/events/{id}",
            get(secret::event_page).post(secret::place),
        )
        .merge(brand::router())
        .layer(axum::middleware::from_fn(
            fullhouse_web::i18n::language_from_query,
        ))
}

/// A page-level failure: the message in the visitor's language, on the error page. What is not
/// found is said in plain words (a shop, an event, an order), never as an id format.
pub(super) fn failure(lang: Lang, err: Error) -> Response {
    let status = err.code().status();
    let message = match &err {
        Error::NotFound(what) => match *what {
            "shop" => lang.t("shop-not-found-shop"),
            "order" => lang.t("shop-not-found-order"),
            _ => lang.t("shop-not-found-event"),
        },
        _ => error_message(lang, &err),
    };
    let brand = ShopBrand::default();
    (
        status,
        MessagePage {
            lang,
            message,
            brand,
        },
    )
        .into_response()
}

/// What an order page shows besides the order (the shop's look, an itemized discount): when
/// it cannot be read, the page is still shown without it, and the failure is logged.
pub(super) trait OrLogged<T> {
    fn or_logged(self) -> T;
}

impl<T: Default> OrLogged<T> for fullhouse_core::Result<T> {
    fn or_logged(self) -> T {
        self.unwrap_or_else(|err| {
            tracing::warn!(error = %err, "a part of a shop page could not be read");
            T::default()
        })
    }
}

/// An id typed into a shop address that is not one of ours: to a buyer, simply not found.
pub(super) fn not_found(what: &'static str) -> impl Fn(Error) -> Error {
    move |_| Error::NotFound(what)
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/message.html")]
pub(super) struct MessagePage {
    lang: Lang,
    message: String,
    /// No shop's look: the shop may be the thing not found.
    brand: ShopBrand,
}

pub(super) async fn resolve(
    state: &AppState,
    lang: Lang,
    shop: &str,
    id: &str,
) -> Result<(OrgId, EventId), Response> {
    let org = shop_org(state, shop).await.map_err(|e| failure(lang, e))?;
    let event = EventId::parse(id)
        .map_err(not_found("event"))
        .map_err(|e| failure(lang, e))?;
    Ok((org, event))
}
