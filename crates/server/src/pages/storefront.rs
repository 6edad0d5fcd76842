//! The buyer's storefront (public, no login): an event page with its ticket types, a seat-map
//! picker and a code field that reveals what a code unlocks; the payment step (behind the
//! checkout's payment provider, labelled when it is the test provider); the confirmation.
//!
//! Everything goes through [`fullhouse_checkout::Checkout`], like the JSON storefront; codes
//! typed here spend the same rate-limit budget as the API's code checks.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use fullhouse_checkout::api::{shop_org, CodesQuery, ShopClient};
use fullhouse_checkout::model::{Cart, CartItem, CheckoutOrder, CheckoutStatus, SeatChoice};
use fullhouse_checkout::service::{OfferedType, SaleView, SeatState};
use fullhouse_checkout::{Checkout, PlaceOrder};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, OrgId};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::sale_facts::Buyer;
use fullhouse_ticketing::{EventId, OrderId, SeatId, TicketTypeId};

use super::i18n::{error_message, Lang};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/shop/{shop}", get(shop_page))
        .route("/shop/{shop}/events/{id}", get(event_page).post(place))
        .route("/shop/{shop}/orders/{id}", get(order_page).post(pay))
}

/// Upcoming events a shop lists.
const SHOP_EVENTS: u64 = 100;

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/shop.html")]
struct ShopPage {
    lang: Lang,
    shop: String,
    events: Vec<fullhouse_ticketing::model::catalog::Event>,
}

/// The shop's front page: its upcoming events on sale.
async fn shop_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(shop): Path<String>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let org = match shop_org(&state, &shop).await {
        Ok(org) => org,
        Err(err) => return failure(lang, err),
    };
    let filter = fullhouse_ticketing::model::catalog::EventFilter {
        from: Some(chrono::Utc::now()),
        status: Some(fullhouse_ticketing::model::catalog::EventStatus::Scheduled),
        ..Default::default()
    };
    let params = fullhouse_core::http::PageParams {
        cursor: None,
        limit: Some(SHOP_EVENTS),
    };
    match fullhouse_ticketing::service::CatalogService::new(state.db.clone())
        .list_events(&org, &filter, &params)
        .await
    {
        Ok(page) => ShopPage {
            lang,
            shop,
            events: page.items,
        }
        .into_response(),
        Err(err) => failure(lang, err),
    }
}

/// One row of the seat map as the picker draws it.
pub struct SeatRowView {
    pub name: String,
    pub seats: Vec<SeatCell>,
}

/// One clickable seat: its form value names the ticket type it sells as.
pub struct SeatCell {
    pub value: String,
    pub label: String,
    /// `available`, `sold`, `held`, `unlocked` or `unavailable` (no ticket type sells it).
    pub state: &'static str,
    pub title: String,
    pub buyable: bool,
    pub checked: bool,
}

/// The ticket type a seat sells as: the offered seated type of the seat's category, else the
/// first offered seated type without a category.
fn type_for_seat<'v>(view: &'v SaleView, category: Option<&str>) -> Option<&'v OfferedType> {
    let seated = || view.ticket_types.iter().filter(|t| !t.general_admission);
    category
        .and_then(|c| {
            seated().find(|t| {
                t.category
                    .as_deref()
                    .is_some_and(|tc| tc.trim().eq_ignore_ascii_case(c.trim()))
            })
        })
        .or_else(|| seated().find(|t| t.category.is_none()))
}

