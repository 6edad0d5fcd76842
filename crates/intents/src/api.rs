//! Routes for purchase intents, mounted under `/api/v1`: make one, list and read them, act on
//! them, and set an event's default strategy. (The import runs through the job routes of
//! `jobs`.)

use axum::response::Response;
use axum::{Extension, Json};
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, ApiPath, ApiQuery, AppState};
use fullhouse_core::{Caller, Error, Permission, Result};
use fullhouse_ticketing::model::customers::NewCustomer;
use fullhouse_ticketing::service::sale_facts::customers_by_email;
use fullhouse_ticketing::service::CustomerService;
use fullhouse_ticketing::{CustomerId, EventId, ShopId};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::model::*;
use crate::service::{ActionRequest, IntentDetail, IntentPage, IntentQuery, Intents};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_intents, create_intent))
        .routes(routes!(get_intent))
        .routes(routes!(act_on_intent))
        .routes(routes!(get_event_defaults, put_event_defaults))
        .routes(routes!(customer_intent))
        .routes(routes!(customer_pay))
}

/// What the customer sees of their intent (no organizer's notes, no who-made-it).
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct CustomerIntent {
    pub id: IntentId,
    pub status: IntentStatus,
    pub strategy: Strategy,
    pub pay_by: Option<chrono::DateTime<chrono::Utc>>,
    pub ticket_count: u32,
    pub total_minor: i64,
    pub currency: String,
    #[schema(value_type = String)]
    pub event_id: EventId,
    /// The order holding the tickets (its page shows them once paid).
    #[schema(value_type = Option<String>)]
    pub order_id: Option<fullhouse_ticketing::OrderId>,
    /// Whether the link can be paid now; when not, `reason` says why.
    pub payable: bool,
    pub reason: Option<String>,
}

impl CustomerIntent {
    fn of(intents: &Intents, intent: &Intent) -> Self {
        let reason = intents.why_not_payable(intent);
        Self {
            id: intent.id.clone(),
            status: intent.status,
            strategy: intent.strategy,
            pay_by: intent.pay_by,
            ticket_count: intent.ticket_count,
            total_minor: intent.total_minor,
            currency: intent.currency.clone(),
            event_id: intent.event_id.clone(),
            order_id: intent.order_id.clone(),
            payable: reason.is_none(),
            reason: reason.map(str::to_string),
        }
    }
}

/// The payment step's input (as the storefront's).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentPayment {
    /// What the payment form produced; the test provider declines `decline`.
    pub token: Option<String>,
}

/// The booking a payment link names (public: the link's token is the key).
#[utoipa::path(get, path = "/storefront/{shop}/intents/{token}", tag = "storefront", security(()),
    params(("shop" = String, Path), ("token" = String, Path)),
    responses((status = 200, body = CustomerIntent), (status = 404, body = ErrorBody)))]
async fn customer_intent(
    axum::extract::State(state): axum::extract::State<AppState>,
    Extension(intents): Extension<Intents>,
    ApiPath((shop, token)): ApiPath<(String, String)>,
) -> Result<Json<CustomerIntent>> {
    let org = fullhouse_checkout::api::shop_org(&state, &shop).await?;
    let detail = intents.by_token(&org, &token).await?;
    Ok(Json(CustomerIntent::of(&intents, &detail.intent)))
}

