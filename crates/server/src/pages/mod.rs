//! The organizer's web UI: server-rendered pages (askama templates compiled into the binary)
//! with htmx for the small live parts, in English, Danish and French.
//!
//! Each view is one full page and, where htmx updates part of it (search results, a job's
//! progress, a template preview), one partial template the full page includes: the handler
//! answers the partial when the request comes from htmx (`HX-Request`), the whole page
//! otherwise, so every page also works without JavaScript.
//!
//! Every form posts the session's CSRF token and is checked by [`layout::Ui::check_csrf`];
//! refused input comes back as the same form with the reason beside each field, in the
//! user's language ([`layout::FormErrors`]).

mod audiences;
mod boxoffice;
mod campaigns;
mod customers;
mod events;
mod home;
mod segments;
mod storefront;

pub use fullhouse_web::{i18n, layout};

use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::module::LocaleFile;

/// The strings of the pages that still live in the server (they move to their modules).
pub const LOCALES: &[LocaleFile] =
    fullhouse_core::locale_files!("audiences", "campaigns", "checkout", "segments");

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(audiences::router())
        .merge(campaigns::router())
        .merge(events::router())
        .merge(customers::router())
        .merge(segments::router())
        .merge(storefront::router())
        .merge(boxoffice::router())
}

#[cfg(test)]
mod tests {
    use fullhouse_web::i18n::checks;

    #[test]
    fn danish_and_french_translate_every_english_string() {
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
}