/// The seat map as rows of cells, for the storefront or the box office.
pub fn seat_rows(view: &SaleView, lang: Lang, chosen: &[String]) -> Vec<SeatRowView> {
    let mut rows: Vec<SeatRowView> = Vec::new();
    for offer in &view.seats {
        let seat = &offer.seat;
        let name = format!(
            "{} · {} · {}",
            seat.section_name, seat.group_name, seat.row_name
        );
        let ticket_type = type_for_seat(view, seat.category.as_deref());
        let state = match (offer.state, ticket_type) {
            (SeatState::Sold, _) => "sold",
            (SeatState::Held, _) => "held",
            (_, None) => "unavailable",
            (SeatState::Unlocked, Some(_)) => "unlocked",
            (SeatState::Available, Some(_)) => "available",
        };
        let value = ticket_type
            .map(|t| format!("{}:{}", t.id, seat.id))
            .unwrap_or_default();
        let title = match ticket_type {
            Some(t) => format!(
                "{} {} · {} · {}",
                lang.t("shop-seat"),
                seat.seat_label,
                t.name,
                lang.money(t.price_minor, &t.currency)
            ),
            None => format!("{} {}", lang.t("shop-seat"), seat.seat_label),
        };
        let cell = SeatCell {
            checked: chosen.contains(&value),
            buyable: matches!(state, "available" | "unlocked"),
            value,
            label: seat.seat_label.clone(),
            state,
            title,
        };
        match rows.last_mut() {
            Some(row) if row.name == name => row.seats.push(cell),
            _ => rows.push(SeatRowView {
                name,
                seats: vec![cell],
            }),
        }
    }
    rows
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/event.html")]
struct EventPage {
    lang: Lang,
    shop: String,
    view: SaleView,
    codes: String,
    rows: Vec<SeatRowView>,
    ga_types: Vec<OfferedType>,
    error: Option<String>,
    email: String,
    first_name: String,
    last_name: String,
}

/// A page-level failure: the message in the visitor's language, on the error page.
fn failure(lang: Lang, err: Error) -> Response {
    let status = err.code().status();
    (
        status,
        MessagePage {
            lang,
            message: error_message(lang, &err),
        },
    )
        .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/message.html")]
struct MessagePage {
    lang: Lang,
    message: String,
}

async fn resolve(
    state: &AppState,
    lang: Lang,
    shop: &str,
    id: &str,
) -> Result<(OrgId, EventId), Response> {
    let org = shop_org(state, shop).await.map_err(|e| failure(lang, e))?;
    let event = EventId::parse(id).map_err(|e| failure(lang, e))?;
    Ok((org, event))
}

#[allow(clippy::too_many_arguments)]
async fn render_event(
    checkout: &Checkout,
    org: &OrgId,
    lang: Lang,
    shop: String,
    event: &EventId,
    codes: Vec<String>,
    error: Option<String>,
    form: &OrderForm,
) -> Response {
    let view = match checkout
        .sale_view(org, event, &codes, Channel::Online)
        .await
    {
        Ok(view) => view,
        Err(err) => return failure(lang, err),
    };
    let rows = seat_rows(&view, lang, &form.seats);
    let ga_types = view
        .ticket_types
        .iter()
        .filter(|t| t.general_admission)
        .cloned()
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        EventPage {
            lang,
            shop,
            codes: codes.join(", "),
            rows,
            ga_types,
            error,
            email: form.email.clone(),
            first_name: form.first_name.clone(),
            last_name: form.last_name.clone(),
            view,
        },
    )
        .into_response()
}

async fn event_page(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    client: ShopClient,
    Path((shop, id)): Path<(String, String)>,
    Query(query): Query<CodesQuery>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let (org, event) = match resolve(&state, lang, &shop, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut codes = query.list();
    let mut error = None;
    if let Err(err) = client.spend_code_checks(&checkout, &codes, None) {
        error = Some(error_message(lang, &err));
        codes.clear();
    }
    let mut response = render_event(
        &checkout,
        &org,
        lang,
        shop,
        &event,
        codes,
        error,
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

/// The order form as posted: repeated `seat` fields (`<ticket type>:<seat>`), `qty_<ticket
/// type>` quantities, the buyer and the codes.
#[derive(Debug, Default)]
pub struct OrderForm {
    pub seats: Vec<String>,
    pub quantities: Vec<(String, u32)>,
    pub codes: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl OrderForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = OrderForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "seat" if !value.is_empty() => form.seats.push(value),
                "codes" => form.codes = value,
                "email" => form.email = value,
                "first_name" => form.first_name = value,
                "last_name" => form.last_name = value,
                other => {
                    if let Some(type_id) = other.strip_prefix("qty_") {
                        let quantity = value.trim().parse::<u32>().unwrap_or(0);
                        if quantity > 0 {
                            form.quantities.push((type_id.to_string(), quantity));
                        }
                    }
                }
            }
        }
        form
    }

    pub fn code_list(&self) -> Vec<String> {
        CodesQuery {
            codes: Some(self.codes.clone()),
        }
        .list()
    }

    /// The cart the form asks for; ids that do not parse are reported like the API would.
    pub fn cart(&self, event: &EventId) -> Result<Cart, Error> {
        let mut items: Vec<CartItem> = Vec::new();
        for value in &self.seats {
            let (type_id, seat_id) = value
                .split_once(':')
                .ok_or_else(|| Error::invalid("seat", "choose seats from the seat map"))?;
            let type_id = TicketTypeId::parse(type_id)?;
            let choice = SeatChoice {
                seat_id: Some(SeatId::parse(seat_id)?),
                seat: None,
            };
            match items
                .iter_mut()
                .find(|i| i.ticket_type_id == type_id && !i.seats.is_empty())
            {
                Some(item) => item.seats.push(choice),
                None => items.push(CartItem {
                    ticket_type_id: type_id,
                    quantity: None,
                    seats: vec![choice],
                    ga_name: None,
                }),
            }
        }
        for (type_id, quantity) in &self.quantities {
            items.push(CartItem {
                ticket_type_id: TicketTypeId::parse(type_id)?,
                quantity: Some(*quantity),
                seats: Vec::new(),
                ga_name: None,
            });
        }
        Ok(Cart {
            event_id: event.clone(),
            items,
            codes: self.code_list(),
            customer_id: None,
        })
    }

    pub fn buyer(&self) -> Buyer {
        let optional = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        Buyer {
            email: self.email.clone(),
            first_name: optional(&self.first_name),
            last_name: optional(&self.last_name),
            phone: None,
        }
    }
}

async fn place(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    client: ShopClient,
    Path((shop, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let (org, event) = match resolve(&state, lang, &shop, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let form = OrderForm::from_pairs(pairs);
    let codes = form.code_list();
    if let Err(err) = client.spend_code_checks(&checkout, &codes, Some(&form.email)) {
        let message = error_message(lang, &err);
        return render_event(
            &checkout,
            &org,
            lang,
            shop,
            &event,
            Vec::new(),
            Some(message),
            &form,
        )
        .await;
    }
    let placed = match form.cart(&event) {
        Ok(cart) => {
            checkout
                .place(
                    &org,
                    PlaceOrder {
                        cart,
                        channel: Channel::Online,
                        buyer: Some(form.buyer()),
                        paid_at_counter: false,
                    },
                )
                .await
        }
        Err(err) => Err(err),
    };
    match placed {
        Ok(order) => Redirect::to(&format!("/shop/{shop}/orders/{}", order.id)).into_response(),
        Err(err) => {
            let message = error_message(lang, &err);
            render_event(
                &checkout,
                &org,
                lang,
                shop,
                &event,
                codes,
                Some(message),
                &form,
            )
            .await
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/order.html")]
struct OrderPage {
    lang: Lang,
    shop: String,
    order: CheckoutOrder,
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
) -> Result<(OrgId, CheckoutOrder), Response> {
    let org = shop_org(state, shop).await.map_err(|e| failure(lang, e))?;
    let id = OrderId::parse(id).map_err(|e| failure(lang, e))?;
    let order = checkout
        .order(&org, &id)
        .await
        .map_err(|e| failure(lang, e))?;
    if order.channel != Channel::Online {
        return Err(failure(lang, Error::NotFound("order")));
    }
    Ok((org, order))
}

async fn order_page(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    Path((shop, id)): Path<(String, String)>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    match find_order(&state, &checkout, lang, &shop, &id).await {
        Ok((_, order)) => OrderPage {
            lang,
            shop,
            order,
            payment_label: checkout.payments().label().to_string(),
            error: None,
        }
        .into_response(),
        Err(response) => response,
    }
}

async fn pay(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    Path((shop, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let (org, order) = match find_order(&state, &checkout, lang, &shop, &id).await {
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
                    lang,
                    shop,
                    order,
                    payment_label: checkout.payments().label().to_string(),
                    error,
                },
            )
                .into_response()
        }
    }
}
