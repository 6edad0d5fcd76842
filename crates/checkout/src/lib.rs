//! One path for every sale (DESIGN §2.1): price a cart, apply codes, hold seats, place, pay,
//! cancel and expire orders, and publish `order.placed` / `order.cancelled` for the modules that
//! react to them. The storefront, the box office and (later) purchase intents all sell through
//! [`Checkout`].
//!
//! Codes belong to campaigns (the `audiences` crate), which plug in through [`codes::CodeRules`];
//! payments go through a [`payment::PaymentProvider`] (the default is a labelled test provider).

pub mod api;
pub mod buyers;
pub mod clock;
pub mod codes;
pub mod model;
pub mod outbox;
pub mod pages;
pub mod payment;
pub mod service;
pub mod store;
pub mod tickets;

use sea_orm_migration::MigrationTrait;

pub use clock::{Clock, ManualClock, SystemClock};
pub use codes::{CodeContext, CodeGrant, CodeRules, Counting, Discount, DiscountKind, UseTake};
pub use model::PaymentMethod;
pub use payment::{PaymentProvider, TestPayments};
pub use service::{
    Checkout, Confirmation, Confirmations, HoldTerm, PayStep, PlaceOrder, SaleTerms,
};

/// Checkout's own migrations (ticketing's come first, from its module).
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(store::M0001Checkout),
        Box::new(store::M0002EventCursors),
        Box::new(store::M0003CursorToCore),
        Box::new(store::M0004PaymentMethod),
        Box::new(store::M0005OrderStates),
        Box::new(buyers::store::M0006BuyerSessions),
        Box::new(store::M0007ShopOrders),
        Box::new(store::M0008StripeEvents),
    ]
}

/// How often paid and cancelled orders are looked for to mail their buyers.
const CONFIRMATIONS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// How often unpaid checkout holds are looked for and expired.
const EXPIRY_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

/// Checkout's face (see [`fullhouse_core::module`]). The code rules are the one piece another
/// module supplies (campaigns): the server passes them in.
#[derive(Clone)]
pub struct CheckoutModule {
    code_rules: Option<std::sync::Arc<dyn CodeRules>>,
}

impl CheckoutModule {
    /// Checkout where every code is unknown.
    pub fn new() -> Self {
        Self { code_rules: None }
    }

    /// Checkout that asks `rules` about codes.
    pub fn with_code_rules(rules: std::sync::Arc<dyn CodeRules>) -> Self {
        Self {
            code_rules: Some(rules),
        }
    }

    /// The one checkout every sale of this server goes through.
    pub fn checkout(&self, db: &fullhouse_core::Db) -> Checkout {
        let checkout = Checkout::new(db.clone());
        match &self.code_rules {
            Some(rules) => checkout.with_code_rules(rules.clone()),
            None => checkout,
        }
    }
}

impl CheckoutModule {
    /// The checkout a server sells through: its code rules and the organizations' payment
    /// providers (Stripe, with the server's key for stored secrets). Modules that sell on their
    /// own background work (purchase intents) build theirs here too, so every sale is priced and
    /// paid the same way.
    pub fn serving(&self, state: &fullhouse_core::http::AppState) -> Checkout {
        // Without the key the test provider still works, and Stripe's settings say why they
        // cannot be saved.
        let secrets =
            fullhouse_core::secrets::SecretBox::load(&state.settings.data_dir).map_err(|e| {
                tracing::error!(error = ?e, "the secret key could not be loaded");
                format!("{e:?}")
            });
        self.checkout(&state.db)
            .with_payment_setup(payment::settings::PaymentSetup::new(secrets))
    }
}

impl Default for CheckoutModule {
    fn default() -> Self {
        Self::new()
    }
}

impl fullhouse_core::module::Module for CheckoutModule {
    fn name(&self) -> &'static str {
        "checkout"
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        migrations()
    }

    fn api(&self) -> utoipa_axum::router::OpenApiRouter<fullhouse_core::http::AppState> {
        api::router()
    }

    fn pages(&self) -> axum::Router<fullhouse_core::http::AppState> {
        pages::router()
    }

    fn locales(&self) -> &'static [fullhouse_core::module::LocaleFile] {
        pages::LOCALES
    }

    fn nav(&self) -> Vec<fullhouse_core::module::NavLink> {
        use fullhouse_core::module::{NavLink, NavSection};
        vec![NavLink::new(
            NavSection::Settings,
            45,
            "nav-payments",
            "/settings/payments",
        )
        .requiring(fullhouse_core::Permission::Administer)]
    }

    fn mount(&self, mount: &mut fullhouse_core::module::Mount) {
        let checkout = self.serving(mount.state());
        let sweeper = checkout.clone();
        let confirmations =
            Confirmations::new(checkout.clone(), &mount.state().settings.public_url);
        let buyers = buyers::Buyers::new(mount.state().db.clone());
        mount
            .provide(checkout)
            .provide(buyers)
            .task(
                "checkout hold expiry",
                fullhouse_core::module::Runs::WithJobWorkers,
                move |shutdown| sweeper.run_expiry(EXPIRY_EVERY, shutdown),
            )
            .task(
                "order confirmation mail",
                fullhouse_core::module::Runs::WithJobWorkers,
                move |shutdown| confirmations.run(CONFIRMATIONS_EVERY, shutdown),
            );
    }
}
