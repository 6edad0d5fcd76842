//! The ticketing facts every module reads (DESIGN §1.0): venues and seat maps, productions,
//! events, ticket types, shops, customers, orders and tickets, with their JSON API and the
//! ingest paths (bulk JSON, CSV, webhook) for organizers who come from another platform.

pub mod api;
pub mod demo;
pub mod import;
pub mod migrations;
pub mod model;
pub mod outbox;
pub mod service;
pub mod store;

pub use migrations::migrations;
pub use model::ids::*;
