//! A module's face: the one shape every module crate (ticketing, checkout, audiences, segments
//! and the ones to come) shows the server.
//!
//! A module is a crate with a unit struct that implements [`Module`]. The server keeps one list
//! of them, in dependency order, and walks it: it applies every module's migrations, installs
//! its locale files and navigation entries, and lets it [`mount`](Module::mount) its JSON API,
//! its pages, its job handlers, the services other modules' handlers extract, and its
//! background tasks. Adding a module is a new crate, one line in that list and one line in
//! `Cargo.toml`; nothing else in `server` changes.
//!
//! Why a trait object and not a macro or a registry filled by linker tricks: the list is read
//! by a person first (what runs in this binary, in which order), and a plain `Vec` of boxes is
//! the simplest thing that a person and the compiler both check.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use sea_orm_migration::MigrationTrait;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;

use crate::http::AppState;
use crate::jobs::{JobHandler, JobRegistry};
use crate::Permission;

/// What every module crate exports (see the module docs).
pub trait Module: Send + Sync + 'static {
    /// A short, stable name (`"audiences"`), for logs and for the order of the list.
    fn name(&self) -> &'static str;

    /// This module's own migrations, in order; never those of the crates below it: the server
    /// applies every module's in list order, and tests list the modules they need.
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        Vec::new()
    }

    /// The Fluent files of this module's pages, in English, Danish and French (see
    /// [`locale_files!`](crate::locale_files)).
    fn locales(&self) -> &'static [LocaleFile] {
        &[]
    }

    /// The entries this module adds to the organizer's navigation.
    fn nav(&self) -> Vec<NavLink> {
        Vec::new()
    }

    /// The JSON routes, mounted under `/api/v1` and documented in the OpenAPI document (which
    /// is built from these alone, without a database).
    fn api(&self) -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
    }

    /// The pages and their htmx partials, mounted at the root.
    fn pages(&self) -> Router<AppState> {
        Router::new()
    }

    /// Adds the module's job handlers, the services handlers extract, and background tasks.
    fn mount(&self, mount: &mut Mount) {
        let _ = mount;
    }
}

/// Core's migrations, then those of `modules` in order: the database a test or a benchmark of
/// these modules needs. (The server's list starts with the platform module, which brings
/// core's.)
pub fn migrations_with_core(modules: &[&dyn Module]) -> Vec<Box<dyn MigrationTrait>> {
    let mut all = crate::migrations::migrations();
    all.extend(modules.iter().flat_map(|m| m.migrations()));
    all
}

/// One Fluent file of one language.
#[derive(Debug, Clone, Copy)]
pub struct LocaleFile {
    /// `en`, `da` or `fr`.
    pub lang: &'static str,
    /// The file's name, for error messages (`audiences.ftl`).
    pub name: &'static str,
    pub source: &'static str,
}

/// The English, Danish and French versions of Fluent files kept in the crate's
/// `locales/<lang>/<name>.ftl`, compiled into the binary:
/// `const LOCALES: &[LocaleFile] = fullhouse_core::locale_files!("audiences", "campaigns");`
#[macro_export]
macro_rules! locale_files {
    ($($name:literal),+ $(,)?) => {
        &[
            $(
                $crate::module::LocaleFile {
                    lang: "en",
                    name: concat!($name, ".ftl"),
                    source: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/locales/en/", $name, ".ftl")),
                },
                $crate::module::LocaleFile {
                    lang: "da",
                    name: concat!($name, ".ftl"),
                    source: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/locales/da/", $name, ".ftl")),
                },
                $crate::module::LocaleFile {
                    lang: "fr",
                    name: concat!($name, ".ftl"),
                    source: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/locales/fr/", $name, ".ftl")),
                },
            )+
        ]
    };
}

/// The sections of the organizer's navigation, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NavSection {
    /// Audiences, campaigns, referrals.
    Promote,
    /// Customers and segments.
    Customers,
    /// Events, box office, purchase intents.
    Sales,
    /// Jobs and the mail outbox.
    Operations,
    /// Organization, users, tokens, mail settings and templates.
    Settings,
}

impl NavSection {
    pub const ALL: [NavSection; 5] = [
        NavSection::Promote,
        NavSection::Customers,
        NavSection::Sales,
        NavSection::Operations,
        NavSection::Settings,
    ];

    /// The locale key of the section's title.
    pub fn title_key(self) -> &'static str {
        match self {
            NavSection::Promote => "nav-promote",
            NavSection::Customers => "nav-customers-section",
            NavSection::Sales => "nav-sales",
            NavSection::Operations => "nav-operations",
            NavSection::Settings => "nav-settings",
        }
    }
}

/// One entry of the navigation.
#[derive(Debug, Clone, Copy)]
pub struct NavLink {
    pub section: NavSection,
    /// Within a section, lower comes first.
    pub order: i32,
    /// The locale key of the label.
    pub label_key: &'static str,
    pub href: &'static str,
    /// Shown only to roles that have it.
    pub permission: Option<Permission>,
}

impl NavLink {
    pub const fn new(
        section: NavSection,
        order: i32,
        label_key: &'static str,
        href: &'static str,
    ) -> Self {
        Self {
            section,
            order,
            label_key,
            href,
            permission: None,
        }
    }

    /// The same entry, shown only to roles with `permission`.
    pub const fn requiring(mut self, permission: Permission) -> Self {
        self.permission = Some(permission);
        self
    }
}

