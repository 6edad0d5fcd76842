//! How checkout moves its orders on after placing them: the payment, a cancel (refunded when
//! paid), the expiry of unpaid holds, and following cancellations made in ticketing. Each move
//! changes `checkout_orders.status` and ticketing's order in one transaction (see the module
//! above for the states).

use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::service::orders::{
    mark_paid_in_transaction, release_in_transaction, Cancelled,
};
use fullhouse_ticketing::{CustomerId, EventId, OrderId};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{Checkout, COUNTER_PROVIDER, SWEEP_BATCH};
use crate::codes::UseTake;
use crate::model::*;
use crate::payment::refunds::{self, Refund, RefundReason};
use crate::payment::{PaymentLine, PaymentOutcome, PaymentRequest};
use crate::store::{checkout_code_uses, checkout_orders, checkout_stripe_events};

/// What the payment step did.
#[derive(Debug, Clone)]
pub enum PayStep {
    /// The order is paid (or was already).
    Paid(Box<CheckoutOrder>),
    /// The buyer pays on the provider's page at this address; the order stays awaiting payment
    /// until the provider confirms it.
    Redirect(String),
}

/// What a provider's confirmation of a payment did (see [`Checkout::confirm_payment`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The order is paid now.
    Paid,
    /// The order was paid by this same payment before (another event about it).
    AlreadyPaid,
    /// This event was handled before: nothing changed.
    Replay,
    /// The order was no longer awaiting payment (or was paid by another payment): this payment
    /// was refunded.
    Refunded,
    /// As `Refunded`, but the provider refused or failed: the refund is listed as failed.
    RefundFailed,
}

impl Checkout {
    /// Takes the payment of an order awaiting it. Paying a paid order changes nothing; an order
    /// whose hold expired cannot be paid (409). A provider that takes buyers to its own page
    /// (Stripe) cannot be paid this way: use [`Self::pay_step`].
    pub async fn pay(
        &self,
        org: &OrgId,
        id: &OrderId,
        token: Option<String>,
    ) -> Result<CheckoutOrder> {
        match self.pay_step(org, id, token, None).await? {
            PayStep::Paid(order) => Ok(*order),
            PayStep::Redirect(url) => Err(Error::conflict(
                "payment",
                format!("this order is paid on the payment provider's page: {url}"),
            )),
        }
    }

    /// The payment step through the provider the order was placed with: paid at once (the test
    /// provider), or the address of the provider's payment page (Stripe), to which the buyer is
    /// sent and from which they come back to `return_url`.
    pub async fn pay_step(
        &self,
        org: &OrgId,
        id: &OrderId,
        token: Option<String>,
        return_url: Option<String>,
    ) -> Result<PayStep> {
        let row = self.find(self.db.reader(), org, id).await?;
        match CheckoutStatus::from_db(&row.status) {
            CheckoutStatus::Paid => return Ok(PayStep::Paid(Box::new(self.order(org, id).await?))),
            CheckoutStatus::Expired | CheckoutStatus::Cancelled | CheckoutStatus::Refunded => {
                return Err(Error::conflict(
                    "status",
                    format!(
                        "this order is {}; its seats were given back — start again",
                        row.status
                    ),
                ))
            }
            CheckoutStatus::AwaitingPayment => {}
        }
        let now = self.clock.now();
        if row.expires_at.is_some_and(|at| at <= now) {
            return Err(Error::conflict(
                "status",
                "the hold on this order expired; its seats are being given back — start again",
            ));
        }
        let provider = self.provider_by_id(org, &row.payment_provider).await?;
        let mut pay_by = row.expires_at;
        if let Some(hold) = provider.hold_for_redirect() {
            if return_url.is_none() {
                return Err(Error::conflict(
                    "payment",
                    format!(
                        "this order is paid on {}'s page: pay it from the storefront's order page",
                        provider.label()
                    ),
                ));
            }
            pay_by = Some(self.hold_at_least(org, id, now + hold).await?);
        }
        let request = PaymentRequest {
            org: org.clone(),
            order_id: id.clone(),
            amount_minor: row.total_minor,
            currency: row.currency.clone(),
            token,
            lines: self.payment_lines(org, id).await?,
            return_url,
            pay_by,
        };
        let reference = match provider.charge(&request).await? {
            PaymentOutcome::Declined { reason } => {
                return Err(Error::invalid("payment", reason));
            }
            PaymentOutcome::Redirect { url } => return Ok(PayStep::Redirect(url)),
            PaymentOutcome::Paid { reference } => reference,
        };
        // Conditional on the hold, judged after the provider answered: a hold that ran out in
        // the meantime (swept or not) wins, and the payment is refunded. Ticketing's order moves
        // in the same transaction (and records `order.paid`); it may have been cancelled there
        // by an organizer, which wins too.
        let now = self.clock.now();
        let txn = self.db.begin_write().await?;
        let paid = self.mark_paid(&txn, org, id, &reference, Some(now)).await?;
        if paid {
            txn.commit().await?;
        } else {
            txn.rollback().await?;
            let now_row = self.find(self.db.reader(), org, id).await?;
            if CheckoutStatus::from_db(&now_row.status) != CheckoutStatus::Paid {
                let refund = self
                    .refund_once(Refund {
                        org,
                        order_id: id,
                        provider: provider.id(),
                        reference: &reference,
                        amount_minor: row.total_minor,
                        currency: &row.currency,
                        reason: RefundReason::Late,
                    })
                    .await?;
                if refund.status != refunds::REFUNDED {
                    return Err(Error::internal(format!(
                        "the payment of order {id} arrived after its hold ended and its refund failed: {}",
                        refund.error.unwrap_or_default()
                    )));
                }
                return Err(Error::conflict(
                    "status",
                    "the hold on this order ran out or it was cancelled before the payment arrived; the payment was refunded",
                ));
            }
        }
        Ok(PayStep::Paid(Box::new(self.order(org, id).await?)))
    }

