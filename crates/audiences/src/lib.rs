//! Audiences (code lists) and their members: created blank, uploaded from CSV/XLSX/ODS with
//! column mapping, edited by hand, exported, or generated (random codes from a pattern, last
//! events' barcodes or ticket holders). Campaigns attach them to events (issue #5).

pub mod api;
pub mod bench;
pub mod campaigns;
pub mod customer_members;
pub mod import;
pub mod jobs;
pub mod member_uses;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;

pub use model::{Audience, AudienceId, Member, MemberId};
pub use service::AudienceService;
pub use store::migrations;

use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::module::{LocaleFile, Module, Mount, NavLink, NavSection};
use sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// Core's, ticketing's, checkout's and the audiences' migrations: the database the audiences'
/// tests and benchmarks run on.
pub fn all_migrations() -> Vec<Box<dyn MigrationTrait>> {
    fullhouse_core::module::migrations_with_core(&[
        &fullhouse_ticketing::Ticketing,
        &fullhouse_checkout::CheckoutModule::new(),
        &Audiences,
    ])
}

/// The audiences' face (see [`fullhouse_core::module`]): code lists, their imports, campaigns.
pub struct Audiences;

impl Module for Audiences {
    fn name(&self) -> &'static str {
        "audiences"
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        migrations()
    }

    fn nav(&self) -> Vec<NavLink> {
        vec![
            NavLink::new(NavSection::Promote, 10, "nav-audiences", "/audiences"),
            NavLink::new(NavSection::Promote, 20, "nav-campaigns", "/campaigns"),
        ]
    }

    fn api(&self) -> OpenApiRouter<AppState> {
        api::router()
            .merge(campaigns::api::router())
            .merge(campaigns::links_api::router())
    }

    fn pages(&self) -> Router<AppState> {
        pages::router()
    }

    fn locales(&self) -> &'static [LocaleFile] {
        pages::LOCALES
    }

    fn mount(&self, mount: &mut Mount) {
        mount.job(jobs::IMPORT_JOB, jobs::ImportHandler);
    }
}
