//! The one path for every sale: quote a cart, place an order (seats, places, code uses, order and
//! tickets, `order.placed` — one transaction), take the payment, cancel, and expire unpaid holds.
//!
//! An order's state is ticketing's ([`CheckoutStatus`] is `OrderStatus`): online orders are
//! placed awaiting payment and box-office orders paid; a payment makes an order paid; a hold that
//! runs out makes it expired; a cancel makes an unpaid order cancelled and a paid one refunded.
//! Each move changes `checkout_orders.status` and ticketing's `orders.status` in the same
//! transaction, with conditional updates on both, so the two never disagree after a commit. The
//! one move that starts in ticketing (an organizer's cancel there) is followed here
//! ([`Checkout::follow_cancellations`]): checkout then takes ticketing's state.

mod confirmations;
mod grouped;
mod order_view;
mod pricing;

use pricing::{
    cart_seats, code_customer, no_uses_left, priced_order, takes_of, Pricing, PricingFor,
};
mod sale_view;
mod shop_listing;
mod states;
mod terms;

pub use confirmations::{render as render_mail, Confirmations, CONFIRMATIONS_CONSUMER};
pub use order_view::{DiscountUse, OrderAction, OrderLine, OrderView, SaleRecord, Step, StepKind};
pub use sale_view::{
    GaOffer, MemberPrice, OfferedDiscount, OfferedType, SaleView, SeatOffer, SeatState,
};
pub use shop_listing::{ListedEvent, SHOP_EVENTS};
pub use states::{Confirmation, PayStep};
pub use terms::{HoldTerm, SaleTerms};

use std::sync::{Arc, OnceLock};

use chrono::Duration;
use fullhouse_core::events::Follower;
use fullhouse_core::{Db, Error, OrgId, Result};
use fullhouse_ticketing::model::orders::{Channel, OrderSource};
use fullhouse_ticketing::outbox::OrderCancelled;
use fullhouse_ticketing::service::orders::{
    order_in_transaction, plan_booking, write_booking, Booking, PlaceError,
};
use fullhouse_ticketing::service::sale_facts::{
    customer_exists, event_stock_scoped, find_or_create_buyer, Buyer, SeatScope,
};
use fullhouse_ticketing::service::OrderService;
use fullhouse_ticketing::{CustomerId, EventId, OrderId, ShopId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use crate::api::CodeCheckLimiter;
use crate::clock::{Clock, SystemClock};
use crate::codes::{CodeContext, CodeRules, NoCodeRules, UseTake};
use crate::model::*;
use crate::payment::settings::PaymentSetup;
use crate::payment::{PaymentProvider, TestPayments};
use crate::store::{checkout_code_uses, checkout_orders};

/// How long an unpaid order holds its seats, places and code uses by default.
pub const DEFAULT_HOLD_MINUTES: i64 = 15;
/// How often an order is placed again after losing a seat race to a concurrent one.
const ATTEMPTS: usize = 4;
/// Holds expired per sweep round (the sweep runs again at once while it finds full rounds).
const SWEEP_BATCH: u64 = 200;
/// The durable outbox consumer of [`Checkout::follow_cancellations`] (its row in core's
/// `event_cursors`; before the follower moved to core, in `checkout_event_cursors`).
pub const CANCELLATIONS_CONSUMER: &str = "checkout.cancellations";
/// Events read per round.
const FOLLOW_BATCH: u64 = 5_000;
/// The provider id of sales paid at the box office counter (cash or a terminal outside Fullhouse).
pub const COUNTER_PROVIDER: &str = "box_office";
/// The provider id of orders given away at price 0 (complimentary purchase intents).
pub const COMPLIMENTARY_PROVIDER: &str = "complimentary";
/// The provider id of orders the organizer marked paid (an invoice settled outside Fullhouse).
pub const SETTLED_PROVIDER: &str = "settled";

/// Checkout, with the code rules, payment provider and clock it was given.
#[derive(Clone)]
pub struct Checkout {
    pub(crate) db: Db,
    codes: Arc<dyn CodeRules>,
    /// The provider of organizations that chose none (the test provider unless replaced).
    pub(crate) payments: Arc<dyn PaymentProvider>,
    /// What organizations' own providers (Stripe) are built from.
    pub(crate) setup: PaymentSetup,
    pub(crate) clock: Arc<dyn Clock>,
    hold: Duration,
    limiter: CodeCheckLimiter,
    /// The queue orders are placed from, started by the first order (see `grouped`). Shared by
    /// clones; a builder method gives the changed checkout a queue of its own.
    queue: Arc<OnceLock<tokio::sync::mpsc::UnboundedSender<grouped::Job>>>,
    /// The outbox follower of [`Self::follow_cancellations`], shared by clones: it remembers
    /// which late events it already delivered.
    cancellations: Arc<tokio::sync::Mutex<Follower>>,
}

/// An order to place.
#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub cart: Cart,
    pub channel: Channel,
    /// A storefront buyer, found or created as a customer in the order's transaction.
    pub buyer: Option<Buyer>,
    /// Paid at the counter: the order is paid at once, nothing is held.
    pub paid_at_counter: bool,
    /// How it was paid at the counter (stored as given; the box office's API and page require
    /// one for a counter sale, see [`PaymentMethod::for_sale`]). `None` online.
    pub payment_method: Option<PaymentMethod>,
}

