//! Upload: file → mapping and preview (an htmx partial on every change) → import job.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use fullhouse_core::http::AppState;
use fullhouse_core::tabular::{Format, Preview};
use fullhouse_core::uploads::{self, UploadId};
use fullhouse_core::{Error, Permission};
use fullhouse_web::i18n::error_message;
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use futures::StreamExt;

use super::refused;
use crate::import;
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
                let chunks = field.map(|c| c.map_err(|e| e.to_string()));
                stored = Some(uploads::store_upload(&state, &ui.caller, &name, chunks).await);
            }
            _ => {}
        }
    }
    let errors = match stored {
        Some(Ok(upload)) => {
            return Ok(Redirect::to(&format!("/audiences/upload/{}", upload.id)).into_response())
        }
        Some(Err(err @ Error::Validation { .. })) => FormErrors::from_error(ui.lang, &err),
        Some(Err(err)) => return Err(ui.error(err)),
        None if !csrf_checked => {
            return Err(ui.error(Error::Forbidden("the form has expired; reload the page")))
        }
        None => FormErrors::field_only(ui.lang, "file", "audiences-choose-file"),
    };
    Ok(with_status(
        &errors,
        UploadPage {
            ui,
            errors: errors.clone(),
        },
    ))
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
}

impl MappingView {
    /// Whether column `column` feeds `field` in the preview.
    pub fn chosen(&self, column: &usize, field: &str) -> bool {
        self.preview
            .as_ref()
            .and_then(|p| p.columns.get(*column))
            .is_some_and(|c| c.as_deref() == Some(field))
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
        self.preview
            .as_ref()
            .and_then(|p| p.columns.get(*column))
            .is_none_or(|c| c.is_none())
    }
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
    let read = match form.choices() {
        Ok(choices) => {
            import::preview_upload(
                &state.db,
                &state.files,
                &ui.caller.org,
                &upload_id,
                &choices,
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
    })
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
    let view = mapping_view(&state, &ui, &upload, &form).await?;
    Ok(with_status(
        &errors,
        MappingPage {
            ui,
            view,
            errors: errors.clone(),
        },
    ))
}
