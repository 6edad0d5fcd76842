//! Orders placed together. [`Checkout::place`] puts each order on a queue; one task takes
//! whatever is waiting and places it as a group, in one write transaction, while the next
//! orders queue up behind it. A group shares its statements — one read of every event's stock,
//! one lookup of every code, one conditional update per capacity counter with room for all,
//! one multi-row insert per table — and so costs a few statements per order instead of twenty.
//! On SQLite, where every write waits for the one write connection, that is the throughput.
//!
//! Each order still gets its own answer, as if placed alone: the same checks, the same
//! messages, code uses taken with one conditional update each, capacity by conditional
//! updates. What a group cannot settle exactly is left to the one-order path
//! ([`Checkout::place_alone`]), which stays the reference:
//! - an order naming a seat an earlier order of the group named is placed alone after the
//!   group commits (it then sees whether that order kept the seat);
//! - a group that fails as a whole (a database error, a seat or barcode a concurrent writer took
//!   first) is rolled back, and each of its orders is placed alone.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use fullhouse_core::db::insert_rows;
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::model::orders::{NewOrder, OrderSource};
use fullhouse_ticketing::service::orders::{
    plan_group, take_group_capacity, write_group, Booking, PlaceError,
};
use fullhouse_ticketing::service::sale_facts::{
    checked_buyer_email, create_buyer, customers_by_email, event_stocks, existing_customers,
    EventStock, SeatScope,
};
use fullhouse_ticketing::{CustomerId, EventId, OrderId, SeatId};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use super::{
    cart_seats, checkout_order, code_customer, code_use_row, hold_unless_paid, no_uses_left,
    priced_order, takes_of, Checkout, PlaceOrder, Pricing,
};
use crate::codes::{CodeContext, CodeGrant, UseTake};
use crate::model::*;
use crate::store::{checkout_code_uses, checkout_orders};

/// An order waiting on the queue, with where its answer goes.
pub(super) struct Job {
    pub(super) org: OrgId,
    pub(super) request: PlaceOrder,
    /// The secret shop the order is placed in (see [`Checkout::place_in`]).
    pub(super) shop: Option<fullhouse_ticketing::ShopId>,
    pub(super) codes: Vec<String>,
    /// How the order is held or given (see [`super::SaleTerms`]).
    pub(super) terms: super::SaleTerms,
    pub(super) reply: oneshot::Sender<Result<CheckoutOrder>>,
}

/// The most orders taken off the queue at once.
const MAX_GROUP: usize = 256;
/// Times a group is written again after capacity refused some of its orders, before the rest
/// are placed alone: a second attempt normally succeeds (the refused are gone and the group
/// still holds its code uses), unless other writers keep changing the counters.
const CAPACITY_ATTEMPTS: usize = 3;

/// Starts the queue's consumer on the current runtime.
///
/// One consumer, on either backend. SQLite writes one transaction at a time anyway. On
/// PostgreSQL, concurrent groups measured slower every way they were tried
/// (`fullhouse bench redeem`, 2 cores): three free-for-all consumers 2,300–2,400 orders/s against
/// 3,000 with one; two pipelined ones (one gathering and preparing while the other writes and
/// commits) 3,100–3,400 against 3,600–4,250. The machine is CPU-bound, and concurrent groups are
/// smaller, so each order carries a larger share of a group's statements.
pub(super) fn start(worker: Checkout, queue: mpsc::UnboundedReceiver<Job>) {
    tokio::spawn(run(worker, queue));
}

/// The consumer: takes whatever is waiting and places it, a group per organization, until
/// every [`Checkout`] sharing the queue is gone.
async fn run(worker: Checkout, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut jobs = Vec::new();
    while queue.recv_many(&mut jobs, MAX_GROUP).await > 0 {
        for (org, group) in by_organization(std::mem::take(&mut jobs)) {
            worker.place_group(&org, group).await;
        }
        // Let the callers just answered run before the next group is taken: a caller with a
        // next order then joins it, rather than the next-but-one (group commit's usual delay,
        // here one turn of the scheduler).
        tokio::task::yield_now().await;
    }
}

fn by_organization(jobs: Vec<Job>) -> Vec<(OrgId, Vec<Job>)> {
    let mut groups: Vec<(OrgId, Vec<Job>)> = Vec::new();
    for job in jobs {
        match groups.iter_mut().find(|(org, _)| *org == job.org) {
            Some((_, group)) => group.push(job),
            None => groups.push((job.org.clone(), vec![job])),
        }
    }
    groups
}