    /// Checkout's pay transition, in the caller's transaction: awaiting payment → paid, with
    /// the payment's reference, together with ticketing's order and the code uses (counted as
    /// paid by the campaign report from here on). `hold_until`: only while the hold has not run
    /// out by then. `true` when this call made it paid; otherwise the caller rolls back.
    async fn mark_paid(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        id: &OrderId,
        reference: &str,
        hold_until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<bool> {
        let now = self.clock.now();
        let mut update = checkout_orders::Entity::update_many()
            .col_expr(
                checkout_orders::Column::Status,
                Expr::value(CheckoutStatus::Paid.as_str()),
            )
            .col_expr(checkout_orders::Column::PaidAt, Expr::value(now))
            .col_expr(checkout_orders::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                checkout_orders::Column::PaymentReference,
                Expr::value(reference.to_string()),
            )
            .filter(checkout_orders::Column::OrganizationId.eq(org.as_str()))
            .filter(checkout_orders::Column::Id.eq(id.as_str()))
            .filter(checkout_orders::Column::Status.eq(CheckoutStatus::AwaitingPayment.as_str()));
        if let Some(until) = hold_until {
            update = update.filter(checkout_orders::Column::ExpiresAt.gt(until));
        }
        let changed = update.exec(txn).await?.rows_affected;
        let paid = changed == 1 && mark_paid_in_transaction(txn, org, id, now).await?;
        if paid {
            self.codes
                .uses_paid(txn, org, std::slice::from_ref(id))
                .await?;
        }
        Ok(paid)
    }

    /// A provider confirms that `payment` paid order `id` (Stripe's webhook), recorded with
    /// `receipt` (the event, once per organization: a second delivery is a [`Confirmation::Replay`]).
    ///
    /// The order becomes paid while it is still awaiting payment — also when its hold ran out but
    /// the sweep has not given its seats back yet: the provider's page closed before the hold
    /// did, so the buyer paid in time and only the message was late. An order whose seats went
    /// back (expired, cancelled), or one paid by another payment, gets this payment refunded.
    pub async fn confirm_payment(
        &self,
        org: &OrgId,
        id: &OrderId,
        payment: &str,
        receipt: checkout_stripe_events::Model,
    ) -> Result<Confirmation> {
        let txn = self.db.begin_write().await?;
        if !self.insert_receipt(&txn, receipt.clone()).await? {
            txn.rollback().await?;
            return Ok(Confirmation::Replay);
        }
        if self.mark_paid(&txn, org, id, payment, None).await? {
            txn.commit().await?;
            tracing::info!(%org, order = %id, payment, "order paid (provider confirmation)");
            return Ok(Confirmation::Paid);
        }
        txn.rollback().await?;
        let row = self.find(self.db.reader(), org, id).await?;
        let status = CheckoutStatus::from_db(&row.status);
        let (outcome, reason) = if status == CheckoutStatus::Paid {
            if row.payment_reference.as_deref() == Some(payment) {
                ("already_paid", None)
            } else {
                ("duplicate", Some(RefundReason::Duplicate))
            }
        } else {
            ("late", Some(RefundReason::Late))
        };
        let recorded = checkout_stripe_events::Model {
            outcome: outcome.to_string(),
            ..receipt
        };
        if !self.insert_receipt(self.db.writer(), recorded).await? {
            return Ok(Confirmation::Replay);
        }
        let Some(reason) = reason else {
            return Ok(Confirmation::AlreadyPaid);
        };
        tracing::warn!(%org, order = %id, payment, status = row.status, "a payment arrived for an order that no longer awaits it; refunding it");
        let refund = self
            .refund_once(Refund {
                org,
                order_id: id,
                provider: &row.payment_provider,
                reference: payment,
                amount_minor: row.total_minor,
                currency: &row.currency,
                reason,
            })
            .await?;
        Ok(if refund.status == refunds::REFUNDED {
            Confirmation::Refunded
        } else {
            Confirmation::RefundFailed
        })
    }

    /// Records a provider event once: `false` when it was recorded before (a replay).
    pub(crate) async fn insert_receipt(
        &self,
        conn: &impl ConnectionTrait,
        receipt: checkout_stripe_events::Model,
    ) -> Result<bool> {
        let inserted = checkout_stripe_events::Entity::insert(
            checkout_stripe_events::ActiveModel::from(receipt),
        )
        .on_conflict(
            OnConflict::columns([
                checkout_stripe_events::Column::OrganizationId,
                checkout_stripe_events::Column::EventId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
        Ok(inserted == 1)
    }

    /// The organizer says an order awaiting payment was paid outside Fullhouse (an invoice
    /// settled, a bank transfer seen), recorded with `method` and `reference`. The hold need not
    /// still run: an order the sweep has not released yet is still the organizer's to settle.
    /// Settling a paid order changes nothing; a released one cannot be settled (409).
    pub async fn settle(
        &self,
        org: &OrgId,
        id: &OrderId,
        method: PaymentMethod,
        reference: &str,
    ) -> Result<CheckoutOrder> {
        let now = self.clock.now();
        let txn = self.db.begin_write().await?;
        checkout_orders::Entity::update_many()
            .col_expr(
                checkout_orders::Column::PaymentProvider,
                Expr::value(super::SETTLED_PROVIDER),
            )
            .col_expr(
                checkout_orders::Column::PaymentMethod,
                Expr::value(method.as_str()),
            )
            .col_expr(checkout_orders::Column::TestPayment, Expr::value(false))
            .col_expr(checkout_orders::Column::UpdatedAt, Expr::value(now))
            .filter(checkout_orders::Column::OrganizationId.eq(org.as_str()))
            .filter(checkout_orders::Column::Id.eq(id.as_str()))
            .filter(checkout_orders::Column::Status.eq(CheckoutStatus::AwaitingPayment.as_str()))
            .exec(&txn)
            .await?;
        if self.mark_paid(&txn, org, id, reference, None).await? {
            txn.commit().await?;
            tracing::info!(%org, order = %id, "order settled by the organizer");
            return self.order(org, id).await;
        }
        txn.rollback().await?;
        let order = self.order(org, id).await?;
        if order.status == CheckoutStatus::Paid {
            return Ok(order);
        }
        Err(Error::conflict(
            "status",
            format!(
                "this order is {}; its seats were given back, so it cannot be marked paid",
                order.status.as_str()
            ),
        ))
    }

    /// Moves the end of an unpaid order's hold to `until` (`None`: until it is settled), later
    /// or earlier, while it is still awaiting payment. An order already released is not brought
    /// back (409): its seats may be someone else's now.
    pub async fn set_hold(
        &self,
        org: &OrgId,
        id: &OrderId,
        until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<CheckoutOrder> {
        let now = self.clock.now();
        let changed = checkout_orders::Entity::update_many()
            .col_expr(checkout_orders::Column::ExpiresAt, Expr::value(until))
            .col_expr(checkout_orders::Column::UpdatedAt, Expr::value(now))
            .filter(checkout_orders::Column::OrganizationId.eq(org.as_str()))
            .filter(checkout_orders::Column::Id.eq(id.as_str()))
            .filter(checkout_orders::Column::Status.eq(CheckoutStatus::AwaitingPayment.as_str()))
            .exec(self.db.writer())
            .await?
            .rows_affected;
        let order = self.order(org, id).await?;
        if changed == 1 {
            return Ok(order);
        }
        Err(Error::conflict(
            "status",
            format!(
                "this order is {}; only an order awaiting payment can be held longer",
                order.status.as_str()
            ),
        ))
    }

    /// Lengthens the hold of an order awaiting payment to at least `until` (a provider's page
    /// stays open a minimum time); returns the hold's end. Conditional on the order still being
    /// held: one whose hold ran out in the meantime is not brought back.
    async fn hold_at_least(
        &self,
        org: &OrgId,
        id: &OrderId,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<chrono::DateTime<chrono::Utc>> {
        let now = self.clock.now();
        checkout_orders::Entity::update_many()
            .col_expr(checkout_orders::Column::ExpiresAt, Expr::value(until))
            .col_expr(checkout_orders::Column::UpdatedAt, Expr::value(now))
            .filter(checkout_orders::Column::OrganizationId.eq(org.as_str()))
            .filter(checkout_orders::Column::Id.eq(id.as_str()))
            .filter(checkout_orders::Column::Status.eq(CheckoutStatus::AwaitingPayment.as_str()))
            .filter(checkout_orders::Column::ExpiresAt.gt(now))
            .filter(checkout_orders::Column::ExpiresAt.lt(until))
            .exec(self.db.writer())
            .await?;
        let row = self.find(self.db.reader(), org, id).await?;
        match (CheckoutStatus::from_db(&row.status), row.expires_at) {
            (CheckoutStatus::AwaitingPayment, Some(at)) if at > now => Ok(at),
            _ => Err(Error::conflict(
                "status",
                "the hold on this order expired; its seats are being given back — start again",
            )),
        }
    }

    /// The tickets of an order as lines to pay: the event and the place of each.
    async fn payment_lines(&self, org: &OrgId, id: &OrderId) -> Result<Vec<PaymentLine>> {
        let order = self.order(org, id).await?;
        let title = fullhouse_ticketing::service::CatalogService::new(self.db.clone())
            .event(org, &order.event_id)
            .await
            .map(|e| e.title)
            .unwrap_or_default();
        Ok(order
            .order
            .tickets
            .iter()
            .map(|t| {
                let place = match (&t.seat, &t.ga_area) {
                    (Some(s), _) => {
                        format!("{} · {} · {}", s.section_name, s.row_name, s.seat_label)
                    }
                    (None, Some(a)) => a.name.clone(),
                    (None, None) => String::new(),
                };
                let name = [title.as_str(), place.as_str()]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" — ");
                PaymentLine {
                    name: if name.is_empty() {
                        format!("Ticket {}", t.id)
                    } else {
                        name
                    },
                    amount_minor: t.price_minor,
                }
            })
            .collect())
    }

    /// Cancels an order sold through checkout: an unpaid one becomes cancelled, a paid one
    /// refunded (the payment goes back through the provider that took it, once, recorded in
    /// [`crate::payment::refunds`]; money taken at the box office counter is handed back there).
    /// Its seats, places and code uses are given back and `order.cancelled` is recorded, in one
    /// transaction. Cancelling again changes nothing.
    pub async fn cancel(&self, org: &OrgId, id: &OrderId) -> Result<CheckoutOrder> {
        let txn = self.db.begin_write().await?;
        self.find(&txn, org, id).await?;
        // Tried along the order's life: a payment can only turn awaiting into paid, so if it
        // lands between the two statements the second one still finds the order.
        let mut released = self
            .release(
                &txn,
                org,
                id,
                CheckoutStatus::Cancelled,
                &[CheckoutStatus::AwaitingPayment],
            )
            .await?;
        if released.is_none() {
            released = self
                .release(
                    &txn,
                    org,
                    id,
                    CheckoutStatus::Refunded,
                    &[CheckoutStatus::Paid],
                )
                .await?;
        }
        let Some(now) = released else {
            txn.rollback().await?;
            return self.order(org, id).await;
        };
        let row = self.find(&txn, org, id).await?;
        txn.commit().await?;
        if now == CheckoutStatus::Refunded && row.payment_provider != COUNTER_PROVIDER {
            if let Some(reference) = &row.payment_reference {
                // Outside the transaction: the order is refunded whatever the provider says; a
                // failure is recorded and listed, not raised after the fact.
                self.refund_once(Refund {
                    org,
                    order_id: id,
                    provider: &row.payment_provider,
                    reference,
                    amount_minor: row.total_minor,
                    currency: &row.currency,
                    reason: RefundReason::Cancelled,
                })
                .await?;
            }
        }
        self.order(org, id).await
    }

    /// [`Self::release`] in a transaction of its own, committed when it moved the order: the
    /// sweep and the cancellation follower release order by order, so one order's failure or a
    /// concurrent payment never holds back the others. `true` when this call moved it.
    async fn release_alone(
        &self,
        org: &OrgId,
        id: &OrderId,
        to: CheckoutStatus,
        from: &[CheckoutStatus],
    ) -> Result<bool> {
        let txn = self.db.begin_write().await?;
        if self.release(&txn, org, id, to, from).await?.is_some() {
            txn.commit().await?;
            Ok(true)
        } else {
            txn.rollback().await?;
            Ok(false)
        }
    }
    /// Moves an order from one of `from` to the end state `to` with a conditional update and,
    /// when this call moved it, gives back its code uses and releases ticketing's order to the
    /// same state (tickets cancelled, places given back). Returns the state the order ended in,
    /// or `None` when it was in none of `from`.
    ///
    /// That state is `to`, unless ticketing had released the order already (an organizer's
    /// cancel there that [`Self::follow_cancellations`] has not reached yet): then checkout takes
    /// ticketing's state, so that the two agree.
    async fn release(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        id: &OrderId,
        to: CheckoutStatus,
        from: &[CheckoutStatus],
    ) -> Result<Option<CheckoutStatus>> {
        let now = self.clock.now();
        let mut update = checkout_orders::Entity::update_many()
            .col_expr(checkout_orders::Column::Status, Expr::value(to.as_str()))
            .col_expr(checkout_orders::Column::UpdatedAt, Expr::value(now))
            .filter(checkout_orders::Column::OrganizationId.eq(org.as_str()))
            .filter(checkout_orders::Column::Id.eq(id.as_str()))
            .filter(checkout_orders::Column::Status.is_in(from.iter().map(|s| s.as_str())));
        if to == CheckoutStatus::Expired {
            update = update.filter(checkout_orders::Column::ExpiresAt.lte(now));
        }
        if update.exec(txn).await?.rows_affected == 0 {
            return Ok(None);
        }
        // Code counters before places, in the order `try_place` takes them: never a deadlock.
        let uses = checkout_code_uses::Entity::find()
            .filter(checkout_code_uses::Column::OrganizationId.eq(org.as_str()))
            .filter(checkout_code_uses::Column::OrderId.eq(id.as_str()))
            .order_by_asc(checkout_code_uses::Column::GrantKey)
            .all(txn)
            .await?;
        for used in uses {
            let take = UseTake {
                key: used.grant_key,
                code: used.code,
                order_id: id.clone(),
                event_id: EventId::from_db(used.event_id),
                production_id: fullhouse_ticketing::ProductionId::from_db(used.production_id),
                customer_id: used.customer_id.map(CustomerId::from_db),
                uses: used.uses,
            };
            self.codes.give_back_uses(txn, org, &take).await?;
        }
        match release_in_transaction(txn, org, id, to).await? {
            Cancelled::Now(_) => Ok(Some(to)),
            Cancelled::Already(order) if order.status.is_open() => Err(Error::internal(format!(
                "ticketing's order {id} is {} and cannot become {}",
                order.status.as_str(),
                to.as_str()
            ))),
            Cancelled::Already(order) => {
                checkout_orders::Entity::update_many()
                    .col_expr(
                        checkout_orders::Column::Status,
                        Expr::value(order.status.as_str()),
                    )
                    .filter(checkout_orders::Column::OrganizationId.eq(org.as_str()))
                    .filter(checkout_orders::Column::Id.eq(id.as_str()))
                    .exec(txn)
                    .await?;
                Ok(Some(order.status))
            }
        }
    }

    /// Expires every unpaid hold whose time is up (by checkout's clock), across organizations;
    /// returns how many. Each in its own transaction; a concurrent payment or sweep wins cleanly.
    pub async fn expire_due_holds(&self) -> Result<usize> {
        let mut expired = 0;
        loop {
            let now = self.clock.now();
            let due = checkout_orders::Entity::find()
                .filter(
                    checkout_orders::Column::Status.eq(CheckoutStatus::AwaitingPayment.as_str()),
                )
                .filter(checkout_orders::Column::ExpiresAt.lte(now))
                .order_by_asc(checkout_orders::Column::ExpiresAt)
                .limit(SWEEP_BATCH)
                .all(self.db.reader())
                .await?;
            let full_round = due.len() as u64 == SWEEP_BATCH;
            let mut this_round = 0;
            for row in due {
                let org = OrgId::from_db(row.organization_id);
                let id = OrderId::from_db(row.id);
                if self
                    .release_alone(
                        &org,
                        &id,
                        CheckoutStatus::Expired,
                        &[CheckoutStatus::AwaitingPayment],
                    )
                    .await?
                {
                    this_round += 1;
                }
            }
            expired += this_round;
            if !full_round || this_round == 0 {
                return Ok(expired);
            }
        }
    }

    /// Gives back the code uses of checkout orders that were cancelled some other way (an
    /// organizer cancelling through ticketing's `/orders/{id}/cancel`), by following
    /// `order.cancelled` in the domain-event outbox, and gives checkout's row ticketing's state
    /// (`cancelled`: ticketing moves no money, so a paid order cancelled there is not refunded
    /// by this); returns how many orders it released.
    ///
    /// The follower is durable (consumer [`CANCELLATIONS_CONSUMER`]) and delivers at least once,
    /// late commits included; releasing is conditional on the order's status, so an event read
    /// twice, by this process or another, changes nothing.
    pub async fn follow_cancellations(&self) -> Result<usize> {
        let mut follower = self.cancellations.lock().await;
        let batch = follower.next_batch().await?;
        if batch.is_empty() {
            return Ok(0);
        }
        let reader = self.db.reader();
        let open = [
            CheckoutStatus::AwaitingPayment.as_str(),
            CheckoutStatus::Paid.as_str(),
        ];
        let mut released = 0;
        for chunk in batch.events().chunks(100) {
            let mut still_open = Condition::any();
            for event in chunk {
                still_open = still_open.add(
                    Condition::all()
                        .add(checkout_orders::Column::OrganizationId.eq(event.org.as_str()))
                        .add(checkout_orders::Column::Id.eq(event.subject_id.as_str())),
                );
            }
            let rows = checkout_orders::Entity::find()
                .filter(still_open)
                .filter(checkout_orders::Column::Status.is_in(open))
                .all(reader)
                .await?;
            for row in rows {
                let org = OrgId::from_db(row.organization_id);
                let id = OrderId::from_db(row.id);
                if self
                    .release_alone(
                        &org,
                        &id,
                        CheckoutStatus::Cancelled,
                        &[CheckoutStatus::AwaitingPayment, CheckoutStatus::Paid],
                    )
                    .await?
                {
                    released += 1;
                }
            }
        }
        follower.acknowledge(batch).await?;
        Ok(released)
    }

    /// Runs [`Self::expire_due_holds`] every `every` until `stop` is cancelled.
    pub async fn run_expiry(
        self,
        every: std::time::Duration,
        stop: tokio_util::sync::CancellationToken,
    ) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            match self.expire_due_holds().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "expired unpaid checkout holds"),
                Err(err) => tracing::warn!(error = ?err, "expiring checkout holds failed"),
            }
            match self.follow_cancellations().await {
                Ok(0) => {}
                Ok(count) => tracing::info!(count, "released orders cancelled outside checkout"),
                Err(err) => tracing::warn!(error = ?err, "following cancellations failed"),
            }
        }
    }
}
