//! Upload: file → mapping and preview (an htmx partial on every change) → import job.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use fullhouse_core::http::AppState;
use fullhouse_core::tabular::{Format, NotASpreadsheet, Preview, IGNORE_COLUMN, SNIFF_BYTES};
use fullhouse_core::uploads::{self, UploadId};
use fullhouse_core::{Error, Permission};
use fullhouse_web::i18n::{error_message, Lang};
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use futures::StreamExt;
use std::sync::{Arc, Mutex};

use super::refused;
use crate::import::{self, ReadChoices};
use crate::jobs::{start_import, ImportRequest};
use crate::model::{MappingForm, MEMBER_FIELDS};

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/upload.html")]
struct UploadPage {
    ui: Ui,
    errors: FormErrors,
}

pub(super) async fn upload_form(ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    Ok(UploadPage {
        ui,
        errors: FormErrors::default(),
    }
    .into_response())
}

/// The file field streams straight to the file store, so the form is not read whole as
/// [`CsrfForm`] would: the form's CSRF token comes first and is checked here before the file.
pub(super) async fn upload(
    State(state): State<AppState>,
    ui: Ui,
    mut form: Multipart,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let mut csrf_checked = false;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        Error::invalid("file", format!("the form cannot be read: {e}"))
    };
    let mut stored = None;
    // The file's first bytes, to say what a file that is no spreadsheet is in the user's words.
    let head = Arc::new(Mutex::new(Vec::with_capacity(SNIFF_BYTES)));
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ui.error(unreadable(e)))?
    {
        match field.name() {
            Some(fullhouse_web::form::CSRF_FIELD) => {
                let token = field.text().await.map_err(|e| ui.error(unreadable(e)))?;
                ui.check_csrf(&token)?;
                csrf_checked = true;
            }
            Some("file") if csrf_checked => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let seen = head.clone();
                let chunks = field.map(move |chunk| {
                    if let (Ok(bytes), Ok(mut head)) = (&chunk, seen.lock()) {
                        let wanted = SNIFF_BYTES.saturating_sub(head.len()).min(bytes.len());
                        head.extend_from_slice(bytes.get(..wanted).unwrap_or_default());
                    }
                    chunk.map_err(|e| e.to_string())
                });
                stored = Some(uploads::store_upload(&state, &ui.caller, &name, chunks).await);
            }
            _ => {}
        }
    }
    let sniffed = head.lock().ok().and_then(|h| NotASpreadsheet::sniff(&h));
    let errors = match (stored, sniffed) {
        (Some(Err(Error::Validation { .. })), Some(kind)) => not_a_spreadsheet(ui.lang, kind),
        (Some(Ok(upload)), _) => match readable_upload(&state, &ui, &upload.id).await {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/audiences/upload/{}", upload.id)).into_response())
            }
            Err(err @ Error::Validation { .. }) => FormErrors::from_error(ui.lang, &err),
            Err(err) => return Err(ui.error(err)),
        },
        (Some(Err(err @ Error::Validation { .. })), None) => FormErrors::from_error(ui.lang, &err),
        (Some(Err(err)), _) => return Err(ui.error(err)),
        (None, _) if !csrf_checked => {
            return Err(ui.error(Error::Forbidden("the form has expired; reload the page")))
        }
        (None, _) => FormErrors::field_only(ui.lang, "file", "audiences-choose-file"),
    };
    Ok(with_status(
        &errors,
        UploadPage {
            ui,
            errors: errors.clone(),
        },
    ))
}

/// The refusal of a file that is no spreadsheet, saying what it is.
fn not_a_spreadsheet(lang: Lang, kind: NotASpreadsheet) -> FormErrors {
    FormErrors::field_only(
        lang,
        "file",
        &format!("audiences-not-spreadsheet-{}", kind.as_str()),
    )
}

/// Reads the upload once now (the mapping page then draws it from the kept preview): a file the
/// import cannot read is refused on the upload form, and forgotten.
async fn readable_upload(state: &AppState, ui: &Ui, upload: &UploadId) -> Result<(), Error> {
    let read = import::preview_upload(
        &state.db,
        &state.files,
        &ui.caller.org,
        upload,
        &ReadChoices::default(),
    )
    .await;
    if read.is_err() {
        if let Err(err) = uploads::forget(&state.db, &state.files, &ui.caller.org, upload).await {
            tracing::warn!(error = ?err, "an unreadable upload was not deleted");
        }
    }
    read.map(|_| ())
}

