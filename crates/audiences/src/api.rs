//! The audiences JSON API under `/api/v1/audiences`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fullhouse_core::error::{ErrorBody, Result};
use fullhouse_core::http::{
    attachment, created, ApiJson, ApiPath, ApiQuery, AppState, Page, PageParams,
};
use fullhouse_core::jobs::{Job, JobService};
use fullhouse_core::tabular::{ExportFormat, HeaderRows, Preview};
use fullhouse_core::uploads::UploadId;
use fullhouse_core::{Caller, Permission};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::import::{self, ReadChoices};
use crate::jobs::ImportRequest;
use crate::model::*;
use crate::service::AudienceService;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audiences, create_audience))
        .routes(routes!(generate_audience))
        .routes(routes!(preview_upload))
        .routes(routes!(import_audience))
        .routes(routes!(get_audience, update_audience, delete_audience))
        .routes(routes!(export_audience))
        .routes(routes!(list_members, add_member))
        .routes(routes!(get_member, update_member, delete_member))
}

fn service(state: &AppState) -> AudienceService {
    AudienceService::new(state.db.clone())
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Part of the name (audiences) or of the code, category or seat (members), any case.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

impl SearchParams {
    fn page(&self) -> PageParams {
        PageParams {
            cursor: self.cursor.clone(),
            limit: self.limit,
        }
    }
}

/// List audiences.
#[utoipa::path(get, path = "/audiences", tag = "audiences", params(SearchParams),
    responses((status = 200, body = Page<Audience>)))]
async fn list_audiences(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchParams>,
) -> Result<Json<Page<Audience>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        service(&state)
            .list(&caller.org, query.q.as_deref(), &query.page())
            .await?,
    ))
}

/// Create a blank audience. Names are unique in the organization.
#[utoipa::path(post, path = "/audiences", tag = "audiences", request_body = NewAudience,
    responses((status = 201, body = Audience), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_audience(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewAudience>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    Ok(created(service(&state).create(&caller.org, new).await?))
}

/// Create an audience of generated members: random codes from a pattern (`X` = a random
/// unambiguous character), or the barcodes or holders of past events' tickets.
#[utoipa::path(post, path = "/audiences/generate", tag = "audiences", request_body = NewGeneratedAudience,
    responses((status = 201, body = Audience), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn generate_audience(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewGeneratedAudience>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    Ok(created(
        service(&state).generate(&caller.org, request).await?,
    ))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// From `POST /uploads`.
    pub upload_id: UploadId,
    // Spelled out, not flattened from `ReadChoices`: see `ImportRequest`.
    /// `"auto"` (default) or `{"count": n}`: the n first rows are headers ("ignore header rows").
    #[serde(default)]
    pub header_rows: HeaderRows,
    /// One entry per column: `code`, `quantity`, `category`, `seat`, `customer` or `ignore`.
    /// Absent: mapped from the header names (or by position without a header).
    #[serde(default)]
    pub columns: Option<Vec<String>>,
}

/// Preview an uploaded file as an audience import would read it: detected format, encoding and
/// separator, header rows, the column mapping (automatic unless `columns` is given) and the
/// first 20 rows.
#[utoipa::path(post, path = "/audiences/preview", tag = "audiences", request_body = PreviewRequest,
    responses((status = 200, body = Preview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn preview_upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> Result<Json<Preview>> {
    caller.require(Permission::Market)?;
    let choices = ReadChoices {
        header_rows: request.header_rows,
        columns: request.columns,
    };
    let preview = import::preview_upload(
        &state.db,
        &state.files,
        &caller.org,
        &request.upload_id,
        &choices,
    )
    .await?;
    Ok(Json(preview))
}

/// Import an uploaded file into a new or existing audience, as a job (all or nothing). The job
/// reports every bad row (row, column, value, reason), attaches `rejected-rows.csv`, and mails
/// the outcome to the uploader.
#[utoipa::path(post, path = "/audiences/import", tag = "audiences", request_body = ImportRequest,
    responses((status = 201, body = Job), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_audience(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<ImportRequest>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    let id = crate::jobs::start_import(&state, &caller, request).await?;
    Ok(created(
        JobService::new(state.db.clone(), state.files.clone())
            .get(&caller.org, &id)
            .await?,
    ))
}

/// One audience with its member count and total quantity.
#[utoipa::path(get, path = "/audiences/{id}", tag = "audiences", params(("id" = AudienceId, Path)),
    responses((status = 200, body = Audience), (status = 404, body = ErrorBody)))]
async fn get_audience(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<AudienceId>,
) -> Result<Json<Audience>> {
    caller.require(Permission::Read)?;
    Ok(Json(service(&state).get(&caller.org, &id).await?))
}

/// Rename or re-describe an audience, or tie it to a venue or events.
#[utoipa::path(patch, path = "/audiences/{id}", tag = "audiences", params(("id" = AudienceId, Path)),
    request_body = AudiencePatch,
    responses((status = 200, body = Audience), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_audience(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<AudienceId>,
    ApiJson(patch): ApiJson<AudiencePatch>,
) -> Result<Json<Audience>> {
    caller.require(Permission::Market)?;
    Ok(Json(service(&state).update(&caller.org, &id, patch).await?))
}

/// Delete an audience and its members.
#[utoipa::path(delete, path = "/audiences/{id}", tag = "audiences", params(("id" = AudienceId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_audience(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<AudienceId>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    service(&state).delete(&caller.org, &id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `xlsx`.
    pub format: Option<ExportFormat>,
}

/// Download the audience's members as CSV or XLSX.
#[utoipa::path(get, path = "/audiences/{id}/export", tag = "audiences",
    params(("id" = AudienceId, Path), ExportParams),
    responses((status = 200, description = "the members as CSV (`format=csv`) or XLSX (`format=xlsx`)",
            content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, body = ErrorBody)))]
async fn export_audience(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<AudienceId>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> Result<Response> {
    caller.require(Permission::Read)?;
    let format = params.format.unwrap_or(ExportFormat::Csv);
    let (name, bytes) = service(&state)
        .export_file(
            &caller.org,
            &id,
            format,
            &crate::service::ExportLayout::default(),
        )
        .await?;
    Ok(attachment(&name, format.content_type(), bytes))
}

/// List an audience's members; `q` searches codes, categories and seats.
#[utoipa::path(get, path = "/audiences/{id}/members", tag = "audiences",
    params(("id" = AudienceId, Path), SearchParams),
    responses((status = 200, body = Page<Member>), (status = 404, body = ErrorBody)))]
