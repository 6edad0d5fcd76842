//! The server's integration tests: the whole app over HTTP, on SQLite and PostgreSQL.

mod audiences;
mod bombs;
mod browser;
mod catalog;
mod checkout;
mod chromium;
mod common;
mod customers;
mod isolation;
mod mail;
mod orders;
mod platform;
mod processes;
mod segments;
mod venues;
