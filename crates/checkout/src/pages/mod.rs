//! Checkout's pages: the buyer's storefront (public, on `base.html`) and the organizer's box
//! office (behind login, on the layout), both selling through [`crate::Checkout`].

mod boxoffice;
mod orders;
pub mod storefront;

use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::module::LocaleFile;

/// The strings of these pages (the layout's and the shared ones are in `fullhouse_web`).
pub const LOCALES: &[LocaleFile] = fullhouse_core::locale_files!(
    "checkout",
    "tickets",
    "buyers",
    "shopfront",
    "payments",
    "orders"
);

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(storefront::router())
        .merge(boxoffice::router())
        .merge(orders::router())
        .merge(crate::payment::pages::router())
        .merge(crate::payment::webhook::router())
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

    #[test]
    fn no_key_is_also_defined_by_the_shared_ui_or_ticketing() {
        let ours = checks::keys_in(super::LOCALES, "en");
        for (name, other) in [
            ("fullhouse_web", fullhouse_web::i18n::LOCALES),
            ("ticketing", fullhouse_ticketing::pages::LOCALES),
        ] {
            let other = checks::keys_in(other, "en");
            let twice: Vec<_> = ours.intersection(&other).collect();
            assert!(
                twice.is_empty(),
                "defined in checkout and {name}: {twice:#?}"
            );
        }
    }
}
