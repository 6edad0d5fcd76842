//! Sales → Purchase intents → Import: file → mapping, options and preview (an htmx partial on
//! every change) → the import job ([`crate::jobs::start_import`]), whose outcome the Jobs page
//! shows. Modelled on the audience upload wizard, so organizers meet one way of importing.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_core::http::AppState;
use fullhouse_core::import::{self as wizard, ReadChoices};
use fullhouse_core::tabular::{Format, HeaderRows, Preview};
use fullhouse_core::uploads::{self, UploadId};
use fullhouse_core::{Error, Permission};
use fullhouse_web::i18n::error_message;
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use futures::StreamExt;
use serde::Deserialize;

use super::list::strategy_choices;
use crate::import::{ImportOptions, FIELDS};
use crate::jobs::{start_import, ImportRequest};
use crate::model::Strategy;
use crate::Intents;

#[derive(Template, WebTemplate)]
#[template(path = "pages/intents/import.html")]
struct UploadPage {
    ui: Ui,
    errors: FormErrors,
}

pub(super) async fn upload_form(ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
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
    ui.require(Permission::Sell)?;
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
            return Ok(Redirect::to(&format!("/intents/import/{}", upload.id)).into_response())
        }
        Some(Err(err @ Error::Validation { .. })) => FormErrors::from_error(ui.lang, &err),
        Some(Err(err)) => return Err(ui.error(err)),
        None if !csrf_checked => {
            return Err(ui.error(Error::Forbidden("the form has expired; reload the page")))
        }
        None => FormErrors::field_only(ui.lang, "file", "intents-import-choose-file"),
    };
    Ok(with_status(
        &errors,
        UploadPage {
            ui,
            errors: errors.clone(),
        },
    ))
}

/// The mapping screen's form: how to read the file, the column mapping and the options. Every
/// value stays text so a refused one comes back as typed (checkboxes send `on`).
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct ImportForm {
    #[serde(default)]
    header_rows: String,
    #[serde(default)]
    strategy: String,
    #[serde(default)]
    send_mail: String,
    #[serde(default)]
    group_by_customer: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    dry_run: String,
    /// `column_0`, `column_1`, …: the field each column feeds. Other names are not columns
    /// (the CSRF token arrives here too) and are left alone.
    #[serde(flatten)]
    columns: BTreeMap<String, String>,
}

impl ImportForm {
    /// How to read the file, as the form says.
    fn choices(&self) -> Result<ReadChoices, Error> {
        let header_rows = match self.header_rows.trim() {
            "" | "auto" => HeaderRows::Auto,
            n => HeaderRows::Count(n.parse::<u32>().map_err(|_| {
                Error::invalid(
                    "header_rows",
                    format!("`{n}` is not a number of rows (or `auto`)"),
                )
            })?),
        };
        let mut columns = Vec::new();
        for (name, field) in &self.columns {
            let Some(index) = name.strip_prefix("column_") else {
                continue;
            };
            let index = index.parse::<usize>().map_err(|_| {
                Error::invalid(name.clone(), format!("`{index}` is not a column number"))
            })?;
            columns.push((index, field.clone()));
        }
        columns.sort();
        let columns = (!columns.is_empty()).then(|| columns.into_iter().map(|(_, f)| f).collect());
        Ok(ReadChoices {
            header_rows,
            columns,
        })
    }

    /// The options for the whole file, as the form says.
    fn options(&self) -> Result<ImportOptions, Error> {
        let strategy = match self.strategy.trim() {
            "" | "default" => None,
            value => Some(Strategy::parse(value).ok_or_else(|| {
                Error::invalid("strategy", "choose how the file's intents are completed")
            })?),
        };
        let source = self.source.trim();
        if source.chars().count() > 100 {
            return Err(Error::invalid(
                "source",
                "the source is at most 100 characters",
            ));
        }
        Ok(ImportOptions {
            dry_run: ticked(&self.dry_run),
            strategy,
            send_mail: ticked(&self.send_mail),
            group_by_customer: ticked(&self.group_by_customer),
            source: (!source.is_empty()).then(|| source.to_string()),
        })
    }
}

