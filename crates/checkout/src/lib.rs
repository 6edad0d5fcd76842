//! One path for every sale: price a cart, hold seats, place and cancel orders.
//!
//! Issue #2 starts it small: its tables arrive with code redemptions (audiences) and holds
//! (purchase intents). Until then orders are placed by `fullhouse_ticketing::service::OrderService`,
//! whose seat and capacity checks are the ones checkout will call.

use sea_orm_migration::MigrationTrait;

/// Ticketing's migrations, then checkout's (none yet).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    fullhouse_ticketing::migrations()
}
