//! The buyer's account at one shop: sign-in by a one-time link mailed to them (no password),
//! sign-out, and My tickets (their orders at this organization and the member prices that apply
//! to upcoming events).
//!
//! The link's GET only shows a "Sign in" button: mail scanners fetch links before people do,
//! and a fetch must not spend the link. Only the button's POST uses it. The request for a link
//! answers the same bytes whether or not the address is known (every valid address is sent a
//! link; the customer is found or created only when the link is used).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::header::{HOST, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::tenancy::model::Organization;
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Error, OrgId};
use fullhouse_ticketing::model::catalog::{Event, EventFilter, EventStatus};
use fullhouse_ticketing::model::orders::{Channel, OrderFilter, OrderStatus};
use fullhouse_ticketing::service::{CatalogService, OrderService};
use fullhouse_ticketing::{EventId, OrderId};
use fullhouse_web::Lang;

use super::brand::ShopBrand;
use super::{failure, OrLogged};
use crate::buyers::model::{safe_return_to, LINK_MINUTES};
use crate::buyers::{BuyerCookie, BuyerSession, Buyers, LinkRequest, LinkState, SignedIn};
use crate::model::order_form::QUANTITY_PREFIX;
use crate::service::MemberPrice;
use crate::Checkout;

/// Upcoming events whose member prices My tickets looks up (each is one sale view).
const BENEFIT_EVENTS: u64 = 20;
/// Orders My tickets lists, newest first.
const MY_ORDERS: u64 = PageParams::MAX_LIMIT;

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/sign_in.html")]
struct SignInPage {
    lang: Lang,
    shop: String,
    brand: ShopBrand,
    email: String,
    return_to: String,
    /// What happened (a link is on its way, or too many asked): shown instead of the form.
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/sign_in_link.html")]
struct LinkPage {
    lang: Lang,
    shop: String,
    brand: ShopBrand,
    token: String,
    usable: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/my_tickets.html")]
struct MyTicketsPage {
    lang: Lang,
    shop: String,
    brand: ShopBrand,
    email: String,
    orders: Vec<OrderRow>,
    benefits: Vec<Benefit>,
}

struct OrderRow {
    id: OrderId,
    status: OrderStatus,
    event_title: String,
    when: String,
    created: String,
    tickets: Vec<String>,
    total: String,
    /// Online orders have a page (with the tickets); box-office sales do not.
    online: bool,
}

struct Benefit {
    event: Event,
    prices: Vec<MemberPrice>,
}

/// The client's address, when the server knows it (rate limits).
pub(crate) struct ClientIp(Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The organization's look on its account pages (the public shop's: sign-in is the
/// organization's, not a secret shop's). A failure to read it only costs the look.
async fn brand_of(state: &AppState, org: &OrgId, shop: &str) -> ShopBrand {
    ShopBrand::of(&state.db, org, shop, None).await.or_logged()
}

async fn shop_organization(state: &AppState, shop: &str) -> Result<Organization, Error> {
    TenancyService::new(state.db.clone())
        .organization_by_slug(shop)
        .await?
        .ok_or(Error::NotFound("shop"))
}

/// A form post from another site is refused: no one may sign a visitor in (or out) from
/// elsewhere. Browsers send `Origin` on every POST; a request without it is no browser's.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host))
}

/// Where the sign-in form sends the buyer back to: a `return_to` of this shop, or the event
/// page with the basket the buyer had chosen (the event page's "Sign in for member prices"
/// posts its order form here by GET, `from_event` naming the event).
fn wanted_return(shop: &str, pairs: &[(String, String)]) -> Result<Option<String>, ()> {
    let field = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim());
    if let Some(event) = field("from_event").filter(|e| !e.is_empty()) {
        let event = EventId::parse(event).map_err(|_| ())?;
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            let basket = name == "seat" || name == "codes" || name.starts_with(QUANTITY_PREFIX);
            if basket && !value.trim().is_empty() {
                query.append_pair(name, value.trim());
            }
        }
        let query = query.finish();
        let path = if query.is_empty() {
            format!("/shop/{shop}/events/{event}")
        } else {
            format!("/shop/{shop}/events/{event}?{query}")
        };
        return safe_return_to(shop, &path).map(Some).ok_or(());
    }
    match field("return_to").filter(|r| !r.is_empty()) {
        Some(wanted) => safe_return_to(shop, wanted).map(Some).ok_or(()),
        None => Ok(None),
    }
}

fn sign_in_page(
    lang: Lang,
    (shop, brand): (String, ShopBrand),
    email: String,
    return_to: String,
) -> SignInPage {
    SignInPage {
        lang,
        shop,
        brand,
        email,
        return_to,
        notice: None,
        error: None,
    }
}

/// `GET /shop/{shop}/sign-in`: the email form, carrying where to go back to.
pub(super) async fn sign_in_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(shop): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let brand = match shop_organization(&state, &shop).await {
        Ok(organization) => brand_of(&state, &organization.id, &shop).await,
        Err(err) => return failure(lang, err),
    };
    let email = pairs
        .iter()
        .find(|(n, _)| n == "email")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    match wanted_return(&shop, &pairs) {
        Ok(return_to) => {
            sign_in_page(lang, (shop, brand), email, return_to.unwrap_or_default()).into_response()
        }
        Err(()) => {
            let mut page = sign_in_page(lang, (shop, brand), email, String::new());
            page.error = Some(lang.t("buyers-return-refused"));
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
    }
}

