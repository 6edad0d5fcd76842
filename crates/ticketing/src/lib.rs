//! The ticketing facts every module reads (DESIGN §1.0): venues and seat maps, productions,
//! events, ticket types, shops, customers, orders and tickets, with their JSON API and the
//! ingest paths (bulk JSON, CSV, webhook) for organizers who come from another platform.

pub mod api;
pub mod demo;
pub mod import;
pub mod migrations;
pub mod model;
pub mod outbox;
pub mod pages;
pub mod service;
pub mod store;

pub use migrations::migrations;
pub use model::ids::*;

use std::sync::Arc;

use fullhouse_core::http::AppState;
use fullhouse_core::mail::Consents;
use fullhouse_core::module::{LocaleFile, Module, NavLink, NavSection};
use sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// Ticketing's face (see [`fullhouse_core::module`]).
pub struct Ticketing;

impl Module for Ticketing {
    fn name(&self) -> &'static str {
        "ticketing"
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        migrations()
    }

    fn nav(&self) -> Vec<NavLink> {
        vec![
            NavLink::new(NavSection::Customers, 10, "nav-customers", "/customers"),
            NavLink::new(NavSection::Sales, 10, "nav-events", "/events"),
        ]
    }

    fn api(&self) -> OpenApiRouter<AppState> {
        api::router()
    }

    fn pages(&self) -> axum::Router<AppState> {
        pages::router()
    }

    fn locales(&self) -> &'static [LocaleFile] {
        pages::LOCALES
    }
}

/// Who agreed to which mail, as mail delivery and unsubscribing ask it: customers' consents.
pub fn consents(state: &AppState) -> Consents {
    Arc::new(service::consent::CustomerConsents::new(state.db.clone()))
}