pub struct MappingView {
    pub upload_id: String,
    pub file_name: String,
    pub name: String,
    pub header_rows: String,
    pub fields: Vec<&'static str>,
    pub preview: Option<Preview>,
    /// Why there is no preview: the file cannot be read, or the form's choices cannot be.
    pub problem: Option<String>,
    /// The field each column feeds as the form shows it (`ignore` for none): the person's own
    /// choice, also when it cannot be read as it stands (a field chosen twice).
    pub selected: Vec<String>,
    /// Columns whose field another column has too: each of them is marked.
    pub duplicates: Vec<usize>,
}

impl MappingView {
    /// Whether column `column` is set to `field` in the form.
    pub fn chosen(&self, column: &usize, field: &str) -> bool {
        self.selected.get(*column).is_some_and(|f| f == field)
    }

    /// The Fluent key naming the detected file format.
    pub fn format_key(&self) -> &'static str {
        match self.preview.as_ref().map(|p| p.format) {
            Some(Format::Xlsx) => "audiences-format-xlsx",
            Some(Format::Ods) => "audiences-format-ods",
            Some(Format::Xls) => "audiences-format-xls",
            _ => "audiences-format-delimited",
        }
    }

    /// The detected separator as people name it (a tab is invisible).
    pub fn separator(&self) -> Option<String> {
        let separator = self.preview.as_ref()?.delimiter.clone()?;
        Some(if separator == "\t" {
            "TAB".to_string()
        } else {
            separator
        })
    }

    pub fn ignored(&self, column: &usize) -> bool {
        self.selected
            .get(*column)
            .is_none_or(|f| f == IGNORE_COLUMN)
    }

    /// Whether column `column` shares its field with another column.
    pub fn duplicated(&self, column: &usize) -> bool {
        self.duplicates.contains(column)
    }

    /// The one column that feeds `field` (none when no column, or two, do).
    fn column_of(&self, field: &str) -> Option<usize> {
        let mut columns = self
            .selected
            .iter()
            .enumerate()
            .filter(|(_, f)| *f == field)
            .map(|(c, _)| c);
        let first = columns.next()?;
        columns.next().is_none().then_some(first)
    }

    /// The Import button's words: what the whole file gives under this mapping ("Import 6
    /// codes, 13 uses"), or plain "Import" until that is known.
    pub fn import_label(&self, lang: &Lang) -> String {
        let Some(preview) = self.preview.as_ref().filter(|p| p.totals.complete) else {
            return lang.t("audiences-import");
        };
        let Some(code) = self.column_of("code") else {
            return lang.t("audiences-import");
        };
        let codes = i64::try_from(preview.totals.column(code).filled).unwrap_or(i64::MAX);
        let uses = self
            .column_of("quantity")
            .and_then(|q| preview.totals.column(q).sum);
        match uses {
            Some(uses) => lang.counted(
                "audiences-import-codes-uses",
                &[("codes", codes), ("uses", uses)],
            ),
            None => lang.counted("audiences-import-codes", &[("codes", codes)]),
        }
    }
}

/// The columns whose field another column has too (`ignore` is no field).
fn duplicated_columns(selected: &[String]) -> Vec<usize> {
    selected
        .iter()
        .enumerate()
        .filter(|(column, field)| {
            *field != IGNORE_COLUMN
                && selected
                    .iter()
                    .enumerate()
                    .any(|(other, f)| other != *column && f == *field)
        })
        .map(|(column, _)| column)
        .collect()
}

