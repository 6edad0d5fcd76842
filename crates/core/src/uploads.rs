//! Uploaded files (spreadsheets to import), streamed to the file store as they arrive — a 200 MB
//! upload is never held in memory — and remembered per organization so an import can be
//! previewed, re-mapped and started from the same file.
//!
//! Uploads are not kept: an import that succeeds deletes its upload ([`forget`]), and
//! [`run_sweeper`] deletes every upload older than the retention period ([`RETENTION`], a day)
//! that no queued or running job still needs — files of failed imports and of previews never
//! imported included.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use object_store::path::Path as StorePath;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::define_id;
use crate::error::{ErrorBody, Result};
use crate::files::FileStore;
use crate::http::{created, AppState};
use crate::ids::OrgId;
use crate::tabular::{NotASpreadsheet, SNIFF_BYTES};
use crate::{Caller, Db, Error, Permission};

/// The preview of an upload as an import reads it, from the stored file once per upload (see
/// [`crate::import::preview`]).
pub use crate::import::preview;

define_id!(
    /// A file an organizer uploaded for an import.
    UploadId, "upl", "upload"
);

/// The default upload limit, in MB (`--upload-limit-mb`).
pub const DEFAULT_UPLOAD_LIMIT_MB: u64 = 200;
/// How long an upload is kept before the sweep deletes it.
pub const RETENTION: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);
/// How often the sweep looks for expired uploads.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Upload {
    pub id: UploadId,
    /// The file's name as uploaded.
    pub name: String,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

pub mod store {
    pub mod uploads {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
        #[sea_orm(table_name = "uploads")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub organization_id: String,
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            pub name: String,
            pub file_key: String,
            pub bytes: i64,
            pub created_by: Option<String>,
            pub created_at: DateTimeUtc,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }
}

use store::uploads;

/// The stored file of an upload.
pub async fn file_key(db: &Db, org: &OrgId, id: &UploadId) -> Result<(Upload, String)> {
    let row = uploads::Entity::find()
        .filter(uploads::Column::OrganizationId.eq(org.as_str()))
        .filter(uploads::Column::Id.eq(id.as_str()))
        .one(db.reader())
        .await?
        .ok_or(Error::NotFound("upload"))?;
    let key = row.file_key.clone();
    Ok((upload_from(row), key))
}

/// The stored file of an upload named in a request body (`upload_id`): one that does not exist
/// (never uploaded, another organization's, or deleted after its import or 24 hours) is a
/// field of the request that is wrong, so it answers 422 naming `upload_id`, not 404 (which
/// would say the operation's own resource is missing).
pub async fn referenced(db: &Db, org: &OrgId, id: &UploadId) -> Result<(Upload, String)> {
    file_key(db, org, id).await.map_err(|error| match error {
        Error::NotFound(_) => Error::invalid(
            "upload_id",
            "no upload with this id: upload the file again (an upload is deleted after its \
             import, or after 24 hours)",
        ),
        other => other,
    })
}

/// Deletes an upload and its file (an import that is done with it). Deleting one that is gone
/// already is fine.
pub async fn forget(db: &Db, files: &FileStore, org: &OrgId, id: &UploadId) -> Result<()> {
    let row = uploads::Entity::find()
        .filter(uploads::Column::OrganizationId.eq(org.as_str()))
        .filter(uploads::Column::Id.eq(id.as_str()))
        .one(db.reader())
        .await?;
    if let Some(row) = row {
        remove(db, files, row).await?;
    }
    Ok(())
}

/// The file first, then the row: a crash between the two leaves a row the next sweep deletes,
/// never a file nobody knows of.
async fn remove(db: &Db, files: &FileStore, row: uploads::Model) -> Result<()> {
    files.delete(&row.file_key).await?;
    uploads::Entity::delete_many()
        .filter(uploads::Column::OrganizationId.eq(row.organization_id.as_str()))
        .filter(uploads::Column::Id.eq(row.id.as_str()))
        .exec(db.writer())
        .await?;
    Ok(())
}

/// Deletes every upload created before `before` that no queued or running job names as its
/// `upload_id`; returns how many went.
pub async fn sweep(db: &Db, files: &FileStore, before: DateTime<Utc>) -> Result<u64> {
    use crate::jobs::store::jobs;

    let expired = uploads::Entity::find()
        .filter(uploads::Column::CreatedAt.lt(before))
        .all(db.reader())
        .await?;
    if expired.is_empty() {
        return Ok(0);
    }
    let pending = jobs::Entity::find()
        .filter(jobs::Column::Status.is_in(["queued", "running"]))
        .all(db.reader())
        .await?;
    let in_use: std::collections::HashSet<(String, String)> = pending
        .into_iter()
        .filter_map(|job| {
            let id = job.payload.get("upload_id")?.as_str()?.to_string();
            Some((job.organization_id, id))
        })
        .collect();
    let mut removed = 0;
    for row in expired {
        if in_use.contains(&(row.organization_id.clone(), row.id.clone())) {
            continue;
        }
        remove(db, files, row).await?;
        removed += 1;
    }
    Ok(removed)
}