/// `POST /shop/{shop}/sign-in`: mails a link. The same page whether or not the address is
/// known; a throttled request gets a page that says so, also the same for every address.
pub(super) async fn ask_link(
    State(state): State<AppState>,
    Extension(buyers): Extension<Buyers>,
    headers: HeaderMap,
    ClientIp(client): ClientIp,
    Path(shop): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let organization = match shop_organization(&state, &shop).await {
        Ok(found) => found,
        Err(err) => return failure(lang, err),
    };
    let email = pairs
        .iter()
        .find(|(n, _)| n == "email")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let brand = brand_of(&state, &organization.id, &shop).await;
    let return_to = match wanted_return(&shop, &pairs) {
        Ok(return_to) => return_to,
        Err(()) => {
            let mut page = sign_in_page(lang, (shop, brand), email, String::new());
            page.error = Some(lang.t("buyers-return-refused"));
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
    };
    let asked = buyers
        .request_link(
            &organization.id,
            LinkRequest {
                shop: &shop,
                organization_name: &organization.name,
                email: &email,
                return_to: return_to.clone(),
                language: lang.code(),
                client,
                public_url: &state.settings.public_url,
            },
        )
        .await;
    let (status, notice, error) = match asked {
        Ok(()) => (
            StatusCode::OK,
            Some(lang.t1("buyers-link-sent", "minutes", LINK_MINUTES)),
            None,
        ),
        Err(Error::RateLimited) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(lang.t("buyers-too-many")),
            None,
        ),
        Err(err @ Error::Validation { .. }) => {
            tracing::debug!(error = %err, "sign-in asked with a bad address");
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(lang.t("buyers-email-invalid")),
            )
        }
        Err(err) => return failure(lang, err),
    };
    // The answer names neither the address nor anything about it.
    let page = SignInPage {
        lang,
        shop,
        brand,
        email: if error.is_some() {
            email
        } else {
            String::new()
        },
        return_to: if error.is_some() {
            return_to.unwrap_or_default()
        } else {
            String::new()
        },
        notice,
        error,
    };
    (status, page).into_response()
}

/// `GET /shop/{shop}/sign-in/{token}`: a button that signs in, or plain words when the link
/// no longer works. Reads only.
pub(super) async fn link_page(
    State(state): State<AppState>,
    Extension(buyers): Extension<Buyers>,
    headers: HeaderMap,
    Path((shop, token)): Path<(String, String)>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let org = match shop_organization(&state, &shop).await {
        Ok(found) => found.id,
        Err(err) => return failure(lang, err),
    };
    let usable = match buyers.link_state(&org, &token).await {
        Ok(state) => state == LinkState::Usable,
        Err(err) => return failure(lang, err),
    };
    let brand = brand_of(&state, &org, &shop).await;
    let status = if usable {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    let mut response = (
        status,
        LinkPage {
            lang,
            shop,
            brand,
            token,
            usable,
        },
    )
        .into_response();
    // The token is in this page's address: keep it out of Referer headers sent to other sites.
    // `same-origin`, not `no-referrer`: under `no-referrer` a browser sends `Origin: null` with
    // this page's own form, and the same-origin check of `use_link` would refuse it.
    response.headers_mut().insert(
        axum::http::header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("same-origin"),
    );
    response
}

/// `POST /shop/{shop}/sign-in/{token}`: uses the link (once, within 15 minutes), sets the
/// buyer's cookie and goes back to where the buyer came from (their basket), else My tickets.
pub(super) async fn use_link(
    State(state): State<AppState>,
    Extension(buyers): Extension<Buyers>,
    headers: HeaderMap,
    Path((shop, token)): Path<(String, String)>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    if !same_origin(&headers) {
        return failure(lang, Error::Forbidden("sign-in from another site"));
    }
    let org = match shop_organization(&state, &shop).await {
        Ok(found) => found.id,
        Err(err) => return failure(lang, err),
    };
    match buyers.use_link(&org, &token).await {
        Ok(Some((session, return_to))) => {
            let target = return_to
                .and_then(|r| safe_return_to(&shop, &r))
                .unwrap_or_else(|| format!("/shop/{shop}/my-tickets"));
            let mut response = Redirect::to(&target).into_response();
            if let Ok(cookie) = BuyerCookie::set(&session, state.settings.secure_cookies).parse() {
                response.headers_mut().append(SET_COOKIE, cookie);
            }
            response
        }
        Ok(None) => (
            StatusCode::GONE,
            LinkPage {
                lang,
                brand: brand_of(&state, &org, &shop).await,
                shop,
                token: String::new(),
                usable: false,
            },
        )
            .into_response(),
        Err(err) => failure(lang, err),
    }
}

/// `POST /shop/{shop}/sign-out`.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    Extension(buyers): Extension<Buyers>,
    headers: HeaderMap,
    cookie: BuyerCookie,
    Path(shop): Path<String>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    if !same_origin(&headers) {
        return failure(lang, Error::Forbidden("sign-out from another site"));
    }
    let org = match shop_organization(&state, &shop).await {
        Ok(found) => found.id,
        Err(err) => return failure(lang, err),
    };
    if let Err(err) = buyers.sign_out(&org, &cookie).await {
        return failure(lang, err);
    }
    let mut response = Redirect::to(&format!("/shop/{shop}")).into_response();
    if let Ok(clear) = BuyerCookie::clear(state.settings.secure_cookies).parse() {
        response.headers_mut().append(SET_COOKIE, clear);
    }
    response
}

