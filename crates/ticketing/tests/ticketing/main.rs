//! The ticketing crate's integration tests: services against SQLite and PostgreSQL.

mod catalog;
mod customers;
mod figures;
mod fixture;
mod orders;
mod venues;
