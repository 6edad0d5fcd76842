//! The UI's languages: English, Danish and French, from Fluent files compiled into the binary.
//!
//! Every module keeps the strings of its own pages in its own `locales/<lang>/*.ftl` and hands
//! them to the server through its [`Module::locales`](fullhouse_core::module::Module::locales);
//! the server [`install`]s them at start. This crate's own strings (layout, navigation, errors,
//! the platform pages) are always there. Templates call `lang.t(KEY)`, handlers [`t`].
//!
//! Errors from the services are English sentences for API callers; [`error_message`] and
//! [`field_reason`] translate them by their machine-readable kind, falling back to a
//! translated lead-in plus the original reason.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, RwLock};

use axum::http::{header, HeaderMap};
use axum_extra::extract::CookieJar;
use fluent_templates::fluent_bundle::concurrent::FluentBundle;
use fluent_templates::fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fullhouse_core::module::LocaleFile;
use fullhouse_core::{Error, FieldError, Problem};

/// This crate's own strings.
pub const LOCALES: &[LocaleFile] = fullhouse_core::locale_files!("ui", "mail", "branding");

type Bundle = FluentBundle<FluentResource>;

/// The installed strings: one bundle per language, rebuilt when files are added.
struct Catalog {
    files: Vec<LocaleFile>,
    bundles: Vec<(Lang, Arc<Bundle>)>,
}

static CATALOG: RwLock<Option<Catalog>> = RwLock::new(None);

/// Adds `files` (a module's locale files) to the strings the UI looks up; files already
/// installed (same language and name) are skipped, so every test server may install the same
/// list. Fails on a file that is not valid Fluent or that defines a key another file defines:
/// two modules cannot both own a string.
pub fn install(files: &[LocaleFile]) -> Result<(), String> {
    let mut guard = CATALOG
        .write()
        .map_err(|_| "locale catalog lock poisoned".to_string())?;
    let mut all = match guard.take() {
        Some(catalog) => catalog.files,
        None => LOCALES.to_vec(),
    };
    for file in files {
        if !all
            .iter()
            .any(|f| f.lang == file.lang && f.name == file.name)
        {
            all.push(*file);
        }
    }
    let built = build(&all);
    let bundles = match built {
        Ok(bundles) => bundles,
        Err(problem) => {
            // Keep what worked before: a bad file must not take every page's text away.
            let previous: Vec<LocaleFile> = all
                .iter()
                .filter(|f| !files.iter().any(|n| n.lang == f.lang && n.name == f.name))
                .copied()
                .collect();
            let bundles = build(&previous).unwrap_or_default();
            *guard = Some(Catalog {
                files: previous,
                bundles,
            });
            return Err(problem);
        }
    };
    *guard = Some(Catalog {
        files: all,
        bundles,
    });
    Ok(())
}

fn build(files: &[LocaleFile]) -> Result<Vec<(Lang, Arc<Bundle>)>, String> {
    let mut bundles = Vec::new();
    for lang in Lang::ALL {
        let mut bundle = Bundle::new_concurrent(vec![lang.id()]);
        // Bidi isolation marks around arguments would end up in attributes and test assertions.
        bundle.set_use_isolating(false);
        for file in files.iter().filter(|f| f.lang == lang.code()) {
            let resource = FluentResource::try_new(file.source.to_string())
                .map_err(|(_, errors)| format!("{}/{}: {errors:?}", file.lang, file.name))?;
            bundle
                .add_resource(resource)
                .map_err(|errors| format!("{}/{}: {errors:?}", file.lang, file.name))?;
        }
        bundles.push((lang, Arc::new(bundle)));
    }
    Ok(bundles)
}

/// The bundle of `lang`, installing this crate's own strings on first use.
fn bundle(lang: Lang) -> Option<Arc<Bundle>> {
    let find = |catalog: &Option<Catalog>| {
        catalog.as_ref().and_then(|c| {
            c.bundles
                .iter()
                .find(|(l, _)| *l == lang)
                .map(|(_, b)| b.clone())
        })
    };
    if let Some(found) = CATALOG.read().ok().and_then(|c| find(&c)) {
        return Some(found);
    }
    // Nothing installed yet: this crate's own files.
    if let Err(problem) = install(&[]) {
        tracing::error!(%problem, "locale files could not be read");
    }
    CATALOG.read().ok().and_then(|c| find(&c))
}

/// The text of `key` in `lang`, with `args`; `None` when `lang` has no such message.
fn lookup_in(lang: Lang, key: &str, args: Option<&FluentArgs>) -> Option<String> {
    let bundle = bundle(lang)?;
    let pattern = bundle.get_message(key)?.value()?;
    let mut errors = Vec::new();
    Some(
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned(),
    )
}

