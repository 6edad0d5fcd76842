//! The list of promotions: name, what it is on, its state and its open and close times on the
//! venue's clock, newest first.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use fullhouse_core::http::PageParams;
use fullhouse_core::{OrgId, Permission, Result};
use fullhouse_ticketing::model::catalog::{Event, EventFilter};
use fullhouse_ticketing::service::CatalogService;
use fullhouse_web::{PageError, Ui};

use super::{status_class, status_label};
use crate::model::{Promotion, Scope};
use crate::service::Referrals;

/// One line of the list.
struct Row {
    promotion: Promotion,
    scope: String,
    status: String,
    status_class: &'static str,
    opens: String,
    closes: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/referrals/list.html")]
struct ListPage {
    ui: Ui,
    rows: Vec<Row>,
}

/// The organization's events, soonest first (one query: the pages name events from it).
pub(super) async fn events_in_date_order(
    db: &fullhouse_core::Db,
    org: &OrgId,
) -> Result<Vec<Event>> {
    let mut events = CatalogService::new(db.clone())
        .list_events(
            org,
            &EventFilter::default(),
            &PageParams {
                cursor: None,
                limit: Some(PageParams::MAX_LIMIT),
            },
        )
        .await?
        .items;
    events.sort_by_key(|e| e.starts_at);
    Ok(events)
}

/// What a promotion is on, in words, and the venue's time zone its times are shown in.
pub(super) fn scope_words(ui: &Ui, scope: &Scope, events: &[Event]) -> (String, String) {
    match scope {
        Scope::Event(id) => events.iter().find(|e| &e.id == id).map_or_else(
            || (id.to_string(), "UTC".to_string()),
            |e| {
                (
                    format!(
                        "{} · {}",
                        e.title,
                        ui.lang.local_time(e.starts_at, &e.venue_timezone)
                    ),
                    e.venue_timezone.clone(),
                )
            },
        ),
        Scope::Production(id) => {
            let first = events.iter().find(|e| &e.production_id == id);
            first.map_or_else(
                || (id.to_string(), "UTC".to_string()),
                |e| {
                    (
                        ui.lang
                            .t1("referrals-scope-production", "name", &e.production_name),
                        e.venue_timezone.clone(),
                    )
                },
            )
        }
    }
}

pub(super) async fn list(
    Extension(referrals): Extension<Referrals>,
    ui: Ui,
) -> Result<Response, PageError> {
    ui.require(Permission::Read)?;
    let org = ui.caller.org.clone();
    let promotions = referrals.promotions(&org).await.map_err(|e| ui.error(e))?;
    let events = events_in_date_order(referrals.db(), &org)
        .await
        .map_err(|e| ui.error(e))?;
    let rows = promotions
        .into_iter()
        .map(|promotion| {
            let (scope, zone) = scope_words(&ui, &promotion.scope, &events);
            Row {
                status: status_label(ui.lang, promotion.status),
                status_class: status_class(promotion.status),
                opens: ui.lang.local_time(promotion.opens_at, &zone),
                closes: ui.lang.local_time(promotion.closes_at, &zone),
                scope,
                promotion,
            }
        })
        .collect();
    Ok(ListPage { ui, rows }.into_response())
}
