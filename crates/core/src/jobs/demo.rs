//! The demo job: counts slowly with progress, so an organizer (and the browser tests) can see
//! the Jobs page, its progress bar and cancellation work without touching any data.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ErrorBody, Result};
use crate::http::{created, ApiJson, AppState};
use crate::jobs::{self, Job, JobContext, JobHandler, JobService, NewJob};
use crate::{Caller, Error, Permission};

/// A job that only counts, slowly: lets an organizer (and the browser tests) see the Jobs page,
/// its progress bar and cancellation work without touching any data.
pub const DEMO_COUNT: &str = "demo.count";

pub struct DemoCount;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemoJobRequest {
    /// How many steps to count (1 to 10,000).
    pub steps: i64,
    /// Milliseconds per step (0 to 1,000).
    #[serde(default = "default_step_ms")]
    pub step_ms: u64,
}

fn default_step_ms() -> u64 {
    20
}

#[async_trait::async_trait]
impl JobHandler for DemoCount {
    async fn run(&self, ctx: &JobContext) -> Result<()> {
        let steps = ctx.payload["steps"]
            .as_i64()
            .unwrap_or(100)
            .clamp(1, 10_000);
        let step_ms = ctx.payload["step_ms"].as_u64().unwrap_or(20).min(1_000);
        let lang = ctx.lang();
        for done in 1..=steps {
            tokio::time::sleep(std::time::Duration::from_millis(step_ms)).await;
            ctx.progress(
                done,
                Some(steps),
                Some(
                    &crate::i18n::Msg::new("engine-demo-counted")
                        .num("done", done)
                        .num("steps", steps)
                        .render(lang),
                ),
            )
            .await?;
        }
        Ok(())
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(start_demo_job))
}

/// Start a demo job that counts with progress (it changes no data).
#[utoipa::path(post, path = "/jobs/demo", tag = "jobs", request_body = DemoJobRequest,
    responses((status = 201, body = Job), (status = 422, body = ErrorBody)))]
async fn start_demo_job(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<DemoJobRequest>,
) -> Result<Response> {
    caller.require(Permission::ManageData)?;
    if !(1..=10_000).contains(&request.steps) {
        return Err(Error::invalid("steps", "must be between 1 and 10000"));
    }
    if request.step_ms > 1_000 {
        return Err(Error::invalid("step_ms", "must be at most 1000"));
    }
    let txn = state.db.begin_write().await?;
    let mut new = NewJob::new(
        DEMO_COUNT,
        crate::i18n::Msg::new("engine-job-title-demo")
            .num("steps", request.steps)
            .render(crate::i18n::Lang::from_stored(&caller.language)),
        serde_json::json!({
            "steps": request.steps,
            "step_ms": request.step_ms,
            "language": caller.language,
        }),
    );
    new.created_by = Some(caller.actor());
    let id = jobs::enqueue(&txn, &caller.org, new).await?;
    txn.commit().await?;
    Ok(created(
        JobService::new(state.db.clone(), state.files.clone())
            .get(&caller.org, &id)
            .await?,
    ))
}
