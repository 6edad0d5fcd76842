//! The UI's languages: English, Danish and French, from Fluent files compiled into the binary.
//!
//! Every module keeps the strings of its own pages in its own `locales/<lang>/*.ftl` and hands
//! them to the server through its [`Module::locales`](fullhouse_core::module::Module::locales);
//! the server [`install`]s them at start. This crate's own strings (layout, navigation, errors,
//! the platform pages) are always there. Templates call `lang.t(KEY)`, handlers [`t`].
//!
//! The catalog itself ([`Lang`], [`t`], [`Msg`]) is the engine's
//! ([`fullhouse_core::i18n`]), re-exported here: the engine renders its own messages too.
//!
//! Errors from the services are English sentences for API callers; [`error_message`] and
//! [`field_reason`] translate them by their machine-readable kind or the engine's [`Msg`],
//! falling back to a translated lead-in plus the original reason.

use axum::http::header;
use fullhouse_core::module::LocaleFile;
use fullhouse_core::{Error, FieldError, Problem};

pub use fullhouse_core::i18n::{t, Arg, Lang, Msg, Val, ENGINE, LANGUAGE_COOKIE};

/// This crate's own strings.
pub const LOCALES: &[LocaleFile] = fullhouse_core::locale_files!("ui", "mail", "branding");

/// Adds `files` (a module's locale files) to the strings the UI looks up, beside this crate's
/// own and the engine's; see [`fullhouse_core::i18n::install`].
pub fn install(files: &[LocaleFile]) -> Result<(), String> {
    let all: Vec<LocaleFile> = LOCALES.iter().chain(files).copied().collect();
    fullhouse_core::i18n::install(&all)
}

