//! Promote → Campaigns: the list (all, or those of one event), a form to create or change a
//! campaign (searchable pickers, ticket types by name, every problem beside its field, a
//! plain-language summary), pause and resume, and the report (money, redemption rate, each use
//! with its order, channel and buyer, unused codes, uses over time, CSV).

mod form;
mod messages;
mod report;
mod summary;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fullhouse_core::http::{AppState, PageParams};
use fullhouse_core::{Error, Permission};
use fullhouse_ticketing::model::catalog::Event;
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::EventId;
use fullhouse_web::{CsrfForm, PageError, Ui};
use serde::Deserialize;

use crate::campaigns::model::{CampaignPatch, CampaignStatus};
use crate::campaigns::{Campaign, CampaignId, CampaignService};

/// The form's pickers and unit, and the report's chart: served from here because the
/// Content-Security-Policy allows no inline script or style.
const JS: &str = include_str!("../../../static/campaigns.js");
const CSS: &str = include_str!("../../../static/campaigns.css");

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/campaigns", get(list).post(form::create))
        .route("/campaigns/new", get(form::new_form))
        .route("/campaigns/summary", post(form::summary))
        .route("/campaigns/{id}", get(form::detail).post(form::save))
        .route("/campaigns/{id}/status", post(set_status))
        .route("/campaigns/{id}/report.csv", get(report::csv))
        .route(
            "/static/campaigns.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            "/static/campaigns.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

fn service(state: &AppState) -> CampaignService {
    CampaignService::new(state.db.clone())
}

fn campaign_id(ui: &Ui, raw: &str) -> Result<CampaignId, PageError> {
    CampaignId::parse(raw).map_err(|_| ui.error(Error::NotFound("campaign")))
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/campaigns/list.html")]
struct ListPage {
    ui: Ui,
    campaigns: Vec<Campaign>,
    /// The event the list is narrowed to (`?event_id=`).
    event: Option<Event>,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    event_id: Option<String>,
}

/// Every campaign, or with `?event_id=` those that apply to that event (naming it, or its
/// production): the event page links here.
async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let service = service(&state);
    let event_id = query.event_id.as_deref().map(str::trim).unwrap_or_default();
    if !event_id.is_empty() {
        let id = EventId::parse(event_id).map_err(|_| ui.error(Error::NotFound("event")))?;
        let event = CatalogService::new(state.db.clone())
            .event(&ui.caller.org, &id)
            .await
            .map_err(|e| ui.error(e))?;
        let campaigns = service
            .for_event(&ui.caller.org, &id)
            .await
            .map_err(|e| ui.error(e))?;
        return Ok(ListPage {
            ui,
            campaigns,
            event: Some(event),
        }
        .into_response());
    }
    let params = PageParams {
        cursor: None,
        limit: Some(PageParams::MAX_LIMIT),
    };
    let campaigns = service
        .list(&ui.caller.org, &params)
        .await
        .map_err(|e| ui.error(e))?
        .items;
    Ok(ListPage {
        ui,
        campaigns,
        event: None,
    }
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
struct StatusForm {
    #[serde(default)]
    status: String,
}

async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { ui, form }: CsrfForm<StatusForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Market)?;
    let id = campaign_id(&ui, &id)?;
    let status = match form.status.as_str() {
        "active" => CampaignStatus::Active,
        "paused" => CampaignStatus::Paused,
        other => {
            return Err(ui.error(Error::invalid(
                "status",
                format!("`{other}` is neither active nor paused"),
            )))
        }
    };
    service(&state)
        .update(
            &ui.caller.org,
            &id,
            CampaignPatch {
                status: Some(status),
                ..CampaignPatch::default()
            },
        )
        .await
        .map_err(|e| ui.error(e))?;
    let done = match status {
        CampaignStatus::Active => "resumed",
        CampaignStatus::Paused => "paused",
    };
    Ok(Redirect::to(&format!("/campaigns/{id}?done={done}")).into_response())
}
