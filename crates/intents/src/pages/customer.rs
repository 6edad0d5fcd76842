//! The customer's page of an intent, which the payment link opens (no login: the token is the
//! key): the booking in the customer's language with the event on the venue's clock, the
//! tickets and the price, the deadline, and for pay by link a Pay button that runs checkout's
//! payment step (the test provider pays at once; Stripe sends the customer to its page and back
//! here). Paid, the customer goes on to the order page with the tickets. An expired, cancelled or
//! unknown link says so plainly.
//!
//! The language: a `?lang=` the visitor chose (the header's language links) wins, else the
//! customer's own language, else the organization's. Like the storefront, the page has no session
//! and so no CSRF token; paying needs the unguessable token in the address.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_checkout::api::shop_org;
use fullhouse_checkout::model::CheckoutStatus;
use fullhouse_checkout::pages::storefront::ShopBrand;
use fullhouse_checkout::tickets::OrderTickets;
use fullhouse_checkout::PayStep;
use fullhouse_core::http::AppState;
use fullhouse_core::tenancy::service::TenancyService;
use fullhouse_core::{Error, OrgId};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_ticketing::service::{CatalogService, CustomerService};
use fullhouse_web::i18n::error_message;
use fullhouse_web::Lang;
use serde::Deserialize;

use crate::model::{IntentStatus, Strategy};
use crate::service::{IntentDetail, Intents};

#[derive(Debug, Default, Deserialize)]
pub(super) struct LangQuery {
    #[serde(default)]
    lang: String,
}

/// Where the booking stands, as the customer is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Pay by link, payable now.
    ToPay,
    /// Reserve and invoice: held, nothing to pay here.
    Invoiced,
    /// Paid or given: the tickets are on the order page.
    Done,
    Expired,
    Cancelled,
}

impl Standing {
    fn of(detail: &IntentDetail, now: chrono::DateTime<chrono::Utc>) -> Self {
        let intent = &detail.intent;
        let order_status = detail.order.as_ref().map(|o| o.status);
        match (intent.status, order_status) {
            (_, Some(CheckoutStatus::Paid)) | (IntentStatus::Completed, _) => Self::Done,
            (IntentStatus::Expired, _) | (_, Some(CheckoutStatus::Expired)) => Self::Expired,
            (IntentStatus::Cancelled, _)
            | (_, Some(CheckoutStatus::Cancelled | CheckoutStatus::Refunded))
            | (_, None) => Self::Cancelled,
            (IntentStatus::Pending, _) => match intent.strategy {
                // Past the deadline the hold is gone, whether or not the sweep has seen it yet.
                Strategy::PayByLink if intent.pay_by.is_some_and(|at| at <= now) => Self::Expired,
                Strategy::PayByLink => Self::ToPay,
                Strategy::Invoice => Self::Invoiced,
                Strategy::Complimentary => Self::Done,
            },
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::ToPay => "to_pay",
            Self::Invoiced => "invoiced",
            Self::Done => "done",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }
}

/// One ticket as the page lists it.
struct PageTicket {
    place: String,
    type_name: String,
    price: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/intents/customer.html")]
struct IntentPage {
    lang: Lang,
    brand: ShopBrand,
    shop: String,
    token: String,
    detail: IntentDetail,
    event: Event,
    tickets: Vec<PageTicket>,
    standing: Standing,
    deadline: String,
    test_payment: bool,
    payment_label: String,
    error: Option<String>,
}

impl IntentPage {
    fn state(&self) -> &'static str {
        self.standing.as_str()
    }

