//! The organizer's view of one order ([`Checkout::order_view`]) and the two things they may do
//! to it from there ([`Checkout::call_off`]): cancel an unpaid order, refund a paid one.
//!
//! Ticketing keeps the order and its tickets; checkout keeps how it was paid, the codes it used
//! and the refunds asked of providers. Orders that did not come through checkout (imported
//! history, API or webhook orders) have ticketing's side only.
//!
//! The state history is read from what every move already records, so it covers old orders
//! as well as new ones: the order's `created_at`, checkout's `paid_at` and hold end, ticketing's
//! `cancelled_at` with the end state, and each refund's row (asked, refunded or failed). Who
//! cancelled or refunded is in the audit log (`order.cancelled`, `order.refunded`), written by
//! [`Checkout::call_off`] and the checkout API from this version on; older moves show no one.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fullhouse_core::tenancy::service::{record_audit, TenancyService};
use fullhouse_core::tenancy::store::audit_log;
use fullhouse_core::{Caller, Error, OrgId, Result, UserId};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_ticketing::model::orders::{Order, OrderStatus, TicketStatus};
use fullhouse_ticketing::service::{CatalogService, OrderService};
use fullhouse_ticketing::{EventId, OrderId};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use super::{Checkout, COUNTER_PROVIDER};
use crate::model::PaymentMethod;
use crate::payment::refunds::{self, RefundRecord};
use crate::store::{checkout_code_uses, checkout_refunds};
use crate::tickets::{order_reference, TicketLine};

/// Everything the order page shows about one order.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub order: Order,
    /// The short reference buyers quote (see [`order_reference`]).
    pub reference: String,
    /// How checkout sold it; `None` for orders that did not come through checkout.
    pub sale: Option<SaleRecord>,
    /// The events of its tickets, in the order the tickets name them.
    pub events: Vec<Event>,
    pub lines: Vec<OrderLine>,
    pub discounts: Vec<DiscountUse>,
    pub refunds: Vec<RefundRecord>,
    /// Oldest first.
    pub history: Vec<Step>,
}

/// Checkout's record of a sale: who took the money and how.
#[derive(Debug, Clone)]
pub struct SaleRecord {
    /// `box_office` (the counter), `test`, `stripe`, `complimentary` or `settled`.
    pub provider: String,
    pub reference: Option<String>,
    /// Cash, card or invoice, for a counter sale.
    pub method: Option<PaymentMethod>,
    /// Paid through the test provider: no money moved.
    pub test_payment: bool,
    pub paid_at: Option<DateTime<Utc>>,
    /// When an unpaid hold gives everything back.
    pub expires_at: Option<DateTime<Utc>>,
    pub placed_at: DateTime<Utc>,
}

impl SaleRecord {
    /// Paid at the counter (cash, card or invoice): a refund is handed back there.
    pub fn at_counter(&self) -> bool {
        self.provider == COUNTER_PROVIDER
    }

    /// Paid in the same moment it was placed (counter, complimentary): no hold came first.
    fn paid_when_placed(&self) -> bool {
        self.paid_at == Some(self.placed_at)
    }
}

/// One ticket of the order.
#[derive(Debug, Clone)]
pub struct OrderLine {
    pub event_id: EventId,
    pub ticket: TicketLine,
    pub status: TicketStatus,
}

/// A code or campaign the order used, and how many of its uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscountUse {
    pub label: String,
    pub code: Option<String>,
    pub uses: i64,
}

/// What happened to the order, when, and (when recorded) by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub at: DateTime<Utc>,
    /// The person or API token that did it, by name; `None` when not recorded.
    pub actor: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// Placed and paid at once (the counter, imports, complimentary).
    PlacedPaid,
    /// Placed and held for its payment until the time given (when there was one).
    PlacedHeld(Option<DateTime<Utc>>),
    Paid,
    /// Released to an end state: expired, cancelled or refunded.
    Ended(OrderStatus),
    /// A refund asked of the provider, with its outcome when it came.
    RefundAsked,
    Refunded(Option<String>),
    RefundFailed(Option<String>),
}

/// What the organizer may do to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAction {
    /// An unpaid order, or one that took no money through Fullhouse: its tickets are cancelled
    /// and nothing is paid back.
    Cancel,
    /// A paid checkout order: cancelled and its money given back (through the provider, or
    /// handed back at the counter).
    Refund,
}

