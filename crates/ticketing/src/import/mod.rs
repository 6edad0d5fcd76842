//! Ingest for organizers who come from another platform: CSV imports of customers and of
//! historical orders. Both are all-or-nothing and report every bad row with its number, column
//! and reason.

pub mod customers;
pub mod orders;
