//! The intents' background work run as jobs: the import of an uploaded file
//! ([`crate::import`]) on the platform's import job ([`fullhouse_core::import::run_job`]). The
//! Jobs page shows its progress and offers its files — `imported-rows.csv` (the successful
//! records, each with its intent id and payment link) and `rejected-rows.csv` (the original
//! columns and the reason at the right) — and the uploader is mailed the outcome. Both files
//! are written by the platform's table writer, which writes a cell starting a formula as `'=…`
//! (tested with the import job in `fullhouse-core`'s `tests/import.rs`).

use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, AppState};
use fullhouse_core::import::{self as wizard, ReadChoices};
use fullhouse_core::jobs::{Job, JobContext, JobHandler, JobId, JobService};
use fullhouse_core::module::Mount;
use fullhouse_core::tabular::{HeaderRows, Preview};
use fullhouse_core::uploads::{self, UploadId};
use fullhouse_core::{Caller, Error, Lang, Msg, Permission, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::import::{ImportOptions, IntentImport, FIELDS, IMPORT_JOB};
use crate::Intents;

/// Registers the intents' job kinds.
pub fn register(mount: &mut Mount, intents: &Intents) {
    mount.job(IMPORT_JOB, ImportHandler::new(intents.clone()));
}

/// The import's route, beside the intents' own (see `api`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_intents))
        .routes(routes!(preview_import))
}

/// The job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportPayload {
    pub upload_id: UploadId,
    #[serde(default)]
    pub choices: ReadChoices,
    #[serde(default)]
    pub options: ImportOptions,
    /// Who made the intents, as their history shows it.
    pub actor: String,
}

/// An import of an uploaded file (`POST /uploads`) as intents.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    pub upload_id: UploadId,
    // Spelled out beside `upload_id` rather than flattened, as for the audience import: serde's
    // `flatten` does not work with `deny_unknown_fields`.
    /// `"auto"` (default) or `{"count": n}`: the n first rows are headers.
    #[serde(default)]
    pub header_rows: HeaderRows,
    /// One entry per column: a field (`customerId`, `customerEmail`, `firstName`, `lastName`,
    /// `company`, `eventId`, `shopId`, `ticketTypeId`, `deliveryType`, `gaName`,
    /// `sectionName`, `groupName`, `rowName`, `seatName`) or `ignore`. Absent: mapped from the
    /// header names (English, Danish, French).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
    #[serde(default)]
    pub options: ImportOptions,
}

/// Queues the import of an upload as intents, checking first what can be checked without
/// reading the file (the upload exists), and mails the caller the outcome.
pub async fn start_import(
    state: &AppState,
    intents: &Intents,
    caller: &Caller,
    request: ImportRequest,
) -> Result<JobId> {
    let (upload, _) = uploads::referenced(&state.db, &caller.org, &request.upload_id).await?;
    let options = request.options;
    // The title is written in the starter's language, as the job's progress is.
    let title = Msg::new(if options.dry_run {
        "engine-job-title-intents-dry-run"
    } else {
        "engine-job-title-intents"
    })
    .arg("file", &upload.name)
    .render(Lang::from_stored(&caller.language));
    let payload = ImportPayload {
        upload_id: request.upload_id,
        choices: ReadChoices {
            header_rows: request.header_rows,
            columns: request.columns,
        },
        options,
        actor: intents.actor(caller).await,
    };
    let body = serde_json::to_value(&payload).map_err(|e| Error::internal(e.to_string()))?;
    wizard::enqueue(state, caller, IMPORT_JOB, title, body).await
}

/// Import an uploaded spreadsheet as purchase intents, one row per ticket, as a job. Good rows
/// are booked, bad ones refused: the job attaches `imported-rows.csv` (each row with its
/// intent id and payment link, or "already imported") and `rejected-rows.csv` (the rows as
/// uploaded with the reason in the rightmost column), and mails the outcome to the uploader.
/// Rows booked by an earlier import (same row key) are never booked twice.
#[utoipa::path(post, path = "/intents/imports", tag = "intents", request_body = ImportRequest,
    responses((status = 201, body = Job), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_intents(
    State(state): State<AppState>,
    Extension(intents): Extension<Intents>,
    caller: Caller,
    ApiJson(request): ApiJson<ImportRequest>,
) -> Result<Response> {
    caller.require(Permission::Sell)?;
    let id = start_import(&state, &intents, &caller, request).await?;
    Ok(created(
        JobService::new(state.db.clone(), state.files.clone())
            .get(&caller.org, &id)
            .await?,
    ))
}

/// How to read an upload for the mapping screen.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub upload_id: UploadId,
    #[serde(default)]
    pub header_rows: HeaderRows,
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}

/// Preview an upload as the intents import reads it: format, header rows, the column mapping
/// (automatic from English, Danish and French headers unless `columns` is given), the fields
/// with the required ones marked (event and ticket type; the customer is `customerId` or
/// `customerEmail`), and the first rows.
#[utoipa::path(post, path = "/intents/imports/preview", tag = "intents", request_body = PreviewRequest,
    responses((status = 200, body = Preview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview_import(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> Result<Json<Preview>> {
    caller.require(Permission::Sell)?;
    let choices = ReadChoices {
        header_rows: request.header_rows,
        columns: request.columns,
    };
    let preview = wizard::preview(
        &state.db,
        &state.files,
        &caller.org,
        &request.upload_id,
        &choices,
        FIELDS,
    )
    .await?;
    Ok(Json(preview))
}

/// Runs import jobs with the module's intents (and so its checkout).
pub struct ImportHandler {
    intents: Intents,
}

impl ImportHandler {
    pub fn new(intents: Intents) -> Self {
        Self { intents }
    }
}

#[async_trait::async_trait]
impl JobHandler for ImportHandler {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let payload: ImportPayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| Error::internal(format!("an intents import job's payload: {e}")))?;
        let target = IntentImport::new(
            self.intents.clone(),
            ctx.org.clone(),
            payload.options,
            payload.actor,
            Some(ctx.id.to_string()),
        );
        wizard::run_job(ctx, &target, &payload.upload_id, &payload.choices).await
    }
}