impl OrderAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancel => "cancel",
            Self::Refund => "refund",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Cancel, Self::Refund]
            .into_iter()
            .find(|a| a.as_str() == value)
    }
}

impl OrderView {
    /// What may be done to the order now, if anything: a paid order sold through checkout is
    /// refunded (checkout's cancel gives its money back); any other open order is cancelled.
    pub fn action(&self) -> Option<OrderAction> {
        match (self.order.status, &self.sale) {
            (OrderStatus::AwaitingPayment, _) => Some(OrderAction::Cancel),
            (OrderStatus::Paid, Some(_)) => Some(OrderAction::Refund),
            (OrderStatus::Paid, None) => Some(OrderAction::Cancel),
            _ => None,
        }
    }

    /// The event of `id`, when it is one of the order's.
    pub fn event(&self, id: &EventId) -> Option<&Event> {
        self.events.iter().find(|e| &e.id == id)
    }

    /// The sum of the list prices of the tickets.
    pub fn list_total_minor(&self) -> i64 {
        self.lines.iter().map(|l| l.ticket.list_price_minor).sum()
    }

    /// What discounts took off in all.
    pub fn discount_total_minor(&self) -> i64 {
        self.lines.iter().map(|l| l.ticket.discount_minor()).sum()
    }

    /// A refund that failed and may be asked for again.
    pub fn failed_refund(&self) -> Option<&RefundRecord> {
        self.refunds.iter().find(|r| r.status == refunds::FAILED)
    }
}