/// Why one placing attempt failed.
enum Attempt {
    Race,
    Rejected(Error),
}

impl From<Error> for Attempt {
    fn from(err: Error) -> Self {
        Self::Rejected(err)
    }
}

impl From<sea_orm::DbErr> for Attempt {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Rejected(err.into())
    }
}

impl Checkout {
    /// Checkout with no campaigns (every code unknown), the test payment provider, the system
    /// clock and a 15-minute hold.
    pub fn new(db: Db) -> Self {
        Self {
            codes: Arc::new(NoCodeRules),
            payments: Arc::new(TestPayments),
            setup: PaymentSetup::default(),
            clock: Arc::new(SystemClock),
            hold: Duration::minutes(DEFAULT_HOLD_MINUTES),
            limiter: CodeCheckLimiter::default(),
            queue: Arc::default(),
            cancellations: Arc::new(tokio::sync::Mutex::new(
                Follower::durable(db.clone(), CANCELLATIONS_CONSUMER)
                    .kind::<OrderCancelled>()
                    .batch_size(FOLLOW_BATCH),
            )),
            db,
        }
    }

    /// Budgets for code checks at the storefront (per client address, per session, per minute).
    pub fn with_code_check_limits(mut self, per_ip: u32, per_session: u32) -> Self {
        self.limiter = CodeCheckLimiter::new(per_ip, per_session);
        self.queue = Arc::default();
        self
    }

    pub fn limiter(&self) -> &CodeCheckLimiter {
        &self.limiter
    }

    /// Installs the code rules (campaigns) every sale consults.
    pub fn with_code_rules(mut self, codes: Arc<dyn CodeRules>) -> Self {
        self.codes = codes;
        self.queue = Arc::default();
        self
    }

    pub fn with_payments(mut self, payments: Arc<dyn PaymentProvider>) -> Self {
        self.payments = payments;
        self.queue = Arc::default();
        self
    }

    /// The server's secret key and Stripe's address, for organizations that pay through Stripe.
    pub fn with_payment_setup(mut self, setup: PaymentSetup) -> Self {
        self.setup = setup;
        self.queue = Arc::default();
        self
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self.queue = Arc::default();
        self
    }

    /// How long an unpaid order holds everything it took.
    pub fn with_hold(mut self, hold: Duration) -> Self {
        self.hold = hold;
        self.queue = Arc::default();
        self
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Checkout's time (a test's manual clock, else the system's): modules that extend a sale
    /// judge deadlines by the same clock as the holds.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn payments(&self) -> &dyn PaymentProvider {
        self.payments.as_ref()
    }

