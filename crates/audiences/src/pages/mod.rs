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

    /// The campaign form's problems name their text by key (`campaigns-error-…`), and the
    /// report builds channel, CSV and done keys from values: each must exist, or a page would
    /// show the key itself.
    #[test]
    fn every_campaign_key_built_from_a_value_exists() {
        let known = checks::keys_in(super::LOCALES, "en");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/campaigns");
        let mut keys: Vec<String> = Vec::new();
        for file in ["model.rs", "form.rs"] {
            let text = std::fs::read_to_string(root.join(file)).expect("source");
            keys.extend(
                text.split("\"campaigns-error-")
                    .skip(1)
                    .filter_map(|rest| rest.split('"').next())
                    .map(|rest| format!("campaigns-error-{rest}")),
            );
        }
        assert!(keys.len() > 15, "{keys:?}");
        for done in ["created", "saved", "paused", "resumed"] {
            keys.push(format!("campaigns-done-{done}"));
        }
        for channel in ["storefront", "box-office", "api"] {
            keys.push(format!("campaigns-channel-{channel}"));
        }
        for kind in ["none", "percent", "amount_off", "fixed_price"] {
            keys.push(format!("campaigns-discount-{kind}"));
        }
        for header in [
            "time",
            "code",
            "uses",
            "state",
            "order",
            "channel",
            "buyer",
            "email",
            "total",
            "discount",
            "currency",
            "state-paid",
            "state-held",
            "state-unused",
        ] {
            keys.push(format!("campaigns-csv-{header}"));
        }
        let missing: Vec<&String> = keys.iter().filter(|k| !known.contains(*k)).collect();
        assert!(missing.is_empty(), "keys missing from en: {missing:#?}");
    }
}
