//! Checkout's JSON routes: the box office (signed-in staff with the Sell permission) and the
//! public storefront (no login; the organization is named by its slug).
//!
//! The server mounts [`router`] and adds the [`Checkout`] it built (with the installed code rules
//! and payment provider) as an `Extension`. Code checks are rate-limited per client address and
//! per storefront session, and answer a wrong code the same way whether it exists elsewhere or not.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, ApiPath, ApiQuery, AppState};
use fullhouse_core::rate_limit::KeyedLimit;
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Caller, Error, OrgId, Permission, Result};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::sale_facts::Buyer;
use fullhouse_ticketing::{EventId, OrderId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::buyers::BuyerSession;
use crate::model::{
    BuyerInput, Cart, CheckoutOrder, CheckoutStatus, CodeOutcome, PaymentMethod, Quote,
};
use crate::service::{Checkout, PlaceOrder, SaleView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(box_office_event))
        .routes(routes!(box_office_quote))
        .routes(routes!(box_office_order))
        .routes(routes!(get_order))
        .routes(routes!(cancel_order))
        .routes(routes!(storefront_event))
        .routes(routes!(storefront_code_check))
        .routes(routes!(storefront_quote))
        .routes(routes!(storefront_order))
        .routes(routes!(storefront_get_order))
        .routes(routes!(storefront_pay))
        .merge(crate::payment::api::router())
}

// ---------------------------------------------------------------------------------------------
// Rate limits on code checks.
// ---------------------------------------------------------------------------------------------

/// Code guesses allowed per client address and minute (a venue's shared Wi-Fi is one address;
/// an IPv6 client is its /64, which one subscriber usually holds whole).
pub const CODE_CHECKS_PER_IP_PER_MINUTE: u32 = 60;
/// Code guesses allowed per storefront session and minute.
pub const CODE_CHECKS_PER_SESSION_PER_MINUTE: u32 = 20;
/// Code guesses allowed per buyer (the e-mail address an order gives) and minute.
pub const CODE_CHECKS_PER_BUYER_PER_MINUTE: u32 = 20;
/// Code guesses allowed per client address and minute from requests without a session cookie:
/// each of those gets a brand-new session, so only the address can slow them.
pub const CODE_CHECKS_WITHOUT_SESSION_PER_IP_PER_MINUTE: u32 = 10;
/// The storefront session cookie: only a rate-limit key, it carries no rights.
pub const SESSION_COOKIE: &str = "fh_shop";

/// Budgets for guessing codes. Every code a request carries spends one unit of its client
/// address's, its session's and (when it names one) its buyer's budget *before* any code is
/// looked up, so a throttled guesser learns nothing, right or wrong; and a cart with five codes
/// costs five guesses, since its quote tells which of them are valid.
#[derive(Clone)]
pub struct CodeCheckLimiter {
    per_ip: Arc<KeyedLimit<IpAddr>>,
    per_session: Arc<KeyedLimit<String>>,
    per_buyer: Arc<KeyedLimit<String>>,
    without_session: Arc<KeyedLimit<IpAddr>>,
}

impl Default for CodeCheckLimiter {
    fn default() -> Self {
        Self::new(
            CODE_CHECKS_PER_IP_PER_MINUTE,
            CODE_CHECKS_PER_SESSION_PER_MINUTE,
        )
    }
}

impl CodeCheckLimiter {
    pub fn new(per_ip_per_minute: u32, per_session_per_minute: u32) -> Self {
        Self {
            per_ip: keyed_limiter(per_ip_per_minute),
            per_session: keyed_limiter(per_session_per_minute),
            per_buyer: keyed_limiter(CODE_CHECKS_PER_BUYER_PER_MINUTE),
            without_session: keyed_limiter(
                CODE_CHECKS_WITHOUT_SESSION_PER_IP_PER_MINUTE.min(per_ip_per_minute),
            ),
        }
    }

