//! The server's integration tests: the whole app over HTTP, on SQLite and PostgreSQL.

mod catalog;
mod common;
mod customers;
mod orders;
mod platform;
mod venues;
