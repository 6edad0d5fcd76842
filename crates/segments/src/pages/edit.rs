//! Creating and editing a segment: one form for both, with "fetch data" counting the form's
//! definition without saving it.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, Permission};
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};

use super::{service, Choices};
use crate::index::Registry;
use crate::model::form::SegmentForm;
use crate::model::{CountRequest, NewSegment, Segment, SegmentDefinition, SegmentId, SegmentPatch};

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/form.html")]
struct FormPage {
    ui: Ui,
    segment: Option<Segment>,
    form: SegmentForm,
    errors: FormErrors,
    choices: Choices,
    fetched: Option<u64>,
}

async fn form_page(
    state: &AppState,
    ui: Ui,
    segment: Option<Segment>,
    form: SegmentForm,
    errors: FormErrors,
    fetched: Option<u64>,
) -> Result<Response, PageError> {
    let choices = Choices::load(state, &ui).await?;
    let page = FormPage {
        ui,
        segment,
        form,
        errors: errors.clone(),
        choices,
        fetched,
    };
    Ok(with_status(&errors, page))
}

pub(super) async fn new_form(State(state): State<AppState>, ui: Ui) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let form = SegmentForm {
        days_back: "0".into(),
        ..Default::default()
    };
    form_page(&state, ui, None, form, FormErrors::default(), None).await
}

pub(super) async fn edit_form(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let segment = service(&state)
        .segment(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let form = SegmentForm::of(&segment);
    form_page(&state, ui, Some(segment), form, FormErrors::default(), None).await
}

/// "Fetch data": the number of customers the form's definition holds today.
async fn fetch(
    state: &AppState,
    registry: &Registry,
    ui: &Ui,
    definition: SegmentDefinition,
) -> Result<u64, Error> {
    let counts = service(state)
        .count_definition(
            registry,
            &ui.caller.org,
            definition,
            CountRequest::default(),
            chrono::Utc::now(),
        )
        .await?;
    Ok(counts.segment)
}

pub(super) async fn create(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    CsrfForm { ui, form }: CsrfForm<SegmentForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let definition = match form.definition() {
        Ok(d) => d,
        Err(err) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            return form_page(&state, ui, None, form, errors, None).await;
        }
    };
    if !form.fetch.is_empty() {
        return match fetch(&state, &registry, &ui, definition).await {
            Ok(count) => {
                form_page(&state, ui, None, form, FormErrors::default(), Some(count)).await
            }
            Err(err) => {
                let errors = FormErrors::from_error(ui.lang, &err);
                form_page(&state, ui, None, form, errors, None).await
            }
        };
    }
    let new = NewSegment {
        name: form.name.clone(),
        description: Some(form.description.clone()),
        event_filter: definition.event_filter,
        days_back: definition.days_back,
        excluded: definition.excluded,
    };
    match service(&state).create(&ui.caller.org, new).await {
        Ok(segment) => Ok(Redirect::to(&format!("/segments/{}", segment.id)).into_response()),
        Err(err @ Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            form_page(&state, ui, None, form, errors, None).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

pub(super) async fn edit(
    State(state): State<AppState>,
    Extension(registry): Extension<Arc<Registry>>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<SegmentForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let segments = service(&state);
    let segment = segments
        .segment(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    let definition = match form.definition() {
        Ok(d) => d,
        Err(err) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            return form_page(&state, ui, Some(segment), form, errors, None).await;
        }
    };
    if !form.fetch.is_empty() {
        let count = fetch(&state, &registry, &ui, definition)
            .await
            .map_err(|e| ui.error(e))?;
        return form_page(
            &state,
            ui,
            Some(segment),
            form,
            FormErrors::default(),
            Some(count),
        )
        .await;
    }
    let patch = SegmentPatch {
        name: Some(form.name.clone()),
        description: Some(Some(form.description.clone())),
        event_filter: Some(definition.event_filter),
        days_back: Some(definition.days_back),
        excluded: Some(definition.excluded),
    };
    match segments.update(&ui.caller.org, &id, patch).await {
        Ok(segment) => Ok(Redirect::to(&format!("/segments/{}", segment.id)).into_response()),
        Err(err @ Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            form_page(&state, ui, Some(segment), form, errors, None).await
        }
        Err(err) => Err(ui.error(err)),
    }
}
