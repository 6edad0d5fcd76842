//! The referrals' job routes, beside `api`: start back-dating a promotion.

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiPath, AppState};
use fullhouse_core::jobs::{self, Job, JobService, NewJob};
use fullhouse_core::{Caller, Error, Permission, Result};
use fullhouse_web::Lang;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::jobs::{BackdatePayload, BACKDATE_JOB};
use crate::model::{PromotionId, PromotionStatus};
use crate::service::Referrals;

/// Attempts of a back-dating job: each resumes where the last stopped.
const MAX_ATTEMPTS: i32 = 5;

/// Path ids are documented by their schema (prefix and ULID pattern); a schema named only in a
/// path parameter is not collected by itself, so the promotion's id is listed here.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(PromotionId)))]
struct Ids;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<Ids as utoipa::OpenApi>::openapi()).routes(routes!(backdate))
}

/// Mail every earlier ticket holder of the promotion's events their own tracking and progress
/// links, as a job (its progress on the Jobs page). Holders are enrolled as participants; the
/// mail is marketing, so only holders whose email permission allows it receive it. Safe to
/// start again: each holder is mailed once, whatever number of runs. 409 when the promotion is
/// closed.
#[utoipa::path(post, path = "/referrals/promotions/{id}/backdate", tag = "referrals",
    params(("id" = PromotionId, Path)),
    responses((status = 201, body = Job), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn backdate(
    State(state): State<AppState>,
    Extension(referrals): Extension<Referrals>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    let id = PromotionId::parse(&id)?;
    let promotion = referrals.promotion(&caller.org, &id).await?;
    if promotion.status == PromotionStatus::Closed {
        return Err(Error::conflict(
            "promotion",
            "the promotion is closed: its links no longer count",
        ));
    }
    let lang = Lang::from_stored(&caller.language);
    let payload = BackdatePayload {
        promotion_id: id,
        language: lang.code().to_string(),
    };
    let mut new = NewJob::new(
        BACKDATE_JOB,
        lang.t1("referrals-backdate-title", "promotion", &promotion.name),
        serde_json::to_value(&payload).map_err(|e| Error::internal(e.to_string()))?,
    );
    new.max_attempts = MAX_ATTEMPTS;
    new.created_by = Some(caller.actor());
    let txn = state.db.begin_write().await?;
    let job = jobs::enqueue(&txn, &caller.org, new).await?;
    txn.commit().await?;
    Ok(created(
        JobService::new(state.db.clone(), state.files.clone())
            .get(&caller.org, &job)
            .await?,
    ))
}
