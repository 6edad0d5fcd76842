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
use crate::model::{
    CountRequest, NewSegment, Segment, SegmentDefinition, SegmentId, SegmentPatch, MAX_DAYS_BACK,
};

/// How far the days-back slider reaches unless the value is beyond it: two years.
const DAYS_BACK_SLIDER: u32 = 730;

/// What the days-back field shows.
impl SegmentForm {
    /// The value as typed, `0` when empty.
    pub fn days_back_shown(&self) -> &str {
        match self.days_back.trim() {
            "" => "0",
            text => text,
        }
    }

    /// The slider's `max`: two years, or the value when it is more. A browser sets a slider
    /// above its `max` to the `max`, so a segment saved with 3,650 days back was saved again
    /// with 730 by an edit that never touched the field; the number beside the slider carries
    /// the value, and the slider reaches it.
    pub fn days_back_reach(&self) -> u32 {
        self.days_back
            .trim()
            .parse::<u32>()
            .map_or(DAYS_BACK_SLIDER, |days| {
                days.clamp(DAYS_BACK_SLIDER, MAX_DAYS_BACK)
            })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_days_back_beyond_the_slider_widens_it_and_is_saved_again_as_it_was() {
        let ten_years = SegmentForm {
            days_back: "3650".into(),
            ..Default::default()
        };
        assert_eq!(ten_years.days_back_shown(), "3650");
        assert_eq!(ten_years.days_back_reach(), 3650);
        assert_eq!(ten_years.definition().map(|d| d.days_back).ok(), Some(3650));

        let month = SegmentForm {
            days_back: "30".into(),
            ..Default::default()
        };
        assert_eq!(month.days_back_reach(), DAYS_BACK_SLIDER);
        let empty = SegmentForm::default();
        assert_eq!(
            (empty.days_back_shown(), empty.days_back_reach()),
            ("0", DAYS_BACK_SLIDER)
        );
        // A value the service refuses does not stretch the slider past what may be saved.
        let too_far = SegmentForm {
            days_back: "99999".into(),
            ..Default::default()
        };
        assert_eq!(too_far.days_back_reach(), MAX_DAYS_BACK);
    }
}