/// An order of the group that passed pricing and planning.
struct Candidate<'j> {
    job: usize,
    /// The customer to create if the order is kept: a storefront buyer seen for the first time.
    new_buyer: Option<&'j fullhouse_ticketing::service::sale_facts::Buyer>,
    booking: Booking,
    row: checkout_orders::Model,
    /// Paid when placed (at the counter), rather than held for payment.
    paid: bool,
    /// The order's takes, in its own order, with the grant's label and the field it answers on.
    takes: Vec<(UseTake, String, String)>,
    refused: Option<Error>,
}

impl Checkout {
    /// Places a group and answers each order. A group of one is placed alone.
    pub(super) async fn place_group(&self, org: &OrgId, jobs: Vec<Job>) {
        let mut answers: Vec<Option<Result<CheckoutOrder>>> = jobs.iter().map(|_| None).collect();
        if jobs.len() > 1 {
            match self.try_group(org, &jobs).await {
                Ok(settled) => answers = settled,
                Err(err) => tracing::debug!(
                    error = %err,
                    orders = jobs.len(),
                    "a group of orders failed as a whole; placing each alone"
                ),
            }
        }
        for (job, answer) in jobs.into_iter().zip(answers) {
            let answer = match answer {
                Some(answer) => answer,
                None => {
                    self.place_alone(org, &job.request, &job.codes, job.shop.as_ref(), job.terms)
                        .await
                }
            };
            // The caller may have given up waiting; its order stands either way.
            let _ = job.reply.send(answer);
        }
    }