/// The choices without the duplicates' later columns, so the preview still reads: the page marks
/// them, the table stays.
fn readable(mut choices: ReadChoices) -> ReadChoices {
    if let Some(columns) = choices.columns.as_mut() {
        let mut seen = Vec::new();
        for field in columns.iter_mut() {
            if *field == IGNORE_COLUMN {
                continue;
            }
            if seen.contains(field) {
                *field = IGNORE_COLUMN.to_string();
            } else {
                seen.push(field.clone());
            }
        }
    }
    choices
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/mapping.html")]
struct MappingPage {
    ui: Ui,
    view: MappingView,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/audiences/_preview.html")]
struct PreviewPartial {
    ui: Ui,
    view: MappingView,
}

fn upload_id(ui: &Ui, raw: &str) -> Result<UploadId, PageError> {
    UploadId::parse(raw).map_err(|_| ui.error(Error::NotFound("upload")))
}

async fn mapping_view(
    state: &AppState,
    ui: &Ui,
    upload: &str,
    form: &MappingForm,
) -> Result<MappingView, PageError> {
    let upload_id = upload_id(ui, upload)?;
    let (upload, _) = uploads::file_key(&state.db, &ui.caller.org, &upload_id)
        .await
        .map_err(|e| ui.error(e))?;
    // The preview of an upload is read from its file once and kept (see
    // `fullhouse_core::import::preview`): a change of mapping redraws from the kept rows.
    let mut selected: Vec<String> = Vec::new();
    let read = match form.choices() {
        Ok(choices) => {
            selected = choices
                .columns
                .iter()
                .flatten()
                .map(|f| normalized_choice(f))
                .collect();
            import::preview_upload(
                &state.db,
                &state.files,
                &ui.caller.org,
                &upload_id,
                &readable(choices),
            )
            .await
        }
        Err(err) => Err(err),
    };
    let (preview, problem) = match read {
        Ok(preview) => (Some(preview), None),
        Err(err @ Error::Validation { .. }) => (None, Some(error_message(ui.lang, &err))),
        Err(err) => return Err(ui.error(err)),
    };
    if let Some(preview) = &preview {
        let shown: Vec<String> = preview
            .columns
            .iter()
            .map(|c| c.clone().unwrap_or_else(|| IGNORE_COLUMN.to_string()))
            .collect();
        if selected.is_empty() {
            selected = shown;
        } else {
            selected.resize(preview.headers.len(), IGNORE_COLUMN.to_string());
        }
    }
    Ok(MappingView {
        upload_id: upload_id.to_string(),
        name: form.name_or(&upload.name),
        file_name: upload.name,
        header_rows: if form.header_rows.is_empty() {
            "auto".into()
        } else {
            form.header_rows.clone()
        },
        fields: MEMBER_FIELDS.iter().map(|f| f.name).collect(),
        preview,
        problem,
        duplicates: duplicated_columns(&selected),
        selected,
    })
}

/// A column's choice as the drop-down names it: a field's name in lower case, or `ignore`.
fn normalized_choice(choice: &str) -> String {
    let choice = choice.trim().to_lowercase();
    if choice.is_empty() {
        IGNORE_COLUMN.to_string()
    } else {
        choice
    }
}

pub(super) async fn mapping(
    State(state): State<AppState>,
    ui: Ui,
    Path(upload): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let view = mapping_view(&state, &ui, &upload, &MappingForm::default()).await?;
    Ok(MappingPage {
        ui,
        view,
        errors: FormErrors::default(),
    }
    .into_response())
}

/// The preview again with the form's choices (htmx, on every change).
pub(super) async fn preview(
    State(state): State<AppState>,
    Path(upload): Path<String>,
    CsrfForm { ui, form }: CsrfForm<MappingForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let view = mapping_view(&state, &ui, &upload, &form).await?;
    Ok(PreviewPartial { ui, view }.into_response())
}

pub(super) async fn start(
    State(state): State<AppState>,
    Path(upload): Path<String>,
    CsrfForm { ui, form }: CsrfForm<MappingForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let upload_id = upload_id(&ui, &upload)?;
    // A field chosen for two columns is shown on the mapping again, both columns marked.
    let view = mapping_view(&state, &ui, &upload, &form).await?;
    if !view.duplicates.is_empty() {
        let errors = FormErrors::field_only(ui.lang, "columns", "audiences-duplicate-fields");
        return Ok(with_status(
            &errors,
            MappingPage {
                ui,
                view,
                errors: errors.clone(),
            },
        ));
    }
    let started = match form.choices() {
        Ok(choices) => {
            let request = ImportRequest {
                upload_id,
                name: Some(form.name.clone()),
                description: None,
                venue_id: None,
                event_ids: Vec::new(),
                audience_id: None,
                header_rows: choices.header_rows,
                columns: choices.columns,
            };
            start_import(&state, &ui.caller, request).await
        }
        Err(err) => Err(err),
    };
    let errors = match started {
        Ok(job) => return Ok(Redirect::to(&format!("/jobs?started={job}")).into_response()),
        Err(err) => refused(&ui, err)?,
    };
    Ok(with_status(
        &errors,
        MappingPage {
            ui,
            view,
            errors: errors.clone(),
        },
    ))
}