    /// Prices a cart without taking anything. Problems are listed in the quote, not raised.
    pub async fn quote(&self, org: &OrgId, cart: &Cart, channel: Channel) -> Result<Quote> {
        let codes = clean_codes(&cart.codes).map_err(|f| Error::invalid_fields(vec![f]))?;
        let txn = self.db.reader().begin().await?;
        if let Some(customer) = &cart.customer_id {
            if !customer_exists(&txn, org, customer).await? {
                return Err(Error::invalid(
                    "customer_id",
                    format!("no customer {customer} in this organization"),
                ));
            }
        }
        let pricing = self
            .pricing(
                &txn,
                org,
                PricingFor {
                    cart,
                    codes: &codes,
                    customer: cart.customer_id.clone(),
                    identified: cart.customer_id.is_some(),
                    channel,
                    scope: SeatScope::All,
                },
            )
            .await?;
        txn.rollback().await?;
        let input = pricing.input(cart, channel, None);
        let priced = price(&input);
        Ok(quote(&input, &priced))
    }

    /// What one code unlocks for an event (the storefront's code field).
    pub async fn check_code(
        &self,
        org: &OrgId,
        event: &EventId,
        code: &str,
    ) -> Result<CodeOutcome> {
        self.check_code_for(org, event, code, None).await
    }

    /// [`Checkout::check_code`] for a signed-in buyer (`customer`): a code bound to them works.
    pub async fn check_code_for(
        &self,
        org: &OrgId,
        event: &EventId,
        code: &str,
        customer: Option<&CustomerId>,
    ) -> Result<CodeOutcome> {
        let cart = Cart {
            referral_code: None,
            event_id: event.clone(),
            items: Vec::new(),
            codes: vec![code.to_string()],
            customer_id: None,
        };
        let view = self
            .sale_view_for(org, event, &cart.codes, Channel::Online, customer, None)
            .await?;
        Ok(view.codes.into_iter().next().unwrap_or(CodeOutcome {
            code: code.trim().to_string(),
            status: CodeStatus::Unknown,
            message: UNKNOWN_CODE_MESSAGE.to_string(),
            grant: None,
            uses: 0,
        }))
    }

    async fn pricing(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        sale: PricingFor<'_>,
    ) -> Result<Pricing> {
        let PricingFor {
            cart,
            codes,
            customer,
            identified,
            channel,
            scope,
        } = sale;
        let stock = event_stock_scoped(txn, org, &cart.event_id, &scope).await?;
        let context = CodeContext {
            event_id: stock.event_id.clone(),
            production_id: stock.production_id.clone(),
            customer_id: customer,
            channel,
            now: self.clock.now(),
        };
        let mut typed = Vec::new();
        for code in codes {
            let grant = self.codes.lookup(txn, org, &context, code).await?;
            typed.push(TypedCode {
                code: code.clone(),
                grant,
            });
        }
        let automatic = if identified && context.customer_id.is_some() {
            self.codes.automatic(txn, org, &context).await?
        } else {
            Vec::new()
        };
        // Held seats only matter for the seats read: a general-admission cart reads none.
        let held = if stock.seats.is_empty() {
            Vec::new()
        } else {
            self.codes
                .held_seats(txn, org, &stock.event_id, &stock.production_id)
                .await?
        };
        Ok(Pricing {
            stock: Arc::new(stock),
            typed,
            automatic,
            held,
            context,
        })
    }

    /// Places an order: everything it takes, in one transaction. Online orders wait for payment
    /// until the hold expires; box-office orders paid at the counter are paid at once.
    ///
    /// The order joins a queue and is placed with the orders that arrive with it (see
    /// `grouped`): the same answer as [`Checkout::place_alone`], in far fewer statements.
    pub async fn place(&self, org: &OrgId, request: PlaceOrder) -> Result<CheckoutOrder> {
        self.place_in(org, request, None).await
    }

    /// Places an order in a secret shop (`Some`) or the public shop: the shop unlocks its own
    /// ticket types, sells no other, and is recorded on the order.
    pub async fn place_in(
        &self,
        org: &OrgId,
        request: PlaceOrder,
        shop: Option<ShopId>,
    ) -> Result<CheckoutOrder> {
        self.place_with(org, request, shop, SaleTerms::default())
            .await
    }