    /// Places a group in one transaction. `Ok` holds an answer per order, or `None` for an
    /// order left to the one-order path; `Err` means nothing was written.
    async fn try_group(
        &self,
        org: &OrgId,
        jobs: &[Job],
    ) -> Result<Vec<Option<Result<CheckoutOrder>>>> {
        let txn = self.db.begin_write().await?;
        let now = self.clock.now();
        let mut answers: Vec<Option<Result<CheckoutOrder>>> = jobs.iter().map(|_| None).collect();
        let customers = self.group_customers(&txn, org, jobs, &mut answers).await?;
        let stocks: HashMap<String, Arc<EventStock>> =
            event_stocks(&txn, org, &merged_scopes(jobs))
                .await?
                .into_iter()
                .map(|(event, stock)| (event, Arc::new(stock)))
                .collect();
        let grants = self
            .group_grants(&txn, org, jobs, &stocks, &customers, &mut answers)
            .await?;

        // Price every order against the stock read at the start of the group.
        let mut priced_orders = Vec::new();
        let mut named_seats: HashSet<(EventId, SeatId)> = HashSet::new();
        let mut held: HashMap<String, Vec<String>> = HashMap::new();
        for (i, (job, typed)) in jobs.iter().zip(grants).enumerate() {
            if answers.get(i).is_some_and(Option::is_some) {
                continue;
            }
            let cart = &job.request.cart;
            let Some(stock) = stocks.get(cart.event_id.as_str()) else {
                set(&mut answers, i, Err(Error::NotFound("event")));
                continue;
            };
            let seats = seat_ids_named(cart, stock);
            if seats.iter().any(|seat| named_seats.contains(seat)) {
                continue; // Left to the one-order path, after the group.
            }
            named_seats.extend(seats);
            let customer = customers.get(i).cloned().flatten();
            let context = context_of(
                stock,
                code_customer(&job.request, customer.as_ref()),
                job.request.channel,
                now,
            );
            let automatic = if cart.customer_id.is_some() && customer.is_some() {
                self.codes.automatic(&txn, org, &context).await?
            } else {
                Vec::new()
            };
            let held_here = if stock.seats.is_empty() {
                Vec::new()
            } else {
                match held.get(stock.event_id.as_str()) {
                    Some(labels) => labels.clone(),
                    None => {
                        let labels = self
                            .codes
                            .held_seats(&txn, org, &stock.event_id, &stock.production_id)
                            .await?;
                        held.insert(stock.event_id.to_string(), labels.clone());
                        labels
                    }
                }
            };
            let pricing = Pricing {
                stock: Arc::clone(stock),
                typed,
                automatic,
                held: held_here,
                context,
            };
            match priced_order(
                &job.request,
                &pricing,
                customer,
                job.shop.as_ref(),
                job.terms,
            ) {
                Ok((priced, new_order)) => priced_orders.push((i, pricing, priced, new_order)),
                Err(err) => set(&mut answers, i, Err(err)),
            }
        }

        // One organization per group: its provider, read once.
        let provider = self.chosen_provider(&txn, org).await?;
        // Plan them all with one read of what they refer to.
        let new_orders: Vec<&NewOrder> = priced_orders.iter().map(|(.., n)| n).collect();
        let stock_list: Vec<&EventStock> = stocks.values().map(|s| s.as_ref()).collect();
        let plans = plan_group(&txn, org, &new_orders, &stock_list, OrderSource::Fullhouse).await?;
        let mut candidates = Vec::new();
        for ((i, pricing, priced, _), plan) in priced_orders.iter().zip(plans) {
            let Some(job) = jobs.get(*i) else { continue };
            let mut booking = match plan {
                Ok(booking) => booking,
                Err(PlaceError::Rejected(err)) => {
                    set(&mut answers, *i, Err(err));
                    continue;
                }
                Err(PlaceError::LostRace(err)) => return Err(err.into()),
            };
            let order_id = booking.order_id().clone();
            let row = self.checkout_row(
                org,
                (&job.request, job.shop.as_ref(), job.terms),
                pricing,
                priced,
                &order_id,
                now,
                provider,
            );
            let paid = hold_unless_paid(&mut booking, &row);
            let customer = customers.get(*i).cloned().flatten();
            candidates.push(Candidate {
                job: *i,
                new_buyer: match (&job.request.cart.customer_id, &customer) {
                    (None, None) => job.request.buyer.as_ref(),
                    _ => None,
                },
                takes: takes_of(pricing, priced, &order_id, customer),
                booking,
                row,
                paid,
                refused: None,
            });
        }

        self.take_group_uses(&txn, org, &mut candidates).await?;
        let (mut live, refused): (Vec<Candidate>, Vec<Candidate>) =
            candidates.into_iter().partition(|c| c.refused.is_none());
        answer_refused(&mut answers, refused);

        // Written first, capacity taken last: the shared counters stay locked for their own
        // statements and the commit only. A savepoint undoes the writes when capacity refuses
        // some orders; those hand back their code uses and the rest are written again.
        for _ in 0..CAPACITY_ATTEMPTS {
            let written = txn.begin().await?;
            let orders = self.write_kept(&written, org, &mut live, now).await?;
            let bookings: Vec<&Booking> = live.iter().map(|c| &c.booking).collect();
            let refusals = take_group_capacity(&written, org, &bookings).await?;
            if refusals.iter().all(Option::is_none) {
                written.commit().await?;
                txn.commit().await?;
                for (job, order) in orders {
                    set(&mut answers, job, Ok(order));
                }
                return Ok(answers);
            }
            written.rollback().await?;
            let mut refusals = refusals.into_iter();
            for candidate in &mut live {
                if let Some(Some(err)) = refusals.next() {
                    for (take, ..) in &candidate.takes {
                        self.codes.untake(&txn, org, take).await?;
                    }
                    candidate.refused = Some(err);
                }
            }
            let refused;
            (live, refused) = live.into_iter().partition(|c| c.refused.is_none());
            answer_refused(&mut answers, refused);
        }
        Err(Error::internal(
            "capacity kept changing under a group of orders; placing each alone",
        ))
    }

    /// Each order's customer: the named one when it exists, else the storefront buyer's by
    /// email (`None` when new: created with the order). Two statements for the whole group,
    /// whatever its size; an order naming an unknown customer or typing a bad email gets its
    /// own answer.
    async fn group_customers(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        jobs: &[Job],
        answers: &mut [Option<Result<CheckoutOrder>>],
    ) -> Result<Vec<Option<CustomerId>>> {
        let named: Vec<&CustomerId> = jobs
            .iter()
            .filter_map(|job| job.request.cart.customer_id.as_ref())
            .collect();
        let existing = existing_customers(txn, org, &named).await?;
        let mut emails: Vec<Option<String>> = Vec::with_capacity(jobs.len());
        for (i, job) in jobs.iter().enumerate() {
            let email = match (&job.request.cart.customer_id, &job.request.buyer) {
                (None, Some(buyer)) => match checked_buyer_email(buyer) {
                    Ok(email) => Some(email),
                    Err(err) => {
                        set(answers, i, Err(err));
                        None
                    }
                },
                _ => None,
            };
            emails.push(email);
        }
        let wanted: Vec<&str> = emails.iter().flatten().map(String::as_str).collect();
        let buyers = customers_by_email(txn, org, &wanted).await?;

        let mut customers = Vec::with_capacity(jobs.len());
        for (i, (job, email)) in jobs.iter().zip(&emails).enumerate() {
            let customer = match (&job.request.cart.customer_id, email) {
                (Some(id), _) if existing.contains(id) => Some(id.clone()),
                (Some(id), _) => {
                    set(
                        answers,
                        i,
                        Err(Error::invalid(
                            "customer_id",
                            format!("no customer {id} in this organization"),
                        )),
                    );
                    None
                }
                (None, Some(email)) => buyers.get(email).cloned(),
                (None, None) => None,
            };
            customers.push(customer);
        }
        Ok(customers)
    }

