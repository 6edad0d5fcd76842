//! Actions → Export: which file (the customer list, or all customer data as the import reads
//! it) and which format, for the customers the dashboard shows; the POST starts the export as a
//! job and sends the browser to the Jobs page, where its progress and file are.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_core::http::AppState;
use fullhouse_core::tabular::ExportFormat;
use fullhouse_core::Permission;
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use super::actions::{chosen, Chosen};
use crate::index::Registry;
use crate::jobs::export::{start_export, XLSX_MAX_CUSTOMERS};
use crate::jobs::export_rows::ExportKind;

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
    chosen: Chosen,
    errors: FormErrors,
}

impl ExportPage {
    /// More customers than an XLSX sheet holds: the page offers CSV only.
    fn too_many_for_xlsx(&self) -> bool {
        usize::try_from(self.chosen.total).unwrap_or(usize::MAX) > XLSX_MAX_CUSTOMERS
    }
}

pub(super) async fn export_form(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let chosen = chosen(&state, &registry, &ui, &id, query).await?;
    Ok(ExportPage {
        ui,
        chosen,
        errors: FormErrors::default(),
    }
    .into_response())
}

/// Starts the export and sends the browser to the Jobs page.
pub(super) async fn start(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    CsrfForm { ui, form }: CsrfForm<ExportForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let chosen = chosen(&state, &registry, &ui, &id, query).await?;
    let started = start_export(
        &state.db,
        &registry,
        &ui.caller,
        chosen.selection.clone(),
        form.kind,
        form.format,
    )
    .await;
    match started {
        Ok(_) => Ok(Redirect::to("/jobs").into_response()),
        // A refused choice (an XLSX file too large) is said on the form.
        Err(err @ fullhouse_core::Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            Ok(with_status(
                &errors,
                ExportPage {
                    ui,
                    chosen,
                    errors: errors.clone(),
                },
            ))
        }
        Err(err) => Err(ui.error(err)),
    }
}