    /// Places an order on `terms` other than a sale's usual ones: held until a given time or
    /// until the organizer settles it, or given away at price 0 (purchase intents). Everything
    /// else — prices, codes and their uses, seats, capacity — is the one path every sale takes.
    pub async fn place_with(
        &self,
        org: &OrgId,
        request: PlaceOrder,
        shop: Option<ShopId>,
        terms: SaleTerms,
    ) -> Result<CheckoutOrder> {
        let codes = clean_codes(&request.cart.codes).map_err(|f| Error::invalid_fields(vec![f]))?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = grouped::Job {
            org: org.clone(),
            request,
            shop,
            codes,
            terms,
            reply,
        };
        match self.queue().send(job) {
            Ok(()) => answer
                .await
                .map_err(|_| Error::internal("the order queue stopped before answering"))?,
            // The queue's task is gone (its runtime shut down): place it here.
            Err(tokio::sync::mpsc::error::SendError(job)) => {
                self.place_alone(
                    &job.org,
                    &job.request,
                    &job.codes,
                    job.shop.as_ref(),
                    job.terms,
                )
                .await
            }
        }
    }

    /// The queue, started on first use by a task that owns a copy of this checkout with no
    /// queue of its own (so the task ends when the last clone sharing the queue is dropped).
    fn queue(&self) -> &tokio::sync::mpsc::UnboundedSender<grouped::Job> {
        self.queue.get_or_init(|| {
            let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
            let mut worker = self.clone();
            worker.queue = Arc::default();
            grouped::start(worker, receiver);
            sender
        })
    }

    /// Places one order on its own, in its own transaction, again after a lost seat race: the
    /// reference path a group of orders falls back to.
    async fn place_alone(
        &self,
        org: &OrgId,
        request: &PlaceOrder,
        codes: &[String],
        shop: Option<&ShopId>,
        terms: SaleTerms,
    ) -> Result<CheckoutOrder> {
        let mut attempt = 1;
        loop {
            match self.try_place(org, request, codes, shop, terms).await {
                Ok(order) => return Ok(order),
                Err(Attempt::Rejected(err)) => return Err(err),
                Err(Attempt::Race) if attempt < ATTEMPTS => {
                    tracing::debug!(attempt, "checkout lost a seat race; placing again");
                    attempt += 1;
                }
                Err(Attempt::Race) => {
                    return Err(Error::conflict(
                        "items",
                        "concurrent orders took seats of this one; try again",
                    ))
                }
            }
        }
    }

