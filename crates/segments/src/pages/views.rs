//! Saving the dashboard's filters as a named view.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use fullhouse_core::http::AppState;
use fullhouse_core::Permission;
use fullhouse_web::{CsrfForm, PageError};

use super::service;
use crate::model::form::DashboardForm;
use crate::model::{NewView, SegmentId, ViewId};

/// Saves the dashboard's filters as a view (or replaces the open view when the name is empty).
pub(super) async fn save_view(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm {
        ui,
        form: dashboard,
    }: CsrfForm<DashboardForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    let segments = service(&state);
    let filters = dashboard.filters().map_err(|e| ui.error(e))?;
    let open = ViewId::parse(dashboard.view.trim()).ok();
    let saved = match (dashboard.view_name.trim(), open) {
        ("", Some(view)) => {
            let current = segments
                .view(&ui.caller.org, &id, &view)
                .await
                .map_err(|e| ui.error(e))?;
            segments
                .update_view(
                    &ui.caller.org,
                    &id,
                    &view,
                    NewView {
                        name: current.name,
                        filters,
                    },
                )
                .await
        }
        (name, _) => {
            segments
                .create_view(
                    &ui.caller.org,
                    &id,
                    NewView {
                        name: name.to_string(),
                        filters,
                    },
                )
                .await
        }
    }
    .map_err(|e| ui.error(e))?;
    // `saved` has the dashboard say so above the views.
    let target = format!("/segments/{id}?view={}&saved=1", saved.id);
    if ui.htmx {
        // htmx posted the form with the dashboard's filters; it loads the view as a page.
        let mut response = StatusCode::NO_CONTENT.into_response();
        if let Ok(value) = HeaderValue::from_str(&target) {
            response.headers_mut().insert("hx-redirect", value);
        }
        return Ok(response);
    }
    Ok(Redirect::to(&target).into_response())
}