/// In which processes a background task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// Every process: caches each process keeps fresh (the segment index).
    EveryProcess,
    /// Only processes that run jobs (`--job-workers` above 0): sweeps that change data, which
    /// one process is enough to do.
    WithJobWorkers,
}

type TaskFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
type StartTask = Box<dyn FnOnce(CancellationToken) -> TaskFuture + Send>;
type Layer = Box<dyn FnOnce(Router<AppState>) -> Router<AppState> + Send>;

/// A loop a module keeps running until the server stops.
pub struct BackgroundTask {
    pub name: &'static str,
    pub runs: Runs,
    start: StartTask,
}

impl BackgroundTask {
    /// Starts the task; it ends when `shutdown` is cancelled.
    pub fn start(self, shutdown: CancellationToken) -> TaskFuture {
        (self.start)(shutdown)
    }
}

/// A panel a module adds to the buyer's order page in the storefront, below the tickets (the
/// referral programme's "share your link"). Checkout draws the page and knows nothing of the
/// modules after it in the list; they reach the page through this, never the other way round.
#[async_trait::async_trait]
pub trait OrderPanel: Send + Sync + 'static {
    /// The panel's HTML (escaped by the module's own templates) for `order` of `org`, in
    /// `lang` (`en`, `da`, `fr`); `None` when the module has nothing to show for that order.
    /// A failure is the module's to log: the order page is drawn without the panel.
    async fn render(&self, org: &crate::OrgId, order: &str, lang: &str) -> Option<String>;
}

/// Every module's [`OrderPanel`], in the server's order; an `Extension` on every router.
#[derive(Clone, Default)]
pub struct OrderPanels(Arc<Vec<Arc<dyn OrderPanel>>>);

impl OrderPanels {
    /// The panels' HTML for an order, those with nothing to show left out.
    pub async fn render(&self, org: &crate::OrgId, order: &str, lang: &str) -> Vec<String> {
        let mut drawn = Vec::new();
        for panel in self.0.iter() {
            if let Some(html) = panel.render(org, order, lang).await {
                drawn.push(html);
            }
        }
        drawn
    }
}

/// What the modules of one server add, collected while the server walks its list.
pub struct Mount {
    state: AppState,
    jobs: JobRegistry,
    tasks: Vec<BackgroundTask>,
    services: Vec<Layer>,
    order_panels: Vec<Arc<dyn OrderPanel>>,
}

impl Mount {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            jobs: JobRegistry::new(),
            tasks: Vec::new(),
            services: Vec::new(),
            order_panels: Vec::new(),
        }
    }

    /// A panel on the storefront's order page (see [`OrderPanel`]).
    pub fn order_panel(&mut self, panel: impl OrderPanel) -> &mut Self {
        self.order_panels.push(Arc::new(panel));
        self
    }

    /// The state the handlers will share (database, files, settings).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A job kind and its handler.
    pub fn job(&mut self, kind: &str, handler: impl JobHandler) -> &mut Self {
        self.jobs.register(kind, handler);
        self
    }

    /// A job kind that is safe to run again after its process died mid-run (see
    /// [`JobRegistry::register_resumable`]).
    pub fn resumable_job(&mut self, kind: &str, handler: impl JobHandler) -> &mut Self {
        self.jobs.register_resumable(kind, handler);
        self
    }

    /// A service every handler of every module may extract with `axum::Extension<T>` (one
    /// instance per server: the checkout with its code rules, the segment index registry).
    pub fn provide<T: Clone + Send + Sync + 'static>(&mut self, service: T) -> &mut Self {
        self.services.push(Box::new(move |router| {
            router.layer(axum::Extension(service))
        }));
        self
    }

    /// A background loop, started by the server in the processes `runs` names.
    pub fn task<F, Fut>(&mut self, name: &'static str, runs: Runs, start: F) -> &mut Self
    where
        F: FnOnce(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.tasks.push(BackgroundTask {
            name,
            runs,
            start: Box::new(move |shutdown| Box::pin(start(shutdown))),
        });
        self
    }

    /// Everything collected: the job registry, the tasks and the services.
    pub fn finish(mut self) -> Mounted {
        let panels = OrderPanels(Arc::new(std::mem::take(&mut self.order_panels)));
        self.provide(panels);
        Mounted {
            jobs: self.jobs,
            tasks: self.tasks,
            services: self.services,
        }
    }
}

/// What every module mounted, for the server to assemble.
pub struct Mounted {
    pub jobs: JobRegistry,
    pub tasks: Vec<BackgroundTask>,
    services: Vec<Layer>,
}

impl Mounted {
    /// `router` with every provided service reachable as an `Extension` (each service is
    /// applied once: a second call adds nothing).
    pub fn apply_services(&mut self, router: Router<AppState>) -> Router<AppState> {
        std::mem::take(&mut self.services)
            .into_iter()
            .fold(router, |router, provide| provide(router))
    }
}

/// Walks `modules` in order and mounts each.
pub fn mount_all(modules: &[Box<dyn Module>], state: AppState) -> Mounted {
    let mut mount = Mount::new(state);
    for module in modules {
        module.mount(&mut mount);
    }
    mount.finish()
}

/// The JSON routes of `modules`, merged in order.
pub fn api_of(modules: &[Box<dyn Module>]) -> OpenApiRouter<AppState> {
    modules.iter().fold(OpenApiRouter::new(), |routes, module| {
        routes.merge(module.api())
    })
}

/// The pages of `modules`, merged in order.
pub fn pages_of(modules: &[Box<dyn Module>]) -> Router<AppState> {
    modules
        .iter()
        .fold(Router::new(), |pages, module| pages.merge(module.pages()))
}
