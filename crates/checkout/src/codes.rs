//! The plug-in point for codes: what a typed code (or a customer's membership) does in a sale,
//! and how its uses are counted. Checkout owns the sale; campaigns (the `audiences` crate) own
//! the codes. Audiences depend on checkout, so checkout defines this trait and the server hands
//! an implementation to [`crate::Checkout::with_code_rules`].
//!
//! # The contract
//!
//! Every method receives the transaction checkout is working in, and must run all its SQL on it
//! (never on a pool of its own), so that what it reads and writes commits or rolls back with the
//! order:
//!
//! | method | when checkout calls it | transaction |
//! |---|---|---|
//! | [`CodeRules::lookup`] | once per typed code, in a quote, a code check and when placing | a read transaction (quote, check) or the placing write transaction |
//! | [`CodeRules::automatic`] | once per quote and placement that names a customer | same as `lookup` |
//! | [`CodeRules::held_seats`] | once per quote, placement and storefront seat map | same as `lookup` |
//! | [`CodeRules::take_uses`] | once per grant the order uses, after the order and its tickets are written, before commit | the placing write transaction |
//! | [`CodeRules::give_back_uses`] | once per grant an order used, when that order is cancelled or its payment hold expires | the cancelling / expiring write transaction |
//! | [`CodeRules::uses_paid`] | when orders that took uses are paid: the payment of an online order, or placing box-office orders paid at the counter | the paying or placing write transaction |
//! | [`CodeRules::lookup_many`] | once per group of orders placed together (see `service::Checkout::place`) | the group's write transaction |
//! | [`CodeRules::take_counters`] | once per group: every take of its orders, sorted by key | the group's write transaction |
//! | [`CodeRules::untake`] | for a take of `take_counters` whose order is refused later in the group | the group's write transaction |
//! | [`CodeRules::record_takes`] | once per group: the takes of the orders that are kept | the group's write transaction |
//!
//! Checkout guarantees that `give_back_uses` is called at most once per successful `take_uses`
//! (the order's status changes with a conditional update in the same transaction), with the very
//! same [`UseTake`].
//!
//! In a group, `take_counters` must be exact in the same way, one conditional update per take;
//! `take_uses` of one order is `take_counters` then `record_takes`.
//!
//! `take_uses` must be exact under any concurrency on both backends: ONE conditional update,
//! `UPDATE … SET used = used + $n WHERE <counter> AND used + $n <= quantity`, returning whether a
//! row changed. Never read-then-write. Returning `false` makes checkout roll the whole order back
//! and answer 409 on that code. What "the counter" is (per event, or once across all events of a
//! campaign) is the implementation's choice: it gets the event and production in [`UseTake`].
//!
//! A code that does nothing for this event and customer now (unknown anywhere, another
//! organization's, another event's, outside its validity window, paused) is `Ok(None)` from
//! `lookup`: checkout answers it the same way in every case, so a guesser learns nothing. A code
//! whose uses are all taken may be returned with `remaining: Some(0)` (checkout says "used up").
//!
//! Errors (`Err`) are for database failures only; they abort the operation with a 500.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fullhouse_core::{OrgId, Result};
use fullhouse_ticketing::model::orders::Channel;
use fullhouse_ticketing::{CustomerId, EventId, OrderId, ProductionId, TicketTypeId};
use sea_orm::DatabaseTransaction;
use serde::Serialize;
use utoipa::ToSchema;

/// Where a code is being used: one event of one production, for an optional customer.
#[derive(Debug, Clone)]
pub struct CodeContext {
    pub event_id: EventId,
    pub production_id: ProductionId,
    /// The buyer, when known (box office with a customer, a storefront buyer's email that names
    /// a customer). Codes "for specific users" and loyalty need it.
    pub customer_id: Option<CustomerId>,
    pub channel: Channel,
    /// Checkout's clock: validity windows are judged against this, not the system time.
    pub now: DateTime<Utc>,
}

/// What one code (or one automatic membership) grants in this context.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeGrant {
    /// Opaque to checkout: names the counter whose uses [`CodeRules::take_uses`] takes (for
    /// example a member id and a campaign id). Handed back unchanged in [`UseTake`].
    pub key: String,
    /// The code as the buyer should see it; `None` for automatic (loyalty) grants.
    pub code: Option<String>,
    /// A short description for the buyer: the campaign's public name.
    pub label: String,
    /// Hidden ticket types (or types of a secret shop) of this event the code makes buyable.
    pub unlocks_ticket_types: Vec<TicketTypeId>,
    /// Categories whose hidden ticket types and held seats become buyable (the member's
    /// Category). Compared case-insensitively with ticket type and seat categories.
    pub unlocks_categories: Vec<String>,
    /// Seats held back for this code (the member's seat label), matched as
    /// [`crate::model::seat_matches`] describes.
    pub unlocks_seats: Vec<String>,
    pub discount: Option<Discount>,
    /// The most tickets this grant applies to in one order (`None`: no limit).
    pub max_tickets_per_order: Option<u32>,
    /// Uses left now, for messages and quotes; the conditional update in `take_uses` decides.
    pub remaining: Option<i64>,
    pub counting: Counting,
}

/// A price reduction and the ticket types it applies to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Discount {
    pub kind: DiscountKind,
    /// Empty: every ticket type the grant is used for.
    pub ticket_types: Vec<TicketTypeId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum DiscountKind {
    /// Basis points off (2500 = 25 %), rounded to the nearest minor unit.
    PercentBasisPoints(u32),
    /// Minor units off each ticket, never below zero.
    AmountOffMinor(i64),
    /// Each ticket costs this many minor units (never more than its list price).
    FixedPriceMinor(i64),
}

