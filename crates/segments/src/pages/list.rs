//! The segment list, and removing and restoring segments from it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use fullhouse_core::http::AppState;
use fullhouse_core::Permission;
use fullhouse_web::{CsrfForm, PageError, Ui};
use serde::Deserialize;

use super::service;
use crate::model::{Segment, SegmentId};
use crate::service::Listing;

#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    #[serde(default)]
    removed: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/segments/list.html")]
struct ListPage {
    ui: Ui,
    segments: Vec<Segment>,
    removed: bool,
}

pub(super) async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let removed = !query.removed.is_empty();
    let listing = if removed {
        Listing::Removed
    } else {
        Listing::Active
    };
    let segments = service(&state)
        .list(&ui.caller.org, listing)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(ListPage {
        ui,
        segments,
        removed,
    }
    .into_response())
}

/// The remove and restore buttons post nothing but the CSRF token.
#[derive(Debug, Deserialize)]
pub(super) struct Button {}

pub(super) async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, .. }: CsrfForm<Button>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    service(&state)
        .remove(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/segments").into_response())
}

pub(super) async fn restore(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, .. }: CsrfForm<Button>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = SegmentId::parse(&id).map_err(|e| ui.error(e))?;
    service(&state)
        .restore(&ui.caller.org, &id)
        .await
        .map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/segments").into_response())
}
