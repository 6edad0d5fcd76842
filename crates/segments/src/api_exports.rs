//! The segment export route, beside `api`: start an export of a segment, a saved view or the
//! dashboard's filters as a job; the file is then on the job (`GET /jobs/{id}/files/{name}`).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, ApiPath, AppState};
use fullhouse_core::jobs::{Job, JobService};
use fullhouse_core::tabular::ExportFormat;
use fullhouse_core::{Caller, Permission, Result};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::index::Registry;
use crate::jobs::export::start_export;
use crate::jobs::export_rows::ExportKind;
use crate::model::SegmentId;
use crate::selection::SelectionBody;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_segment))
}

/// What to export: the selection (a saved view, or filters, and "view for"; the whole segment
/// when left out), the file and its format.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    #[serde(default)]
    pub selection: SelectionBody,
    /// `customers`: every customer field, as the customer import reads it; `customer_list`:
    /// name, contact and purchase figures.
    pub kind: ExportKind,
    pub format: ExportFormat,
}

/// Export the segment's customers (or a view's, or the given filters') as a CSV or XLSX file,
/// as a job: its progress is on the Jobs page and the file is attached to it when done. CSV is
/// separated by `;` for a Danish or French user, `,` for an English one. 422 for an XLSX file of
/// more than 1,048,575 customers (export as CSV). Needs the marketing permission: the file holds
/// personal data; every export is in the audit log.
#[utoipa::path(post, path = "/segments/{id}/exports", tag = "segments",
    params(("id" = SegmentId, Path)), request_body = ExportRequest,
    responses((status = 201, body = Job), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn export_segment(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    caller: Caller,
    ApiPath(id): ApiPath<SegmentId>,
    ApiJson(request): ApiJson<ExportRequest>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    let selection = request.selection.of(id);
    let job = start_export(
        &state.db,
        &registry,
        &caller,
        selection,
        request.kind,
        request.format,
    )
    .await?;
    Ok(created(
        JobService::new(state.db.clone(), state.files.clone())
            .get(&caller.org, &job)
            .await?,
    ))
}
