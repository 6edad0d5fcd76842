//! Background work: importing an uploaded file into an audience. The uploader is told the
//! outcome by mail (the platform's "job finished" mail) and on the Jobs page; a refused file
//! leaves the audience as it was and attaches its bad rows with their reasons.

use std::path::PathBuf;

use bytes::Bytes;
use fullhouse_core::error::FieldError;
use fullhouse_core::jobs::{JobContext, JobHandler};
use fullhouse_core::uploads;
use fullhouse_core::{Error, Result};
use serde::{Deserialize, Serialize};

use fullhouse_core::http::AppState;
use fullhouse_core::jobs::{JobId, NewJob, Notify, NOTIFY_KEY};
use fullhouse_core::uploads::UploadId;
use fullhouse_core::Caller;
use utoipa::ToSchema;

use crate::import::{self, ImportInto, ReadChoices};
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
    let title = match payload.target()? {
        ImportInto::New(new) => {
            crate::model::check_name(&new.name).map_err(|e| Error::invalid_fields(vec![e]))?;
            service.ensure_name_free(&caller.org, &new.name).await?;
            format!("Import audience {} from {}", new.name.trim(), upload.name)
        }
        ImportInto::Existing(id) => {
            let audience = service.get(&caller.org, &id).await?;
            format!("Import {} into audience {}", upload.name, audience.name)
        }
    };
    let mut body = serde_json::to_value(&payload).map_err(|e| Error::internal(e.to_string()))?;
    if let Some(user) = &caller.user {
        let user = state.tenancy().user(&caller.org, user).await?;
        let notify = Notify {
            email: user.email,
            name: user.name,
            language: user.language,
        };
        let notify = serde_json::to_value(notify).map_err(|e| Error::internal(e.to_string()))?;
        if let Some(object) = body.as_object_mut() {
            object.insert(NOTIFY_KEY.into(), notify);
        }
    }
    let mut new = NewJob::new(IMPORT_JOB, title, body);
    new.created_by = Some(caller.actor());
    let txn = state.db.begin_write().await?;
    let id = fullhouse_core::jobs::enqueue(&txn, &caller.org, new).await?;
    txn.commit().await?;
    Ok(id)
}

pub struct ImportHandler;

/// How many problems the job's error (and so the mail) lists line by line.
const LISTED_PROBLEMS: usize = 50;

#[async_trait::async_trait]
impl JobHandler for ImportHandler {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let payload: ImportPayload = serde_json::from_value(ctx.payload.clone())
            .map_err(|e| Error::internal(format!("an import job's payload: {e}")))?;
        let into = payload.target()?;
        let (_, key) = uploads::file_key(ctx.db(), &ctx.org, &payload.upload_id).await?;
        let file = ctx.files().download_to_temp(&key).await?;
        let path = PathBuf::from(file.path());
        let service = AudienceService::new(ctx.db().clone());
        match import::import(&service, &ctx.org, into, path, payload.choices, Some(ctx)).await {
            Ok((audience, rows)) => {
                // The file is done with; a failed import keeps it (for a retry) until the
                // uploads sweep.
                if let Err(err) =
                    uploads::forget(ctx.db(), ctx.files(), &ctx.org, &payload.upload_id).await
                {
                    tracing::warn!(error = ?err, "an imported upload was not deleted");
                }
                let message = format!("imported {rows} members into {}", audience.name);
                let rows = i64::try_from(rows).unwrap_or(i64::MAX);
                ctx.progress(rows, Some(rows), Some(&message)).await
            }
            Err(refused) => {
                if let Some(csv) = refused.rejected_rows_csv {
                    ctx.attach_file(
                        "rejected-rows.csv",
                        "text/csv; charset=utf-8",
                        Bytes::from(csv),
                    )
                    .await?;
                }
                Err(listed(refused.error, refused.bad_rows))
            }
        }
    }
}

/// The error with every problem on its own line (up to [`LISTED_PROBLEMS`]), so the Jobs page,
/// the API and the mail all show each bad row, its column, value and reason.
fn listed(error: Error, bad_rows: u64) -> Error {
    let Error::Validation { message, fields } = error else {
        return error;
    };
    if fields.iter().all(|f| f.row.is_none()) {
        return Error::Validation { message, fields };
    }
    let mut text = format!(
        "nothing was imported: {bad_rows} row{} of the file {} errors.",
        if bad_rows == 1 { "" } else { "s" },
        if bad_rows == 1 { "has" } else { "have" }
    );
    for field in fields.iter().take(LISTED_PROBLEMS) {
        text.push('\n');
        text.push_str(&describe(field));
    }
    if fields.len() > LISTED_PROBLEMS {
        text.push_str(&format!(
            "\n… and more: see rejected-rows.csv ({} errors listed there).",
            fields.len()
        ));
    }
    Error::Validation {
        message: text,
        fields,
    }
}

/// "row 7, Quantity `0`: must be 1 or more".
pub fn describe(field: &FieldError) -> String {
    let place = match field.row {
        Some(row) => format!("row {row}, {}", field.field),
        None => field.field.clone(),
    };
    match field.value.as_deref().filter(|v| !v.is_empty()) {
        Some(value) => format!("{place} `{value}`: {}", field.reason),
        None => format!("{place}: {}", field.reason),
    }
}