/// The text of `key` in `lang`, else in English.
fn lookup(lang: Lang, key: &str, args: Option<&FluentArgs>) -> Option<String> {
    lookup_in(lang, key, args).or_else(|| {
        (lang != Lang::En)
            .then(|| lookup_in(Lang::En, key, args))
            .flatten()
    })
}

/// The cookie that remembers the language chosen before logging in.
pub const LANGUAGE_COOKIE: &str = "fullhouse_lang";

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Da,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Da, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Da => "da",
            Lang::Fr => "fr",
        }
    }

    /// Every language, for a picker in a template.
    pub fn all(self) -> [Lang; 3] {
        Lang::ALL
    }

    /// The language's name in itself, as a language picker shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Da => "Dansk",
            Lang::Fr => "Français",
        }
    }

    /// Reads `da`, `da-DK`, `FR`, `en_GB`; anything else is `None`.
    pub fn parse(value: &str) -> Option<Lang> {
        let primary = value
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "da" => Some(Lang::Da),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The stored language of a user; unknown values (never expected) read as English.
    pub fn from_stored(value: &str) -> Lang {
        Lang::parse(value).unwrap_or_default()
    }

    /// The first supported language of an `Accept-Language` header, by preference weight.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut ranked: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(position, part)| {
                let mut pieces = part.split(';');
                let lang = Lang::parse(pieces.next()?)?;
                let weight = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (weight > 0.0).then_some((weight, position, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|r| r.2)
    }

    /// The language of a visitor who is not logged in: the cookie they chose, else what their
    /// browser asks for, else English.
    pub fn of_visitor(headers: &HeaderMap) -> Lang {
        let jar = CookieJar::from_headers(headers);
        jar.get(LANGUAGE_COOKIE)
            .and_then(|c| Lang::parse(c.value()))
            .or_else(|| {
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or_default()
    }

    fn id(self) -> fluent_templates::LanguageIdentifier {
        // The three codes are valid language identifiers; parsing cannot fail.
        self.code().parse().unwrap_or_default()
    }

    /// The text of `key` in this language (English when this language lacks it).
    pub fn t(self, key: &str) -> String {
        t(self, key)
    }

    /// The text of `key` with one variable, e.g. `lang.t1("welcome", "name", user_name)`.
    pub fn t1(self, key: &str, name: &'static str, value: impl fmt::Display) -> String {
        let mut args = FluentArgs::new();
        args.set(Cow::Borrowed(name), FluentValue::from(value.to_string()));
        lookup(self, key, Some(&args)).unwrap_or_else(|| key.to_string())
    }

    /// The text of `key` with counts: each `name` is given as a number (for plural variants,
    /// `{ $codes -> [one] … *[other] … }`) and as `<name>_shown`, written in this language
    /// (`1.250` in Danish).
    pub fn counted(self, key: &str, counts: &[(&'static str, i64)]) -> String {
        let mut args = FluentArgs::new();
        for (name, count) in counts {
            args.set(Cow::Borrowed(*name), FluentValue::from(*count));
            args.set(
                Cow::Owned(format!("{name}_shown")),
                FluentValue::from(self.number(*count)),
            );
        }
        lookup(self, key, Some(&args)).unwrap_or_else(|| key.to_string())
    }

    /// The text of `<prefix>-<value>` (a status or role), or `value` itself when there is none,
    /// so a new status shows up raw rather than as a missing key.
    pub fn term(self, prefix: &str, value: &str) -> String {
        let key = format!("{prefix}-{}", value.replace('_', "-"));
        lookup(self, &key, None).unwrap_or_else(|| value.to_string())
    }

    /// The text of `key`, or `fallback` when no language has it.
    pub fn t_or(self, key: &str, fallback: &str) -> String {
        lookup(self, key, None).unwrap_or_else(|| fallback.to_string())
    }

    /// A whole number with this language's thousands separator.
    pub fn number(self, value: impl Val<i64>) -> String {
        let value = value.val();
        let separator = match self {
            Lang::En => ',',
            Lang::Da => '.',
            Lang::Fr => '\u{202f}',
        };
        group_digits(value, separator)
    }

    /// A moment as the clock on the venue's wall shows it (`2026-12-26 19:00` for 18:00 UTC in
    /// `Europe/Copenhagen`): buyers and staff read times where the event happens, never in UTC.
    /// A zone that does not parse (venues' zones are checked when saved) falls back to UTC and
    /// says so.
    pub fn local_time(self, at: impl Val<chrono::DateTime<chrono::Utc>>, zone: &str) -> String {
        let at = at.val();
        match zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            Err(_) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    /// The clock time alone (`19:00`), in the venue's zone like [`Lang::local_time`].
    pub fn local_clock(self, at: impl Val<chrono::DateTime<chrono::Utc>>, zone: &str) -> String {
        let at = at.val();
        match zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => at.with_timezone(&tz).format("%H:%M").to_string(),
            Err(_) => at.format("%H:%M UTC").to_string(),
        }
    }

    /// An amount in minor units: `1,250.00 DKK`, `1.250,00 DKK`, `1 250,00 DKK`.
    pub fn money(self, amount_minor: impl Val<i64>, currency: &str) -> String {
        let amount_minor = amount_minor.val();
        let sign = if amount_minor < 0 { "-" } else { "" };
        let abs = amount_minor.unsigned_abs();
        let whole = i64::try_from(abs / 100).unwrap_or(i64::MAX);
        let decimal = if self == Lang::En { '.' } else { ',' };
        format!(
            "{sign}{}{decimal}{:02} {currency}",
            self.number(whole),
            abs % 100
        )
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A small value given as itself or behind references: templates pass their arguments by
/// reference, and a value bound by `if let` is a reference already.
pub trait Val<T> {
    fn val(&self) -> T;
}

impl<T: Copy> Val<T> for T {
    fn val(&self) -> T {
        *self
    }
}

impl<T: Copy> Val<T> for &T {
    fn val(&self) -> T {
        **self
    }
}

impl<T: Copy> Val<T> for &&T {
    fn val(&self) -> T {
        ***self
    }
}

fn group_digits(value: i64, separator: char) -> String {
    let digits: Vec<char> = value.unsigned_abs().to_string().chars().collect();
    let groups: Vec<String> = digits
        .rchunks(3)
        .rev()
        .map(|group| group.iter().collect())
        .collect();
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{}", groups.join(&separator.to_string()))
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

/// The text of `key` in `lang` (English when `lang` lacks it, the key itself when none has it).
pub fn t(lang: Lang, key: &str) -> String {
    lookup(lang, key, None).unwrap_or_else(|| key.to_string())
}

/// A field's problem in the user's language, by its kind ([`Problem`]); a reason without a
/// kind is the English reason behind a translated lead-in.
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
        None => return untranslated_reason(lang, &field.reason),
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

/// A whole error in the user's language, for a message at the top of a page or form.
pub fn error_message(lang: Lang, error: &Error) -> String {
    match error {
        Error::Validation { fields, message } => match fields.first() {
            Some(field) if fields.len() == 1 => field_reason(lang, field),
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
    use std::path::{Path, PathBuf};

    use fullhouse_core::module::LocaleFile;

    /// The message keys a Fluent source defines.
    pub fn keys_of(source: &str) -> BTreeSet<String> {
        source
            .lines()
            .filter_map(|line| line.split_once(" ="))
            .map(|(key, _)| key)
            .filter(|key| !key.starts_with([' ', '#', '.']) && !key.is_empty())
            .map(|key| key.trim().to_string())
            .collect()
    }

    /// The keys of `files` in `lang`.
    pub fn keys_in(files: &[LocaleFile], lang: &str) -> BTreeSet<String> {
        files
            .iter()
            .filter(|f| f.lang == lang)
            .flat_map(|f| keys_of(f.source))
            .collect()
    }

    /// What Danish and French lack that English has, and the other way round.
    pub fn untranslated(files: &[LocaleFile]) -> Vec<String> {
        let english = keys_in(files, "en");
        let mut problems = Vec::new();
        for lang in ["da", "fr"] {
            let other = keys_in(files, lang);
            for key in english.difference(&other) {
                problems.push(format!("{lang} lacks {key}"));
            }
            for key in other.difference(&english) {
                problems.push(format!("{lang} has {key}, English does not"));
            }
        }
        problems
    }

    /// Every `t("…")` in the templates and sources under `dirs` that names no key of `known`.
    pub fn unknown_keys(dirs: &[PathBuf], known: &BTreeSet<String>) -> Vec<String> {
        let mut files = Vec::new();
        let mut pending: Vec<PathBuf> = dirs.to_vec();
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        let mut unknown = Vec::new();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for marker in [
                ".t(\"",
                ".t1(\"",
                "t(lang, \"",
                "t(ui.lang, \"",
                "t(self.lang, \"",
            ] {
                for piece in text.split(marker).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    if !known.contains(key) {
                        unknown.push(format!("{}: {key}", file.display()));
                    }
                }
            }
        }
        unknown
    }

    /// `templates` and `src` of the crate at `manifest_dir`.
    pub fn page_sources(manifest_dir: &str) -> Vec<PathBuf> {
        let root = Path::new(manifest_dir);
        vec![root.join("templates"), root.join("src")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
