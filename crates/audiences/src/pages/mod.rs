//! The audiences' pages (Promote → Audiences, Promote → Campaigns): server-rendered with askama,
//! htmx for the live parts (search, the upload's preview), in English, Danish and French.
//! The templates are in `templates/pages/{audiences,campaigns}/`, the strings in
//! `locales/{en,da,fr}/{audiences,campaigns}.ftl`.

mod audiences;
mod campaign_links;
mod campaigns;

use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::module::LocaleFile;

/// The strings of these pages.
pub const LOCALES: &[LocaleFile] =
    fullhouse_core::locale_files!("audiences", "campaigns", "campaign-links");

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(audiences::router())
        .merge(campaigns::router())
        .merge(campaign_links::router())
}

#[cfg(test)]
mod tests {
    use fullhouse_web::i18n::checks;

    #[test]
    fn danish_and_french_translate_every_english_string() {
        assert!(checks::keys_in(super::LOCALES, "en").len() > 50);
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