async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<AudienceId>,
    ApiQuery(query): ApiQuery<SearchParams>,
) -> Result<Json<Page<Member>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        service(&state)
            .members(&caller.org, &id, query.q.as_deref(), &query.page())
            .await?,
    ))
}

/// Add a member (code, quantity, optional category, seat label and customer).
#[utoipa::path(post, path = "/audiences/{id}/members", tag = "audiences",
    params(("id" = AudienceId, Path)), request_body = NewMember,
    responses((status = 201, body = Member), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<AudienceId>,
    ApiJson(new): ApiJson<NewMember>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    Ok(created(
        service(&state).add_member(&caller.org, &id, new).await?,
    ))
}

/// One member.
#[utoipa::path(get, path = "/audiences/{id}/members/{member_id}", tag = "audiences",
    params(("id" = AudienceId, Path), ("member_id" = MemberId, Path)),
    responses((status = 200, body = Member), (status = 404, body = ErrorBody)))]
async fn get_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, member)): ApiPath<(AudienceId, MemberId)>,
) -> Result<Json<Member>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        service(&state).member(&caller.org, &id, &member).await?,
    ))
}

/// Change a member.
#[utoipa::path(patch, path = "/audiences/{id}/members/{member_id}", tag = "audiences",
    params(("id" = AudienceId, Path), ("member_id" = MemberId, Path)), request_body = MemberPatch,
    responses((status = 200, body = Member), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, member)): ApiPath<(AudienceId, MemberId)>,
    ApiJson(patch): ApiJson<MemberPatch>,
) -> Result<Json<Member>> {
    caller.require(Permission::Market)?;
    Ok(Json(
        service(&state)
            .update_member(&caller.org, &id, &member, patch)
            .await?,
    ))
}

/// Remove a member.
#[utoipa::path(delete, path = "/audiences/{id}/members/{member_id}", tag = "audiences",
    params(("id" = AudienceId, Path), ("member_id" = MemberId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, member)): ApiPath<(AudienceId, MemberId)>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    service(&state)
        .delete_member(&caller.org, &id, &member)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}