    /// Spends `codes` guesses of every budget the request falls under; refused when any of them
    /// is spent (or smaller than the number of codes).
    fn spend(&self, client: &ShopClient, buyer: Option<&str>, codes: usize) -> Result<()> {
        let Some(n) = u32::try_from(codes).ok().and_then(NonZeroU32::new) else {
            return Ok(());
        };
        let ip = client.ip.map(address_key);
        let ip_ok = ip.is_none_or(|ip| self.per_ip.spend(&ip, n));
        // A request without the cookie cannot be told from the previous one of the same
        // guesser: it answers to the tighter budget of its address alone.
        let session_ok = if client.fresh {
            ip.is_none_or(|ip| self.without_session.spend(&ip, n))
        } else {
            self.per_session.spend(&client.session, n)
        };
        let buyer_ok = buyer
            .map(|email| email.trim().to_lowercase())
            .filter(|email| !email.is_empty())
            .is_none_or(|email| self.per_buyer.spend(&email, n));
        if ip_ok && session_ok && buyer_ok {
            Ok(())
        } else {
            Err(Error::RateLimited)
        }
    }
}

fn keyed_limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Arc<KeyedLimit<K>> {
    KeyedLimit::per_minute(per_minute)
}

/// The rate-limit key of a client address: IPv4 as it is, IPv6 by its /64 (one subscriber's
/// network, where every address is free to use).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
        },
    }
}

/// Who is asking at the storefront: the client address and the session cookie (a new one when
/// the request has none).
pub struct ShopClient {
    ip: Option<IpAddr>,
    session: String,
    fresh: bool,
    secure_cookie: bool,
    /// The referral code of the tracking link the visitor came through ([`REFERRAL_COOKIE`]).
    referral: Option<String>,
}

/// The first-party cookie a referral tracking link (`/r/{code}`) sets: the code, for as long as
/// the promotion's attribution window. The storefront puts it on the order it places, so that
/// the order itself records where the buyer came from.
pub const REFERRAL_COOKIE: &str = "fh_ref";

impl FromRequestParts<AppState> for ShopClient {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let cookie = |wanted: &str| {
            parts
                .headers
                .get_all(COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(name, _)| *name == wanted)
                .map(|(_, value)| value.to_string())
        };
        let existing = cookie(SESSION_COOKIE).filter(|value| valid_session(value));
        let referral = cookie(REFERRAL_COOKIE)
            .and_then(|value| fullhouse_ticketing::model::orders::referral_code(&value).ok())
            .flatten();
        let secure_cookie = state.settings.secure_cookies;
        Ok(match existing {
            Some(session) => Self {
                ip,
                session,
                fresh: false,
                secure_cookie,
                referral,
            },
            None => Self {
                ip,
                session: fullhouse_core::ids::generate("shs"),
                fresh: true,
                secure_cookie,
                referral,
            },
        })
    }
}

fn valid_session(value: &str) -> bool {
    value.len() <= 64 && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl ShopClient {
    /// The referral code the visitor's tracking-link cookie holds, if any.
    pub fn referral(&self) -> Option<&str> {
        self.referral.as_deref()
    }

    /// The session cookie to set on the response, when the request came without one
    /// (`Secure` when the server says cookies are).
    pub fn cookie(&self) -> Option<HeaderValue> {
        if !self.fresh {
            return None;
        }
        let secure = if self.secure_cookie { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
            self.session
        ))
        .ok()
    }

    /// Spends one guess per code (blank ones aside) of this client's budgets, and of the
    /// buyer's when the request names one.
    pub fn spend_code_checks(
        &self,
        checkout: &Checkout,
        codes: &[String],
        buyer: Option<&str>,
    ) -> Result<()> {
        let guesses = codes.iter().filter(|c| !c.trim().is_empty()).count();
        checkout.limiter().spend(self, buyer, guesses)
    }
}