/// The required fields no column of `preview` feeds, as Fluent keys of their names: the event,
/// the ticket type, and the customer (by id or by email, so either one will do).
fn missing_fields(preview: &Preview) -> Vec<&'static str> {
    let mapped = |name: &str| preview.columns.iter().any(|c| c.as_deref() == Some(name));
    let mut missing = Vec::new();
    if !mapped("customerId") && !mapped("customerEmail") {
        missing.push("intents-import-field-customer");
    }
    for field in FIELDS.iter().filter(|f| f.required) {
        if !mapped(field.name) {
            missing.push(match field.name {
                "eventId" => "intents-import-field-eventId",
                _ => "intents-import-field-ticketTypeId",
            });
        }
    }
    missing
}

fn ticked(value: &str) -> bool {
    matches!(value.trim(), "on" | "true" | "1")
}

pub struct MappingView {
    pub upload_id: String,
    pub file_name: String,
    pub header_rows: String,
    /// Each field with whether the import needs it (the customer is id or email: neither alone).
    pub fields: Vec<(&'static str, bool)>,
    pub preview: Option<Preview>,
    /// Why there is no preview: the file cannot be read, or the form's choices cannot be.
    pub problem: Option<String>,
    /// The required fields the mapping leaves out, named in the page's language.
    pub missing: Vec<String>,
    pub strategy: String,
    pub strategies: Vec<(&'static str, String)>,
    pub send_mail: bool,
    pub group_by_customer: bool,
    pub dry_run: bool,
    pub source: String,
}

impl MappingView {
    /// Whether column `column` feeds `field` in the preview.
    pub fn chosen(&self, column: &usize, field: &str) -> bool {
        self.preview
            .as_ref()
            .and_then(|p| p.columns.get(*column))
            .is_some_and(|c| c.as_deref() == Some(field))
    }

    pub fn ignored(&self, column: &usize) -> bool {
        self.preview
            .as_ref()
            .and_then(|p| p.columns.get(*column))
            .is_none_or(|c| c.is_none())
    }

    /// The Fluent key naming the detected file format.
    pub fn format_key(&self) -> &'static str {
        match self.preview.as_ref().map(|p| p.format) {
            Some(Format::Xlsx) => "intents-import-format-xlsx",
            Some(Format::Ods) => "intents-import-format-ods",
            Some(Format::Xls) => "intents-import-format-xls",
            _ => "intents-import-format-delimited",
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
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/intents/import_mapping.html")]
struct MappingPage {
    ui: Ui,
    view: MappingView,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/intents/_import_preview.html")]
struct PreviewPartial {
    ui: Ui,
    view: MappingView,
}

fn upload_id(ui: &Ui, raw: &str) -> Result<UploadId, PageError> {
    UploadId::parse(raw).map_err(|_| ui.error(Error::NotFound("upload")))
}

/// The preview with the form's choices; `Err(Validation)` when the choices cannot be read.
async fn read_preview(
    state: &AppState,
    ui: &Ui,
    upload: &UploadId,
    form: &ImportForm,
) -> Result<Preview, Error> {
    let choices = form.choices()?;
    // The preview of an upload is read from its file once and kept (see
    // `fullhouse_core::import::preview`): a change of mapping redraws from the kept rows.
    wizard::preview(
        &state.db,
        &state.files,
        &ui.caller.org,
        upload,
        &choices,
        FIELDS,
    )
    .await
}

async fn mapping_view(
    state: &AppState,
    ui: &Ui,
    upload: &str,
    form: &ImportForm,
) -> Result<MappingView, PageError> {
    let upload_id = upload_id(ui, upload)?;
    let (upload, _) = uploads::file_key(&state.db, &ui.caller.org, &upload_id)
        .await
        .map_err(|e| ui.error(e))?;
    let (preview, problem) = match read_preview(state, ui, &upload_id, form).await {
        Ok(preview) => (Some(preview), None),
        Err(err @ Error::Validation { .. }) => (None, Some(error_message(ui.lang, &err))),
        Err(err) => return Err(ui.error(err)),
    };
    Ok(MappingView {
        upload_id: upload_id.to_string(),
        file_name: upload.name,
        header_rows: if form.header_rows.trim().is_empty() {
            "auto".into()
        } else {
            form.header_rows.trim().to_string()
        },
        fields: FIELDS.iter().map(|f| (f.name, f.required)).collect(),
        missing: preview
            .as_ref()
            .map(|p| {
                missing_fields(p)
                    .into_iter()
                    .map(|k| ui.lang.t(k))
                    .collect()
            })
            .unwrap_or_default(),
        preview,
        problem,
        strategy: form.strategy.trim().to_string(),
        strategies: strategy_choices(ui),
        send_mail: ticked(&form.send_mail),
        group_by_customer: ticked(&form.group_by_customer),
        dry_run: ticked(&form.dry_run),
        source: form.source.clone(),
    })
}

pub(super) async fn mapping(
    State(state): State<AppState>,
    ui: Ui,
    Path(upload): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let view = mapping_view(&state, &ui, &upload, &ImportForm::default()).await?;
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
    CsrfForm { ui, form }: CsrfForm<ImportForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let view = mapping_view(&state, &ui, &upload, &form).await?;
    Ok(PreviewPartial { ui, view }.into_response())
}

/// Starts the import job and sends the organizer to the Jobs page; a mapping or option the
/// import refuses comes back beside its field, before anything is queued.
pub(super) async fn start(
    State(state): State<AppState>,
    Extension(intents): Extension<Intents>,
    Path(upload): Path<String>,
    CsrfForm { ui, form }: CsrfForm<ImportForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Sell)?;
    let upload_id = upload_id(&ui, &upload)?;
    let started = match (form.options(), form.choices()) {
        (Ok(options), Ok(choices)) => {
            // The mapping is checked as the preview reads it (unknown or doubled fields), and
            // must feed every required field: a job that could book nothing is not queued.
            match read_preview(&state, &ui, &upload_id, &form).await {
                Ok(preview) if !missing_fields(&preview).is_empty() => Err(Error::invalid(
                    "columns",
                    "choose a column for every required field",
                )),
                Ok(_) => {
                    let request = ImportRequest {
                        upload_id,
                        header_rows: choices.header_rows,
                        columns: choices.columns,
                        options,
                    };
                    start_import(&state, &intents, &ui.caller, request).await
                }
                Err(err) => Err(err),
            }
        }
        (Err(err), _) | (_, Err(err)) => Err(err),
    };
    let errors = match started {
        Ok(job) => return Ok(Redirect::to(&format!("/jobs?started={job}")).into_response()),
        Err(err @ (Error::Validation { .. } | Error::Conflict { .. })) => {
            FormErrors::from_error(ui.lang, &err)
        }
        Err(err) => return Err(ui.error(err)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> ImportForm {
        let object: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        serde_json::from_value(serde_json::Value::Object(object)).expect("reads")
    }

    #[test]
    fn the_form_reads_columns_in_column_order_and_the_options() {
        let read = form(&[
            ("csrf_token", "x"),
            ("column_10", "seatName"),
            ("column_2", "eventId"),
            ("strategy", "invoice"),
            ("send_mail", "on"),
            ("source", " crm "),
        ]);
        let choices = read.choices().expect("choices");
        assert_eq!(
            choices.columns,
            Some(vec!["eventId".to_string(), "seatName".to_string()])
        );
        let options = read.options().expect("options");
        assert_eq!(options.strategy, Some(Strategy::Invoice));
        assert!(options.send_mail && !options.dry_run && !options.group_by_customer);
        assert_eq!(options.source.as_deref(), Some("crm"));
    }

    #[test]
    fn an_unknown_strategy_is_refused_beside_its_field() {
        let err = form(&[("strategy", "barter")])
            .options()
            .expect_err("refused");
        assert!(matches!(err, Error::Validation { .. }), "{err:?}");
        assert_eq!(
            form(&[("strategy", "")])
                .options()
                .expect("default")
                .strategy,
            None
        );
    }
}
