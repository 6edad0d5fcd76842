//! The form that makes one intent: the customer (picked with a small search, or created inline),
//! the event (soonest first), an optional shop and coupon, the tickets on the seat map or as
//! general-admission quantities, the strategy and whether to mail the booking.
//!
//! The tickets depend on the event, the shop and the coupon (a secret shop's own types, what a
//! code unlocks): htmx reloads that part (`/intents/new/tickets`) when one of them changes, and
//! without JavaScript the "Show tickets" button reloads the whole form with them. The customer
//! search answers `/intents/new/customers` the same way.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_checkout::model::OrderForm;
use fullhouse_checkout::pages::storefront::{
    quantity_fields, seat_rows, QuantityField, SeatRowView,
};
use fullhouse_core::http::PageParams;
use fullhouse_core::{Error, Permission, Result};
use fullhouse_ticketing::model::catalog::{Event, Shop};
use fullhouse_ticketing::model::customers::{Customer, CustomerQuery};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::{CatalogService, CustomerService};
use fullhouse_ticketing::{CustomerId, EventId, ShopId};
use fullhouse_web::i18n::{error_message, field_reason};
use fullhouse_web::{vary_on_htmx, CsrfForm, Lang, PageError, Ui};

use super::list::{events_in_date_order, strategy_choices};
use super::{customer_name, parse_local};
use crate::api::{find_or_create, InlineCustomer};
use crate::model::{Deadline, Delivery, IntentItem, NewIntent, Strategy, StrategyChoice};
use crate::service::Intents;

/// Customers the search shows at most.
const CUSTOMER_MATCHES: u64 = 10;

/// The form as posted (or as the address carries it when reloaded without JavaScript), unparsed.
#[derive(Debug, Default, Clone)]
pub(super) struct NewForm {
    customer_id: String,
    customer_q: String,
    new_email: String,
    new_first_name: String,
    new_last_name: String,
    new_language: String,
    event_id: String,
    shop_id: String,
    coupon: String,
    company: String,
    delivery: String,
    send_mail: bool,
    /// Set by the form itself: an address without it is a fresh form, whose defaults apply
    /// (the booking mailed), rather than a form reloaded with the box unticked.
    filled: bool,
    strategy: String,
    pay_days: String,
    pay_until: String,
    /// The seats ticked and quantities typed, read by checkout's own form.
    order: OrderForm,
}

impl NewForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (name, value) in &pairs {
            let slot = match name.as_str() {
                "customer_id" => &mut form.customer_id,
                "customer_q" => &mut form.customer_q,
                "new_email" => &mut form.new_email,
                "new_first_name" => &mut form.new_first_name,
                "new_last_name" => &mut form.new_last_name,
                "new_language" => &mut form.new_language,
                "event_id" => &mut form.event_id,
                "shop_id" => &mut form.shop_id,
                "coupon" => &mut form.coupon,
                "company" => &mut form.company,
                "delivery" => &mut form.delivery,
                "strategy" => &mut form.strategy,
                "pay_days" => &mut form.pay_days,
                "pay_until" => &mut form.pay_until,
                "send_mail" => {
                    form.send_mail = !value.is_empty();
                    continue;
                }
                "filled" => {
                    form.filled = !value.is_empty();
                    continue;
                }
                _ => continue,
            };
            value.trim().clone_into(slot);
        }
        // Only the seat and quantity fields: the coupon is this form's own field.
        form.order = OrderForm::from_pairs(
            pairs
                .into_iter()
                .filter(|(name, _)| name == "seat" || name.starts_with("qty_"))
                .collect(),
        );
        form
    }

    fn codes(&self) -> Vec<String> {
        let code = self.coupon.trim();
        if code.is_empty() {
            Vec::new()
        } else {
            vec![code.to_string()]
        }
    }
}

/// The problems of a refused form, each beside its field; those of no field on the form at the
/// top, so none is lost.
#[derive(Debug, Default)]
struct Problems {
    message: Option<String>,
    fields: Vec<(String, String)>,
}

/// The form's fields, and the names the service and checkout give them.
const FIELDS: &[(&str, &[&str])] = &[
    ("customer", &["customer_id", "customer", "email"]),
    ("event", &["event_id"]),
    ("shop", &["shop_id", "shop"]),
    ("coupon", &["coupon", "codes", "code"]),
    (
        "tickets",
        &[
            "items",
            "seat",
            "seats",
            "quantity",
            "tickets",
            "ga_name",
            "ticket_type_id",
        ],
    ),
    (
        "deadline",
        &["deadline", "pay_until", "pay_days", "strategy"],
    ),
];