impl Checkout {
    /// One order of `org` as its page shows it; another organization's order is not found.
    pub async fn order_view(&self, org: &OrgId, id: &OrderId) -> Result<OrderView> {
        let order = OrderService::new(self.db.clone()).order(org, id).await?;
        let sale = self
            .find(self.db.reader(), org, id)
            .await
            .ok()
            .map(|row| SaleRecord {
                provider: row.payment_provider,
                reference: row.payment_reference,
                method: row
                    .payment_method
                    .as_deref()
                    .and_then(PaymentMethod::from_db),
                test_payment: row.test_payment,
                paid_at: row.paid_at,
                expires_at: row.expires_at,
                placed_at: row.created_at,
            });
        let catalog = CatalogService::new(self.db.clone());
        let mut events: Vec<Event> = Vec::new();
        let mut types = HashMap::new();
        for ticket in &order.tickets {
            if !events.iter().any(|e| e.id == ticket.event_id) {
                events.push(catalog.event(org, &ticket.event_id).await?);
            }
            if !types.contains_key(&ticket.ticket_type_id) {
                let found = catalog.ticket_type(org, &ticket.ticket_type_id).await?;
                types.insert(ticket.ticket_type_id.clone(), found);
            }
        }
        let discounts: Vec<DiscountUse> = checkout_code_uses::Entity::find()
            .filter(checkout_code_uses::Column::OrganizationId.eq(org.as_str()))
            .filter(checkout_code_uses::Column::OrderId.eq(id.as_str()))
            .order_by_asc(checkout_code_uses::Column::CreatedAt)
            .order_by_asc(checkout_code_uses::Column::GrantKey)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|used| DiscountUse {
                label: used.label,
                code: used.code,
                uses: used.uses,
            })
            .collect();
        // Which grant lowered which ticket is not kept per ticket (as on the buyer's tickets):
        // with one grant it is that one, with several the line names them all.
        let label = (!discounts.is_empty()).then(|| {
            discounts
                .iter()
                .map(|d| d.code.clone().unwrap_or_else(|| d.label.clone()))
                .collect::<Vec<_>>()
                .join(", ")
        });
        let lines = order
            .tickets
            .iter()
            .map(|ticket| {
                let found = types.get(&ticket.ticket_type_id);
                let list_price_minor = found.map_or(ticket.price_minor, |t| t.price_minor);
                OrderLine {
                    event_id: ticket.event_id.clone(),
                    status: ticket.status,
                    ticket: TicketLine {
                        barcode: ticket.barcode.clone(),
                        seat: ticket.seat.clone(),
                        area: ticket.ga_area.as_ref().map(|a| a.name.clone()),
                        type_name: found.map(|t| t.name.clone()).unwrap_or_default(),
                        list_price_minor,
                        price_minor: ticket.price_minor,
                        currency: ticket.currency.clone(),
                        discount_label: (list_price_minor > ticket.price_minor)
                            .then(|| label.clone())
                            .flatten(),
                    },
                }
            })
            .collect();
        let refunds: Vec<RefundRecord> = checkout_refunds::Entity::find()
            .filter(checkout_refunds::Column::OrganizationId.eq(org.as_str()))
            .filter(checkout_refunds::Column::OrderId.eq(id.as_str()))
            .order_by_asc(checkout_refunds::Column::CreatedAt)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(RefundRecord::from)
            .collect();
        let actors = self.order_actors(org, id).await?;
        let history = history(&order, sale.as_ref(), &refunds, &actors);
        Ok(OrderView {
            reference: order_reference(&order.id),
            order,
            sale,
            events,
            lines,
            discounts,
            refunds,
            history,
        })
    }

    /// Who moved the order, by the audit log: the actor's name per action (`order.cancelled`,
    /// `order.refunded`), the latest entry of each.
    async fn order_actors(&self, org: &OrgId, id: &OrderId) -> Result<HashMap<String, String>> {
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::OrganizationId.eq(org.as_str()))
            .filter(audit_log::Column::Subject.eq(id.as_str()))
            .filter(audit_log::Column::Action.starts_with("order."))
            .order_by_asc(audit_log::Column::Id)
            .all(self.db.reader())
            .await?;
        let tenancy = TenancyService::new(self.db.clone());
        let mut actors = HashMap::new();
        for row in rows {
            let name = match UserId::parse(&row.actor) {
                Ok(user) => tenancy
                    .user(org, &user)
                    .await
                    .map_or_else(|_| row.actor.clone(), |u| u.name),
                Err(_) => row.actor.clone(),
            };
            actors.insert(row.action, name);
        }
        Ok(actors)
    }

    /// Cancels or refunds an order as `caller` asked on its page, through checkout's cancel
    /// (which decides the money: a paid order's payment goes back) or, for an order checkout
    /// did not sell, ticketing's cancel (no money moves). The action must be the one
    /// [`OrderView::action`] offers (409 otherwise: the order moved meanwhile). Recorded in the
    /// audit log; returns the order's state after.
    pub async fn call_off(
        &self,
        caller: &Caller,
        id: &OrderId,
        asked: OrderAction,
    ) -> Result<OrderStatus> {
        let org = &caller.org;
        let view = self.order_view(org, id).await?;
        if view.action() != Some(asked) {
            return Err(Error::conflict(
                "action",
                format!(
                    "this order is {}; it cannot be {}ed now",
                    view.order.status.as_str(),
                    asked.as_str()
                ),
            ));
        }
        let before = view.order.status;
        let now = if view.sale.is_some() {
            self.cancel(org, id).await?.status
        } else {
            OrderService::new(self.db.clone())
                .cancel_order(org, id)
                .await?
                .status
        };
        if now != before {
            self.audit_call_off(
                caller,
                id,
                before,
                now,
                view.order.total_minor,
                &view.order.currency,
            )
            .await?;
        }
        Ok(now)
    }

    /// Records who ended an order in the audit log (`order.cancelled`, `order.refunded`).
    pub(crate) async fn audit_call_off(
        &self,
        caller: &Caller,
        id: &OrderId,
        before: OrderStatus,
        now: OrderStatus,
        total_minor: i64,
        currency: &str,
    ) -> Result<()> {
        record_audit(
            self.db.writer(),
            caller,
            &format!("order.{}", now.as_str()),
            id.as_str(),
            json!({"from": before.as_str(), "total_minor": total_minor, "currency": currency}),
        )
        .await
    }
}

