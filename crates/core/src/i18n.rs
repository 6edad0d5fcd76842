//! The languages of everything a person reads: English, Danish and French, from Fluent files
//! compiled into the binary.
//!
//! The catalog lives here, in the engine, because the engine speaks too: an import's row errors,
//! a mapping error, a job's title and progress. Every module keeps the strings of its own pages
//! in its own `locales/<lang>/*.ftl` and hands them to the server through its
//! [`Module::locales`](crate::module::Module::locales); the server [`install`]s them at start.
//! The engine's own strings ([`ENGINE`], `crates/core/locales/*/engine.ftl`) are always there.
//! `fullhouse_web::i18n` re-exports all of this for the pages.
//!
//! # How the engine says something
//!
//! A reason the engine gives (a bad cell, a missing column) is a [`Msg`]: a message key of
//! `engine.ftl` and its arguments. A [`FieldError`](crate::FieldError) carries it beside its
//! English `reason`, so the API and the files keep their English sentence while a page renders
//! the same reason in its reader's language ([`Msg::render`]). Keys are only ever written as
//! `Msg::new("…")` or `lang.t("…")`/`lang.t1("…", …)`, which the key checks scan for.
//!
//! # Jobs speak the language of whoever started them
//!
//! A job's title, progress and error are stored as text in the language of the person who
//! started it (the `notify` language of its payload, the organization's for a job nobody
//! started), not as keys rendered when read. That is what the segments jobs already did; the
//! "job finished" mail goes to that same person in that same language; the API's `GET /jobs`
//! shows what the Jobs page shows; and a stored sentence never breaks when a key is renamed in a
//! later release (old rows keep reading). Jobs of an organization are read by its staff, who
//! share a working language far more often than not.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use axum::http::{header, HeaderMap};
use axum_extra::extract::CookieJar;
use fluent_templates::fluent_bundle::concurrent::FluentBundle;
use fluent_templates::fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::module::LocaleFile;

/// The engine's own strings: import and mapping errors, job titles and progress.
pub const ENGINE: &[LocaleFile] = crate::locale_files!("engine");

/// The cookie that remembers the language chosen before logging in.
pub const LANGUAGE_COOKIE: &str = "fullhouse_lang";

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
        None => ENGINE.to_vec(),
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
    // Nothing installed yet: the engine's own files.
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
pub fn lookup(lang: Lang, key: &str, args: Option<&FluentArgs>) -> Option<String> {
    lookup_in(lang, key, args).or_else(|| {
        (lang != Lang::En)
            .then(|| lookup_in(Lang::En, key, args))
            .flatten()
    })
}

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

/// The text of `key` in `lang` (English when `lang` lacks it, the key itself when none has it).
pub fn t(lang: Lang, key: &str) -> String {
    lookup(lang, key, None).unwrap_or_else(|| key.to_string())
}

/// Something the engine says, as a message key of `engine.ftl` (or any installed file) and its
/// arguments: rendered in the reader's language where it is read, in English where it is
/// written down for a program or a file ([`fmt::Display`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Msg {
    /// The message key, e.g. `engine-not-whole-number`.
    pub key: String,
    /// The arguments by name; numbers stay numbers so that plurals choose their form.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub args: BTreeMap<String, Arg>,
}

/// One argument of a [`Msg`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    Number(i64),
    Text(String),
}

impl Msg {
    /// The message `key`; the key checks find every key written this way.
    pub fn new(key: &'static str) -> Msg {
        Msg {
            key: key.to_string(),
            args: BTreeMap::new(),
        }
    }

    /// With a text argument.
    pub fn arg(mut self, name: &str, value: impl fmt::Display) -> Msg {
        self.args
            .insert(name.to_string(), Arg::Text(value.to_string()));
        self
    }

    /// With a number argument (plurals choose their form by it).
    pub fn num(mut self, name: &str, value: impl TryInto<i64>) -> Msg {
        let value = value.try_into().unwrap_or(i64::MAX);
        self.args.insert(name.to_string(), Arg::Number(value));
        self
    }

    /// The message in `lang` (English when `lang` lacks it, the key itself when none has it).
    pub fn render(&self, lang: Lang) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in &self.args {
            let value = match value {
                Arg::Number(n) => FluentValue::from(*n),
                Arg::Text(text) => FluentValue::from(text.clone()),
            };
            args.set(Cow::Owned(name.clone()), value);
        }
        lookup(lang, &self.key, Some(&args)).unwrap_or_else(|| self.key.clone())
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// Checks each crate's tests run on its locale files and sources: every string translated,
/// every key the code names defined.
pub mod checks {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use crate::module::LocaleFile;

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