impl Problems {
    fn of(lang: Lang, err: &Error) -> Self {
        let mut problems = Self::default();
        match err {
            Error::Validation { fields, .. } if !fields.is_empty() => {
                for field in fields {
                    problems.add(&field.field, field_reason(lang, field));
                }
            }
            Error::Conflict {
                field: Some(field), ..
            } => problems.add(field, error_message(lang, err)),
            _ => problems.message = Some(error_message(lang, err)),
        }
        if problems.message.is_none() {
            problems.message = Some(lang.t("error-form"));
        }
        problems
    }

    /// Files a problem under the form field it belongs to, or at the top.
    fn add(&mut self, field: &str, reason: String) {
        let head = field
            .split(['.', '['])
            .next()
            .unwrap_or_default()
            .to_string();
        let last = field.rsplit('.').next().unwrap_or_default();
        let owner = FIELDS.iter().find(|(_, names)| {
            names
                .iter()
                .any(|n| *n == field || *n == head || *n == last)
        });
        match owner {
            Some((name, _)) => self.fields.push(((*name).to_string(), reason)),
            None => {
                let message = self
                    .message
                    .take()
                    .map_or(reason.clone(), |m| format!("{m} {reason}"));
                self.message = Some(message);
            }
        }
    }

    fn field(&self, name: &str) -> Option<String> {
        let reasons: Vec<&str> = self
            .fields
            .iter()
            .filter(|(f, _)| f == name)
            .map(|(_, r)| r.as_str())
            .collect();
        (!reasons.is_empty()).then(|| reasons.join(" "))
    }

    fn invalid(&self, name: &str) -> &'static str {
        if self.field(name).is_some() {
            "true"
        } else {
            ""
        }
    }

    fn is_empty(&self) -> bool {
        self.message.is_none() && self.fields.is_empty()
    }
}

/// The tickets part of the form: what is on sale to this customer's booking.
struct Tickets {
    event: Option<Event>,
    rows: Vec<SeatRowView>,
    quantities: Vec<QuantityField>,
    /// What went wrong loading them (a coupon refused outright).
    problem: Option<String>,
}