/// How an order's use of a grant is counted against its quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// One use per ticket the grant is applied to (the default).
    #[default]
    PerTicket,
    /// One use per order, however many tickets.
    PerOrder,
}

/// Uses of one grant taken by one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseTake {
    /// [`CodeGrant::key`].
    pub key: String,
    pub code: Option<String>,
    pub order_id: OrderId,
    pub event_id: EventId,
    pub production_id: ProductionId,
    pub customer_id: Option<CustomerId>,
    /// At least 1.
    pub uses: i64,
}

/// Codes and automatic grants, as campaigns define them. See the module documentation for the
/// contract every implementation keeps.
#[async_trait]
pub trait CodeRules: Send + Sync + 'static {
    /// What `code` (trimmed, as typed) does in `context`; `None` when it does nothing there.
    async fn lookup(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        context: &CodeContext,
        code: &str,
    ) -> Result<Option<CodeGrant>>;

    /// Grants that apply without a code (loyalty for members). Called only when the seller
    /// named the customer (box office, API): a storefront buyer's typed email is no proof.
    async fn automatic(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        context: &CodeContext,
    ) -> Result<Vec<CodeGrant>>;

    /// Seat labels of the event held back from open sale: buyable only with a grant whose
    /// `unlocks_seats` names them.
    async fn held_seats(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        event: &EventId,
        production: &ProductionId,
    ) -> Result<Vec<String>>;

    /// Takes `take.uses` uses with ONE conditional update; `false` when that would exceed the
    /// quantity (then nothing may have changed). May also record the redemption (order, uses)
    /// for reports, in the same transaction.
    async fn take_uses(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        take: &UseTake,
    ) -> Result<bool>;

    /// Gives back exactly what `take_uses` took for this order (same `UseTake`).
    async fn give_back_uses(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        take: &UseTake,
    ) -> Result<()>;

    /// The uses these orders took are now paid for: until then they were held by orders awaiting
    /// payment. For reports that tell paid uses from held ones; the counters do not change
    /// (held uses are taken as surely as paid ones, until the hold gives them back). Called
    /// once per payment, and once per placement (single or group) for the orders it placed
    /// paid at the counter, with the ones that took uses. The default records nothing.
    async fn uses_paid(
        &self,
        _txn: &DatabaseTransaction,
        _org: &OrgId,
        _orders: &[OrderId],
    ) -> Result<()> {
        Ok(())
    }

    // Orders placed together (see `batch`): the same contract, in fewer statements. The
    // defaults are the one-order methods in a loop, so an implementation only overrides them to
    // go faster.

    /// [`CodeRules::lookup`] for several (context, code) pairs; one answer per pair, in order.
    async fn lookup_many(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        wanted: &[(CodeContext, String)],
    ) -> Result<Vec<Option<CodeGrant>>> {
        let mut found = Vec::with_capacity(wanted.len());
        for (context, code) in wanted {
            found.push(self.lookup(txn, org, context, code).await?);
        }
        Ok(found)
    }

    /// Takes the uses of several takes, each with its own conditional update, in order; one
    /// answer per take. What is taken here is either kept by [`CodeRules::record_takes`] or
    /// handed back by [`CodeRules::untake`] before the transaction commits.
    async fn take_counters(
        &self,
        txn: &DatabaseTransaction,
        org: &OrgId,
        takes: &[UseTake],
    ) -> Result<Vec<bool>> {
        let mut taken = Vec::with_capacity(takes.len());
        for take in takes {
            taken.push(self.take_uses(txn, org, take).await?);
        }
        Ok(taken)
    }

    /// Records the takes whose orders are kept (redemptions, for reports).
    async fn record_takes(
        &self,
        _txn: &DatabaseTransaction,
        _org: &OrgId,
        _takes: &[UseTake],
    ) -> Result<()> {
        Ok(())
    }

    /// Hands back a take of [`CodeRules::take_counters`] whose order is not kept after all.
    async fn untake(&self, txn: &DatabaseTransaction, org: &OrgId, take: &UseTake) -> Result<()> {
        self.give_back_uses(txn, org, take).await
    }
}

/// The rules when no campaigns are installed: every code is unknown, nothing is held back.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCodeRules;

#[async_trait]
impl CodeRules for NoCodeRules {
    async fn lookup(
        &self,
        _txn: &DatabaseTransaction,
        _org: &OrgId,
        _context: &CodeContext,
        _code: &str,
    ) -> Result<Option<CodeGrant>> {
        Ok(None)
    }

    async fn automatic(
        &self,
        _txn: &DatabaseTransaction,
        _org: &OrgId,
        _context: &CodeContext,
    ) -> Result<Vec<CodeGrant>> {
        Ok(Vec::new())
    }

    async fn held_seats(
        &self,
        _txn: &DatabaseTransaction,
        _org: &OrgId,
        _event: &EventId,
        _production: &ProductionId,
    ) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    async fn take_uses(
        &self,
        _txn: &DatabaseTransaction,
        _org: &OrgId,
        _take: &UseTake,
    ) -> Result<bool> {
        Ok(false)
    }

    async fn give_back_uses(
        &self,
        _txn: &DatabaseTransaction,
        _org: &OrgId,
        _take: &UseTake,
    ) -> Result<()> {
        Ok(())
    }
}

/// Shared handle to the installed rules.
pub type SharedCodeRules = Arc<dyn CodeRules>;
