//! Referral rewards (DESIGN §1.4, seed 004): buyers who bring friends. Every buyer of a
//! promotion's event gets a short tracking link and a private progress page; hits on the link
//! are kept with their class (human, bot, link preview, scanner, prefetch, duplicate) so that
//! only unique human clicks count; the order records the code it came through, so tickets and
//! revenue are attributed without a cookie once it is placed; the organizer's report, reward
//! ledger and reminders follow. It reacts to checkout's and ticketing's order events.

pub mod api;
pub mod api_jobs;
pub mod api_report;
pub mod bench;
pub mod demo;
pub mod jobs;
pub mod migrations;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
pub mod tracking;

pub use migrations::migrations;
pub use model::{ParticipantId, PromotionId};
pub use service::{Referrals, Sweep};

use axum::Router;
use fullhouse_checkout::CheckoutModule;
use fullhouse_core::http::AppState;
use fullhouse_core::module::{LocaleFile, Module, Mount, NavLink, NavSection, Runs};
use sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// The strings of the referrals' pages, job titles and progress messages.
pub const LOCALES: &[LocaleFile] =
    fullhouse_core::locale_files!("referrals", "referrals-mail", "tracking");

/// How often referrals follow the outbox and send due reminders.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The referrals' face (see [`fullhouse_core::module`]). It judges promotions on checkout's
/// clock, which the server passes in.
pub struct ReferralsModule {
    checkout: CheckoutModule,
}

impl ReferralsModule {
    pub fn new(checkout: CheckoutModule) -> Self {
        Self { checkout }
    }
}

impl Module for ReferralsModule {
    fn name(&self) -> &'static str {
        "referrals"
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        migrations()
    }

    fn nav(&self) -> Vec<NavLink> {
        vec![NavLink::new(
            NavSection::Promote,
            30,
            "nav-referrals",
            "/referrals",
        )]
    }

    fn api(&self) -> OpenApiRouter<AppState> {
        api::router()
            .merge(api_report::router())
            .merge(api_jobs::router())
    }

    fn pages(&self) -> Router<AppState> {
        pages::router().merge(tracking::router())
    }

    fn locales(&self) -> &'static [LocaleFile] {
        LOCALES
    }

    fn mount(&self, mount: &mut Mount) {
        let state = mount.state().clone();
        let referrals = Referrals::new(
            state.db.clone(),
            self.checkout.serving(&state),
            &state.settings.public_url,
        );
        let sweep = Sweep::new(referrals.clone());
        jobs::register(mount, &referrals);
        // Every process that serves `/r/{code}` writes its own hits.
        let (recorder, drain) = tracking::Recorder::new(referrals.clone());
        mount
            .order_panel(pages::SharePanel::new(referrals.clone()))
            .provide(tracking::Tracker::new(referrals.clone(), recorder))
            .task("referral hits", Runs::EveryProcess, move |shutdown| {
                drain.run(shutdown)
            })
            .provide(referrals)
            .task("referral rewards", Runs::WithJobWorkers, move |shutdown| {
                sweep.run(SWEEP_EVERY, shutdown)
            });
    }
}
