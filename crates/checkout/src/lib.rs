//! One path for every sale (DESIGN §2.1): price a cart, apply codes, hold seats, place, pay,
//! cancel and expire orders, and publish `order.placed` / `order.cancelled` for the modules that
//! react to them. The storefront, the box office and (later) purchase intents all sell through
//! [`Checkout`].
//!
//! Codes belong to campaigns (the `audiences` crate), which plug in through [`codes::CodeRules`];
//! payments go through a [`payment::PaymentProvider`] (the default is a labelled test provider).

pub mod api;
pub mod clock;
pub mod codes;
pub mod model;
pub mod outbox;
pub mod payment;
pub mod service;
pub mod store;

use sea_orm_migration::MigrationTrait;

pub use clock::{Clock, ManualClock, SystemClock};
pub use codes::{CodeContext, CodeGrant, CodeRules, Counting, Discount, DiscountKind, UseTake};
pub use payment::{PaymentProvider, TestPayments};
pub use service::{Checkout, PlaceOrder};

/// Ticketing's migrations, then checkout's.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    let mut all = fullhouse_ticketing::migrations();
    all.push(Box::new(store::M0001Checkout));
    all.push(Box::new(store::M0002EventCursors));
    all.push(Box::new(store::M0003CursorToCore));
    all
}