/// Sweeps expired uploads every `every` until `stop` is cancelled.
pub async fn run_sweeper(
    db: Db,
    files: FileStore,
    every: std::time::Duration,
    retention: std::time::Duration,
    stop: tokio_util::sync::CancellationToken,
) {
    let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(1));
    loop {
        match sweep(&db, &files, Utc::now() - retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(uploads = n, "expired uploads deleted"),
            Err(err) => tracing::warn!(error = ?err, "sweeping expired uploads failed"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

fn upload_from(row: uploads::Model) -> Upload {
    Upload {
        id: UploadId::from_db(row.id),
        name: row.name,
        bytes: row.bytes,
        created_at: row.created_at,
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    // No fixed body limit here: the file is held to the configured limit while it streams.
    OpenApiRouter::new()
        .routes(routes!(upload_file))
        .layer(axum::extract::DefaultBodyLimit::disable())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The file's name, when the body is the raw file rather than a multipart form.
    pub name: Option<String>,
}

/// Upload a file to import: a multipart form with a `file` field, or the raw file as the body
/// (`?name=` gives its name). At most the server's upload limit (200 MB by default).
#[utoipa::path(post, path = "/uploads", tag = "uploads", params(UploadQuery),
    request_body(content = String, content_type = "application/octet-stream"),
    responses((status = 201, body = Upload), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn upload_file(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> Result<Response> {
    caller.require(Permission::ManageData)?;
    let is_form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let id = UploadId::generate();
    let key = format!("uploads/{}/{}", caller.org, id);
    let (name, bytes) = if is_form {
        let mut form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| Error::invalid("file", format!("the form cannot be read: {e}")))?;
        let mut stored = None;
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| Error::invalid("file", format!("the form cannot be read: {e}")))?
        {
            if field.name() == Some("file") {
                let name = field.file_name().unwrap_or("upload").to_string();
                let chunks = field.map(|c| c.map_err(|e| e.to_string()));
                stored = Some((name, stream_to_store(&state, &key, chunks).await?));
                break;
            }
        }
        stored.ok_or_else(|| Error::invalid("file", "the form has no `file` field"))?
    } else {
        let name = query.name.unwrap_or_else(|| "upload".to_string());
        let chunks =
            Body::into_data_stream(request.into_body()).map(|c| c.map_err(|e| e.to_string()));
        (name, stream_to_store(&state, &key, chunks).await?)
    };
    record_upload(&state, &caller, id, key, name, bytes)
        .await
        .map(created)
}

/// Stores an upload from a stream of chunks (a browser form's file field) and records it.
pub async fn store_upload<S>(
    state: &AppState,
    caller: &Caller,
    name: &str,
    chunks: S,
) -> Result<Upload>
where
    S: futures::Stream<Item = std::result::Result<bytes::Bytes, String>> + Unpin,
{
    let id = UploadId::generate();
    let key = format!("uploads/{}/{}", caller.org, id);
    let bytes = stream_to_store(state, &key, chunks).await?;
    record_upload(state, caller, id, key, name.to_string(), bytes).await
}

async fn record_upload(
    state: &AppState,
    caller: &Caller,
    id: UploadId,
    key: String,
    name: String,
    bytes: u64,
) -> Result<Upload> {
    if bytes == 0 {
        let _ = state.files.delete(&key).await;
        return Err(Error::invalid("file", "is empty"));
    }
    let now = Utc::now();
    let row = uploads::ActiveModel {
        organization_id: Set(caller.org.to_string()),
        id: Set(id.to_string()),
        name: Set(name.chars().take(200).collect()),
        file_key: Set(key),
        bytes: Set(i64::try_from(bytes).unwrap_or(i64::MAX)),
        created_by: Set(Some(caller.actor())),
        created_at: Set(now),
    }
    .insert(state.db.writer())
    .await?;
    Ok(upload_from(row))
}

/// Writes the chunks to the file store as a multipart upload; stops at the size limit.
async fn stream_to_store<S>(state: &AppState, key: &str, mut chunks: S) -> Result<u64>
where
    S: futures::Stream<Item = std::result::Result<bytes::Bytes, String>> + Unpin,
{
    let store = state.files.object_store();
    let upload = store
        .put_multipart(&StorePath::from(key))
        .await
        .map_err(|e| Error::internal(format!("storing an upload: {e}")))?;
    let mut writer = object_store::WriteMultipart::new(upload);
    let mut total = 0u64;
    // The first bytes say whether this is a spreadsheet at all: a photo or a PDF is refused
    // here, with what it is, rather than previewed as text (see `tabular::NotASpreadsheet`).
    let mut head = Some(Vec::with_capacity(SNIFF_BYTES));
    while let Some(chunk) = chunks.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(reason) => {
                let _ = writer.abort().await;
                return Err(Error::invalid(
                    "file",
                    format!("the upload broke off: {reason}"),
                ));
            }
        };
        total += chunk.len() as u64;
        let limit = state.settings.upload_limit_bytes;
        if total > limit {
            let _ = writer.abort().await;
            return Err(Error::PayloadTooLarge(format!(
                "the file is larger than the upload limit of {} MB",
                limit / 1024 / 1024
            )));
        }
        if let Some(bytes) = head.as_mut() {
            let wanted = SNIFF_BYTES.saturating_sub(bytes.len()).min(chunk.len());
            bytes.extend_from_slice(chunk.get(..wanted).unwrap_or_default());
            if bytes.len() >= SNIFF_BYTES {
                if let Some(kind) = head.take().and_then(|b| NotASpreadsheet::sniff(&b)) {
                    let _ = writer.abort().await;
                    return Err(kind.error());
                }
            }
        }
        writer.write(&chunk);
    }
    if let Some(kind) = head.and_then(|b| NotASpreadsheet::sniff(&b)) {
        let _ = writer.abort().await;
        return Err(kind.error());
    }
    writer
        .finish()
        .await
        .map_err(|e| Error::internal(format!("storing an upload: {e}")))?;
    Ok(total)
}
