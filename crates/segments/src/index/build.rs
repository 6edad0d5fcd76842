//! Reading the index's facts from the database, through ticketing's read service: the whole
//! organization at start, or the customers that domain events name afterwards. Both go through
//! [`load_records`], so a refreshed customer looks exactly like a freshly built one.

use std::collections::{HashMap, HashSet};

use fullhouse_core::{Db, OrgId, Result};
use fullhouse_ticketing::service::facts::{CustomerFacts, FactsService, SaleFacts};

use super::{Catalog, CustomerRecord, OrgIndex, SalesSummary};
use crate::model::{day_number, infer_gender, local_date};

/// Customers read per round trip.
const PAGE: u64 = 5_000;

/// Builds the organization's index from the database.
pub async fn build(db: &Db, org: &OrgId) -> Result<OrgIndex> {
    let facts = FactsService::new(db.clone());
    let organization = fullhouse_core::tenancy::service::TenancyService::new(db.clone())
        .organization(org)
        .await?;
    let mut catalog = Catalog {
        zone: crate::model::zone_named(&organization.timezone),
        ..Catalog::default()
    };
    catalog.merge(facts.catalog(org).await?);
    let mut index = OrgIndex::new(catalog);
    let mut after: Option<String> = None;
    loop {
        let page = facts.customers_page(org, after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let full = page.len() as u64 == PAGE;
        let records = load_records(&facts, &mut index.catalog, org, page).await?;
        for record in records {
            index.push(record);
        }
        if !full {
            break;
        }
    }
    index.optimize();
    Ok(index)
}

/// The ULID inside a customer id (`cus_…`); other shapes are not indexed.
pub fn customer_ulid(id: &str) -> Option<u128> {
    let rest = id.strip_prefix("cus_")?;
    ulid::Ulid::from_string(rest).ok().map(|u| u.0)
}

/// The records of `customers`: their tags, granted permissions and sales, aggregated. Reads the
/// catalog again when a sale names a ticket type it does not know yet.
pub async fn load_records(
    facts: &FactsService,
    catalog: &mut Catalog,
    org: &OrgId,
    customers: Vec<CustomerFacts>,
) -> Result<Vec<CustomerRecord>> {
    let ids: Vec<String> = customers.iter().map(|c| c.id.clone()).collect();
    let mut tags = group(
        facts
            .tags_of(org, &ids)
            .await?
            .into_iter()
            .map(|k| (k.customer_id, k.key)),
    );
    let mut permissions = group(
        facts
            .granted_permissions_of(org, &ids)
            .await?
            .into_iter()
            .map(|k| (k.customer_id, k.key)),
    );
    let sales = facts.sales_of(org, &ids).await?;
    if sales
        .iter()
        .any(|s| !catalog.ticket_type_numbers.contains_key(&s.ticket_type_id))
    {
        catalog.merge(facts.catalog(org).await?);
    }
    let mut sales_by_customer: HashMap<String, Vec<SaleFacts>> = HashMap::new();
    for sale in sales {
        sales_by_customer
            .entry(sale.customer_id.clone())
            .or_default()
            .push(sale);
    }
    let mut records = Vec::with_capacity(customers.len());
    for customer in customers {
        let Some(id) = customer_ulid(&customer.id) else {
            tracing::warn!(customer = %customer.id, "customer id is not a ULID; not indexed");
            continue;
        };
        let sales = sales_by_customer.remove(&customer.id).unwrap_or_default();
        let (summary, holdings) = aggregate(&sales, catalog);
        records.push(CustomerRecord {
            id,
            gender: infer_gender(
                customer.gender.as_deref(),
                customer.title.as_deref(),
                customer.first_name.as_deref(),
            ),
            birth_date: customer.birth_date,
            subscriber: customer.subscriber,
            coordinates: match (customer.latitude, customer.longitude) {
                (Some(lat), Some(lon)) => Some((lat, lon)),
                _ => None,
            },
            tags: tags.remove(&customer.id).unwrap_or_default(),
            permissions: permissions.remove(&customer.id).unwrap_or_default(),
            sales: summary,
            holdings,
        });
    }
    Ok(records)
}

fn group(pairs: impl Iterator<Item = (String, String)>) -> HashMap<String, Vec<String>> {
    let mut grouped: HashMap<String, Vec<String>> = HashMap::new();
    for (customer, key) in pairs {
        grouped.entry(customer).or_default().push(key);
    }
    grouped
}

/// One customer's sales summed up, and the ticket types held.
pub fn aggregate(sales: &[SaleFacts], catalog: &Catalog) -> (SalesSummary, Vec<u32>) {
    let mut summary = SalesSummary::default();
    let mut events = HashSet::new();
    let mut orders = HashSet::new();
    let mut holdings = Vec::new();
    for sale in sales {
        summary.tickets += 1;
        summary.revenue_minor += sale.price_minor;
        events.insert(sale.event_id.as_str());
        orders.insert(sale.order_id.as_str());
        // Recency reads the organization's calendar; the impulse (days from order to event)
        // stays in UTC days, as the reference SQL counts it on both backends.
        let local_day = day_number(local_date(sale.ordered_at, catalog.zone));
        summary.last_day = Some(summary.last_day.map_or(local_day, |d| d.max(local_day)));
        let day = day_number(sale.ordered_at.date_naive());
        match sale.channel.as_str() {
            "online" => summary.online = true,
            "box_office" => summary.box_office = true,
            _ => {}
        }
        let Some(&tt) = catalog.ticket_type_numbers.get(&sale.ticket_type_id) else {
            continue;
        };
        holdings.push(tt);
        let event_day = catalog
            .ticket_types
            .get(tt as usize)
            .and_then(|t| catalog.events.get(t.event as usize))
            .map(|e| e.day);
        if let Some(event_day) = event_day {
            let impulse = event_day - day;
            summary.impulse_days = Some(summary.impulse_days.map_or(impulse, |d| d.min(impulse)));
        }
    }
    summary.events = events.len() as u32;
    summary.orders = orders.len() as u32;
    holdings.sort_unstable();
    holdings.dedup();
    (summary, holdings)
}
