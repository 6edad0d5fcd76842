//! Actions → Tag customers: the organization's tags with how many of the view's customers have
//! each, a field for a new or existing tag with Apply, and the segment's past tag actions with
//! Undo (see [`crate::tags`]). Apply and Undo start jobs and go to the Jobs page.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use chrono::Utc;
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, Permission};
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use super::actions::{chosen, Chosen};
use crate::index::Registry;
use crate::tags::{TagAction, TagActionId, TagActionStatus, TagOverview, TagService};

/// The form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TagForm {
    pub tag: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/tags.html")]
struct TagsPage {
    ui: Ui,
    chosen: Chosen,
    form: TagForm,
    errors: FormErrors,
    overview: TagOverview,
    actions: Vec<TagAction>,
}

impl TagsPage {
    fn can_undo(&self, action: &TagAction) -> bool {
        matches!(
            action.status,
            TagActionStatus::Tagged | TagActionStatus::Tagging
        )
    }

    fn status(&self, action: &TagAction) -> String {
        self.ui
            .lang
            .term("segments-tags-status", action.status.as_str())
    }
}

pub(super) async fn tag_form(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    ui: Ui,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let chosen = chosen(&state, &registry, &ui, &id, query).await?;
    render(
        &state,
        &registry,
        ui,
        chosen,
        TagForm::default(),
        FormErrors::default(),
    )
    .await
}

pub(super) async fn apply_tag(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    CsrfForm { ui, form }: CsrfForm<TagForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let chosen = chosen(&state, &registry, &ui, &id, query).await?;
    let started = TagService::new(state.db.clone())
        .start(
            &registry,
            &ui.caller,
            &chosen.selection,
            &form.tag,
            Utc::now(),
        )
        .await;
    match started {
        Ok(_) => Ok(Redirect::to("/jobs").into_response()),
        Err(err @ Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            render(&state, &registry, ui, chosen, form, errors).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

/// Undo (the list's button), then the Jobs page.
pub(super) async fn undo(
    State(state): State<AppState>,
    Path(action): Path<String>,
    CsrfForm { ui, .. }: CsrfForm<super::list::Button>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let action = TagActionId::parse(&action).map_err(|e| ui.error(e))?;
    TagService::new(state.db.clone())
        .undo(&ui.caller, &action, Utc::now())
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/jobs").into_response())
}

async fn render(
    state: &AppState,
    registry: &Registry,
    ui: Ui,
    chosen: Chosen,
    form: TagForm,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let tags = TagService::new(state.db.clone());
    let org = &ui.caller.org;
    let overview = tags
        .overview(registry, org, &chosen.selection, Utc::now())
        .await
        .map_err(|e| ui.error(e))?;
    let actions = tags
        .actions(org, &chosen.segment.id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(with_status(
        &errors.clone(),
        TagsPage {
            ui,
            chosen,
            form,
            errors,
            overview,
            actions,
        },
    ))
}