    async fn try_place(
        &self,
        org: &OrgId,
        request: &PlaceOrder,
        codes: &[String],
        shop: Option<&ShopId>,
        terms: SaleTerms,
    ) -> Result<CheckoutOrder, Attempt> {
        let cart = &request.cart;
        let txn = self.db.begin_write().await?;
        let customer = match (&cart.customer_id, &request.buyer) {
            (Some(id), _) => {
                if !customer_exists(&txn, org, id).await? {
                    return Err(Attempt::Rejected(Error::invalid(
                        "customer_id",
                        format!("no customer {id} in this organization"),
                    )));
                }
                Some(id.clone())
            }
            (None, Some(buyer)) => Some(find_or_create_buyer(&txn, org, buyer).await?),
            (None, None) => None,
        };
        let pricing = self
            .pricing(
                &txn,
                org,
                PricingFor {
                    cart,
                    codes,
                    customer: code_customer(request, customer.as_ref()),
                    identified: cart.customer_id.is_some(),
                    channel: request.channel,
                    scope: cart_seats(cart),
                },
            )
            .await?;
        let (priced, new_order) = priced_order(request, &pricing, customer.clone(), shop, terms)?;
        let mut booking = match plan_booking(
            &txn,
            org,
            &new_order,
            OrderSource::Fullhouse,
            Some(&pricing.stock),
        )
        .await
        {
            Ok(booking) => booking,
            Err(err) => return Err(lost_or_rejected(txn, err).await?),
        };
        let order_id = booking.order_id().clone();
        // The rows only this order writes come first, the code counters next (a row per member,
        // shared only by orders with the same code), and the order with its tickets and the
        // ticket types' and areas' counters last: those rows every order of the event updates,
        // so they stay locked only from there to the commit. `release` gives back in the same
        // order (code counters, then places), so the two never deadlock.
        let now = self.clock.now();
        let provider = self.chosen_provider(&txn, org).await?;
        let row = self.checkout_row(
            org,
            (request, shop, terms),
            &pricing,
            &priced,
            &order_id,
            now,
            provider,
        );
        let paid = hold_unless_paid(&mut booking, &row);
        checkout_orders::Entity::insert(checkout_orders::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        let takes = takes_of(&pricing, &priced, &order_id, customer);
        for (take, label, _) in &takes {
            record_use(&txn, org, take, label, now).await?;
        }
        for (take, label, field) in &takes {
            // Uses are taken by the rules' ONE conditional update, inside this transaction: if
            // the quantity would be exceeded, nothing of this order is kept.
            if !self.codes.take_uses(&txn, org, take).await? {
                return Err(Attempt::Rejected(no_uses_left(take, label, field)));
            }
        }
        if paid && !takes.is_empty() {
            self.codes
                .uses_paid(&txn, org, std::slice::from_ref(&order_id))
                .await?;
        }
        let order = match write_booking(&txn, org, booking).await {
            Ok(order) => order,
            Err(err) => return Err(lost_or_rejected(txn, err).await?),
        };
        txn.commit().await?;
        let used_codes = takes.iter().filter_map(|(t, ..)| t.code.clone()).collect();
        Ok(checkout_order(row, used_codes, order))
    }

    /// Checkout's row of a new order: paid at once at the counter, else held until the hold
    /// runs out, to be paid through `provider` (the organization's, read in the order's
    /// transaction).
    #[allow(clippy::too_many_arguments)] // one row's facts, from two callers (alone, grouped)
    fn checkout_row(
        &self,
        org: &OrgId,
        (request, shop, terms): (&PlaceOrder, Option<&ShopId>, SaleTerms),
        pricing: &Pricing,
        priced: &Priced,
        order_id: &OrderId,
        now: chrono::DateTime<chrono::Utc>,
        (provider, test): (&'static str, bool),
    ) -> checkout_orders::Model {
        let (status, expires_at, provider, paid_at) = if terms.complimentary {
            (
                CheckoutStatus::Paid,
                None,
                COMPLIMENTARY_PROVIDER,
                Some(now),
            )
        } else if request.paid_at_counter {
            (CheckoutStatus::Paid, None, COUNTER_PROVIDER, Some(now))
        } else {
            (
                CheckoutStatus::AwaitingPayment,
                terms.hold.expires_at(now, self.hold),
                provider,
                None,
            )
        };
        checkout_orders::Model {
            organization_id: org.to_string(),
            id: order_id.to_string(),
            event_id: pricing.stock.event_id.to_string(),
            channel: request.channel.as_str().to_string(),
            status: status.as_str().to_string(),
            total_minor: priced.total_minor(),
            currency: priced
                .tickets
                .first()
                .map(|t| t.ticket_type.currency.clone())
                .unwrap_or_default(),
            expires_at,
            payment_provider: provider.to_string(),
            payment_reference: None,
            payment_method: request.payment_method.map(|m| m.as_str().to_string()),
            test_payment: !request.paid_at_counter && !terms.complimentary && test,
            created_at: now,
            updated_at: now,
            paid_at,
            shop_id: shop.map(ToString::to_string),
        }
    }

    /// An order sold through checkout, with its tickets.
    pub async fn order(&self, org: &OrgId, id: &OrderId) -> Result<CheckoutOrder> {
        let conn = self.db.reader();
        let row = self.find(conn, org, id).await?;
        let codes = codes_of(conn, org, id).await?;
        let order = OrderService::new(self.db.clone()).order(org, id).await?;
        Ok(checkout_order(row, codes, order))
    }

    pub(crate) async fn find(
        &self,
        conn: &impl ConnectionTrait,
        org: &OrgId,
        id: &OrderId,
    ) -> Result<checkout_orders::Model> {
        checkout_orders::Entity::find_by_id((org.to_string(), id.to_string()))
            .one(conn)
            .await?
            .ok_or(Error::NotFound("order"))
    }

    /// Reads one order inside a caller's transaction (for modules that extend a sale).
    pub async fn order_in(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        id: &OrderId,
    ) -> Result<CheckoutOrder> {
        let row = self.find(txn, org, id).await?;
        let codes = codes_of(txn, org, id).await?;
        let order = order_in_transaction(txn, org, id).await?;
        Ok(checkout_order(row, codes, order))
    }
}

/// Ticketing places an order paid unless asked to hold it: checkout's row decides (paid at the
/// counter, else awaiting payment), so that the two start in the same state. True when paid.
fn hold_unless_paid(booking: &mut Booking, row: &checkout_orders::Model) -> bool {
    let paid = CheckoutStatus::from_db(&row.status) == CheckoutStatus::Paid;
    if !paid {
        booking.hold_for_payment();
    }
    paid
}

async fn codes_of(conn: &impl ConnectionTrait, org: &OrgId, id: &OrderId) -> Result<Vec<String>> {
    Ok(checkout_code_uses::Entity::find()
        .filter(checkout_code_uses::Column::OrganizationId.eq(org.as_str()))
        .filter(checkout_code_uses::Column::OrderId.eq(id.as_str()))
        .order_by_asc(checkout_code_uses::Column::GrantKey)
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|u| u.code)
        .collect())
}

async fn record_use(
    txn: &DatabaseTransaction,
    org: &OrgId,
    take: &UseTake,
    label: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    checkout_code_uses::Entity::insert(code_use_row(org, take, label, now))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Checkout's record of the uses an order took of one grant.
fn code_use_row(
    org: &OrgId,
    take: &UseTake,
    label: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> checkout_code_uses::ActiveModel {
    checkout_code_uses::ActiveModel {
        organization_id: Set(org.to_string()),
        order_id: Set(take.order_id.to_string()),
        grant_key: Set(take.key.clone()),
        code: Set(take.code.clone()),
        label: Set(label.to_string()),
        event_id: Set(take.event_id.to_string()),
        production_id: Set(take.production_id.to_string()),
        customer_id: Set(take.customer_id.as_ref().map(|c| c.to_string())),
        uses: Set(take.uses),
        created_at: Set(now),
    }
}

/// A lost seat race rolls back (the order is placed again); anything else is the answer.
async fn lost_or_rejected(txn: DatabaseTransaction, err: PlaceError) -> Result<Attempt> {
    match err {
        PlaceError::LostRace(err) => {
            tracing::debug!(error = %err, "seat race");
            txn.rollback().await?;
            Ok(Attempt::Race)
        }
        PlaceError::Rejected(err) => Ok(Attempt::Rejected(err)),
    }
}

fn checkout_order(
    row: checkout_orders::Model,
    codes: Vec<String>,
    order: fullhouse_ticketing::model::orders::Order,
) -> CheckoutOrder {
    CheckoutOrder {
        id: OrderId::from_db(row.id),
        event_id: EventId::from_db(row.event_id),
        channel: Channel::from_db(&row.channel),
        status: CheckoutStatus::from_db(&row.status),
        total_minor: row.total_minor,
        currency: row.currency,
        expires_at: row.expires_at,
        payment_provider: row.payment_provider,
        payment_reference: row.payment_reference,
        payment_method: row
            .payment_method
            .as_deref()
            .and_then(PaymentMethod::from_db),
        test_payment: row.test_payment,
        codes,
        created_at: row.created_at,
        paid_at: row.paid_at,
        shop_id: row.shop_id.map(ShopId::from_db),
        order,
    }
}