/// `GET /shop/{shop}/my-tickets`: the signed-in buyer's orders here, newest first, and the
/// member prices of upcoming events. Not signed in: the sign-in form, coming back here.
pub(super) async fn my_tickets(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    session: BuyerSession,
    Path(shop): Path<String>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let org = match shop_organization(&state, &shop).await {
        Ok(found) => found.id,
        Err(err) => return failure(lang, err),
    };
    let Some(buyer) = session.signed_in(&org).await else {
        let back = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", &format!("/shop/{shop}/my-tickets"))
            .finish();
        return Redirect::to(&format!("/shop/{shop}/sign-in?{back}")).into_response();
    };
    let orders = match order_rows(&state, lang, &org, &buyer).await {
        Ok(rows) => rows,
        Err(err) => return failure(lang, err),
    };
    let benefits = match benefits(&state, &checkout, &org, &buyer).await {
        Ok(found) => found,
        Err(err) => return failure(lang, err),
    };
    MyTicketsPage {
        lang,
        brand: brand_of(&state, &org, &shop).await,
        shop,
        email: buyer.email,
        orders,
        benefits,
    }
    .into_response()
}

async fn order_rows(
    state: &AppState,
    lang: Lang,
    org: &OrgId,
    buyer: &SignedIn,
) -> Result<Vec<OrderRow>, Error> {
    let page = OrderService::new(state.db.clone())
        .list_orders(
            org,
            &OrderFilter {
                customer_id: Some(buyer.customer_id.clone()),
                event_id: None,
            },
            &PageParams {
                cursor: None,
                limit: Some(MY_ORDERS),
            },
        )
        .await?;
    let catalog = CatalogService::new(state.db.clone());
    let mut events: HashMap<EventId, Option<Event>> = HashMap::new();
    let mut orders = page.items;
    orders.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let mut rows = Vec::with_capacity(orders.len());
    for order in orders {
        let Some(event_id) = order.tickets.first().map(|t| t.event_id.clone()) else {
            continue;
        };
        if !events.contains_key(&event_id) {
            let found = match catalog.event(org, &event_id).await {
                Ok(event) => Some(event),
                Err(Error::NotFound(_)) => None,
                Err(err) => return Err(err),
            };
            events.insert(event_id.clone(), found);
        }
        let event = events.get(&event_id).cloned().flatten();
        let tickets = order
            .tickets
            .iter()
            .map(|t| match (&t.seat, &t.ga_area) {
                (Some(seat), _) => format!(
                    "{} · {} · {} {}",
                    seat.section_name, seat.group_name, seat.row_name, seat.seat_label
                ),
                (None, Some(area)) => area.name.clone(),
                (None, None) => lang.t("buyers-ticket"),
            })
            .collect();
        rows.push(OrderRow {
            id: order.id.clone(),
            status: order.status,
            event_title: event.as_ref().map(|e| e.title.clone()).unwrap_or_default(),
            when: event
                .as_ref()
                .map(|e| lang.local_time(e.starts_at, &e.venue_timezone))
                .unwrap_or_default(),
            created: event
                .as_ref()
                .map(|e| lang.local_time(order.created_at, &e.venue_timezone))
                .unwrap_or_default(),
            tickets,
            total: lang.money(order.total_minor, &order.currency),
            online: order.channel == Channel::Online,
        });
    }
    Ok(rows)
}

/// Upcoming events on sale where the buyer, as a member, pays a member price.
async fn benefits(
    state: &AppState,
    checkout: &Checkout,
    org: &OrgId,
    buyer: &SignedIn,
) -> Result<Vec<Benefit>, Error> {
    let filter = EventFilter {
        from: Some(chrono::Utc::now()),
        status: Some(EventStatus::Scheduled),
        ..Default::default()
    };
    let params = PageParams {
        cursor: None,
        limit: Some(PageParams::MAX_LIMIT),
    };
    let mut events = CatalogService::new(state.db.clone())
        .list_events(org, &filter, &params)
        .await?
        .items;
    events.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
    let mut found = Vec::new();
    for event in events.into_iter().take(BENEFIT_EVENTS as usize) {
        let view = checkout
            .sale_view_for(
                org,
                &event.id,
                &[],
                Channel::Online,
                Some(&buyer.customer_id),
                None,
            )
            .await?;
        if !view.member_prices.is_empty() {
            found.push(Benefit {
                event,
                prices: view.member_prices,
            });
        }
    }
    Ok(found)
}
