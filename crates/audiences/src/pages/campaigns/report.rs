//! The campaign's report as the page shows it and as a spreadsheet: the figures in the reader's
//! language (money, numbers, times on the organization's clock), and the CSV export with the
//! organization's spreadsheet conventions (`;` and a decimal comma for Danish and French
//! readers, headers in their language) through core's table writer, which neutralizes any cell
//! a spreadsheet would run as a formula (codes and buyers' names come from uploads and buyers).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use fullhouse_core::http::AppState;
use fullhouse_core::tabular::{ExportFormat, TableWriter};
use fullhouse_core::Permission;
use fullhouse_web::{Lang, PageError, Ui};

use super::{campaign_id, service, summary};
use crate::campaigns::figures::{Amount, CampaignFigures, UnusedCode, UseChannel};
use crate::campaigns::model::CampaignReport;
use crate::campaigns::CampaignId;

/// Unused codes listed on the page (all of them are in the CSV).
const UNUSED_SHOWN: usize = 100;

/// One use as the page lists it.
pub struct UseRow {
    pub at: String,
    pub code: String,
    pub uses: i64,
    pub order_id: String,
    pub paid: bool,
    pub channel: String,
    pub buyer: String,
    pub buyer_id: Option<String>,
    pub total: String,
    pub discount: String,
}

/// The report section of the campaign page.
pub struct ReportView {
    pub codes: CampaignReport,
    pub revenue: String,
    pub held_revenue: Option<String>,
    pub discount: String,
    pub held_discount: Option<String>,
    /// `12.5 %`, or a dash when the campaign offers no uses.
    pub rate: String,
    pub uses_taken: String,
    pub uses_available: String,
    pub uses: Vec<UseRow>,
    pub unused_count: usize,
    pub unused: Vec<UnusedCode>,
    /// The chart of uses per day (SVG), empty without uses.
    pub chart: String,
}