    /// Every file under `dirs`, recursively.
    pub fn files_under(dirs: &[PathBuf]) -> Vec<PathBuf> {
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
        files
    }

    /// Every key written after one of `markers` (`Msg::new("`, `.t("`) in the files under
    /// `dirs` that is not in `known`, as `file: key`; keys are kept only when `keep` says so
    /// (e.g. the engine's `engine-` keys).
    pub fn unknown_after(
        dirs: &[PathBuf],
        markers: &[&str],
        keep: impl Fn(&str) -> bool,
        known: &BTreeSet<String>,
    ) -> Vec<String> {
        let mut unknown = Vec::new();
        for file in files_under(dirs) {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for marker in markers {
                for piece in text.split(marker).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    if keep(key) && !known.contains(key) {
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
    use crate::error::{Error, FieldError};

    #[test]
    fn danish_and_french_translate_every_engine_string() {
        assert!(checks::keys_in(ENGINE, "en").len() > 40);
        assert_eq!(checks::untranslated(ENGINE), Vec::<String>::new());
    }

    /// Every message the engine's own sources name (`Msg::new("…")`, `lang.t("…")`) is in
    /// `engine.ftl`; the server's tests check the same for every crate.
    #[test]
    fn every_key_the_engine_uses_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for lang in ["en", "da", "fr"] {
            let known = checks::keys_in(ENGINE, lang);
            let is_key = |key: &str| {
                !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            };
            let mut unknown =
                checks::unknown_after(&[root.join("src")], &["Msg::new(\""], is_key, &known);
            // `lang.t("…")` in the engine names its own keys; the doc examples name others.
            unknown.extend(checks::unknown_after(
                &[root.join("src")],
                &[".t(\"", ".t1(\""],
                |key| key.starts_with("engine-") || key.starts_with("job"),
                &known,
            ));
            assert!(unknown.is_empty(), "keys missing from {lang}: {unknown:#?}");
        }
    }

    #[test]
    fn a_message_reads_in_each_language_with_its_arguments() {
        let msg = Msg::new("engine-code-twice-in-file")
            .arg("code", "VIP1")
            .num("first", 3);
        assert_eq!(
            msg.to_string(),
            "code VIP1 appears twice in the file (first on row 3)"
        );
        assert_eq!(
            msg.render(Lang::Da),
            "koden VIP1 står to gange i filen (første gang i række 3)"
        );
        assert_eq!(
            msg.render(Lang::Fr),
            "le code VIP1 figure deux fois dans le fichier (d’abord à la ligne 3)"
        );
    }

    #[test]
    fn numbers_choose_the_plural_form() {
        let one = Msg::new("engine-import-nothing-imported").num("rows", 1);
        let many = Msg::new("engine-import-nothing-imported").num("rows", 4);
        assert_eq!(
            one.to_string(),
            "nothing was imported: 1 row of the file has errors."
        );
        assert_eq!(
            many.render(Lang::Da),
            "intet blev importeret: 4 rækker i filen har fejl."
        );
    }

    #[test]
    fn a_field_error_keeps_its_english_reason_and_its_message() {
        let field = FieldError::at_row(
            4,
            "Antal",
            Msg::new("engine-not-whole-number").arg("value", "2,5"),
        );
        assert_eq!(field.reason, "`2,5` is not a whole number");
        let msg = field.msg.clone().expect("a message");
        assert_eq!(msg.render(Lang::Fr), "`2,5` n’est pas un nombre entier");
        let json = serde_json::to_value(&field).expect("json");
        assert_eq!(json["msg"]["key"], "engine-not-whole-number");
        assert_eq!(json["msg"]["args"]["value"], "2,5");
        let error = Error::invalid("file", Msg::new("engine-file-no-rows"));
        assert_eq!(error.to_string(), "file: has no rows to import");
    }

    #[test]
    fn an_unknown_key_shows_as_itself_never_as_nothing() {
        // Spelled so that the key checks do not take it for a key in use.
        let missing = Msg::new(concat!("engine-", "no-such-key"));
        assert_eq!(missing.render(Lang::Da), "engine-no-such-key");
    }
}
