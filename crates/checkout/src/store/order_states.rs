//! checkout_0005: ticketing's orders take checkout's state.
//!
//! Before orders had states of their own, ticketing's order stayed `placed` (made `paid` by
//! ticketing_0004) while checkout's row said whether it was awaiting payment, and a hold that ran
//! out made ticketing's order `cancelled`. From here on the two are equal (see
//! `service::Checkout`); this makes them equal for the orders sold before:
//! - held orders (`awaiting_payment` in checkout) whose ticketing order is still open become
//!   `awaiting_payment`;
//! - holds that ran out (`expired` in checkout) become `expired`.
//!
//! Paid orders cancelled through checkout stay `cancelled` on both sides: whether their money
//! went back (a checkout cancel) or not (an organizer's cancel in ticketing, followed by checkout)
//! was not recorded, and a refund we cannot prove is not shown. Orders whose ticketing side was
//! cancelled by an organizer while checkout's row is still open are left for the cancellation
//! follower, which gives checkout's row ticketing's state.

use sea_orm_migration::prelude::*;

pub struct M0005OrderStates;

impl MigrationName for M0005OrderStates {
    fn name(&self) -> &str {
        "checkout_0005_order_states"
    }
}

/// The same SQL on both backends: correlated `EXISTS` on checkout's primary key.
const ALIGN: [&str; 2] = [
    "UPDATE orders SET status = 'awaiting_payment' WHERE status = 'paid' AND EXISTS ( \
       SELECT 1 FROM checkout_orders c WHERE c.organization_id = orders.organization_id \
       AND c.id = orders.id AND c.status = 'awaiting_payment')",
    "UPDATE orders SET status = 'expired' WHERE status = 'cancelled' AND EXISTS ( \
       SELECT 1 FROM checkout_orders c WHERE c.organization_id = orders.organization_id \
       AND c.id = orders.id AND c.status = 'expired')",
];

#[async_trait::async_trait]
impl MigrationTrait for M0005OrderStates {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in ALIGN {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
