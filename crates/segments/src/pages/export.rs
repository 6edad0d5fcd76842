//! `/segments/{id}/actions/export`: the export form (which file, which format) for the
//! customers the dashboard shows, and starting the export as a job.
//!
//! The page receives the dashboard's query string (its filters, "view for" and `view=`), keeps
//! it in the form's action, and the POST reads it again: what is exported is what the
//! dashboard counted. [`selection_of`] turns that query into a [`Selection`]; it is small so
//! the shared helper in `pages::actions` can replace it.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use chrono::Utc;
use fullhouse_core::http::AppState;
use fullhouse_core::tabular::ExportFormat;
use fullhouse_core::{Error, OrgId, Permission};
use fullhouse_web::i18n::error_message;
use fullhouse_web::{CsrfForm, PageError, Ui};
use serde::Deserialize;

use super::service;
use crate::index::Registry;
use crate::jobs::export::{start_export, XLSX_MAX_CUSTOMERS};
use crate::jobs::export_rows::ExportKind;
use crate::model::form::DashboardForm;
use crate::model::{Segment, SegmentId, ViewId};
use crate::selection::Selection;
use crate::service::SegmentService;

/// The dashboard's query as a selection: the open view when the form still shows its filters
/// unchanged, else the filters as shown.
pub(super) async fn selection_of(
    segments: &SegmentService,
    org: &OrgId,
    id: &SegmentId,
    form: &DashboardForm,
) -> Result<Selection, Error> {
    let request = form.count_request()?;
    if let Ok(view) = ViewId::parse(form.view.trim()) {
        let saved = segments.view(org, id, &view).await?;
        if saved.filters == request.filters {
            return Ok(Selection {
                view_id: Some(view),
                view_for: request.view_for,
                ..Selection::segment(id.clone())
            });
        }
    }
    Ok(Selection {
        segment_id: id.clone(),
        view_id: None,
        filters: request.filters,
        view_for: request.view_for,
    })
}

/// The choices the form posts.
#[derive(Debug, Deserialize)]
pub(super) struct ExportForm {
    kind: ExportKind,
    format: ExportFormat,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/export.html")]
struct ExportPage {
    ui: Ui,
    segment: Segment,
    view_name: Option<String>,
    customers: usize,
    too_many_for_xlsx: bool,
    /// The dashboard's query, carried to the POST.
    query: String,
    error: Option<String>,
}

impl ExportPage {
    fn count(&self) -> String {
        let customers = i64::try_from(self.customers).unwrap_or(i64::MAX);
        self.ui
            .lang
            .t1("segments-export-count", "customers", self.ui.lang.number(customers))
    }

    fn back(&self) -> String {
        match self.query.as_str() {
            "" => format!("/segments/{}", self.segment.id),
            query => format!("/segments/{}?{query}", self.segment.id),
        }
    }
}

async fn page(
    state: &AppState,
    registry: &Registry,
    ui: Ui,
    id: &SegmentId,
    form: &DashboardForm,
    query: Option<String>,
    error: Option<String>,
) -> Result<ExportPage, PageError> {
    let segments = service(state);
    let org = ui.caller.org.clone();
    let selection = selection_of(&segments, &org, id, form)
        .await
        .map_err(|e| ui.error(e))?;
    let members = segments
        .members(registry, &org, &selection, Utc::now())
        .await
        .map_err(|e| ui.error(e))?;
    Ok(ExportPage {
        segment: members.segment.clone(),
        view_name: members.view.as_ref().map(|v| v.name.clone()),
        customers: members.len(),
        too_many_for_xlsx: members.len() > XLSX_MAX_CUSTOMERS,
        query: query.unwrap_or_default(),
        error,
        ui,
    })
}

pub(super) async fn export_form(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    Query(form): Query<DashboardForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    Ok(page(&state, &registry, ui, &id, &form, query, None)
        .await?
        .into_response())
}

/// Starts the export and sends the browser to the Jobs page, where its progress and file are.
pub(super) async fn start(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    Query(dashboard): Query<DashboardForm>,
    CsrfForm { ui, form }: CsrfForm<ExportForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let segments = service(&state);
    let selection = selection_of(&segments, &ui.caller.org, &id, &dashboard)
        .await
        .map_err(|e| ui.error(e))?;
    let started = start_export(
        &state.db,
        &registry,
        &ui.caller,
        selection,
        form.kind,
        form.format,
    )
    .await;
    match started {
        Ok(_) => Ok(Redirect::to("/jobs").into_response()),
        // A refused choice (an XLSX file too large) is said on the form.
        Err(err @ Error::Validation { .. }) => {
            let message = error_message(ui.lang, &err);
            let page = page(&state, &registry, ui, &id, &dashboard, query, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(err) => Err(ui.error(err)),
    }
}