/// Middleware for public pages (the storefront): `?lang=da` on a GET chooses the visitor's
/// language. The page answers in it at once (the choice joins the request's cookies, so
/// [`Lang::of_visitor`] reads it) and the choice is kept in the same cookie the login page's picker
/// sets. A GET is enough: a language is a preference, not an action another site could abuse.
pub async fn language_from_query(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let chosen = request
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "lang")
        .and_then(|(_, value)| Lang::parse(value));
    let Some(lang) = chosen else {
        return next.run(request).await;
    };
    if let Ok(value) = header::HeaderValue::from_str(&format!("{LANGUAGE_COOKIE}={}", lang.code()))
    {
        request.headers_mut().append(header::COOKIE, value);
    }
    let mut response = next.run(request).await;
    if let Ok(cookie) = header::HeaderValue::from_str(&format!(
        "{LANGUAGE_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    )) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A field's problem in the user's language: by its kind ([`Problem`]), else by the engine's
/// message ([`Msg`]) it carries; a reason with neither is the English reason behind a translated
/// lead-in.
pub fn field_reason(lang: Lang, field: &FieldError) -> String {
    let key = match field.problem {
        Some(Problem::Required) => "error-required",
        Some(Problem::NotAnEmail) => "error-email",
        Some(Problem::PasswordTooShort) => "error-password-short",
        Some(Problem::NotACurrency) => "error-currency",
        Some(Problem::NotAWholeNumber) => "error-number",
        Some(Problem::Taken) => "error-taken",
        Some(Problem::TooExpensive) => "error-template-too-expensive",
        Some(Problem::Unreachable) => {
            return lang.t1(
                "error-smtp-unreachable",
                "address",
                field.value.as_deref().unwrap_or_default(),
            )
        }
        None => {
            return match &field.msg {
                Some(msg) => msg.render(lang),
                None => untranslated_reason(lang, &field.reason),
            }
        }
    };
    t(lang, key)
}

/// An English reason nothing translates: as it is in English, behind "This is not valid" in
/// the other languages.
pub fn untranslated_reason(lang: Lang, reason: &str) -> String {
    if lang == Lang::En {
        reason.to_string()
    } else {
        format!("{} ({reason})", t(lang, "error-invalid"))
    }
}

/// A whole error in the user's language, for a message at the top of a page or form. Several
/// field errors (the rows of a file) read as the first one, with its row and column, and how
/// many more there are.
pub fn error_message(lang: Lang, error: &Error) -> String {
    match error {
        Error::Validation { fields, message } => match fields.first() {
            Some(field) if fields.len() == 1 && (field.row.is_none() || field.msg.is_none()) => {
                field_reason(lang, field)
            }
            Some(first) if first.problem.is_some() || first.msg.is_some() => {
                let described = fullhouse_core::import::describe_in(lang, first, field_reason);
                match fields.len() - 1 {
                    0 => described,
                    more => Msg::new("engine-and-more")
                        .arg("first", described)
                        .num("more", more)
                        .render(lang),
                }
            }
            _ => untranslated_reason(lang, message),
        },
        Error::NotFound(_) => t(lang, "error-not-found"),
        Error::Forbidden(_) => t(lang, "error-forbidden"),
        Error::CsrfFailed => t(lang, "error-csrf"),
        Error::Unauthorized(_) => t(lang, "error-unauthorized"),
        Error::RateLimited => t(lang, "error-rate-limited"),
        // A conflict says what is gone (a seat sold, a code's uses taken, a name someone else
        // has): its sentence says more than any word for "taken" could.
        Error::Conflict { message, .. } => untranslated_reason(lang, message),
        Error::Database(_) | Error::Internal(_) => t(lang, "error-internal"),
        other => untranslated_reason(lang, &other.public_message()),
    }
}

/// Checks a module's tests run on its locale files and templates: every string translated,
/// every key a page names defined.
pub mod checks {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    pub use fullhouse_core::i18n::checks::{keys_in, keys_of, page_sources, untranslated};

    /// Every `t("…")` in the templates and sources under `dirs` that names no key of `known`
    /// nor of the engine (whose keys every page may use: a job's kind, a mapping error).
    pub fn unknown_keys(dirs: &[PathBuf], known: &BTreeSet<String>) -> Vec<String> {
        let mut known = known.clone();
        known.extend(keys_in(super::ENGINE, "en"));
        fullhouse_core::i18n::checks::unknown_after(
            dirs,
            &[
                ".t(\"",
                ".t1(\"",
                "t(lang, \"",
                "t(ui.lang, \"",
                "t(self.lang, \"",
                "Msg::new(\"",
            ],
            |_| true,
            &known,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installed() {
        install(&[]).expect("the UI's strings");
    }

    #[test]
    fn danish_and_french_translate_every_english_string() {
        assert!(checks::keys_in(LOCALES, "en").len() > 50);
        assert_eq!(checks::untranslated(LOCALES), Vec::<String>::new());
    }

    /// Every `t("…")` in a template or handler of this crate names a key that exists.
    #[test]
    fn every_key_the_ui_uses_exists() {
        let known = checks::keys_in(LOCALES, "en");
        let unknown =
            checks::unknown_keys(&checks::page_sources(env!("CARGO_MANIFEST_DIR")), &known);
        assert!(unknown.is_empty(), "keys missing from en: {unknown:#?}");
    }

    #[test]
    fn every_language_has_its_own_text() {
        installed();
        assert_eq!(t(Lang::En, "nav-customers"), "Customers");
        assert_eq!(t(Lang::Da, "nav-customers"), "Kunder");
        assert_eq!(t(Lang::Fr, "nav-customers"), "Clients");
        assert_eq!(Lang::Da.t1("welcome", "name", "Ann"), "Velkommen, Ann");
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(
            Lang::from_accept_language("de-DE,de;q=0.9,fr;q=0.8,en;q=0.7"),
            Some(Lang::Fr)
        );
        assert_eq!(
            Lang::from_accept_language("en;q=0.5, da-DK"),
            Some(Lang::Da)
        );
        assert_eq!(Lang::from_accept_language("de, es;q=0.9"), None);
        assert_eq!(Lang::from_accept_language("fr;q=0, en"), Some(Lang::En));
    }

    #[test]
    fn times_read_on_the_venues_clock_never_in_utc() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-26T18:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        assert_eq!(
            Lang::Da.local_time(at, "Europe/Copenhagen"),
            "2026-12-26 19:00"
        );
        assert_eq!(Lang::En.local_clock(at, "America/New_York"), "13:00");
        assert_eq!(
            Lang::Fr.local_time(at, "Nowhere/Else"),
            "2026-12-26 18:00 UTC"
        );
    }

    #[test]
    fn money_and_numbers_follow_the_language() {
        assert_eq!(Lang::En.money(125_050, "DKK"), "1,250.50 DKK");
        assert_eq!(Lang::Da.money(125_050, "DKK"), "1.250,50 DKK");
        assert_eq!(Lang::Fr.money(-5, "EUR"), "-0,05 EUR");
        assert_eq!(Lang::En.number(1_234_567), "1,234,567");
        assert_eq!(Lang::Da.number(999), "999");
    }

    #[test]
    fn common_errors_are_translated() {
        installed();
        let required = Error::required("name");
        assert_eq!(
            error_message(Lang::Da, &required),
            t(Lang::Da, "error-required")
        );
        assert_eq!(
            error_message(Lang::Fr, &Error::NotFound("customer")),
            t(Lang::Fr, "error-not-found")
        );
        let odd = Error::invalid("x", "is odd");
        assert!(error_message(Lang::Fr, &odd).contains("is odd"));
    }

    #[test]
    fn an_engine_reason_reads_in_the_users_language() {
        installed();
        let field = FieldError::new(
            "columns[1]",
            Msg::new("engine-mapping-chosen-twice").arg("field", "code"),
        );
        assert_eq!(
            field_reason(Lang::Da, &field),
            "`code` er allerede valgt til en anden kolonne"
        );
        assert_eq!(
            field_reason(Lang::En, &field),
            "`code` is already chosen for another column"
        );
    }

    #[test]
    fn the_rows_of_a_file_read_in_the_users_language_with_row_and_column() {
        installed();
        let error = Error::invalid_fields(vec![
            FieldError::at_row(
                3,
                "Antal",
                Msg::new("engine-not-whole-number").arg("value", "2,5"),
            )
            .with_value("2,5"),
            FieldError::at_row(5, "Kode", Msg::new("engine-code-empty")),
        ]);
        assert_eq!(
            error_message(Lang::Da, &error),
            "række 3, Antal `2,5`: `2,5` er ikke et helt tal (og 1 mere)"
        );
        assert_eq!(
            error_message(Lang::Fr, &error),
            "ligne 3, Antal `2,5` : `2,5` n’est pas un nombre entier (et 1 de plus)"
        );
    }
}