/// Pay a booking through its link, with the organization's payment provider. Paying a paid
/// booking changes nothing; an expired or cancelled one, or one the organizer invoices, is
/// refused (409) with the reason. Through Stripe: 409 with the address of Stripe's page.
#[utoipa::path(post, path = "/storefront/{shop}/intents/{token}/pay", tag = "storefront", security(()),
    params(("shop" = String, Path), ("token" = String, Path)), request_body = IntentPayment,
    responses((status = 200, body = CustomerIntent), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn customer_pay(
    axum::extract::State(state): axum::extract::State<AppState>,
    Extension(intents): Extension<Intents>,
    ApiPath((shop, token)): ApiPath<(String, String)>,
    ApiJson(payment): ApiJson<IntentPayment>,
) -> Result<Json<CustomerIntent>> {
    let org = fullhouse_checkout::api::shop_org(&state, &shop).await?;
    let return_url = format!(
        "{}/shop/{shop}/intents/{}",
        state.settings.public_url.trim_end_matches('/'),
        token.trim()
    );
    match intents
        .pay(&org, &token, payment.token, Some(return_url))
        .await?
    {
        (detail, fullhouse_checkout::PayStep::Paid(_)) => {
            Ok(Json(CustomerIntent::of(&intents, &detail.intent)))
        }
        (_, fullhouse_checkout::PayStep::Redirect(url)) => Err(Error::conflict(
            "payment",
            format!("the customer pays on the payment provider's page: {url}"),
        )),
    }
}

/// A new intent as the API takes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntent {
    /// The customer, by id; or leave it out and give `customer` to find them by email or create
    /// them.
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    pub customer: Option<InlineCustomer>,
    #[schema(value_type = String)]
    pub event_id: EventId,
    /// A secret shop whose own ticket types the intent may book.
    #[schema(value_type = Option<String>)]
    pub shop_id: Option<ShopId>,
    pub items: Vec<IntentItem>,
    /// A campaign code, applied and counted as at the storefront.
    pub coupon: Option<String>,
    pub company: Option<String>,
    #[serde(default)]
    pub delivery: Delivery,
    /// Left out: the event's default strategy.
    pub strategy: Option<Strategy>,
    /// Pay by link: when it must be paid (left out: the event's number of days).
    pub deadline: Option<Deadline>,
    /// Mail the booking (with the payment link) to the customer.
    #[serde(default)]
    pub send_mail: bool,
}

/// A customer named by email: the organization's customer with that email, or a new one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InlineCustomer {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    /// `en`, `da` or `fr`: the language of the customer's mails and page.
    pub language: Option<String>,
}

impl CreateIntent {
    /// The intent to make, its customer found or created first.
    pub async fn resolve(self, intents: &Intents, caller: &Caller) -> Result<NewIntent> {
        let customer_id = match (self.customer_id, self.customer) {
            (Some(id), None) => {
                if !intents.customer_exists(&caller.org, &id).await? {
                    return Err(Error::invalid(
                        "customer_id",
                        format!("no customer {id} in this organization"),
                    ));
                }
                id
            }
            (None, Some(inline)) => find_or_create(intents, caller, inline).await?,
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "customer",
                    "give customer_id or customer, not both",
                ))
            }
            (None, None) => {
                return Err(Error::invalid(
                    "customer_id",
                    "choose the customer the intent is for",
                ))
            }
        };
        Ok(NewIntent {
            customer_id,
            event_id: self.event_id,
            shop_id: self.shop_id,
            items: self.items,
            coupon: self.coupon,
            company: self.company,
            delivery: self.delivery,
            strategy: StrategyChoice {
                strategy: self.strategy,
                deadline: self.deadline,
            },
            send_mail: self.send_mail,
            import_id: None,
            created_by: intents.actor(caller).await,
        })
    }
}

/// The customer with this email, or a new one (the import does the same for its rows).
pub async fn find_or_create(
    intents: &Intents,
    caller: &Caller,
    inline: InlineCustomer,
) -> Result<CustomerId> {
    let customers = CustomerService::new(intents.db().clone());
    let email = inline.email.trim().to_lowercase();
    if email.is_empty() {
        return Err(Error::invalid(
            "customer.email",
            "give the customer's email",
        ));
    }
    let found = customers_by_email(intents.db().reader(), &caller.org, &[email.as_str()]).await?;
    if let Some(id) = found.into_values().next() {
        return Ok(id);
    }
    let created = customers
        .create(
            &caller.org,
            NewCustomer {
                email: Some(email),
                first_name: inline.first_name,
                last_name: inline.last_name,
                phone: inline.phone,
                company: inline.company,
                language: inline.language,
                ..NewCustomer::default()
            },
        )
        .await?;
    Ok(created.id)
}

