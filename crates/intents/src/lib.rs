//! Purchase intents (DESIGN §1.3, seed 003): bookings an organizer makes for a customer, which
//! the customer completes by paying through a link — one by one, or imported in bulk from a
//! spreadsheet as a job with a successful-records and a rejected-records file. Every intent's
//! tickets are booked through `checkout`, like every other sale.

pub mod api;
pub mod bench;
pub mod import;
pub mod jobs;
pub mod migrations;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;

pub use migrations::migrations;
pub use model::IntentId;
pub use service::{Intents, Sweep};

use axum::Router;
use fullhouse_checkout::CheckoutModule;
use fullhouse_core::http::AppState;
use fullhouse_core::module::{LocaleFile, Module, Mount, NavLink, NavSection, Runs};
use sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// How often intents follow their orders and send due reminders.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The intents' face (see [`fullhouse_core::module`]). It sells through the same checkout as
/// the storefront (its code rules and payment providers), which the server passes in.
pub struct IntentsModule {
    checkout: CheckoutModule,
}

impl IntentsModule {
    pub fn new(checkout: CheckoutModule) -> Self {
        Self { checkout }
    }
}

impl Module for IntentsModule {
    fn name(&self) -> &'static str {
        "intents"
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        migrations()
    }

    fn nav(&self) -> Vec<NavLink> {
        vec![NavLink::new(
            NavSection::Sales,
            30,
            "nav-intents",
            "/intents",
        )]
    }

    fn api(&self) -> OpenApiRouter<AppState> {
        api::router().merge(jobs::router())
    }

    fn pages(&self) -> Router<AppState> {
        pages::router()
    }

    fn locales(&self) -> &'static [LocaleFile] {
        pages::LOCALES
    }

    fn mount(&self, mount: &mut Mount) {
        let state = mount.state().clone();
        let intents = Intents::new(
            state.db.clone(),
            self.checkout.serving(&state),
            &state.settings.public_url,
        );
        let sweep = Sweep::new(intents.clone());
        jobs::register(mount, &intents);
        mount
            .provide(intents)
            .task("purchase intents", Runs::WithJobWorkers, move |shutdown| {
                sweep.run(SWEEP_EVERY, shutdown)
            });
    }
}
