//! What a campaign will do, in one sentence of the reader's language: "Members of VIP 2027 get
//! 20 % off up to 2 tickets per order for Hamlet, 1 Mar 2027 – 31 Mar 2027." Read from the form
//! as it stands (also half filled in), so the sentence follows each change before saving.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use chrono_tz::Tz;
use fullhouse_core::money::parse_decimal_minor;
use fullhouse_web::Lang;

use super::form::Choices;
use crate::campaigns::model::CampaignForm;

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_DA: [&str; 12] = [
    "jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.",
];
const MONTHS_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

/// A day as people write it: `1 Mar 2027`, `1. mar. 2027`, `1 mars 2027`.
pub fn day(lang: Lang, at: DateTime<Utc>, zone: Tz) -> String {
    let local = at.with_timezone(&zone);
    let month = usize::try_from(local.month0()).unwrap_or(0);
    let pick = |months: [&'static str; 12]| months.get(month).copied().unwrap_or_default();
    match lang {
        Lang::En => format!("{} {} {}", local.day(), pick(MONTHS_EN), local.year()),
        Lang::Da => format!("{}. {} {}", local.day(), pick(MONTHS_DA), local.year()),
        Lang::Fr => format!("{} {} {}", local.day(), pick(MONTHS_FR), local.year()),
    }
}

/// A list of names: `A`, `A and B`, `A, B and C`.
fn and_list(lang: Lang, names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!(
            "{} {} {last}",
            rest.join(", "),
            lang.t("campaigns-summary-and")
        ),
    }
}

fn form_time(raw: &str, zone: Tz) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let naive = NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M").ok()?;
    zone.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// A percentage as the reader writes it: `20`, `12.5` or `12,5`.
fn percent(lang: Lang, raw: &str) -> Option<String> {
    let number: f64 = raw
        .trim()
        .trim_end_matches('%')
        .trim()
        .replace(',', ".")
        .parse()
        .ok()?;
    if !number.is_finite() {
        return None;
    }
    let text = format!("{number}");
    Some(if lang == Lang::En {
        text
    } else {
        text.replace('.', ",")
    })
}

/// The sentence for `form`; names come from `choices`.
pub fn sentence(
    lang: Lang,
    zone: Tz,
    currency: &str,
    form: &CampaignForm,
    choices: &Choices,
) -> String {
    let audiences: Vec<String> = choices
        .audiences
        .iter()
        .filter(|a| form.checked("audience_ids", a.id.as_str()))
        .map(|a| a.name.clone())
        .collect();
    let who = if audiences.is_empty() {
        lang.t("campaigns-summary-nobody")
    } else {
        lang.t1(
            "campaigns-summary-members",
            "audiences",
            and_list(lang, &audiences),
        )
    };

    let mut what = Vec::new();
    let value = form.discount_value.trim();
    let amount = || parse_decimal_minor("discount_value", value).ok();
    match form.discount_kind.as_str() {
        "percent" => what.extend(
            percent(lang, value).map(|p| lang.t1("campaigns-summary-percent", "percent", p)),
        ),
        "amount_off" => what.extend(amount().map(|minor| {
            lang.t1(
                "campaigns-summary-amount-off",
                "amount",
                lang.money(minor, currency),
            )
        })),
        "fixed_price" => what.extend(amount().map(|minor| {
            lang.t1(
                "campaigns-summary-fixed-price",
                "price",
                lang.money(minor, currency),
            )
        })),
        _ => {}
    }
    let types: Vec<String> = choices
        .ticket_types
        .iter()
        .filter(|t| form.checked("unlock_ticket_types", &t.id))
        .map(|t| t.name.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !types.is_empty() {
        what.push(lang.t1(
            "campaigns-summary-unlock-types",
            "types",
            and_list(lang, &types),
        ));
    }
    if form.unlock_member_category.is_some() {
        what.push(lang.t("campaigns-summary-unlock-category"));
    }
    if form.unlock_member_seat.is_some() {
        what.push(lang.t("campaigns-summary-unlock-seat"));
    }
    let what = if what.is_empty() {
        lang.t("campaigns-summary-nothing")
    } else {
        and_list(lang, &what)
    };

    let mut parts = vec![format!("{who} {what}")];
    if let Ok(max) = form.max_tickets_per_order.trim().parse::<u32>() {
        if max > 0 {
            parts.push(lang.t1("campaigns-summary-limit", "count", max));
        }
    }
    let mut targets: Vec<String> = choices
        .productions
        .iter()
        .filter(|p| form.checked("production_ids", p.id.as_str()))
        .map(|p| p.name.clone())
        .collect();
    targets.extend(
        choices
            .events
            .iter()
            .filter(|e| form.checked("event_ids", e.id.as_str()))
            .map(|e| format!("{} ({})", e.title, day(lang, e.starts_at, zone))),
    );
    parts.push(if targets.is_empty() {
        lang.t("campaigns-summary-no-target")
    } else {
        lang.t1("campaigns-summary-for", "targets", and_list(lang, &targets))
    });
    let mut sentence = parts.join(" ");
    let from = form_time(&form.valid_from, zone).map(|t| day(lang, t, zone));
    let until = form_time(&form.valid_until, zone).map(|t| day(lang, t, zone));
    let window = match (from, until) {
        (Some(from), Some(until)) => Some(format!("{from} – {until}")),
        (Some(from), None) => Some(lang.t1("campaigns-summary-from", "date", from)),
        (None, Some(until)) => Some(lang.t1("campaigns-summary-until", "date", until)),
        (None, None) => None,
    };
    if let Some(window) = window {
        sentence.push_str(", ");
        sentence.push_str(&window);
    }
    if form.loyalty.is_some() {
        sentence.push_str(", ");
        sentence.push_str(&lang.t("campaigns-summary-loyalty"));
    }
    sentence.push('.');
    sentence
}
