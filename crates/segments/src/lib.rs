//! Customer segmentation (DESIGN §1.2, §2.3): segment definitions and saved views, the in-memory
//! segment index with its filters, the reference SQL that checks it, the JSON API and the pages
//! (Customers → Segmentation).

pub mod api;
pub mod api_audiences;
pub mod api_connectors;
pub mod api_exports;
pub mod api_sends;
pub mod api_tags;
pub mod bench;
pub mod bench_export;
pub mod connectors;
pub mod index;
pub mod jobs;
pub mod migrations;
pub mod model;
pub mod pages;
pub mod reference;
pub mod selection;
pub mod sends;
pub mod service;
pub mod store;
pub mod tags;
pub mod view_audiences;

pub use migrations::migrations;
pub use model::{SegmentId, ViewId};

use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::module::{LocaleFile, Module, Mount, NavLink, NavSection, Runs};
use sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// The segments' face (see [`fullhouse_core::module`]): segment definitions, views and the
/// in-memory index that counts them, kept fresh from the outbox in every process.
pub struct Segments;

impl Module for Segments {
    fn name(&self) -> &'static str {
        "segments"
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        migrations()
    }

    fn nav(&self) -> Vec<NavLink> {
        vec![NavLink::new(
            NavSection::Customers,
            20,
            "nav-segmentation",
            "/segments",
        )]
    }

    fn api(&self) -> OpenApiRouter<AppState> {
        api::router()
    }

    fn pages(&self) -> Router<AppState> {
        pages::router()
    }

    fn locales(&self) -> &'static [LocaleFile] {
        pages::LOCALES
    }

    fn mount(&self, mount: &mut Mount) {
        let registry = index::Registry::new(mount.state().db.clone());
        let refresher = registry.clone();
        jobs::register(mount, &registry);
        mount.provide(registry).task(
            "segment index refresher",
            Runs::EveryProcess,
            move |shutdown| refresher.run_refresher(shutdown),
        );
    }
}