/// The organization's intents, newest first; filter by status (expired ones stay listed, to be
/// reopened), event, customer or import.
#[utoipa::path(get, path = "/intents", tag = "intents", params(IntentQuery),
    responses((status = 200, body = IntentPage), (status = 401, body = ErrorBody)))]
async fn list_intents(
    Extension(intents): Extension<Intents>,
    caller: Caller,
    ApiQuery(query): ApiQuery<IntentQuery>,
) -> Result<Json<IntentPage>> {
    caller.require(Permission::Read)?;
    Ok(Json(intents.list(&caller.org, &query).await?))
}

/// Make a purchase intent: its tickets are booked through checkout at once (held, or issued for
/// complimentary), and the customer mailed when `send_mail` is true.
#[utoipa::path(post, path = "/intents", tag = "intents", request_body = CreateIntent,
    responses((status = 201, body = Intent), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_intent(
    Extension(intents): Extension<Intents>,
    caller: Caller,
    ApiJson(create): ApiJson<CreateIntent>,
) -> Result<Response> {
    caller.require(Permission::Sell)?;
    let new = create.resolve(&intents, &caller).await?;
    Ok(created(intents.create(&caller.org, new).await?))
}

/// One intent with its history (who did what, when) and its order.
#[utoipa::path(get, path = "/intents/{id}", tag = "intents", params(("id" = IntentId, Path)),
    responses((status = 200, body = IntentDetail), (status = 404, body = ErrorBody)))]
async fn get_intent(
    Extension(intents): Extension<Intents>,
    caller: Caller,
    ApiPath(id): ApiPath<IntentId>,
) -> Result<Json<IntentDetail>> {
    caller.require(Permission::Read)?;
    Ok(Json(intents.detail(&caller.org, &id).await?))
}

/// Act on an intent: `resend` its mail, `extend` its deadline, `reopen` it, `cancel` it, or
/// `mark_paid`. 409 with the reason when the intent's status does not allow it.
#[utoipa::path(post, path = "/intents/{id}/actions", tag = "intents", params(("id" = IntentId, Path)),
    request_body = ActionRequest,
    responses((status = 200, body = Intent), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn act_on_intent(
    Extension(intents): Extension<Intents>,
    caller: Caller,
    ApiPath(id): ApiPath<IntentId>,
    ApiJson(request): ApiJson<ActionRequest>,
) -> Result<Json<Intent>> {
    caller.require(Permission::Sell)?;
    let actor = intents.actor(&caller).await;
    Ok(Json(intents.act(&caller.org, &id, request, &actor).await?))
}

/// An event's default strategy for intents (the system default until set).
#[utoipa::path(get, path = "/events/{id}/intent-defaults", tag = "intents", params(("id" = EventId, Path)),
    responses((status = 200, body = EventDefaults), (status = 404, body = ErrorBody)))]
async fn get_event_defaults(
    Extension(intents): Extension<Intents>,
    caller: Caller,
    ApiPath(id): ApiPath<EventId>,
) -> Result<Json<EventDefaults>> {
    caller.require(Permission::Read)?;
    fullhouse_ticketing::service::CatalogService::new(intents.db().clone())
        .event(&caller.org, &id)
        .await?;
    Ok(Json(intents.event_defaults(&caller.org, &id).await?))
}

/// Set an event's default strategy for intents.
#[utoipa::path(put, path = "/events/{id}/intent-defaults", tag = "intents", params(("id" = EventId, Path)),
    request_body = EventDefaults,
    responses((status = 200, body = EventDefaults), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_event_defaults(
    Extension(intents): Extension<Intents>,
    caller: Caller,
    ApiPath(id): ApiPath<EventId>,
    ApiJson(defaults): ApiJson<EventDefaults>,
) -> Result<Json<EventDefaults>> {
    caller.require(Permission::Sell)?;
    Ok(Json(
        intents
            .set_event_defaults(&caller.org, &id, defaults)
            .await?,
    ))
}
