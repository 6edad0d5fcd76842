//! Customers → Customers: the list (search, tag, sortable columns, the total, paging both ways)
//! and a customer's page with every field, consents with their time and source, tags and orders.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::Permission;
use fullhouse_web::i18n::error_message;
use fullhouse_web::listing::{parse_sort, ListLinks};
use fullhouse_web::{page_or_partial, PageError, Ui};
use serde::Deserialize;

use crate::model::customers::{Customer, CustomerQuery, CustomerSort};
use crate::model::orders::{Order, OrderFilter};
use crate::service::{CustomerService, OrderService};
use crate::CustomerId;

const PAGE_SIZE: u64 = 25;
/// Orders shown on a customer's page; the API pages through the rest.
const ORDERS_SHOWN: u64 = 50;

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/customers", get(list))
        .route("/customers/{id}", get(detail))
}

#[derive(Debug, Default, Deserialize)]
struct CustomersQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tag: String,
    /// `name`, `email`, `city` or `added`, with `-` in front for the other way round.
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
}

pub struct CustomerList {
    pub q: String,
    pub tag: String,
    pub customers: Vec<Customer>,
    /// Customers matching the search, over every page.
    pub total: i64,
    pub links: ListLinks,
    /// The search or tag was refused (e.g. a tag with characters tags cannot have).
    pub problem: Option<String>,
}

impl CustomerList {
    pub fn filtered(&self) -> bool {
        !self.q.is_empty() || !self.tag.is_empty()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/customers/list.html")]
struct CustomersPage {
    ui: Ui,
    view: CustomerList,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/customers/_results.html")]
struct CustomerResults {
    ui: Ui,
    view: CustomerList,
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<CustomersQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let q = query.q.trim().to_string();
    let tag = query.tag.trim().to_string();
    let (column, descending) = parse_sort(&query.sort);
    let sort = CustomerSort::parse(column);
    let sort_text = if descending {
        format!("-{}", sort.as_str())
    } else {
        sort.as_str().to_string()
    };
    let search = CustomerQuery {
        q: Some(q.clone()).filter(|q| !q.is_empty()),
        tag: Some(tag.clone()).filter(|t| !t.is_empty()),
        cursor: Some(query.cursor).filter(|c| !c.is_empty()),
        limit: Some(PAGE_SIZE),
    };
    let links = ListLinks::new("/customers", &[("q", &q), ("tag", &tag)], &sort_text);
    let (customers, total, links, problem) = match CustomerService::new(state.db.clone())
        .browse(&ui.caller.org, &search, sort, descending)
        .await
    {
        Ok(listing) => (
            listing.items,
            i64::try_from(listing.total).unwrap_or(i64::MAX),
            links.with_cursors(listing.prev_cursor, listing.next_cursor),
            None,
        ),
        // A search the service refuses is shown beside the form, not as an error page.
        Err(err @ fullhouse_core::Error::Validation { .. }) => {
            (Vec::new(), 0, links, Some(error_message(ui.lang, &err)))
        }
        Err(err) => return Err(ui.error(err)),
    };
    let view = CustomerList {
        q,
        tag,
        customers,
        total,
        links,
        problem,
    };
    Ok(page_or_partial(
        ui,
        view,
        |ui, view| CustomerResults { ui, view },
        |ui, view| CustomersPage { ui, view },
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/customers/detail.html")]
struct CustomerPage {
    ui: Ui,
    customer: Customer,
    orders: Vec<Order>,
    more_orders: bool,
}

impl CustomerPage {
    fn address(&self) -> String {
        let c = &self.customer;
        let town = [c.postal_code.as_deref(), c.city.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        [
            c.address_line.as_deref(),
            Some(town.as_str()),
            c.country.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }

    fn coordinates(&self) -> String {
        match (self.customer.latitude, self.customer.longitude) {
            (Some(lat), Some(lon)) => format!("{lat:.5}, {lon:.5}"),
            _ => String::new(),
        }
    }

    fn tickets(&self, order: &Order) -> usize {
        order.tickets.len()
    }

    /// The gender segments count this customer under, and what it rests on when it is not the
    /// stored one ("Female — inferred from the first name Bente (name dictionary)"); empty when
    /// nothing is known.
    fn gender(&self) -> String {
        let c = &self.customer;
        let lang = self.ui.lang;
        if let Some(stored) = c.gender {
            return lang.term("gender", stored.as_str());
        }
        match crate::model::gender::infer(None, c.title.as_deref(), c.first_name.as_deref()) {
            Some(inferred) => format!(
                "{} — {}",
                lang.term("gender", inferred.gender.as_str()),
                lang.t1(inferred.basis.label_key(), "word", inferred.basis.word())
            ),
            None => String::new(),
        }
    }
}

async fn detail(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = CustomerId::parse(&id).map_err(|e| ui.error(e))?;
    let org = &ui.caller.org;
    let customer = CustomerService::new(state.db.clone())
        .customer(org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let orders = OrderService::new(state.db.clone())
        .list_orders(
            org,
            &OrderFilter {
                customer_id: Some(id),
                event_id: None,
            },
            &PageParams {
                cursor: None,
                limit: Some(ORDERS_SHOWN),
            },
        )
        .await
        .map_err(|e| ui.error(e))?;
    Ok(CustomerPage {
        ui,
        customer,
        more_orders: orders.next_cursor.is_some(),
        orders: orders.items,
    }
    .into_response())
}
