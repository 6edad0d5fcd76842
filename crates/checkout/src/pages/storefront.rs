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
use crate::{Checkout, PlaceOrder};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/shop/{shop}", get(shop_page))
        .route("/shop/{shop}/events/{id}", get(event_page).post(place))
        .route("/shop/{shop}/orders/{id}", get(order_page).post(pay))
        .layer(axum::middleware::from_fn(
            fullhouse_web::i18n::language_from_query,
        ))
}

/// Upcoming events a shop lists (the most a page of events holds).
const SHOP_EVENTS: u64 = fullhouse_core::http::PageParams::MAX_LIMIT;

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
        Ok(page) => {
            // The list pages by creation; a buyer reads a programme in date order.
            let mut events = page.items;
            events.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
            ShopPage { lang, shop, events }.into_response()
        }
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

/// The ticket types a seat may sell as, the default first: the offered seated types of the
/// seat's category, else the offered seated types without a category. Among them the types on
/// open sale come before those a code unlocked, so a seat is never offered at a code-only price
/// unless someone chooses it.
pub fn types_for_seat<'v>(view: &'v SaleView, category: Option<&str>) -> Vec<&'v OfferedType> {
    let seated = || view.ticket_types.iter().filter(|t| !t.general_admission);
    let of_category: Vec<&OfferedType> = category
        .map(|c| {
            seated()
                .filter(|t| {
                    t.category
                        .as_deref()
                        .is_some_and(|tc| tc.trim().eq_ignore_ascii_case(c.trim()))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut types = if of_category.is_empty() {
        seated().filter(|t| t.category.is_none()).collect()
    } else {
        of_category
    };
    // Stable: the catalog's order within each group.
    types.sort_by_key(|t| t.unlocked_by.is_some());
    types
}

/// The ticket type id a posted seat value (`<ticket type>:<seat>`) names for `seat`.
pub fn chosen_type<'c>(chosen: &'c [String], seat: &str) -> Option<&'c str> {
    chosen.iter().find_map(|value| {
        value
            .split_once(':')
            .filter(|(_, s)| *s == seat)
            .map(|(t, _)| t)
    })
}

/// The seat map as rows of cells, for the storefront or the box office. `chosen` are the posted
/// seat values: a chosen seat is ticked and keeps the ticket type it was chosen as, when that
/// type is one it may sell as.
pub fn seat_rows(view: &SaleView, lang: Lang, chosen: &[String]) -> Vec<SeatRowView> {
    let mut rows: Vec<SeatRowView> = Vec::new();
    for offer in &view.seats {
        let seat = &offer.seat;
        let name = format!(
            "{} · {} · {}",
            seat.section_name, seat.group_name, seat.row_name
        );
        let seat_id = seat.id.to_string();
        let picked = chosen_type(chosen, &seat_id);
        let allowed = types_for_seat(view, seat.category.as_deref());
        let ticket_type = allowed
            .iter()
            .find(|t| picked.is_some_and(|p| t.id.to_string() == p))
            .or(allowed.first())
            .copied();
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
        let buyable = matches!(state, "available" | "unlocked");
        let cell = SeatCell {
            checked: buyable && picked.is_some(),
            buyable,
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

/// A general-admission quantity field, with what was wrong with the quantity last posted in it.
pub struct QuantityField {
    pub ticket_type: OfferedType,
    /// The field's name (`qty_<ticket type>`).
    pub name: String,
    /// The quantity as last typed (`0` when none was).
    pub value: String,
    pub problem: Option<String>,
}

/// The general-admission types on sale as quantity fields, keeping what `form` typed in them;
/// `refused` is the error the last post got, whose field problems are shown beside their fields.
pub fn quantity_fields(
    view: &SaleView,
    lang: Lang,
    form: &OrderForm,
    refused: Option<&Error>,
) -> Vec<QuantityField> {
    let problems = refused.map(|err| FormErrors::from_error(lang, err));
    view.ticket_types
        .iter()
        .filter(|t| t.general_admission)
        .map(|t| {
            let id = t.id.to_string();
            let name = format!("{QUANTITY_PREFIX}{id}");
            let value = form
                .quantities
                .iter()
                .find(|(type_id, _)| *type_id == id)
                .map(|(_, typed)| typed.trim().to_string())
                .filter(|typed| !typed.is_empty())
                .unwrap_or_else(|| "0".to_string());
            QuantityField {
                problem: problems
                    .as_ref()
                    .and_then(|p| p.field(&name))
                    .map(str::to_string),
                name,
                value,
                ticket_type: t.clone(),
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/event.html")]
struct EventPage {
    lang: Lang,
    shop: String,
    view: SaleView,
    codes: String,
    rows: Vec<SeatRowView>,
    quantities: Vec<QuantityField>,
    error: Option<String>,
    email: String,
    first_name: String,
    last_name: String,
}

/// A page-level failure: the message in the visitor's language, on the error page. What is not
/// found is said in plain words (a shop, an event, an order), never as an id format.
fn failure(lang: Lang, err: Error) -> Response {
    let status = err.code().status();
    let message = match &err {
        Error::NotFound(what) => match *what {
            "shop" => lang.t("shop-not-found-shop"),
            "order" => lang.t("shop-not-found-order"),
            _ => lang.t("shop-not-found-event"),
        },
        _ => error_message(lang, &err),
    };
    (status, MessagePage { lang, message }).into_response()
}

/// An id typed into a shop address that is not one of ours: to a buyer, simply not found.
fn not_found(what: &'static str) -> impl Fn(Error) -> Error {
    move |_| Error::NotFound(what)
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
    let event = EventId::parse(id)
        .map_err(not_found("event"))
        .map_err(|e| failure(lang, e))?;
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
    refused: Option<Error>,
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
    let quantities = quantity_fields(&view, lang, form, refused.as_ref());
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
            shop,
            codes: codes.join(", "),
            rows,
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
    let mut refused = None;
    if let Err(err) = client.spend_code_checks(&checkout, &codes, None) {
        refused = Some(err);
        codes.clear();
    }
    let mut response = render_event(
        &checkout,
        &org,
        lang,
        shop,
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
        return render_event(
            &checkout,
            &org,
            lang,
            shop,
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
                .place(
                    &org,
                    PlaceOrder {
                        cart,
                        channel: Channel::Online,
                        buyer: Some(form.buyer()),
                        paid_at_counter: false,
                        payment_method: None,
                    },
                )
                .await
        }
        Err(err) => Err(err),
    };
    match placed {
        Ok(order) => Redirect::to(&format!("/shop/{shop}/orders/{}", order.id)).into_response(),
        Err(err) => {
            render_event(&checkout, &org, lang, shop, &event, codes, Some(err), &form).await
        }
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

async fn order_page(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    Path((shop, id)): Path<(String, String)>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    match find_order(&state, &checkout, lang, &shop, &id).await {
        Ok((_, order, event)) => OrderPage {
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

async fn pay(
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