fn with_cookie(client: &ShopClient, mut response: Response) -> Response {
    if let Some(cookie) = client.cookie() {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// The organization a storefront slug names; an unknown slug is a 404 like any other.
pub async fn shop_org(state: &AppState, slug: &str) -> Result<OrgId> {
    TenancyService::new(state.db.clone())
        .organization_by_slug(slug)
        .await?
        .map(|o| o.id)
        .ok_or(Error::NotFound("shop"))
}

// ---------------------------------------------------------------------------------------------
// Box office.
// ---------------------------------------------------------------------------------------------

/// A box-office sale: the cart, optionally a buyer to find or create as a customer, whether it
/// is paid at the counter now (the default) or held for later payment, and how it was paid.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoxOfficeSale {
    pub cart: Cart,
    pub buyer: Option<BuyerInput>,
    #[serde(default = "yes")]
    pub paid_at_counter: bool,
    /// How the buyer paid at the counter: required when `paid_at_counter` (422 on
    /// `payment_method` without it), left out when the order is held for later payment.
    pub payment_method: Option<PaymentMethod>,
}

fn yes() -> bool {
    true
}

fn buyer(input: Option<BuyerInput>) -> Option<Buyer> {
    input.map(|b| Buyer {
        email: b.email,
        first_name: b.first_name,
        last_name: b.last_name,
        phone: b.phone,
    })
}

/// What the box office may sell for an event: the public ticket types, the hidden ones the typed
/// `codes` unlock (a hidden type needs its code at the counter too), and every unsold seat, held
/// ones included.
#[utoipa::path(get, path = "/box-office/events/{id}", tag = "checkout",
    params(("id" = EventId, Path), CodesQuery),
    responses((status = 200, body = SaleView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn box_office_event(
    Extension(checkout): Extension<Checkout>,
    caller: Caller,
    ApiPath(id): ApiPath<EventId>,
    ApiQuery(query): ApiQuery<CodesQuery>,
) -> Result<Json<SaleView>> {
    caller.require(Permission::Sell)?;
    Ok(Json(
        checkout
            .sale_view(&caller.org, &id, &query.list(), Channel::BoxOffice)
            .await?,
    ))
}

/// Price a box-office cart (with codes and a customer for loyalty) without selling anything.
#[utoipa::path(post, path = "/box-office/quote", tag = "checkout", request_body = Cart,
    responses((status = 200, body = Quote), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn box_office_quote(
    Extension(checkout): Extension<Checkout>,
    caller: Caller,
    ApiJson(cart): ApiJson<Cart>,
) -> Result<Json<Quote>> {
    caller.require(Permission::Sell)?;
    Ok(Json(
        checkout
            .quote(&caller.org, &cart, Channel::BoxOffice)
            .await?,
    ))
}

/// Sell at the counter through the same checkout as the storefront (channel `box_office`).
#[utoipa::path(post, path = "/box-office/orders", tag = "checkout", request_body = BoxOfficeSale,
    responses((status = 201, body = CheckoutOrder), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn box_office_order(
    Extension(checkout): Extension<Checkout>,
    caller: Caller,
    ApiJson(sale): ApiJson<BoxOfficeSale>,
) -> Result<Response> {
    caller.require(Permission::Sell)?;
    let payment_method = PaymentMethod::for_sale(sale.paid_at_counter, sale.payment_method)?;
    let order = checkout
        .place(
            &caller.org,
            PlaceOrder {
                cart: sale.cart,
                channel: Channel::BoxOffice,
                buyer: buyer(sale.buyer),
                paid_at_counter: sale.paid_at_counter,
                payment_method,
            },
        )
        .await?;
    Ok(created(order))
}

/// An order sold through checkout, with its payment state and tickets.
#[utoipa::path(get, path = "/checkout/orders/{id}", tag = "checkout",
    params(("id" = OrderId, Path)),
    responses((status = 200, body = CheckoutOrder), (status = 404, body = ErrorBody)))]
async fn get_order(
    Extension(checkout): Extension<Checkout>,
    caller: Caller,
    ApiPath(id): ApiPath<OrderId>,
) -> Result<Json<CheckoutOrder>> {
    caller.require(Permission::Read)?;
    Ok(Json(checkout.order(&caller.org, &id).await?))
}

/// Cancel (and refund) an order sold through checkout: seats, places and code uses are given
/// back. Cancelling again changes nothing.
#[utoipa::path(post, path = "/checkout/orders/{id}/cancel", tag = "checkout",
    params(("id" = OrderId, Path)),
    responses((status = 200, body = CheckoutOrder), (status = 404, body = ErrorBody)))]
async fn cancel_order(
    Extension(checkout): Extension<Checkout>,
    caller: Caller,
    ApiPath(id): ApiPath<OrderId>,
) -> Result<Json<CheckoutOrder>> {
    caller.require(Permission::Sell)?;
    let before = checkout.order(&caller.org, &id).await?.status;
    let after = checkout.cancel(&caller.org, &id).await?;
    if after.status != before {
        checkout
            .audit_call_off(
                &caller,
                &id,
                before,
                after.status,
                after.total_minor,
                &after.currency,
            )
            .await?;
    }
    Ok(Json(after))
}

// ---------------------------------------------------------------------------------------------
// Storefront (public).
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodesQuery {
    /// Codes the buyer typed, comma-separated.
    pub codes: Option<String>,
}

impl CodesQuery {
    pub fn list(&self) -> Vec<String> {
        crate::model::order_form::split_codes(self.codes.as_deref().unwrap_or_default())
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeCheck {
    pub code: String,
}

/// A storefront order: the cart and the buyer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StorefrontOrder {
    pub cart: Cart,
    pub buyer: BuyerInput,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// What the payment step produced; the test provider declines `decline`.
    pub token: Option<String>,
}

/// What a buyer may see of their order: the barcodes only once it is paid (an unpaid hold's
/// tickets must not get anyone in).
fn for_buyer(mut order: CheckoutOrder) -> CheckoutOrder {
    if order.status != CheckoutStatus::Paid {
        for ticket in &mut order.order.tickets {
            ticket.barcode.clear();
        }
    }
    order
}

/// Storefront buyers are who they say in `buyer`; a customer id would let anyone claim another
/// customer's loyalty. Only a signed-in buyer's session names their customer (server-side).
fn storefront_cart(cart: &Cart) -> Result<()> {
    if cart.customer_id.is_some() {
        return Err(Error::invalid(
            "customer_id",
            "the storefront identifies buyers by `buyer`, not by customer id",
        ));
    }
    Ok(())
}

/// What is on sale for an event, with what the buyer's codes unlock. Public.
#[utoipa::path(get, path = "/storefront/{shop}/events/{id}", tag = "storefront", security(()),
    params(("shop" = String, Path, description = "the organization's slug"), ("id" = EventId, Path), CodesQuery),
    responses((status = 200, body = SaleView), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn storefront_event(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    client: ShopClient,
    session: BuyerSession,
    ApiPath((shop, id)): ApiPath<(String, EventId)>,
    ApiQuery(query): ApiQuery<CodesQuery>,
) -> Result<Response> {
    let codes = query.list();
    client.spend_code_checks(&checkout, &codes, None)?;
    let org = shop_org(&state, &shop).await?;
    let customer = session.customer(&org).await?;
    let view = checkout
        .sale_view_for(&org, &id, &codes, Channel::Online, customer.as_ref(), None)
        .await?;
    Ok(with_cookie(&client, Json(view).into_response()))
}

/// What a code unlocks for this event. Rate-limited per address and session; a code that does
/// nothing here gets `unknown`, whether or not it exists for another event or organization.
#[utoipa::path(post, path = "/storefront/{shop}/events/{id}/code-check", tag = "storefront", security(()),
    params(("shop" = String, Path), ("id" = EventId, Path)), request_body = CodeCheck,
    responses((status = 200, body = CodeOutcome), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn storefront_code_check(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    client: ShopClient,
    session: BuyerSession,
    ApiPath((shop, id)): ApiPath<(String, EventId)>,
    ApiJson(check): ApiJson<CodeCheck>,
) -> Result<Response> {
    client.spend_code_checks(&checkout, std::slice::from_ref(&check.code), None)?;
    let org = shop_org(&state, &shop).await?;
    let customer = session.customer(&org).await?;
    let outcome = checkout
        .check_code_for(&org, &id, &check.code, customer.as_ref())
        .await?;
    Ok(with_cookie(&client, Json(outcome).into_response()))
}

/// Price a cart: a line per ticket, what each code did, the total, and any problems.
#[utoipa::path(post, path = "/storefront/{shop}/quote", tag = "storefront", security(()),
    params(("shop" = String, Path)), request_body = Cart,
    responses((status = 200, body = Quote), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn storefront_quote(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    client: ShopClient,
    session: BuyerSession,
    ApiPath(shop): ApiPath<String>,
    ApiJson(mut cart): ApiJson<Cart>,
) -> Result<Response> {
    storefront_cart(&cart)?;
    client.spend_code_checks(&checkout, &cart.codes, None)?;
    let org = shop_org(&state, &shop).await?;
    cart.customer_id = session.customer(&org).await?;
    let quote = checkout.quote(&org, &cart, Channel::Online).await?;
    Ok(with_cookie(&client, Json(quote).into_response()))
}

/// Place an order: seats, places and code uses are held until the payment step completes or the
/// hold expires.
#[utoipa::path(post, path = "/storefront/{shop}/orders", tag = "storefront", security(()),
    params(("shop" = String, Path)), request_body = StorefrontOrder,
    responses((status = 201, body = CheckoutOrder), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn storefront_order(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    client: ShopClient,
    session: BuyerSession,
    ApiPath(shop): ApiPath<String>,
    ApiJson(mut order): ApiJson<StorefrontOrder>,
) -> Result<Response> {
    storefront_cart(&order.cart)?;
    client.spend_code_checks(&checkout, &order.cart.codes, Some(&order.buyer.email))?;
    let org = shop_org(&state, &shop).await?;
    // A signed-in buyer's order is linked to their customer, whatever address is typed.
    order.cart.customer_id = session.customer(&org).await?;
    // The tracking link's cookie names the referral when the client did not.
    if order.cart.referral_code.is_none() {
        order.cart.referral_code = client.referral().map(str::to_string);
    }
    let placed = checkout
        .place(
            &org,
            PlaceOrder {
                cart: order.cart,
                channel: Channel::Online,
                buyer: buyer(Some(order.buyer)),
                paid_at_counter: false,
                payment_method: None,
            },
        )
        .await?;
    Ok(with_cookie(&client, created(for_buyer(placed))))
}

/// A storefront order by its id (which only its buyer knows).
#[utoipa::path(get, path = "/storefront/{shop}/orders/{id}", tag = "storefront", security(()),
    params(("shop" = String, Path), ("id" = OrderId, Path)),
    responses((status = 200, body = CheckoutOrder), (status = 404, body = ErrorBody)))]
async fn storefront_get_order(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    ApiPath((shop, id)): ApiPath<(String, OrderId)>,
) -> Result<Json<CheckoutOrder>> {
    let org = shop_org(&state, &shop).await?;
    let order = checkout.order(&org, &id).await?;
    if order.channel != Channel::Online {
        return Err(Error::NotFound("order"));
    }
    Ok(Json(for_buyer(order)))
}

/// The payment step: the provider takes the payment and the order becomes paid. With the TEST
/// provider no money moves. An organization paying through Stripe answers 409 with the address
/// of Stripe's page, where the buyer pays; the order becomes paid on Stripe's webhook.
#[utoipa::path(post, path = "/storefront/{shop}/orders/{id}/pay", tag = "storefront", security(()),
    params(("shop" = String, Path), ("id" = OrderId, Path)), request_body = Payment,
    responses((status = 200, body = CheckoutOrder), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn storefront_pay(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    ApiPath((shop, id)): ApiPath<(String, OrderId)>,
    ApiJson(payment): ApiJson<Payment>,
) -> Result<Json<CheckoutOrder>> {
    let org = shop_org(&state, &shop).await?;
    let order = checkout.order(&org, &id).await?;
    if order.channel != Channel::Online {
        return Err(Error::NotFound("order"));
    }
    let return_url = format!(
        "{}/shop/{shop}/orders/{id}",
        state.settings.public_url.trim_end_matches('/')
    );
    match checkout
        .pay_step(&org, &id, payment.token, Some(return_url))
        .await?
    {
        crate::PayStep::Paid(order) => Ok(Json(for_buyer(*order))),
        // A JSON client cannot be redirected: it is told where the buyer pays.
        crate::PayStep::Redirect(url) => Err(Error::conflict(
            "payment",
            format!("the buyer pays on the payment provider's page: {url}"),
        )),
    }
}
