//! The server's integration tests: the whole app over HTTP, on SQLite and PostgreSQL.

mod browser;
mod catalog;
mod common;
mod customers;
mod isolation;
mod mail;
mod orders;
mod platform;
mod processes;
mod venues;