    fn strategy(&self) -> &'static str {
        self.detail.intent.strategy.as_str()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/intents/customer_message.html")]
struct MessagePage {
    lang: Lang,
    brand: ShopBrand,
    message: String,
}

/// The page's language: the visitor's explicit choice, else the customer's, else the
/// organization's.
async fn language(
    state: &AppState,
    org: &OrgId,
    detail: Option<&IntentDetail>,
    query: &LangQuery,
) -> Lang {
    if let Some(lang) = Lang::parse(&query.lang) {
        return lang;
    }
    if let Some(detail) = detail {
        let customer = CustomerService::new(state.db.clone())
            .customer(org, &detail.intent.customer_id)
            .await
            .ok();
        if let Some(lang) = customer
            .and_then(|c| c.language)
            .as_deref()
            .and_then(Lang::parse)
        {
            return lang;
        }
    }
    TenancyService::new(state.db.clone())
        .organization(org)
        .await
        .map_or_else(
            |_| Lang::default(),
            |o| Lang::from_stored(&o.default_language),
        )
}

fn message(lang: Lang, brand: ShopBrand, status: StatusCode, key: &str) -> Response {
    (
        status,
        MessagePage {
            lang,
            brand,
            message: lang.t(key),
        },
    )
        .into_response()
}

/// The intent a link names, with its language and look; or the page that says the link is
/// unknown.
async fn find(
    state: &AppState,
    intents: &Intents,
    shop: &str,
    token: &str,
    query: &LangQuery,
) -> std::result::Result<(OrgId, IntentDetail, Lang, ShopBrand), Response> {
    let chosen = Lang::parse(&query.lang).unwrap_or_default();
    let Ok(org) = shop_org(state, shop).await else {
        return Err(message(
            chosen,
            ShopBrand::default(),
            StatusCode::NOT_FOUND,
            "intents-link-unknown",
        ));
    };
    let found = intents.by_token(&org, token).await;
    let lang = language(state, &org, found.as_ref().ok(), query).await;
    let brand = ShopBrand::of(&state.db, &org, shop, None)
        .await
        .unwrap_or_default();
    match found {
        Ok(detail) => Ok((org, detail, lang, brand)),
        Err(Error::NotFound(_)) => Err(message(
            lang,
            brand,
            StatusCode::NOT_FOUND,
            "intents-link-unknown",
        )),
        Err(err) => Err(message_text(lang, brand, &err)),
    }
}

fn message_text(lang: Lang, brand: ShopBrand, err: &Error) -> Response {
    (
        err.code().status(),
        MessagePage {
            lang,
            brand,
            message: error_message(lang, err),
        },
    )
        .into_response()
}

async fn render(
    state: &AppState,
    intents: &Intents,
    found: (OrgId, IntentDetail, Lang, ShopBrand),
    shop: String,
    token: String,
    error: Option<(StatusCode, String)>,
) -> Response {
    let (org, detail, lang, brand) = found;
    let event = match CatalogService::new(state.db.clone())
        .event(&org, &detail.intent.event_id)
        .await
    {
        Ok(event) => event,
        Err(err) => return message_text(lang, brand, &err),
    };
    let standing = Standing::of(&detail, intents.now());
    let tickets = match &detail.order {
        Some(order)
            if matches!(
                standing,
                Standing::ToPay | Standing::Invoiced | Standing::Done
            ) =>
        {
            match OrderTickets::load(&state.db, &org, order, event.clone()).await {
                Ok(tickets) => tickets
                    .lines
                    .iter()
                    .map(|line| PageTicket {
                        place: line.place(lang),
                        type_name: line.type_name.clone(),
                        price: line.price_line(lang),
                    })
                    .collect(),
                Err(err) => return message_text(lang, brand, &err),
            }
        }
        _ => Vec::new(),
    };
    let deadline = detail
        .intent
        .pay_by
        .map(|at| lang.local_time(at, &event.venue_timezone))
        .unwrap_or_default();
    let payment_label = match &detail.order {
        Some(order) if order.payment_provider == fullhouse_checkout::payment::settings::STRIPE => {
            lang.t("shop-pay-with-stripe")
        }
        _ => fullhouse_checkout::payment::label_in(intents.checkout().payments(), lang),
    };
    let test_payment = detail.order.as_ref().is_some_and(|o| o.test_payment);
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    (
        status,
        IntentPage {
            lang,
            brand,
            shop,
            token,
            event,
            tickets,
            standing,
            deadline,
            test_payment,
            payment_label,
            error,
            detail,
        },
    )
        .into_response()
}

pub(super) async fn page(
    State(state): State<AppState>,
    Extension(intents): Extension<Intents>,
    Path((shop, token)): Path<(String, String)>,
    Query(query): Query<LangQuery>,
) -> Response {
    match find(&state, &intents, &shop, &token, &query).await {
        Ok(found) => render(&state, &intents, found, shop, token, None).await,
        Err(response) => response,
    }
}

/// Pays a pay-by-link intent through checkout's payment step ([`Intents::pay`]). Paid at once,
/// the customer goes on to the order page with the tickets; Stripe's page sends the customer
/// back to this one. A booking that is not payable now shows its page again, which says why.
pub(super) async fn pay(
    State(state): State<AppState>,
    Extension(intents): Extension<Intents>,
    Path((shop, token)): Path<(String, String)>,
    Query(query): Query<LangQuery>,
) -> Response {
    let (org, detail, lang, brand) = match find(&state, &intents, &shop, &token, &query).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if Standing::of(&detail, intents.now()) != Standing::ToPay {
        let found = (org, detail, lang, brand);
        return render(&state, &intents, found, shop, token, None).await;
    }
    let here = format!("/shop/{shop}/intents/{token}?lang={}", lang.code());
    let return_url = format!("{}{here}", state.settings.public_url.trim_end_matches('/'));
    match intents.pay(&org, &token, None, Some(return_url)).await {
        Ok((_, PayStep::Paid(order))) => Redirect::to(&format!(
            "/shop/{shop}/orders/{}?lang={}",
            order.id,
            lang.code()
        ))
        .into_response(),
        Ok((_, PayStep::Redirect(url))) => Redirect::to(&url).into_response(),
        Err(err) => {
            let status = err.code().status();
            let message = error_message(lang, &err);
            let detail = intents.by_token(&org, &token).await.unwrap_or(detail);
            let found = (org, detail, lang, brand);
            render(
                &state,
                &intents,
                found,
                shop,
                token,
                Some((status, message)),
            )
            .await
        }
    }
}