fn money(lang: Lang, amounts: &[Amount], currency: &str) -> String {
    if amounts.is_empty() {
        return lang.money(0, currency);
    }
    amounts
        .iter()
        .map(|a| lang.money(a.minor, &a.currency))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn held(lang: Lang, amounts: &[Amount]) -> Option<String> {
    (amounts.iter().any(|a| a.minor != 0)).then(|| money(lang, amounts, ""))
}

/// A percentage with one decimal in the reader's way: `12.5 %`, `12,5 %`.
fn rate(lang: Lang, figures: &CampaignFigures) -> String {
    match figures.redemption_rate() {
        None => "–".into(),
        Some(rate) => {
            let text = format!("{rate:.1}");
            let text = text.strip_suffix(".0").unwrap_or(&text).to_string();
            let text = if lang == Lang::En {
                text
            } else {
                text.replace('.', ",")
            };
            format!("{text} %")
        }
    }
}

fn channel(lang: Lang, channel: UseChannel) -> String {
    lang.t(&format!(
        "campaigns-channel-{}",
        channel.as_str().replace('_', "-")
    ))
}

impl ReportView {
    pub async fn load(state: &AppState, ui: &Ui, id: &CampaignId) -> Result<ReportView, PageError> {
        let service = service(state);
        let org = &ui.caller.org;
        let codes = service.report(org, id).await.map_err(|e| ui.error(e))?;
        let figures = service.figures(org, id).await.map_err(|e| ui.error(e))?;
        let currency = fullhouse_core::tenancy::service::TenancyService::new(state.db.clone())
            .organization(org)
            .await
            .map_err(|e| ui.error(e))?
            .currency;
        let lang = ui.lang;
        let mut per_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for line in &figures.uses {
            *per_day
                .entry(line.at.with_timezone(&ui.timezone).date_naive())
                .or_default() += line.uses;
        }
        let chart = uses_chart(lang, &per_day);
        let uses = figures
            .uses
            .iter()
            .rev()
            .map(|u| UseRow {
                at: ui.datetime(u.at),
                code: u.code.clone(),
                uses: u.uses,
                order_id: u.order_id.to_string(),
                paid: u.paid,
                channel: channel(lang, u.channel),
                buyer: u.buyer.as_ref().map(|b| b.name.clone()).unwrap_or_default(),
                buyer_id: u.buyer.as_ref().map(|b| b.id.to_string()),
                total: lang.money(u.order_total.minor, &u.order_total.currency),
                discount: lang.money(u.order_discount.minor, &u.order_discount.currency),
            })
            .collect();
        Ok(ReportView {
            revenue: money(lang, &figures.revenue, &currency),
            held_revenue: held(lang, &figures.held_revenue),
            discount: money(lang, &figures.discount, &currency),
            held_discount: held(lang, &figures.held_discount),
            rate: rate(lang, &figures),
            uses_taken: lang.number(figures.uses_taken),
            uses_available: lang.number(figures.uses_available),
            uses,
            unused_count: figures.unused.len(),
            unused: figures.unused.iter().take(UNUSED_SHOWN).cloned().collect(),
            chart,
            codes,
        })
    }
}

/// Uses per day from the first day with uses to the last (days between at zero, so the bars
/// stand in time), drawn by the page kit's chart. Empty without uses.
fn uses_chart(lang: Lang, per_day: &BTreeMap<NaiveDate, i64>) -> String {
    let (Some((first, _)), Some((last, _))) = (per_day.first_key_value(), per_day.last_key_value())
    else {
        return String::new();
    };
    // A campaign running longer than a year is drawn by its last year.
    let start = (*last - chrono::Duration::days(365)).max(*first);
    let points: Vec<(String, i64)> = start
        .iter_days()
        .take_while(|day| day <= last)
        .map(|day| {
            let noon = day
                .and_hms_opt(12, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or_default();
            let label = summary::day(lang, noon, chrono_tz::UTC);
            // The year is in the table; under a bar the day and month are enough.
            let label = label
                .rsplit_once(' ')
                .map(|(day_month, _)| day_month.to_string())
                .unwrap_or(label);
            (label, per_day.get(&day).copied().unwrap_or(0))
        })
        .collect();
    fullhouse_web::chart::bars(
        &points,
        |n| lang.number(n),
        &lang.t("campaigns-chart-label"),
    )
}

/// The CSV separator for a reader of `lang`: a Danish or French spreadsheet program reads `;`
/// (the comma is their decimal mark), an English one `,`.
fn delimiter(lang: Lang) -> u8 {
    match lang {
        Lang::En => b',',
        Lang::Da | Lang::Fr => b';',
    }
}

/// An amount as a spreadsheet reads it in `lang`: `125.50` or `125,50`, no thousands mark.
fn cell_amount(lang: Lang, minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let mark = if lang == Lang::En { '.' } else { ',' };
    format!(
        "{sign}{}{mark}{:02}",
        (minor / 100).abs(),
        (minor % 100).abs()
    )
}

/// The report as rows: one per use, then one per unused code.
pub fn csv_rows(lang: Lang, zone: chrono_tz::Tz, figures: &CampaignFigures) -> Vec<Vec<String>> {
    let mut rows = Vec::with_capacity(figures.uses.len() + figures.unused.len());
    for u in &figures.uses {
        let state = if u.paid {
            "campaigns-csv-state-paid"
        } else {
            "campaigns-csv-state-held"
        };
        rows.push(vec![
            u.at.with_timezone(&zone)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            u.code.clone(),
            u.uses.to_string(),
            lang.t(state),
            u.order_id.to_string(),
            channel(lang, u.channel),
            u.buyer.as_ref().map(|b| b.name.clone()).unwrap_or_default(),
            u.buyer
                .as_ref()
                .and_then(|b| b.email.clone())
                .unwrap_or_default(),
            cell_amount(lang, u.order_total.minor),
            cell_amount(lang, u.order_discount.minor),
            u.order_total.currency.clone(),
        ]);
    }
    for code in &figures.unused {
        rows.push(vec![
            String::new(),
            code.code.clone(),
            "0".into(),
            lang.t("campaigns-csv-state-unused"),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    rows
}

/// The headers of [`csv_rows`] in the reader's language.
pub fn csv_headers(lang: Lang) -> Vec<String> {
    [
        "time", "code", "uses", "state", "order", "channel", "buyer", "email", "total", "discount",
        "currency",
    ]
    .iter()
    .map(|h| lang.t(&format!("campaigns-csv-{h}")))
    .collect()
}

/// `GET /campaigns/{id}/report.csv`: the report as a spreadsheet.
pub(super) async fn csv(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = campaign_id(&ui, &id)?;
    let figures = service(&state)
        .figures(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let headers = csv_headers(ui.lang);
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let bytes = (|| {
        let mut writer = TableWriter::new(ExportFormat::Csv, &headers, delimiter(ui.lang))?;
        for row in csv_rows(ui.lang, ui.timezone, &figures) {
            writer.write_row(&row)?;
        }
        writer.finish()
    })()
    .map_err(|e| ui.error(e))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                ExportFormat::Csv.content_type().to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"campaign-{id}.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
