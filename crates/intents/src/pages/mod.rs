//! Sales → Purchase intents: the organizer's list (with an event's default strategy), the form
//! that makes one, the intent's page with its actions; and the customer's page the payment link
//! opens (in [`customer`], public like the storefront it looks like).
//!
//! Organizer forms are CSRF-checked ([`fullhouse_web::CsrfForm`]); refused input comes back as
//! the same form with each reason beside its field. A file of intents is imported through the
//! wizard in [`import`]. The form that makes an intent posts the
//! storefront's seat and quantity fields (`seat` = `<ticket type>:<seat>`, `qty_<ticket type>`),
//! so checkout's own [`fullhouse_checkout::model::OrderForm`] reads them.

mod customer;
mod detail;
mod import;
mod list;
mod new;

use axum::routing::{get, post};
use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::module::LocaleFile;
use fullhouse_core::{OrgId, Result};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_ticketing::model::customers::Customer;
use fullhouse_ticketing::service::{CatalogService, CustomerService};
use fullhouse_ticketing::{CustomerId, EventId};
use fullhouse_web::Lang;
use std::collections::HashMap;

use crate::model::{IntentStatus, Strategy};

/// The strings of the intents' pages.
pub const LOCALES: &[LocaleFile] = fullhouse_core::locale_files!("intents", "intents-import");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/intents", get(list::list))
        .route("/intents/defaults/{event}", post(list::save_defaults))
        .route("/intents/new", get(new::form).post(new::create))
        .route(
            "/intents/import",
            get(import::upload_form).post(import::upload),
        )
        .route(
            "/intents/import/{upload}",
            get(import::mapping).post(import::start),
        )
        .route("/intents/import/{upload}/preview", post(import::preview))
        .route("/intents/new/tickets", get(new::tickets))
        .route("/intents/new/customers", get(new::customers))
        .route("/intents/{id}", get(detail::page))
        .route("/intents/{id}/act", post(detail::act))
        .route("/shop/{shop}/intents/{token}", get(customer::page))
        .route("/shop/{shop}/intents/{token}/pay", post(customer::pay))
}

/// A customer as lists name them (see [`Customer::display_name`]).
pub(crate) fn customer_name(customer: &Customer) -> String {
    customer.display_name()
}

/// The customers and events a page of intents names, read once each (a page holds at most
/// [`crate::service::PAGE_SIZE`] intents). One that cannot be read (erased since) is left out,
/// and the page shows its id.
#[derive(Default)]
pub(crate) struct Names {
    customers: HashMap<String, Customer>,
    events: HashMap<String, Event>,
}

impl Names {
    pub(crate) async fn load(
        db: &fullhouse_core::Db,
        org: &OrgId,
        customers: &[CustomerId],
        events: &[EventId],
    ) -> Result<Self> {
        let mut names = Self::default();
        let people = CustomerService::new(db.clone());
        for id in customers {
            if !names.customers.contains_key(id.as_str()) {
                if let Ok(customer) = people.customer(org, id).await {
                    names.customers.insert(id.to_string(), customer);
                }
            }
        }
        let catalog = CatalogService::new(db.clone());
        for id in events {
            if !names.events.contains_key(id.as_str()) {
                if let Ok(event) = catalog.event(org, id).await {
                    names.events.insert(id.to_string(), event);
                }
            }
        }
        Ok(names)
    }

    pub(crate) fn customer(&self, id: &CustomerId) -> String {
        self.customers
            .get(id.as_str())
            .map_or_else(|| id.to_string(), customer_name)
    }

    pub(crate) fn event(&self, id: &EventId) -> Option<&Event> {
        self.events.get(id.as_str())
    }
}

/// A status's name on pages.
pub(crate) fn status_label(lang: Lang, status: IntentStatus) -> String {
    lang.term("intent-status", status.as_str())
}

/// The badge colour of a status (the orders' colours: pending is dashed like an order
/// awaiting payment, so it never reads as paid).
pub(crate) fn status_class(status: IntentStatus) -> &'static str {
    match status {
        IntentStatus::Pending => "status-awaiting_payment",
        IntentStatus::Completed => "status-paid",
        IntentStatus::Expired => "status-expired",
        IntentStatus::Cancelled => "status-cancelled",
    }
}

/// A strategy's name on pages.
pub(crate) fn strategy_label(lang: Lang, strategy: Strategy) -> String {
    lang.t(strategy.label_key())
}

/// A `datetime-local` value read on the venue's clock (`2031-01-01T19:30`, seconds optional);
/// `None` when it is not one, or names a time the clock skips.
pub(crate) fn parse_local(value: &str, zone: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    let value = value.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|at| at.with_timezone(&chrono::Utc))
}

/// A moment as a `datetime-local` value on the venue's clock.
pub(crate) fn local_input(at: chrono::DateTime<chrono::Utc>, zone: &str) -> String {
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use fullhouse_web::i18n::checks;

    #[test]
    fn danish_and_french_translate_every_english_string() {
        assert!(!checks::keys_in(super::LOCALES, "en").is_empty());
        assert_eq!(checks::untranslated(super::LOCALES), Vec::<String>::new());
    }

    #[test]
    fn every_key_the_pages_use_exists() {
        let mut known = checks::keys_in(super::LOCALES, "en");
        known.extend(checks::keys_in(fullhouse_web::i18n::LOCALES, "en"));
        known.extend(checks::keys_in(fullhouse_checkout::pages::LOCALES, "en"));
        let unknown =
            checks::unknown_keys(&checks::page_sources(env!("CARGO_MANIFEST_DIR")), &known);
        assert!(unknown.is_empty(), "keys missing from en: {unknown:#?}");
    }

    /// The server refuses a module's files when one of them defines a key another file does:
    /// then every string of the module would be missing.
    #[test]
    fn the_strings_install_beside_the_platforms_and_checkouts() {
        assert_eq!(
            fullhouse_web::i18n::install(fullhouse_checkout::pages::LOCALES),
            Ok(())
        );
        assert_eq!(fullhouse_web::i18n::install(super::LOCALES), Ok(()));
        assert_eq!(
            fullhouse_web::Lang::Fr.t("intents-title"),
            "Intentions d'achat"
        );
    }

    #[test]
    fn a_typed_deadline_is_read_on_the_venue_clock() {
        let at = super::parse_local("2031-01-01T19:30", "Europe/Copenhagen").expect("parses");
        assert_eq!(at.to_rfc3339(), "2031-01-01T18:30:00+00:00");
        assert_eq!(
            super::local_input(at, "Europe/Copenhagen"),
            "2031-01-01T19:30"
        );
        assert!(super::parse_local("tomorrow", "Europe/Copenhagen").is_none());
    }
}
