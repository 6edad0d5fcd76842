//! The order page: the payment step, then the confirmation with each ticket's QR code, and the
//! tickets as a PDF (`/shop/{shop}/orders/{id}/tickets.pdf`, once the order is paid).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use fullhouse_core::http::AppState;
use fullhouse_core::module::OrderPanels;
use fullhouse_core::{Error, OrgId};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::OrderId;
use fullhouse_web::i18n::error_message;
use fullhouse_web::Lang;

use crate::api::shop_org;
use crate::model::{CheckoutOrder, CheckoutStatus};
use crate::tickets::{order_reference, pdf_file_name, qr_svg, OrderTickets};
use crate::{Checkout, PayStep};

use super::discounts::Discounts;
use super::*;

/// What the payment step says about the order's provider: the test provider's own label, or
/// for Stripe where the buyer will pay, in the buyer's language.
fn payment_label(lang: Lang, checkout: &Checkout, order: &CheckoutOrder) -> String {
    if order.payment_provider == crate::payment::settings::STRIPE {
        lang.t("shop-pay-with-stripe")
    } else {
        crate::payment::label_in(checkout.payments(), lang)
    }
}

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
    /// The tickets with their seat or area, type, price and (paid) QR code.
    tickets: Vec<PageTicket>,
    /// What later modules add below the tickets (the referral programme's share panel), as
    /// HTML their templates escaped.
    panels: Vec<String>,
}

/// One ticket as the order page shows it.
struct PageTicket {
    place: String,
    type_name: String,
    price: String,
    barcode: String,
    /// An inline `<svg>` of the barcode (paid orders only; empty otherwise).
    qr: String,
}

/// The page's tickets, with QR codes when the order is paid.
async fn page_tickets(
    state: &AppState,
    lang: Lang,
    org: &OrgId,
    order: &CheckoutOrder,
    event: &fullhouse_ticketing::model::catalog::Event,
) -> Result<Vec<PageTicket>, Response> {
    let tickets = OrderTickets::load(&state.db, org, order, event.clone())
        .await
        .map_err(|e| failure(lang, e))?;
    let paid = order.status == CheckoutStatus::Paid;
    Ok(tickets
        .lines
        .iter()
        .map(|line| PageTicket {
            place: line.place(lang),
            type_name: line.type_name.clone(),
            price: line.price_line(lang),
            barcode: line.barcode.clone(),
            qr: if paid {
                qr_svg(&line.barcode)
            } else {
                String::new()
            },
        })
        .collect())
}

impl OrderPage {
    fn awaiting(&self) -> bool {
        self.order.status == CheckoutStatus::AwaitingPayment
    }

    fn paid(&self) -> bool {
        self.order.status == CheckoutStatus::Paid
    }

    fn reference(&self) -> String {
        order_reference(&self.order.id)
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
    // A box-office order is shown once it is paid or released (its buyer gets this page's
    // link by mail); one held for payment at the counter is not paid here.
    if order.channel != Channel::Online && order.status == CheckoutStatus::AwaitingPayment {
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
    panels: Option<Extension<OrderPanels>>,
    headers: HeaderMap,
    Path((shop, id)): Path<(String, String)>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let (org, order, event) = match find_order(&state, &checkout, lang, &shop, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let tickets = match page_tickets(&state, lang, &org, &order, &event).await {
        Ok(tickets) => tickets,
        Err(response) => return response,
    };
    let panels = match panels {
        Some(Extension(panels)) => panels.render(&org, order.id.as_str(), lang.code()).await,
        None => Vec::new(),
    };
    OrderPage {
        panels,
        brand: ShopBrand::of(checkout.db(), &org, &shop, order.shop_id.as_ref())
            .await
            .or_logged(),
        discounts: Discounts::of(checkout.db(), &org, &order).await.or_logged(),
        payment_label: payment_label(lang, &checkout, &order),
        lang,
        shop,
        order,
        event,
        error: None,
        tickets,
    }
    .into_response()
}

/// The order's tickets as a PDF, one page per ticket; only for a paid order (otherwise 404, in
/// plain words).
pub(super) async fn tickets_pdf(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    Path((shop, id)): Path<(String, String)>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let (org, order, event) = match find_order(&state, &checkout, lang, &shop, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if order.status != CheckoutStatus::Paid {
        let message = lang.t("tickets-not-paid");
        let brand = ShopBrand::of(checkout.db(), &org, &shop, order.shop_id.as_ref())
            .await
            .or_logged();
        return (
            StatusCode::NOT_FOUND,
            MessagePage {
                lang,
                message,
                brand,
            },
        )
            .into_response();
    }
    let tickets = match OrderTickets::load(&state.db, &org, &order, event).await {
        Ok(tickets) => tickets,
        Err(err) => return failure(lang, err),
    };
    let file_name = pdf_file_name(&tickets.reference);
    // Drawing the pages and compressing the QR images is CPU work: off the request threads.
    let pdf = match tokio::task::spawn_blocking(move || tickets.pdf(lang)).await {
        Ok(Ok(pdf)) => pdf,
        Ok(Err(err)) => return failure(lang, err),
        Err(err) => return failure(lang, Error::internal(err)),
    };
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file_name}\""),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_string(),
            ),
        ],
        pdf,
    )
        .into_response()
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
            let tickets = match page_tickets(&state, lang, &org, &order, &event).await {
                Ok(tickets) => tickets,
                Err(response) => return response,
            };
            (
                err.code().status(),
                OrderPage {
                    brand: ShopBrand::of(checkout.db(), &org, &shop, order.shop_id.as_ref())
                        .await
                        .or_logged(),
                    discounts: Discounts::of(checkout.db(), &org, &order).await.or_logged(),
                    payment_label: payment_label(lang, &checkout, &order),
                    lang,
                    shop,
                    order,
                    event,
                    error,
                    tickets,
                    panels: Vec::new(),
                },
            )
                .into_response()
        }
    }
}
