//! Ticketing's pages: the start page, Sales → Events and Customers → Customers, read-only views of the facts
//! (the organizer changes them through imports and the API).

mod customers;
mod event_export;
mod events;
mod home;

use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::module::LocaleFile;

/// The strings of these pages (the layout's and the shared ones are in `fullhouse_web`).
pub const LOCALES: &[LocaleFile] = fullhouse_core::locale_files!("ticketing");

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(events::router())
        .merge(customers::router())
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
        let unknown =
            checks::unknown_keys(&checks::page_sources(env!("CARGO_MANIFEST_DIR")), &known);
        assert!(unknown.is_empty(), "keys missing from en: {unknown:#?}");
    }

    /// The customer page names an order's state with `lang.term("order-status", …)`, which
    /// falls back to the raw value: every state needs its words.
    #[test]
    fn every_order_state_has_its_words() {
        let known = checks::keys_in(super::LOCALES, "en");
        for status in crate::model::orders::OrderStatus::ALL {
            let key = format!("order-status-{}", status.as_str().replace('_', "-"));
            assert!(known.contains(&key), "{key} is missing");
        }
    }

    #[test]
    fn no_key_is_also_defined_by_the_shared_ui() {
        let ours = checks::keys_in(super::LOCALES, "en");
        let shared = checks::keys_in(fullhouse_web::i18n::LOCALES, "en");
        let twice: Vec<_> = ours.intersection(&shared).collect();
        assert!(twice.is_empty(), "defined in both: {twice:#?}");
    }
}
