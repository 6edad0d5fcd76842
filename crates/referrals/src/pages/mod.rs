//! Promote → Referral rewards: the organizer's list of promotions, the form that makes one, the
//! promotion's page with its report (server-drawn SVG charts, leaderboard, winners, hits, the
//! reward ledger), and the buyer's side: the public progress page (in [`progress`]) and the
//! share panel on the storefront's order page (in [`panel`]).
//!
//! Organizer forms are CSRF-checked ([`fullhouse_web::CsrfForm`]); refused input comes back as
//! the same form with each reason beside its field. Buyer pages have no session: the progress
//! page's unguessable token is the key, like an intent's payment link.

mod charts;
mod detail;
mod list;
mod new;
mod panel;
mod progress;

pub use panel::SharePanel;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_web::Lang;

use crate::model::{HitClass, PromotionStatus, RewardState, Verdict};

/// The pages' own styles and script (charts, the share panel, copy and share buttons). Served
/// from here because the Content-Security-Policy allows no inline style or script.
const CSS: &str = include_str!("../../static/referrals.css");
const JS: &str = include_str!("../../static/referrals.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/referrals", get(list::list))
        .route("/referrals/new", get(new::form).post(new::create))
        .route("/referrals/{id}", get(detail::page))
        .route("/referrals/{id}/close", post(detail::close))
        .route("/referrals/{id}/tiers", post(detail::tiers))
        .route("/referrals/{id}/report.csv", get(detail::csv))
        .route("/referrals/rewards/{id}/fulfil", post(detail::fulfil))
        .route("/referrals/progress/{token}", get(progress::page))
        .route(
            "/static/referrals.css",
            get(|| async { asset("text/css", CSS) }),
        )
        .route(
            "/static/referrals.js",
            get(|| async { asset("text/javascript", JS) }),
        )
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    let content_type = if kind == "text/css" {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

pub(crate) fn status_label(lang: Lang, status: PromotionStatus) -> String {
    lang.term("referrals-status", status.as_str())
}

/// The badge colour of a promotion's state (the orders' colours).
pub(crate) fn status_class(status: PromotionStatus) -> &'static str {
    match status {
        PromotionStatus::Scheduled => "status-scheduled",
        PromotionStatus::Open => "status-paid",
        PromotionStatus::Closed => "status-expired",
    }
}

pub(crate) fn class_label(lang: Lang, class: HitClass) -> String {
    lang.term("referrals-class", class.as_str())
}

pub(crate) fn verdict_label(lang: Lang, verdict: Verdict) -> String {
    lang.term("referrals-verdict", verdict.as_str())
}

pub(crate) fn reward_state_label(lang: Lang, state: RewardState) -> String {
    lang.term("referrals-reward", state.as_str())
}

/// A `datetime-local` value read on the venue's clock; `None` when it is not one, or names a
/// time the clock skips.
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

/// A tier's threshold in words ("3 tickets", "1 ticket").
pub(crate) fn tier_words(lang: &Lang, tickets: &u32) -> String {
    let (lang, tickets) = (*lang, *tickets);
    if tickets == 1 {
        lang.t("referrals-tier-one")
    } else {
        lang.t1("referrals-tier-of", "tickets", tickets)
    }
}

/// A share of one as a percentage in the reader's notation (`12.5 %`, `12,5 %`).
pub(crate) fn percent(lang: Lang, ratio: f64) -> String {
    let tenths = (ratio * 1000.0).round();
    let text = format!("{:.1}", tenths / 10.0);
    let text = if lang == Lang::En {
        text
    } else {
        text.replace('.', ",")
    };
    format!("{text}\u{a0}%")
}

#[cfg(test)]
mod tests {
    use fullhouse_web::i18n::checks;

    #[test]
    fn danish_and_french_translate_every_english_string() {
        assert!(!checks::keys_in(crate::LOCALES, "en").is_empty());
        assert_eq!(checks::untranslated(crate::LOCALES), Vec::<String>::new());
    }

    #[test]
    fn every_key_the_pages_use_exists() {
        let mut known = checks::keys_in(crate::LOCALES, "en");
        known.extend(checks::keys_in(fullhouse_web::i18n::LOCALES, "en"));
        known.extend(checks::keys_in(fullhouse_checkout::pages::LOCALES, "en"));
        let unknown =
            checks::unknown_keys(&checks::page_sources(env!("CARGO_MANIFEST_DIR")), &known);
        assert!(unknown.is_empty(), "keys missing from en: {unknown:#?}");
    }

    #[test]
    fn the_strings_install_beside_the_platforms_and_checkouts() {
        assert_eq!(
            fullhouse_web::i18n::install(fullhouse_checkout::pages::LOCALES),
            Ok(())
        );
        assert_eq!(fullhouse_web::i18n::install(crate::LOCALES), Ok(()));
        assert_eq!(
            fullhouse_web::Lang::Fr.t("referrals-title"),
            "Récompenses de parrainage"
        );
    }

    #[test]
    fn a_percentage_is_written_the_readers_way() {
        use fullhouse_web::Lang;
        assert_eq!(super::percent(Lang::En, 0.125), "12.5\u{a0}%");
        assert_eq!(super::percent(Lang::Da, 0.125), "12,5\u{a0}%");
        assert_eq!(super::percent(Lang::Fr, 0.0), "0,0\u{a0}%");
    }
}
