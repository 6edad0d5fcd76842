//! The server's integration tests: the whole app over HTTP, on SQLite and PostgreSQL.

mod audiences;
mod bombs;
mod browser;
mod catalog;
mod checkout;
mod checkout_states;
mod chromium;
mod common;
mod customers;
mod hardening;
mod isolation;
mod mail;
mod openapi;
mod openapi_document;
mod orders;
mod outbox;
mod platform;
mod prices;
mod processes;
mod roles;
mod schemathesis;
mod segments;
mod storefront;
mod stripe;
mod venues;
