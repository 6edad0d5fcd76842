//! Jobs: every background job of the organization with its status, a live progress bar,
//! duration, result files and error; a button that starts the demo job.
//!
//! A job that is queued or running renders as a table row that htmx reloads every second
//! (`/jobs/{id}/row`); the row of a finished job carries no trigger, so polling stops by itself.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::jobs::{self, Job, JobId, JobService, NewJob};
use fullhouse_core::{Error, Permission};
use serde::Deserialize;

use crate::CsrfForm;

use crate::layout::{duration, next_link, FormErrors, PageError, Ui};

const PAGE_SIZE: u64 = 25;

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/jobs", get(list))
        .route("/jobs/demo", post(start_demo))
        .route("/jobs/{id}/row", get(row))
        .route("/jobs/{id}/cancel", post(cancel))
}

/// What a job row shows, computed from the job.
pub trait JobView {
    /// Queued or running: the row keeps polling.
    fn live(&self) -> bool;
    /// `value` of the progress bar; `None` while the total is unknown (an indeterminate bar).
    fn progress_value(&self) -> Option<u8>;
    fn duration_text(&self) -> String;
    fn file_url(&self, name: &str) -> String;
}

impl JobView for Job {
    fn live(&self) -> bool {
        !self.status.is_finished()
    }

    fn progress_value(&self) -> Option<u8> {
        match self.status {
            jobs::JobStatus::Succeeded => Some(100),
            _ => self.percent(),
        }
    }

    fn duration_text(&self) -> String {
        self.duration(Utc::now()).map(duration).unwrap_or_default()
    }

    fn file_url(&self, name: &str) -> String {
        let encoded: String = name
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("/api/v1/jobs/{}/files/{encoded}", self.id)
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    cursor: String,
}

/// The demo job's form, as typed (kept as text so a bad number comes back beside its field).
#[derive(Debug, Clone, Deserialize)]
pub struct DemoForm {
    #[serde(default)]
    pub steps: String,
    #[serde(default)]
    pub step_ms: String,
}

impl Default for DemoForm {
    fn default() -> Self {
        Self {
            steps: "30".into(),
            step_ms: "100".into(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/jobs/list.html")]
struct JobsPage {
    ui: Ui,
    jobs: Vec<Job>,
    next: Option<String>,
    form: DemoForm,
    errors: FormErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/jobs/_job.html")]
struct JobRow {
    ui: Ui,
    job: Job,
}

fn service(state: &AppState) -> JobService {
    JobService::new(state.db.clone(), state.files.clone())
}

async fn jobs_page(
    state: &AppState,
    ui: Ui,
    cursor: String,
    form: DemoForm,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let page = service(state)
        .list(
            &ui.caller.org,
            &PageParams {
                cursor: Some(cursor).filter(|c| !c.is_empty()),
                limit: Some(PAGE_SIZE),
            },
        )
        .await
        .map_err(|e| ui.error(e))?;
    let failed = !errors.is_empty();
    let page = JobsPage {
        next: page.next_cursor.map(|c| next_link("/jobs", &[], &c)),
        jobs: page.items,
        ui,
        form,
        errors,
    };
    Ok(if failed {
        (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    } else {
        page.into_response()
    })
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    jobs_page(
        &state,
        ui,
        query.cursor,
        DemoForm::default(),
        FormErrors::default(),
    )
    .await
}

async fn row(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = JobId::parse(&id).map_err(|e| ui.error(e))?;
    let job = service(&state)
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(JobRow { ui, job }.into_response())
}

async fn start_demo(
    State(state): State<AppState>,
    CsrfForm { ui, form }: CsrfForm<DemoForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::ManageData)?;
    let checked = fullhouse_core::input::whole_number_in("steps", &form.steps, 1..=10_000)
        .and_then(|steps| {
            fullhouse_core::input::whole_number_in("step_ms", &form.step_ms, 0..=1_000)
                .map(|ms| (steps, ms))
        });
    let (steps, step_ms) = match checked {
        Ok(values) => values,
        Err(err) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            return jobs_page(&state, ui, String::new(), form, errors).await;
        }
    };
    let enqueue = async {
        let txn = state.db.begin_write().await?;
        let mut new = NewJob::new(
            fullhouse_core::jobs::demo::DEMO_COUNT,
            format!("Demo: count to {steps}"),
            serde_json::json!({"steps": steps, "step_ms": step_ms}),
        );
        new.created_by = Some(ui.caller.actor());
        jobs::enqueue(&txn, &ui.caller.org, new).await?;
        txn.commit().await?;
        Ok::<_, Error>(())
    };
    enqueue.await.map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/jobs").into_response())
}

#[derive(Debug, Deserialize)]
struct CancelForm {}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm {
        ui,
        form: CancelForm {},
    }: CsrfForm<CancelForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::ManageData)?;
    let id = JobId::parse(&id).map_err(|e| ui.error(e))?;
    let job = service(&state)
        .cancel(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(if ui.htmx {
        JobRow { ui, job }.into_response()
    } else {
        Redirect::to("/jobs").into_response()
    })
}