impl Tickets {
    fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.quantities.is_empty()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/intents/new.html")]
struct NewPage {
    ui: Ui,
    form: NewForm,
    events: Vec<Event>,
    shops: Vec<Shop>,
    customer: Option<Customer>,
    matches: Vec<Customer>,
    tickets: Tickets,
    problems: Problems,
    strategies: Vec<(&'static str, String)>,
    /// What the event's default strategy is, in words.
    default_strategy: String,
}

impl NewPage {
    fn label(&self, customer: &Customer) -> String {
        customer_label(customer)
    }
}

impl CustomersPartial {
    fn label(&self, customer: &Customer) -> String {
        customer_label(customer)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/intents/_tickets.html")]
struct TicketsPartial {
    ui: Ui,
    tickets: Tickets,
    problems: Problems,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/intents/_customers.html")]
struct CustomersPartial {
    ui: Ui,
    form: NewForm,
    customer: Option<Customer>,
    matches: Vec<Customer>,
}

/// The customers whose name, email, phone or company hold every word of `q`.
async fn search_customers(intents: &Intents, ui: &Ui, q: &str) -> Result<Vec<Customer>> {
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    Ok(CustomerService::new(intents.db().clone())
        .list(
            &ui.caller.org,
            &CustomerQuery {
                q: Some(q.trim().to_string()),
                limit: Some(CUSTOMER_MATCHES),
                ..CustomerQuery::default()
            },
        )
        .await?
        .items)
}

async fn chosen_customer(intents: &Intents, ui: &Ui, form: &NewForm) -> Option<Customer> {
    let id = CustomerId::parse(&form.customer_id).ok()?;
    CustomerService::new(intents.db().clone())
        .customer(&ui.caller.org, &id)
        .await
        .ok()
}

/// What is on sale for the chosen event, in the chosen shop, to the coupon typed: through the
/// box office's channel, since the organizer books on the customer's behalf. A coupon checkout
/// refuses outright (too long) is set aside, and the reason shown beside it.
async fn load_tickets(
    intents: &Intents,
    ui: &Ui,
    form: &NewForm,
    refused: Option<&Error>,
) -> Tickets {
    let mut tickets = Tickets {
        event: None,
        rows: Vec::new(),
        quantities: Vec::new(),
        problem: None,
    };
    let Ok(event) = EventId::parse(&form.event_id) else {
        return tickets;
    };
    let shop = ShopId::parse(&form.shop_id).ok();
    let org = &ui.caller.org;
    let checkout = intents.checkout();
    let mut view = checkout
        .sale_view_in(
            org,
            &event,
            &form.codes(),
            Channel::BoxOffice,
            shop.as_ref(),
        )
        .await;
    if let Err(err @ Error::Validation { .. }) = &view {
        if !form.coupon.is_empty() {
            tickets.problem = Some(error_message(ui.lang, err));
            view = checkout
                .sale_view_in(org, &event, &[], Channel::BoxOffice, shop.as_ref())
                .await;
        }
    }
    match view {
        Ok(view) => {
            tickets.rows = seat_rows(&view, ui.lang, &form.order.seats);
            tickets.quantities = quantity_fields(&view, ui.lang, &form.order, refused);
            tickets.event = Some(view.event);
        }
        Err(err) => tickets.problem = Some(error_message(ui.lang, &err)),
    }
    tickets
}

async fn shops(intents: &Intents, ui: &Ui) -> Result<Vec<Shop>> {
    Ok(CatalogService::new(intents.db().clone())
        .list_shops(
            &ui.caller.org,
            &PageParams {
                cursor: None,
                limit: Some(PageParams::MAX_LIMIT),
            },
        )
        .await?
        .items)
}

async fn render(
    intents: &Intents,
    ui: Ui,
    form: NewForm,
    refused: Option<Error>,
) -> Result<Response, PageError> {
    let now = intents.now();
    let events = events_in_date_order(intents.db(), &ui.caller.org, Some(now))
        .await
        .map_err(|e| ui.error(e))?;
    let shops = shops(intents, &ui).await.map_err(|e| ui.error(e))?;
    let customer = chosen_customer(intents, &ui, &form).await;
    let matches = search_customers(intents, &ui, &form.customer_q)
        .await
        .map_err(|e| ui.error(e))?;
    let tickets = load_tickets(intents, &ui, &form, refused.as_ref()).await;
    let default_strategy = match &tickets.event {
        Some(event) => {
            let defaults = intents
                .event_defaults(&ui.caller.org, &event.id)
                .await
                .map_err(|e| ui.error(e))?;
            let name = super::strategy_label(ui.lang, defaults.strategy);
            if defaults.strategy == Strategy::PayByLink {
                format!(
                    "{name} ({})",
                    ui.lang.t1("intents-within-days", "days", defaults.pay_days)
                )
            } else {
                name
            }
        }
        None => String::new(),
    };
    let problems = refused
        .as_ref()
        .map(|err| Problems::of(ui.lang, err))
        .unwrap_or_default();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let strategies = strategy_choices(&ui);
    Ok((
        status,
        NewPage {
            ui,
            form,
            events,
            shops,
            customer,
            matches,
            tickets,
            problems,
            strategies,
            default_strategy,
        },
    )
        .into_response())
}

/// The empty form, or the form as the address carries it (an event chosen from the list, or
/// the form reloaded without JavaScript to show an event's tickets).
pub(super) async fn form(
    Extension(intents): Extension<Intents>,
    ui: Ui,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let mut form = NewForm::from_pairs(pairs);
    if !form.filled {
        form.send_mail = true;
    }
    render(&intents, ui, form, None).await
}

/// The tickets part alone, for htmx when the event, shop or coupon changes.
pub(super) async fn tickets(
    Extension(intents): Extension<Intents>,
    ui: Ui,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let form = NewForm::from_pairs(pairs);
    let tickets = load_tickets(&intents, &ui, &form, None).await;
    Ok(vary_on_htmx(
        TicketsPartial {
            ui,
            tickets,
            problems: Problems::default(),
        }
        .into_response(),
    ))
}

/// The customers matching the search, for htmx as the organizer types.
pub(super) async fn customers(
    Extension(intents): Extension<Intents>,
    ui: Ui,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let form = NewForm::from_pairs(pairs);
    let matches = search_customers(&intents, &ui, &form.customer_q)
        .await
        .map_err(|e| ui.error(e))?;
    let customer = chosen_customer(&intents, &ui, &form).await;
    Ok(vary_on_htmx(
        CustomersPartial {
            ui,
            form,
            customer,
            matches,
        }
        .into_response(),
    ))
}

/// Makes the intent and opens its page; a refusal shows the form again with each reason beside
/// its field. A customer created inline is kept chosen, so trying again does not make another.
pub(super) async fn create(
    Extension(intents): Extension<Intents>,
    CsrfForm { ui, form: pairs }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let mut form = NewForm::from_pairs(pairs);
    match make(&intents, &ui, &mut form).await {
        Ok(id) => Ok(Redirect::to(&format!("/intents/{id}?created=1")).into_response()),
        Err(
            err @ (Error::Validation { .. } | Error::Conflict { .. } | Error::InvalidId { .. }),
        ) => render(&intents, ui, form, Some(err)).await,
        Err(Error::NotFound(what)) => {
            let field = match what {
                "customer" => "customer_id",
                "shop" => "shop_id",
                _ => "event_id",
            };
            let err = Error::invalid(
                field,
                format!("that {what} no longer exists: choose another"),
            );
            render(&intents, ui, form, Some(err)).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

async fn make(intents: &Intents, ui: &Ui, form: &mut NewForm) -> Result<crate::IntentId> {
    let customer_id = if !form.customer_id.is_empty() {
        let id = CustomerId::parse(&form.customer_id)
            .map_err(|_| Error::invalid("customer_id", "choose the customer from the list"))?;
        if !intents.customer_exists(&ui.caller.org, &id).await? {
            return Err(Error::invalid(
                "customer_id",
                "choose the customer from the list",
            ));
        }
        id
    } else if !form.new_email.is_empty() {
        if !form.new_email.contains('@') {
            return Err(Error::invalid("email", "give the customer's email address"));
        }
        let blank = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_string());
        let id = find_or_create(
            intents,
            &ui.caller,
            InlineCustomer {
                email: form.new_email.clone(),
                first_name: blank(&form.new_first_name),
                last_name: blank(&form.new_last_name),
                phone: None,
                company: None,
                language: blank(&form.new_language),
            },
        )
        .await?;
        form.customer_id = id.to_string();
        id
    } else {
        return Err(Error::invalid(
            "customer_id",
            "choose the customer, or give a new customer's email",
        ));
    };
    if form.event_id.is_empty() {
        return Err(Error::invalid("event_id", "choose the event"));
    }
    let event_id = EventId::parse(&form.event_id)?;
    let shop_id = match form.shop_id.as_str() {
        "" => None,
        id => Some(ShopId::parse(id)?),
    };
    let items = form
        .order
        .cart(&event_id)?
        .items
        .into_iter()
        .map(|item| IntentItem {
            ticket_type_id: item.ticket_type_id,
            quantity: item.quantity,
            seat_ids: item.seats.into_iter().filter_map(|s| s.seat_id).collect(),
            seats: Vec::new(),
            ga_name: item.ga_name,
        })
        .collect();
    let strategy = match form.strategy.as_str() {
        "" => None,
        value => Some(
            Strategy::parse(value)
                .ok_or_else(|| Error::invalid("strategy", "choose how the intent is completed"))?,
        ),
    };
    let deadline = if strategy == Some(Strategy::PayByLink) {
        deadline(intents, ui, form, &event_id).await?
    } else {
        None
    };
    let new = NewIntent {
        customer_id,
        event_id,
        shop_id,
        items,
        coupon: (!form.coupon.is_empty()).then(|| form.coupon.clone()),
        company: (!form.company.is_empty()).then(|| form.company.clone()),
        delivery: Delivery::parse(&form.delivery).unwrap_or_default(),
        strategy: StrategyChoice { strategy, deadline },
        send_mail: form.send_mail,
        import_id: None,
        created_by: intents.actor(&ui.caller).await,
    };
    Ok(intents.create(&ui.caller.org, new).await?.id)
}

/// The pay-by-link deadline typed: a date and time on the venue's clock, else a number of days,
/// else the event's default (`None`).
async fn deadline(
    intents: &Intents,
    ui: &Ui,
    form: &NewForm,
    event: &EventId,
) -> Result<Option<Deadline>> {
    if !form.pay_until.is_empty() {
        let event = CatalogService::new(intents.db().clone())
            .event(&ui.caller.org, event)
            .await?;
        return parse_local(&form.pay_until, &event.venue_timezone)
            .map(|at| Some(Deadline::Until(at)))
            .ok_or_else(|| Error::invalid("pay_until", "give the deadline as a date and time"));
    }
    if !form.pay_days.is_empty() {
        return match form.pay_days.parse::<u32>() {
            Ok(days) if (1..=crate::model::MAX_PAY_DAYS).contains(&days) => {
                Ok(Some(Deadline::Days(days)))
            }
            _ => Err(Error::invalid(
                "pay_days",
                format!(
                    "give between 1 and {} days to pay",
                    crate::model::MAX_PAY_DAYS
                ),
            )),
        };
    }
    Ok(None)
}

/// A customer in the picker: name and email.
fn customer_label(customer: &Customer) -> String {
    match customer.email.as_deref() {
        Some(email) if customer_name(customer) != email => {
            format!("{} <{email}>", customer_name(customer))
        }
        _ => customer_name(customer),
    }
}
