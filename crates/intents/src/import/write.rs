//! The second half of an intents import: booking a batch of checked rows.
//!
//! Per batch: the rows' keys are claimed (one insert that skips keys already stored), every
//! intent's order is placed at once — checkout's queue groups concurrent orders into a few
//! transactions, so the more are in flight the faster — and the placed intents, their history
//! and the mails' rows are recorded with one multi-row insert per table, in one transaction.
//! An order checkout refuses (a seat a sale took since the check, capacity used up by another
//! import) refuses its rows into the rejected-rows file and gives their keys back, so a
//! corrected file books them.

use std::collections::HashMap;

use fullhouse_checkout::model::Cart;
use fullhouse_checkout::PlaceOrder;
use fullhouse_core::db::insert_rows;
use fullhouse_core::import::{Batches, Rejection};
use fullhouse_core::{Error, Result};
use fullhouse_ticketing::model::customers::NewCustomer;
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::service::{CatalogService, CustomerService};
use fullhouse_ticketing::{CustomerId, EventId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::check::{key_of, SEAT_TAKEN};
use super::{Booked, IntentImport, Place, RowCustomer, RowTicket, RowValue};
use crate::model::*;
use crate::service::Placed;
use crate::store::{intent_history, intent_row_keys, intents};

/// Keys per claiming insert and per lookup.
const KEYS_PER_STATEMENT: usize = 500;

/// One intent to make from rows of the batch.
struct Group {
    id: IntentId,
    customer: CustomerId,
    /// The rows (file row number, key, ticket).
    rows: Vec<(u64, String, RowTicket)>,
}

impl Group {
    fn seated(&self) -> bool {
        self.rows
            .iter()
            .any(|(_, _, t)| matches!(t.place, Place::Seat(_)))
    }

    fn new_intent(&self, import: &IntentImport) -> Option<NewIntent> {
        let first = &self.rows.first()?.2;
        let items = self
            .rows
            .iter()
            .map(|(_, _, t)| IntentItem {
                ticket_type_id: t.ticket_type_id.clone(),
                quantity: None,
                seat_ids: Vec::new(),
                seats: match &t.place {
                    Place::Seat(names) => vec![names.clone()],
                    Place::Standing(_) => Vec::new(),
                },
                ga_name: match &t.place {
                    Place::Standing(name) => name.clone(),
                    Place::Seat(_) => None,
                },
            })
            .collect();
        Some(NewIntent {
            customer_id: self.customer.clone(),
            event_id: first.event_id.clone(),
            shop_id: first.shop_id.clone(),
            items,
            coupon: None,
            company: first.company.clone(),
            delivery: first.delivery,
            strategy: StrategyChoice {
                strategy: import.options.strategy,
                deadline: None,
            },
            send_mail: import.options.send_mail,
            import_id: import.import_id.clone(),
            created_by: import.actor.clone(),
        })
    }
}

/// Books every batch (see the module documentation).
pub(super) async fn book(import: &IntentImport, mut rows: Batches<'_, RowValue>) -> Result<Booked> {
    let mut booked = Booked {
        dry_run: import.options.dry_run,
        ..Booked::default()
    };
    let slug = import.intents.slug(&import.org).await?;
    let mut terms = HashMap::new();
    while let Some(batch) = rows.next_rows().await? {
        let mut tickets = Vec::with_capacity(batch.len());
        let mut already = Vec::new();
        for (row, value) in batch {
            match value {
                RowValue::Book(ticket) => tickets.push((row, *ticket)),
                RowValue::Already(intent) => already.push((row, intent)),
            }
        }
        booked.already += already.len() as u64;
        note_already(import, &rows, &slug, &already).await?;
        if import.options.dry_run {
            for (row, _) in &tickets {
                rows.note(
                    *row,
                    vec![String::new(), String::new(), "would be booked".into()],
                );
            }
            booked.tickets += tickets.len() as u64;
            continue;
        }
        let groups = claim(import, &rows, &slug, with_customers(import, tickets).await?).await?;
        let (tickets, intents) = place_and_record(import, &rows, &slug, groups, &mut terms).await?;
        booked.tickets += tickets;
        booked.intents += intents;
    }
    Ok(booked)
}

/// Notes rows booked before with their intent.
async fn note_already(
    import: &IntentImport,
    rows: &Batches<'_, RowValue>,
    slug: &str,
    already: &[(u64, String)],
) -> Result<()> {
    let ids: Vec<&str> = already.iter().map(|(_, id)| id.as_str()).collect();
    let mut tokens = HashMap::new();
    for part in ids.chunks(KEYS_PER_STATEMENT) {
        let found: Vec<(String, String)> = intents::Entity::find()
            .select_only()
            .column(intents::Column::Id)
            .column(intents::Column::Token)
            .filter(intents::Column::OrganizationId.eq(import.org.as_str()))
            .filter(intents::Column::Id.is_in(part.iter().copied()))
            .into_tuple()
            .all(import.intents.db().reader())
            .await?;
        tokens.extend(found);
    }
    for (row, intent) in already {
        let (link, outcome) = match tokens.get(intent) {
            Some(token) => (import.intents.link(slug, token), "already imported"),
            // Claimed by an import that stopped before recording it (see the crash window
            // in the module documentation) or that is still running.
            None => (
                String::new(),
                "already imported (its intent is not recorded)",
            ),
        };
        rows.note(*row, vec![intent.clone(), link, outcome.to_string()]);
    }
    Ok(())
}

/// The rows with their customers' ids: customers named by an email no customer has are made
/// now (one per email).
async fn with_customers(
    import: &IntentImport,
    tickets: Vec<(u64, RowTicket)>,
) -> Result<Vec<(u64, CustomerId, RowTicket)>> {
    let customers = CustomerService::new(import.intents.db().clone());
    let mut made: HashMap<String, CustomerId> = HashMap::new();
    let mut out = Vec::with_capacity(tickets.len());
    for (row, ticket) in tickets {
        let id = match &ticket.customer {
            RowCustomer::Id(id) => id.clone(),
            RowCustomer::Email {
                email,
                first_name,
                last_name,
            } => match made.get(email) {
                Some(id) => id.clone(),
                None => {
                    let new = NewCustomer {
                        email: Some(email.clone()),
                        first_name: first_name.clone(),
                        last_name: last_name.clone(),
                        company: ticket.company.clone(),
                        ..NewCustomer::default()
                    };
                    let id = customers.create(&import.org, new).await?.id;
                    made.insert(email.clone(), id.clone());
                    id
                }
            },
        };
        out.push((row, id, ticket));
    }
    Ok(out)
}

/// Groups the rows into intents and claims their keys; rows whose key another import claimed
/// first are noted as already imported and left out.
async fn claim(
    import: &IntentImport,
    rows: &Batches<'_, RowValue>,
    slug: &str,
    tickets: Vec<(u64, CustomerId, RowTicket)>,
) -> Result<Vec<Group>> {
    let source = import.options.source();
    let mut groups: Vec<Group> = Vec::new();
    let mut open: HashMap<(String, String), usize> = HashMap::new();
    for (row, customer, ticket) in tickets {
        let key = key_of(&source, &customer, &ticket);
        let joined = import.options.group_by_customer.then(|| {
            let at = (customer.to_string(), ticket.event_id.to_string());
            open.get(&at).copied()
        });
        let index = match joined.flatten() {
            Some(index)
                if groups.get(index).is_some_and(|g| {
                    g.rows.len() < MAX_TICKETS_PER_INTENT
                        && g.rows.first().is_some_and(|(_, _, t)| {
                            t.shop_id == ticket.shop_id && t.delivery == ticket.delivery
                        })
                }) =>
            {
                index
            }
            _ => {
                if import.options.group_by_customer {
                    let at = (customer.to_string(), ticket.event_id.to_string());
                    open.insert(at, groups.len());
                }
                groups.push(Group {
                    id: IntentId::generate(),
                    customer: customer.clone(),
                    rows: Vec::new(),
                });
                groups.len() - 1
            }
        };
        if let Some(group) = groups.get_mut(index) {
            group.rows.push((row, key, ticket));
        }
    }
    let now = import.intents.now();
    let claims: Vec<intent_row_keys::ActiveModel> = groups
        .iter()
        .flat_map(|g| {
            g.rows
                .iter()
                .map(|(_, key, _)| intent_row_keys::ActiveModel {
                    organization_id: Set(import.org.to_string()),
                    id: Set(key.clone()),
                    intent_id: Set(g.id.to_string()),
                    import_id: Set(import.import_id.clone()),
                    created_at: Set(now),
                })
        })
        .collect();
    let keys: Vec<String> = groups
        .iter()
        .flat_map(|g| g.rows.iter().map(|(_, key, _)| key.clone()))
        .collect();
    let writer = import.intents.db().writer();
    let mut claims = claims;
    while !claims.is_empty() {
        let rest = claims.split_off(claims.len().min(KEYS_PER_STATEMENT));
        intent_row_keys::Entity::insert_many(claims)
            .on_conflict(
                OnConflict::columns([
                    intent_row_keys::Column::OrganizationId,
                    intent_row_keys::Column::Id,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(writer)
            .await?;
        claims = rest;
    }
    let owners = owners(import, &keys).await?;
    let mut lost = Vec::new();
    for group in &mut groups {
        let id = group.id.to_string();
        group.rows.retain(|(row, key, _)| match owners.get(key) {
            Some(owner) if *owner != id => {
                lost.push((*row, owner.clone()));
                false
            }
            _ => true,
        });
    }
    note_already(import, rows, slug, &lost).await?;
    groups.retain(|g| !g.rows.is_empty());
    Ok(groups)
}

/// Which intent holds each of `keys`.
async fn owners(import: &IntentImport, keys: &[String]) -> Result<HashMap<String, String>> {
    let mut found = HashMap::new();
    for part in keys.chunks(KEYS_PER_STATEMENT) {
        let rows: Vec<(String, String)> = intent_row_keys::Entity::find()
            .select_only()
            .column(intent_row_keys::Column::Id)
            .column(intent_row_keys::Column::IntentId)
            .filter(intent_row_keys::Column::OrganizationId.eq(import.org.as_str()))
            .filter(intent_row_keys::Column::Id.is_in(part.iter().cloned()))
            .into_tuple()
            .all(import.intents.db().writer())
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// The terms of an event's intents in this import (its default, or the file's strategy).
async fn terms_of(
    import: &IntentImport,
    event: &EventId,
    cache: &mut HashMap<String, Terms>,
) -> Result<Terms> {
    if let Some(terms) = cache.get(event.as_str()) {
        return Ok(*terms);
    }
    let starts_at = CatalogService::new(import.intents.db().clone())
        .event(&import.org, event)
        .await?
        .starts_at;
    let defaults = import.intents.event_defaults(&import.org, event).await?;
    let choice = StrategyChoice {
        strategy: import.options.strategy,
        deadline: None,
    };
    let terms = Terms::resolve(choice, defaults, import.intents.now(), starts_at);
    cache.insert(event.to_string(), terms);
    Ok(terms)
}

/// Places every group's order at once, records the placed ones, refuses the rest. Returns the
/// tickets and intents booked.
async fn place_and_record(
    import: &IntentImport,
    rows: &Batches<'_, RowValue>,
    slug: &str,
    groups: Vec<Group>,
    cache: &mut HashMap<String, Terms>,
) -> Result<(u64, u64)> {
    let mut placing = tokio::task::JoinSet::new();
    let mut news = Vec::with_capacity(groups.len());
    for (index, group) in groups.iter().enumerate() {
        let Some(new) = group.new_intent(import) else {
            continue;
        };
        let terms = terms_of(import, &new.event_id, cache).await?;
        let checkout = import.intents.checkout().clone();
        let org = import.org.clone();
        let request = PlaceOrder {
            cart: Cart {
                referral_code: None,
                event_id: new.event_id.clone(),
                items: new.items.iter().map(IntentItem::cart_item).collect(),
                codes: Vec::new(),
                customer_id: Some(new.customer_id.clone()),
            },
            // The organizer books for a customer they name, as at the counter.
            channel: Channel::BoxOffice,
            buyer: None,
            paid_at_counter: false,
            payment_method: None,
        };
        let shop = new.shop_id.clone();
        placing.spawn(async move {
            let placed = checkout
                .place_with(&org, request, shop, terms.sale_terms())
                .await;
            (index, placed.map(|order| (terms, order)))
        });
        news.push((index, new));
    }
    let mut outcomes = HashMap::new();
    while let Some(done) = placing.join_next().await {
        let (index, outcome) =
            done.map_err(|e| Error::internal(format!("placing an intent's order stopped: {e}")))?;
        outcomes.insert(index, outcome);
    }
    let (mut intent_rows, mut history, mut failed_keys) = (Vec::new(), Vec::new(), Vec::new());
    let mut fault = None;
    let mut notes = Vec::new();
    let mut tickets = 0u64;
    for (index, new) in news {
        let (Some(group), Some(outcome)) = (groups.get(index), outcomes.remove(&index)) else {
            continue;
        };
        match outcome {
            Ok((terms, order)) => {
                let placed = Placed {
                    terms,
                    coupon: None,
                    order,
                };
                let (row, lines) = import
                    .intents
                    .rows_of(&import.org, &group.id, &new, &placed);
                let link = import.intents.link(slug, &row.token);
                for (file_row, _, _) in &group.rows {
                    notes.push((*file_row, group.id.to_string(), link.clone()));
                }
                tickets += group.rows.len() as u64;
                intent_rows.push((row, new.send_mail));
                history.extend(lines);
            }
            Err(error) => {
                let rejection = refusal(&error, group.seated());
                for (file_row, key, _) in &group.rows {
                    rows.refuse(*file_row, rejection.clone());
                    failed_keys.push(key.clone());
                }
                if matches!(error, Error::Internal(_)) && fault.is_none() {
                    fault = Some(error);
                }
            }
        }
    }
    let intents_made = intent_rows.len() as u64;
    let txn = import.intents.db().begin_write().await?;
    insert_rows(
        &txn,
        intent_rows
            .iter()
            .map(|(row, _)| intents::ActiveModel::from(row.clone()))
            .collect(),
    )
    .await?;
    insert_rows(
        &txn,
        history
            .into_iter()
            .map(intent_history::ActiveModel::from)
            .collect(),
    )
    .await?;
    for part in failed_keys.chunks(KEYS_PER_STATEMENT) {
        intent_row_keys::Entity::delete_many()
            .filter(intent_row_keys::Column::OrganizationId.eq(import.org.as_str()))
            .filter(intent_row_keys::Column::Id.is_in(part.iter().cloned()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    for (file_row, intent, link) in notes {
        rows.note(file_row, vec![intent, link, "booked".to_string()]);
    }
    for (row, send_mail) in intent_rows {
        if send_mail {
            let intent = import.intents.intent_of(row, slug)?;
            import
                .intents
                .mail_booking(&import.org, &intent, &import.actor)
                .await?;
        }
    }
    match fault {
        Some(error) => Err(error),
        None => Ok((tickets, intents_made)),
    }
}

/// The reason a row's order was refused at booking: a seat gone is "Cannot reserve seat" (the
/// words of the seed), capacity used up says so, anything else keeps checkout's words.
fn refusal(error: &Error, seated: bool) -> Rejection {
    let message = match error {
        Error::Validation { fields, message } => fields
            .first()
            .map(|f| format!("{}: {}", f.field, f.reason))
            .unwrap_or_else(|| message.clone()),
        other => other.to_string(),
    };
    let lower = message.to_lowercase();
    if seated && (matches!(error, Error::Conflict { .. }) || lower.contains("seat")) {
        return Rejection::new("seatName", SEAT_TAKEN);
    }
    if lower.contains("sold out") || lower.contains(" left") || lower.contains("full") {
        return Rejection::new("ticketTypeId", format!("sold out: {message}"));
    }
    Rejection::new("ticketTypeId", format!("could not be booked: {message}"))
}
