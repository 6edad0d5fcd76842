//! The platform as a module: core's JSON API (organizations, users, tokens, jobs, uploads,
//! mail), its jobs (mail delivery, the demo job), the sweep of old uploads, the static assets,
//! and the navigation entries of the pages every organization has (jobs, outbox, settings).

use std::sync::Arc;

use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::jobs::demo::{DemoCount, DEMO_COUNT};
use fullhouse_core::mail::{Consents, Delivery, DELIVER_JOB};
use fullhouse_core::module::{LocaleFile, Module, Mount, NavLink, NavSection, Runs};
use fullhouse_core::{uploads, Permission};
use sea_orm_migration::MigrationTrait;
use utoipa_axum::router::OpenApiRouter;

/// The platform module. Mail delivery and unsubscribing need to know who agreed to what, which
/// the module that keeps customers answers: the server passes it in.
pub struct Platform {
    consents: fn(&AppState) -> Consents,
}

impl Platform {
    pub fn new(consents: fn(&AppState) -> Consents) -> Self {
        Self { consents }
    }
}

impl Module for Platform {
    fn name(&self) -> &'static str {
        "platform"
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        fullhouse_core::migrations::migrations()
    }

    fn locales(&self) -> &'static [LocaleFile] {
        crate::i18n::LOCALES
    }

    fn nav(&self) -> Vec<NavLink> {
        vec![
            NavLink::new(NavSection::Operations, 10, "nav-jobs", "/jobs"),
            NavLink::new(NavSection::Operations, 20, "nav-outbox", "/outbox"),
            NavLink::new(
                NavSection::Settings,
                10,
                "nav-organization",
                "/settings/organization",
            )
            .requiring(Permission::Administer),
            NavLink::new(
                NavSection::Settings,
                15,
                "nav-branding",
                "/settings/branding",
            )
            .requiring(Permission::Administer),
            NavLink::new(NavSection::Settings, 20, "nav-users", "/settings/users")
                .requiring(Permission::Administer),
            NavLink::new(
                NavSection::Settings,
                30,
                "nav-api-tokens",
                "/settings/api-tokens",
            )
            .requiring(Permission::Administer),
            NavLink::new(NavSection::Settings, 40, "nav-email", "/settings/email")
                .requiring(Permission::Administer),
            NavLink::new(NavSection::Settings, 45, "nav-audit", "/settings/audit")
                .requiring(Permission::Administer),
            NavLink::new(
                NavSection::Settings,
                50,
                "nav-templates",
                "/settings/templates",
            ),
        ]
    }

    fn api(&self) -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
            .merge(fullhouse_core::tenancy::api::router())
            .merge(fullhouse_core::tenancy::audit::router())
            .merge(fullhouse_core::jobs::api::router())
            .merge(fullhouse_core::uploads::router())
            .merge(fullhouse_core::mail::api::router())
            .merge(fullhouse_core::jobs::demo::router())
    }

    fn pages(&self) -> Router<AppState> {
        crate::assets::router().merge(crate::pages::router())
    }

    fn mount(&self, mount: &mut Mount) {
        let state = mount.state().clone();
        let consents = (self.consents)(&state);
        mount
            .job(DEMO_COUNT, DemoCount)
            // Delivery claims each message once and reads no upload: safe to take again after
            // a crash.
            .resumable_job(
                DELIVER_JOB,
                Delivery {
                    consents: Arc::clone(&consents),
                    mail_dir: state.settings.data_dir.join("mail"),
                    public_url: state.settings.public_url.clone(),
                },
            )
            .provide(consents);
        let (db, files) = (state.db.clone(), state.files.clone());
        mount.task("upload sweeper", Runs::WithJobWorkers, move |shutdown| {
            uploads::run_sweeper(
                db,
                files,
                uploads::SWEEP_EVERY,
                uploads::RETENTION,
                shutdown,
            )
        });
    }
}
