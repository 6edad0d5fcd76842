//! The dashboard's "Actions" (seed 002, "Handlinger"): export, push, tag, mail a campaign link,
//! make an audience. Each action has its own page at `/segments/{id}/actions/<action>`, opened
//! by a button of the dashboard's filter form (`formaction`), so the page receives the
//! dashboard's fields as they are at that moment — no script, nothing to keep in sync.
//!
//! [`chosen`] reads those fields back into a [`Selection`]: the saved view when the filters are
//! still the view's (so an audience or a Meta push can follow the view as it changes), else the
//! filters as set. Every action page shows the same header ([`Chosen`], partial
//! `_chosen.html`) and posts back to its own address with the same query, so a refused form
//! keeps the selection.

use std::sync::Arc;

use chrono::Utc;
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, OrgId};
use fullhouse_web::{PageError, Ui};

use super::service;
use crate::index::Registry;
use crate::model::form::DashboardForm;
use crate::model::{CountRequest, Segment, SegmentId, SegmentView};
use crate::selection::Selection;

/// The actions a view offers, in the panel's order: (path segment, locale key of the button).
pub const ACTIONS: &[(&str, &str)] = &[
    ("export", "segments-action-export"),
    ("push", "segments-action-push"),
    ("tag", "segments-action-tag"),
    ("mail", "segments-action-mail"),
    ("audience", "segments-action-audience"),
];

/// What an action page acts on.
#[derive(Debug, Clone)]
pub struct Chosen {
    pub segment: Segment,
    /// The saved view, when the filters are still the view's.
    pub view: Option<SegmentView>,
    pub selection: Selection,
    /// Customers the selection holds now (the dashboard's total).
    pub total: i64,
    /// The dashboard's query string as received, to post back to and to return to.
    pub query: String,
    /// The event or production's name when the view is shown for one.
    pub shown_for: Option<String>,
}

impl Chosen {
    /// This action's address with the selection, for a form's `action`.
    pub fn action(&self, action: &str) -> String {
        self.with_query(&format!("/segments/{}/actions/{action}", self.segment.id))
    }

    /// Back to the dashboard with the same filters.
    pub fn dashboard(&self) -> String {
        self.with_query(&format!("/segments/{}", self.segment.id))
    }

    fn with_query(&self, path: &str) -> String {
        if self.query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", self.query)
        }
    }

    /// True when the view is shown for an event or a production (a campaign-link mail needs it).
    pub fn is_shown_for(&self) -> bool {
        self.selection.view_for.event_id.is_some()
            || self.selection.view_for.production_id.is_some()
    }
}

/// Reads the dashboard's fields into what an action acts on, counted now. A field the dashboard
/// would refuse is refused here too, with the same reason.
pub async fn chosen(
    state: &AppState,
    registry: &Arc<Registry>,
    ui: &Ui,
    id: &str,
    query: Option<String>,
) -> Result<Chosen, PageError> {
    let org = &ui.caller.org;
    let id = SegmentId::parse(id).map_err(|e| ui.error(e))?;
    let query = query.unwrap_or_default();
    let form: DashboardForm = serde_html_form::from_str(&query)
        .map_err(|e| ui.error(Error::invalid("query", e.to_string())))?;
    let segments = service(state);
    let segment = segments.segment(org, &id).await.map_err(|e| ui.error(e))?;
    let request = form.count_request().map_err(|e| ui.error(e))?;
    let view = saved_view_kept(state, org, &id, &form, &request).await;
    let selection = Selection {
        segment_id: id.clone(),
        view_id: view.as_ref().map(|v| v.id.clone()),
        filters: if view.is_some() {
            Vec::new()
        } else {
            request.filters.clone()
        },
        view_for: request.view_for.clone(),
    };
    let total = segments
        .count(registry, org, &id, request.clone(), Utc::now())
        .await
        .map_err(|e| ui.error(e))?
        .total;
    let total = i64::try_from(total).unwrap_or(i64::MAX);
    let shown_for = shown_for(state, org, &request).await;
    Ok(Chosen {
        segment,
        view,
        selection,
        total,
        query,
        shown_for,
    })
}

/// The saved view named by the form, if its filters are still the ones the form sets (the
/// dashboard fills the form from the view; a slider moved since makes it "these filters").
async fn saved_view_kept(
    state: &AppState,
    org: &OrgId,
    segment: &SegmentId,
    form: &DashboardForm,
    request: &CountRequest,
) -> Option<SegmentView> {
    if form.view.is_empty() {
        return None;
    }
    let view_id = crate::model::ViewId::parse(&form.view).ok()?;
    let view = service(state).view(org, segment, &view_id).await.ok()?;
    let as_saved = DashboardForm::of_filters(&view.filters).filters().ok()?;
    (as_saved == request.filters).then_some(view)
}

/// The name of the event or production the view is shown for.
async fn shown_for(state: &AppState, org: &OrgId, request: &CountRequest) -> Option<String> {
    let catalog = fullhouse_ticketing::service::CatalogService::new(state.db.clone());
    if let Some(event) = &request.view_for.event_id {
        return catalog.event(org, event).await.ok().map(|e| e.title);
    }
    if let Some(production) = &request.view_for.production_id {
        return catalog
            .production(org, production)
            .await
            .ok()
            .map(|p| p.name);
    }
    None
}
