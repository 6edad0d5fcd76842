//! Background work: importing an uploaded file into an audience, on the platform's import job
//! ([`fullhouse_core::import::run_job`]). The uploader is told the outcome by mail (the
//! platform's "job finished" mail) and on the Jobs page; a refused file leaves the audience as
//! it was and attaches its bad rows with their reasons.

use fullhouse_core::import as wizard;
use fullhouse_core::jobs::{JobContext, JobHandler};
use fullhouse_core::uploads;
use fullhouse_core::{Error, Lang, Msg, Result};
use serde::{Deserialize, Serialize};

use fullhouse_core::http::AppState;
use fullhouse_core::jobs::JobId;
use fullhouse_core::uploads::UploadId;
use fullhouse_core::Caller;
use utoipa::ToSchema;

pub use fullhouse_core::import::describe;

use crate::import::{AudienceImport, ImportInto, ReadChoices};
use crate::model::{AudienceId, NewAudience};
use crate::service::AudienceService;
use fullhouse_core::tabular::HeaderRows;

pub const IMPORT_JOB: &str = "audiences.import";

/// The job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportPayload {
    pub upload_id: uploads::UploadId,
    /// A new audience (`name`, …) or `audience_id` of an existing one.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub venue_id: Option<fullhouse_ticketing::VenueId>,
    #[serde(default)]
    pub event_ids: Vec<fullhouse_ticketing::EventId>,
    #[serde(default)]
    pub audience_id: Option<AudienceId>,
    #[serde(default)]
    pub choices: ReadChoices,
}

impl ImportPayload {
    pub fn target(&self) -> Result<ImportInto> {
        match (&self.audience_id, &self.name) {
            (Some(id), None) => Ok(ImportInto::Existing(id.clone())),
            (None, Some(name)) => Ok(ImportInto::New(NewAudience {
                name: name.clone(),
                description: self.description.clone(),
                venue_id: self.venue_id.clone(),
                event_ids: self.event_ids.clone(),
            })),
            _ => Err(Error::invalid(
                "name",
                "give either `name` (a new audience) or `audience_id` (an existing one)",
            )),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    pub upload_id: UploadId,
    /// The new audience's name (or give `audience_id` to add to an existing one).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub venue_id: Option<fullhouse_ticketing::VenueId>,
    #[serde(default)]
    pub event_ids: Vec<fullhouse_ticketing::EventId>,
    #[serde(default)]
    pub audience_id: Option<AudienceId>,
    // The reading choices are spelled out rather than `#[serde(flatten)]`ed from `ReadChoices`:
    // serde does not support `flatten` with `deny_unknown_fields`, and the document it gave
    // (an `allOf` of two closed objects) could not be satisfied by any body. The wire format is
    // the same: `header_rows` and `columns` sit beside `upload_id`.
    /// `"auto"` (default) or `{"count": n}`: the n first rows are headers ("ignore header rows").
    #[serde(default)]
    pub header_rows: HeaderRows,
    /// One entry per column: `code`, `quantity`, `category`, `seat`, `customer` or `ignore`.
    /// Absent: mapped from the header names (or by position without a header).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}

impl ImportRequest {
    /// How to read the file.
    pub fn choices(&self) -> ReadChoices {
        ReadChoices {
            header_rows: self.header_rows,
            columns: self.columns.clone(),
        }
    }
}

/// Queues the import of an upload, checking first what can be checked without reading the file
/// (the upload exists, the name is free, the audience exists), and mails the caller the outcome.
pub async fn start_import(
    state: &AppState,
    caller: &Caller,
    request: ImportRequest,
) -> Result<JobId> {
    let (upload, _) = uploads::referenced(&state.db, &caller.org, &request.upload_id).await?;
    let choices = request.choices();
    let payload = ImportPayload {
        upload_id: request.upload_id,
        name: request.name,
        description: request.description,
        venue_id: request.venue_id,
        event_ids: request.event_ids,
        audience_id: request.audience_id,
        choices,
    };
    let service = AudienceService::new(state.db.clone());
    // The title is written in the starter's language, as the job's progress is.
    let lang = Lang::from_stored(&caller.language);
    let title = match payload.target()? {
        ImportInto::New(new) => {
            crate::model::check_name(&new.name).map_err(|e| Error::invalid_fields(vec![e]))?;
            service.ensure_name_free(&caller.org, &new.name).await?;
            Msg::new("engine-job-title-audience-new")
                .arg("audience", new.name.trim())
                .arg("file", &upload.name)
                .render(lang)
        }
        ImportInto::Existing(id) => {
            let audience = service.get(&caller.org, &id).await?;
            Msg::new("engine-job-title-audience-into")
                .arg("file", &upload.name)
                .arg("audience", &audience.name)
                .render(lang)
        }
    };
    let body = serde_json::to_value(&payload).map_err(|e| Error::internal(e.to_string()))?;
    wizard::enqueue(state, caller, IMPORT_JOB, title, body).await
}

pub struct ImportHandler;

#[async_trait::async_trait]
impl JobHandler for ImportHandler {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let payload: ImportPayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| Error::internal(format!("an import job's payload: {e}")))?;
        let target = AudienceImport::new(
            AudienceService::new(ctx.db().clone()),
            ctx.org.clone(),
            payload.target()?,
        );
        wizard::run_job(ctx, &target, &payload.upload_id, &payload.choices).await
    }
}
