//! Jobs: every background job of the organization with its status, a live progress bar,
//! duration, result files and error. Each job is named by its kind in the reader's language
//! (never the raw `audiences.import`), under the title it was given in its starter's language.
//! The job an action just started (`/jobs?started=<id>`, where the upload and export pages
//! redirect) is highlighted. A failed or cancelled job keeps the progress it reached and its
//! error, without a percentage or a full bar that would say it finished.
//!
//! The demo job (a counter that changes no data) is for trying the queue out: its form shows
//! only on the demo organization's page ([`DEMO_SLUG`]), never on a live organization's (the
//! route stays, as `POST /api/v1/jobs/demo` does, for scripts and tests).
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
use fullhouse_core::i18n::Msg;
use fullhouse_core::jobs::{self, Job, JobId, JobService, JobStatus, NewJob};
use fullhouse_core::tenancy::model::DEMO_SLUG;
use fullhouse_core::{Error, Permission};
use serde::Deserialize;

use crate::CsrfForm;

use crate::i18n::{Lang, Val};
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
    /// `value` of the progress bar; `None` while the total is unknown (an indeterminate bar)
    /// and for a job that stopped (failed, cancelled): a bar would say how far it got as if it
    /// were still going or done, [`JobView::stopped_at`] says it in words.
    fn progress_value(&self) -> Option<u8>;
    /// How far a failed or cancelled job got ("12 of 40"), when it reported a total.
    fn stopped_at(&self, lang: impl Val<Lang>) -> Option<String>;
    /// The job's kind in `lang` ("Audience import"), never the raw kind.
    fn kind_name(&self, lang: impl Val<Lang>) -> String;
    /// The title to show: the one it was given, except for the platform's own jobs whose stored
    /// title is a fixed English label (mail delivery): their kind's name says it in `lang`.
    fn title_in(&self, lang: impl Val<Lang>) -> String;
    fn duration_text(&self) -> String;
    fn file_url(&self, name: &str) -> String;
}

impl JobView for Job {
    fn live(&self) -> bool {
        !self.status.is_finished()
    }

    fn progress_value(&self) -> Option<u8> {
        match self.status {
            JobStatus::Succeeded => Some(100),
            JobStatus::Failed | JobStatus::Cancelled => None,
            JobStatus::Queued | JobStatus::Running => self.percent(),
        }
    }

    fn stopped_at(&self, lang: impl Val<Lang>) -> Option<String> {
        let lang = lang.val();
        if !matches!(self.status, JobStatus::Failed | JobStatus::Cancelled) {
            return None;
        }
        let total = self.progress_total.filter(|t| *t > 0)?;
        Some(
            Msg::new("jobs-stopped-at")
                .arg("done", lang.number(self.progress_done.clamp(0, total)))
                .arg("total", lang.number(total))
                .render(lang),
        )
    }

    fn kind_name(&self, lang: impl Val<Lang>) -> String {
        kind_name(lang.val(), &self.kind)
    }

    fn title_in(&self, lang: impl Val<Lang>) -> String {
        if self.kind == fullhouse_core::mail::service::DELIVER_JOB {
            self.kind_name(lang)
        } else {
            self.title.clone()
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

/// A job kind's name in `lang`: `job-kind-<kind>` (dots and underscores as dashes) of the
/// engine's strings, "Background job" for a kind without one.
pub fn kind_name(lang: Lang, kind: &str) -> String {
    let key = format!("job-kind-{}", kind.replace(['.', '_'], "-"));
    lang.t_or(&key, &lang.t("job-kind-other"))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    cursor: String,
    /// The job an action just started, highlighted.
    #[serde(default)]
    started: String,
}

#[derive(Debug, Default, Deserialize)]
struct RowQuery {
    #[serde(default)]
    started: String,
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
    /// The demo organization: the demo job's form shows (elsewhere only to answer a post to
    /// it with its errors, which the route still takes).
    demo: bool,
    /// The id of the job just started, highlighted.
    started: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/jobs/_job.html")]
struct JobRow {
    ui: Ui,
    job: Job,
    started: String,
}

/// Whether `job` is the one just started (the list and the polled row both ask).
trait Started {
    fn started(&self) -> &str;

    fn is_started(&self, job: &Job) -> bool {
        !self.started().is_empty() && job.id.as_str() == self.started()
    }
}

impl Started for JobsPage {
    fn started(&self) -> &str {
        &self.started
    }
}

impl Started for JobRow {
    fn started(&self) -> &str {
        &self.started
    }
}

/// Whether the caller's organization is the demo organization, the only one with the demo job.
async fn is_demo(state: &AppState, ui: &Ui) -> Result<bool, PageError> {
    let organization = state
        .tenancy()
        .organization(&ui.caller.org)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(organization.slug == DEMO_SLUG)
}

fn service(state: &AppState) -> JobService {
    JobService::new(state.db.clone(), state.files.clone())
}

async fn jobs_page(
    state: &AppState,
    ui: Ui,
    cursor: String,
    started: String,
    form: DemoForm,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let demo = is_demo(state, &ui).await?;
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
        demo,
        started,
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
        query.started,
        DemoForm::default(),
        FormErrors::default(),
    )
    .await
}

async fn row(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<RowQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let id = JobId::parse(&id).map_err(|e| ui.error(e))?;
    let job = service(&state)
        .get(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(JobRow {
        ui,
        job,
        started: query.started,
    }
    .into_response())
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
            return jobs_page(&state, ui, String::new(), String::new(), form, errors).await;
        }
    };
    let enqueue = async {
        let txn = state.db.begin_write().await?;
        let mut new = NewJob::new(
            fullhouse_core::jobs::demo::DEMO_COUNT,
            Msg::new("engine-job-title-demo")
                .num("steps", steps)
                .render(ui.lang),
            serde_json::json!({"steps": steps, "step_ms": step_ms, "language": ui.lang.code()}),
        );
        new.created_by = Some(ui.caller.actor());
        let id = jobs::enqueue(&txn, &ui.caller.org, new).await?;
        txn.commit().await?;
        Ok::<_, Error>(id)
    };
    let id = enqueue.await.map_err(|e| ui.error(e))?;
    Ok(Redirect::to(&format!("/jobs?started={id}")).into_response())
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
        JobRow {
            ui,
            job,
            started: String::new(),
        }
        .into_response()
    } else {
        Redirect::to("/jobs").into_response()
    })
}
