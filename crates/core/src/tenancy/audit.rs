//! Reading the audit log (privacy): who exported, pushed, tagged, mailed or erased what, when.
//! Rows are written by [`super::service::record_audit`] in the transaction of the change they
//! record; this is the owners' and admins' way to read them back, newest first, by the API
//! (`GET /api/v1/audit-log`) and on Settings → Audit log.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{Caller, Permission};
use super::store::audit_log;
use crate::error::{ErrorBody, Result};
use crate::http::{ApiQuery, AppState, Page, PageParams};
use crate::ids::OrgId;
use crate::Db;

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    /// The user (`usr_…`) or API token (`tok_…`) that acted, or `system`.
    pub actor: String,
    /// What was done, `<area>.<verb>`: `segment.exported`, `customer.erased`, …
    pub action: String,
    /// What it was done to or the job that does it (a customer, a job, an audience).
    pub subject: String,
    /// The action's particulars: for segment actions the segment, view, filters, how many
    /// customers and the file or target.
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only actions starting with this (`segment.` for every segment action).
    #[serde(default)]
    pub action: Option<String>,
    /// The `next_cursor` of the previous page; omit for the first page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Entries per page, 1 to 500 (default 50).
    #[serde(default)]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
}

/// The audit log's reader.
#[derive(Clone)]
pub struct AuditLog {
    db: Db,
}

impl AuditLog {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// A page of the organization's entries, newest first (ids are ULIDs, so their order is
    /// the order they were written in).
    pub async fn list(
        &self,
        org: &OrgId,
        action: Option<&str>,
        params: &PageParams,
    ) -> Result<Page<AuditEntry>> {
        let limit = params.limit()?;
        let mut condition =
            Condition::all().add(audit_log::Column::OrganizationId.eq(org.as_str()));
        if let Some(prefix) = action.map(str::trim).filter(|p| !p.is_empty()) {
            condition = condition.add(audit_log::Column::Action.starts_with(prefix));
        }
        if let Some(cursor) = &params.cursor {
            condition = condition.add(audit_log::Column::Id.lt(cursor.as_str()));
        }
        let rows = audit_log::Entity::find()
            .filter(condition)
            .order_by_desc(audit_log::Column::Id)
            .limit(limit + 1)
            .all(self.db.reader())
            .await?;
        let entries = rows
            .into_iter()
            .map(|row| AuditEntry {
                id: row.id,
                actor: row.actor,
                action: row.action,
                subject: row.subject,
                details: row.details,
                created_at: row.created_at,
            })
            .collect();
        Ok(Page::from_rows(entries, limit, |e| e.id.clone()))
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_log))
}

/// The organization's audit log, newest first: every export, push, tag action, campaign-link
/// send, audience made from a segment, customer export and erasure. Owners and admins only.
#[utoipa::path(get, path = "/audit-log", tag = "organization", params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = ErrorBody)))]
async fn list_audit_log(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>> {
    caller.require(Permission::Administer)?;
    Ok(Json(
        AuditLog::new(state.db.clone())
            .list(
                &caller.org,
                query.action.as_deref(),
                &PageParams {
                    cursor: query.cursor,
                    limit: query.limit,
                },
            )
            .await?,
    ))
}