    /// Every typed code of the group looked up at once; per order, its codes in order.
    async fn group_grants(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        jobs: &[Job],
        stocks: &HashMap<String, Arc<EventStock>>,
        customers: &[Option<CustomerId>],
        answers: &mut [Option<Result<CheckoutOrder>>],
    ) -> Result<Vec<Vec<TypedCode>>> {
        let now = self.clock.now();
        let mut wanted = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            if answers.get(i).is_some_and(Option::is_some) {
                continue;
            }
            let Some(stock) = stocks.get(job.request.cart.event_id.as_str()) else {
                continue;
            };
            let customer = customers.get(i).cloned().flatten();
            let context = context_of(
                stock,
                code_customer(&job.request, customer.as_ref()),
                job.request.channel,
                now,
            );
            for code in &job.codes {
                wanted.push((i, (context.clone(), code.clone())));
            }
        }
        let pairs: Vec<(CodeContext, String)> = wanted.iter().map(|(_, p)| p.clone()).collect();
        let found: Vec<Option<CodeGrant>> = self.codes.lookup_many(txn, org, &pairs).await?;
        let mut typed: Vec<Vec<TypedCode>> = jobs.iter().map(|_| Vec::new()).collect();
        for ((i, (_, code)), grant) in wanted.into_iter().zip(found) {
            if let Some(list) = typed.get_mut(i) {
                list.push(TypedCode { code, grant });
            }
        }
        Ok(typed)
    }

    /// Takes every code use of the group, sorted by counter (the lock order of single orders);
    /// an order with a use it cannot take is refused and hands back what it took.
    async fn take_group_uses(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        candidates: &mut [Candidate<'_>],
    ) -> Result<()> {
        let mut order: Vec<(usize, usize)> = candidates
            .iter()
            .enumerate()
            .flat_map(|(c, cand)| (0..cand.takes.len()).map(move |t| (c, t)))
            .collect();
        order.sort_by(|a, b| take_key(candidates, *a).cmp(take_key(candidates, *b)));
        let takes: Vec<UseTake> = order
            .iter()
            .filter_map(|(c, t)| candidates.get(*c)?.takes.get(*t).map(|(u, ..)| u.clone()))
            .collect();
        let taken = self.codes.take_counters(txn, org, &takes).await?;
        let mut failed: HashSet<(usize, usize)> = HashSet::new();
        for (position, ok) in order.iter().zip(&taken) {
            if !ok {
                failed.insert(*position);
            }
        }
        for (c, candidate) in candidates.iter_mut().enumerate() {
            let first_failed = (0..candidate.takes.len()).find(|t| failed.contains(&(c, *t)));
            let Some(t) = first_failed else { continue };
            for (other, (take, ..)) in candidate.takes.iter().enumerate() {
                if !failed.contains(&(c, other)) {
                    self.codes.untake(txn, org, take).await?;
                }
            }
            if let Some((take, label, field)) = candidate.takes.get(t) {
                candidate.refused = Some(no_uses_left(take, label, field));
            }
        }
        Ok(())
    }

    /// Writes the kept orders: new buyers as customers, checkout's rows, the code uses, and
    /// ticketing's orders and tickets; returns (job, order) for each.
    async fn write_kept(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        kept: &mut [Candidate<'_>],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(usize, CheckoutOrder)>> {
        let mut created: HashMap<String, CustomerId> = HashMap::new();
        for candidate in kept.iter_mut() {
            let Some(buyer) = candidate.new_buyer else {
                continue;
            };
            let email = buyer.email.trim().to_lowercase();
            let id = match created.get(&email) {
                Some(id) => id.clone(),
                None => {
                    let id = create_buyer(txn, org, buyer).await?;
                    created.insert(email, id.clone());
                    id
                }
            };
            candidate.booking.set_customer(&id);
            for (take, ..) in &mut candidate.takes {
                take.customer_id = Some(id.clone());
            }
        }
        let rows: Vec<checkout_orders::ActiveModel> = kept
            .iter()
            .map(|c| checkout_orders::ActiveModel::from(c.row.clone()))
            .collect();
        insert_rows(txn, rows).await?;
        let uses: Vec<checkout_code_uses::ActiveModel> = kept
            .iter()
            .flat_map(|c| c.takes.iter())
            .map(|(take, label, _)| code_use_row(org, take, label, now))
            .collect();
        insert_rows(txn, uses).await?;
        let takes: Vec<UseTake> = kept
            .iter()
            .flat_map(|c| c.takes.iter().map(|(take, ..)| take.clone()))
            .collect();
        self.codes.record_takes(txn, org, &takes).await?;
        let paid_with_codes: Vec<OrderId> = kept
            .iter()
            .filter(|c| c.paid && !c.takes.is_empty())
            .map(|c| c.booking.order_id().clone())
            .collect();
        if !paid_with_codes.is_empty() {
            self.codes.uses_paid(txn, org, &paid_with_codes).await?;
        }
        let bookings: Vec<&Booking> = kept.iter().map(|c| &c.booking).collect();
        let orders = write_group(txn, org, &bookings)
            .await
            .map_err(PlaceError::into_error)?;
        Ok(kept
            .iter()
            .zip(orders)
            .map(|(candidate, order)| {
                let used_codes: Vec<String> = candidate
                    .takes
                    .iter()
                    .filter_map(|(take, ..)| take.code.clone())
                    .collect();
                (
                    candidate.job,
                    checkout_order(candidate.row.clone(), used_codes, order),
                )
            })
            .collect())
    }
}

/// Answers the orders refused on the way (each with its own reason).
fn answer_refused(answers: &mut [Option<Result<CheckoutOrder>>], refused: Vec<Candidate<'_>>) {
    for candidate in refused {
        if let Some(err) = candidate.refused {
            set(answers, candidate.job, Err(err));
        }
    }
}

fn set(answers: &mut [Option<Result<CheckoutOrder>>], i: usize, answer: Result<CheckoutOrder>) {
    if let Some(slot) = answers.get_mut(i) {
        *slot = Some(answer);
    }
}

fn take_key<'c>(candidates: &'c [Candidate<'_>], (c, t): (usize, usize)) -> &'c str {
    candidates
        .get(c)
        .and_then(|cand| cand.takes.get(t))
        .map_or("", |(take, ..)| take.key.as_str())
}

fn context_of(
    stock: &EventStock,
    customer: Option<CustomerId>,
    channel: fullhouse_ticketing::model::orders::Channel,
    now: chrono::DateTime<chrono::Utc>,
) -> CodeContext {
    CodeContext {
        event_id: stock.event_id.clone(),
        production_id: stock.production_id.clone(),
        customer_id: customer,
        channel,
        now,
    }
}

/// One seat scope per event: every seat any order of the group names there.
fn merged_scopes(jobs: &[Job]) -> Vec<(EventId, SeatScope)> {
    let mut merged: Vec<(EventId, SeatScope)> = Vec::new();
    for job in jobs {
        let cart = &job.request.cart;
        let SeatScope::Only { ids, labels } = cart_seats(cart) else {
            continue;
        };
        match merged.iter_mut().find(|(e, _)| *e == cart.event_id) {
            Some((
                _,
                SeatScope::Only {
                    ids: all,
                    labels: names,
                },
            )) => {
                all.extend(ids);
                names.extend(labels);
            }
            Some((_, SeatScope::All)) => {}
            None => merged.push((cart.event_id.clone(), SeatScope::Only { ids, labels })),
        }
    }
    merged
}

/// The seats of the event a cart names, by id or by label.
fn seat_ids_named(cart: &Cart, stock: &EventStock) -> Vec<(EventId, SeatId)> {
    let SeatScope::Only { ids, labels } = cart_seats(cart) else {
        return Vec::new();
    };
    stock
        .seats
        .iter()
        .filter(|s| ids.contains(&s.id) || labels.contains(&s.seat_label))
        .map(|s| (stock.event_id.clone(), s.id.clone()))
        .collect()
}
