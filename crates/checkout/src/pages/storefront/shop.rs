//! The shop's front page: the programme of upcoming events.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use fullhouse_core::http::AppState;
use fullhouse_web::Lang;

use crate::api::shop_org;

use super::*;

/// Upcoming events a shop lists (the most a page of events holds).
const SHOP_EVENTS: u64 = fullhouse_core::http::PageParams::MAX_LIMIT;

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/shop.html")]
struct ShopPage {
    lang: Lang,
    shop: String,
    events: Vec<fullhouse_ticketing::model::catalog::Event>,
}

/// The shop's front page: its upcoming events on sale.
pub(super) async fn shop_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(shop): Path<String>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let org = match shop_org(&state, &shop).await {
        Ok(org) => org,
        Err(err) => return failure(lang, err),
    };
    let filter = fullhouse_ticketing::model::catalog::EventFilter {
        from: Some(chrono::Utc::now()),
        status: Some(fullhouse_ticketing::model::catalog::EventStatus::Scheduled),
        ..Default::default()
    };
    let params = fullhouse_core::http::PageParams {
        cursor: None,
        limit: Some(SHOP_EVENTS),
    };
    match fullhouse_ticketing::service::CatalogService::new(state.db.clone())
        .list_events(&org, &filter, &params)
        .await
    {
        Ok(page) => {
            // The list pages by creation; a buyer reads a programme in date order.
            let mut events = page.items;
            events.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
            ShopPage { lang, shop, events }.into_response()
        }
        Err(err) => failure(lang, err),
    }
}