/// The order's moves, oldest first, from the times each one recorded.
fn history(
    order: &Order,
    sale: Option<&SaleRecord>,
    refunds: &[RefundRecord],
    actors: &HashMap<String, String>,
) -> Vec<Step> {
    let step = |kind, at| Step {
        kind,
        at,
        actor: None,
    };
    let mut steps = Vec::new();
    match sale {
        Some(sale) if !sale.paid_when_placed() => {
            steps.push(step(
                StepKind::PlacedHeld(sale.expires_at),
                order.created_at,
            ));
            if let Some(paid) = sale.paid_at {
                steps.push(step(StepKind::Paid, paid));
            }
        }
        None if order.status == OrderStatus::AwaitingPayment => {
            steps.push(step(StepKind::PlacedHeld(None), order.created_at));
        }
        _ => steps.push(step(StepKind::PlacedPaid, order.created_at)),
    }
    if !order.status.is_open() {
        // Ended orders have `cancelled_at` from the release; the last change is the best guess
        // for rows written before it was kept.
        let at = order.cancelled_at.unwrap_or(order.created_at);
        steps.push(Step {
            kind: StepKind::Ended(order.status),
            at,
            actor: actors
                .get(&format!("order.{}", order.status.as_str()))
                .cloned(),
        });
    }
    for refund in refunds {
        steps.push(step(StepKind::RefundAsked, refund.created_at));
        match refund.status.as_str() {
            refunds::REFUNDED => steps.push(step(
                StepKind::Refunded(refund.refund_reference.clone()),
                refund.updated_at,
            )),
            refunds::FAILED => steps.push(step(
                StepKind::RefundFailed(refund.error.clone()),
                refund.updated_at,
            )),
            _ => {}
        }
    }
    steps.sort_by_key(|s| s.at);
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use fullhouse_ticketing::model::orders::{Channel, OrderSource};

    fn order(status: OrderStatus, at: DateTime<Utc>, ended: Option<DateTime<Utc>>) -> Order {
        Order {
            id: OrderId::from_db("ord_01jd8y3q6w2v7x9k4m5n6p7r8s".into()),
            external_id: None,
            customer_id: None,
            channel: Channel::Online,
            status,
            total_minor: 10000,
            currency: "DKK".into(),
            source: OrderSource::Fullhouse,
            created_at: at,
            cancelled_at: ended,
            tickets: Vec::new(),
            referral_code: None,
        }
    }

    fn sale(placed: DateTime<Utc>, paid: Option<DateTime<Utc>>) -> SaleRecord {
        SaleRecord {
            provider: "test".into(),
            reference: None,
            method: None,
            test_payment: true,
            paid_at: paid,
            expires_at: Some(placed + Duration::minutes(15)),
            placed_at: placed,
        }
    }

    #[test]
    fn an_online_order_is_held_then_paid_then_refunded_by_whoever_the_audit_log_names() {
        let t0 = Utc::now();
        let order = order(OrderStatus::Refunded, t0, Some(t0 + Duration::minutes(30)));
        let sale = sale(t0, Some(t0 + Duration::minutes(2)));
        let actors = HashMap::from([("order.refunded".to_string(), "Clerk".to_string())]);
        let steps = history(&order, Some(&sale), &[], &actors);
        let kinds: Vec<_> = steps.iter().map(|s| s.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                StepKind::PlacedHeld(Some(t0 + Duration::minutes(15))),
                StepKind::Paid,
                StepKind::Ended(OrderStatus::Refunded),
            ]
        );
        assert_eq!(steps[2].actor.as_deref(), Some("Clerk"));
        assert_eq!(steps[0].actor, None);
    }

    #[test]
    fn a_counter_sale_is_placed_paid_in_one_step_and_an_imported_order_too() {
        let t0 = Utc::now();
        let mut counter = sale(t0, Some(t0));
        counter.expires_at = None;
        let paid = order(OrderStatus::Paid, t0, None);
        let steps = history(&paid, Some(&counter), &[], &HashMap::new());
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].kind, StepKind::PlacedPaid);
        let steps = history(&paid, None, &[], &HashMap::new());
        assert_eq!(steps[0].kind, StepKind::PlacedPaid);
    }

    #[test]
    fn only_open_orders_offer_an_action_and_only_checkout_sales_are_refunded() {
        let t0 = Utc::now();
        let view = |status, sale: Option<SaleRecord>| OrderView {
            order: order(status, t0, None),
            reference: String::new(),
            sale,
            events: Vec::new(),
            lines: Vec::new(),
            discounts: Vec::new(),
            refunds: Vec::new(),
            history: Vec::new(),
        };
        let sold = Some(sale(t0, Some(t0)));
        assert_eq!(
            view(OrderStatus::Paid, sold.clone()).action(),
            Some(OrderAction::Refund)
        );
        assert_eq!(
            view(OrderStatus::AwaitingPayment, sold.clone()).action(),
            Some(OrderAction::Cancel)
        );
        assert_eq!(
            view(OrderStatus::Paid, None).action(),
            Some(OrderAction::Cancel)
        );
        for ended in [
            OrderStatus::Expired,
            OrderStatus::Cancelled,
            OrderStatus::Refunded,
        ] {
            assert_eq!(view(ended, sold.clone()).action(), None);
        }
    }
}
