//! The job kinds the server itself provides, and the registry of every module's job handlers.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use fullhouse_core::error::{ErrorBody, Result};
use fullhouse_core::http::{created, ApiJson, AppState};
use fullhouse_core::jobs::{self, Job, JobContext, JobHandler, JobRegistry, JobService, NewJob};
use fullhouse_core::mail::{Consents, Delivery};
use fullhouse_core::{Caller, Error, Permission};
use fullhouse_ticketing::service::consent::CustomerConsents;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every job kind this binary can run.
pub fn registry(state: &AppState) -> JobRegistry {
    let mut registry = JobRegistry::new();
    registry.register(DEMO_COUNT, DemoCount);
    registry.register(
        fullhouse_audiences::jobs::IMPORT_JOB,
        fullhouse_audiences::jobs::ImportHandler,
    );
    // Delivery claims each message once and reads no upload: safe to take again after a crash.
    registry.register_resumable(
        fullhouse_core::mail::DELIVER_JOB,
        Delivery {
            consents: consents(state),
            mail_dir: state.settings.data_dir.join("mail"),
            public_url: state.settings.public_url.clone(),
        },
    );
    registry
}

/// Customer consents, as mail delivery and unsubscribing need them.
pub fn consents(state: &AppState) -> Consents {
    Arc::new(CustomerConsents::new(state.db.clone()))
}

/// A job that only counts, slowly: lets an organizer (and the browser tests) see the Jobs page,
/// its progress bar and cancellation work without touching any data.
pub const DEMO_COUNT: &str = "demo.count";

struct DemoCount;

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
        for done in 1..=steps {
            tokio::time::sleep(std::time::Duration::from_millis(step_ms)).await;
            ctx.progress(
                done,
                Some(steps),
                Some(&format!("counted {done} of {steps}")),
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
        format!("Demo: count to {}", request.steps),
        serde_json::json!({"steps": request.steps, "step_ms": request.step_ms}),
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
