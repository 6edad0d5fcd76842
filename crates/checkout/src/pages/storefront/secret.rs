//! Secret shops: `/shop/{organization}/s/{shop}`, an unguessable address that sells the shop's
//! own ticket types and nothing else. Being in the shop is what unlocks its types (through the
//! one pricing rule, see `model::pricing::is_locked_in`); the public shop and every other shop
//! never show them. A closed shop, or an id that is not one of the organization's shops,
//! answers "not found" in plain words.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, OrgId, Result};
use fullhouse_ticketing::model::catalog::Shop;
use fullhouse_ticketing::service::CatalogService;
use fullhouse_ticketing::{EventId, ShopId};
use fullhouse_web::Lang;

use crate::api::{shop_org, ShopClient};
use crate::buyers::BuyerSession;
use crate::Checkout;

use super::{event, failure, not_found, shop};

/// The organization and its open shop named by the address.
async fn open_shop(state: &AppState, slug: &str, shop_id: &str) -> Result<(OrgId, Shop)> {
    let org = shop_org(state, slug).await?;
    let id = ShopId::parse(shop_id).map_err(not_found("shop"))?;
    let shop = CatalogService::new(state.db.clone())
        .shop(&org, &id)
        .await
        .map_err(|err| match err {
            Error::NotFound(_) => Error::NotFound("shop"),
            other => other,
        })?;
    if !shop.open {
        return Err(Error::NotFound("shop"));
    }
    Ok((org, shop))
}

/// The shop, and the event of its address.
async fn open_shop_event(
    state: &AppState,
    slug: &str,
    shop_id: &str,
    event: &str,
) -> Result<(OrgId, Shop, EventId)> {
    let (org, shop) = open_shop(state, slug, shop_id).await?;
    let event = EventId::parse(event).map_err(not_found("event"))?;
    Ok((org, shop, event))
}

pub(super) async fn shop_page(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    Path((slug, shop_id)): Path<(String, String)>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    match open_shop(&state, &slug, &shop_id).await {
        Ok((org, found)) => {
            shop::render_shop(&checkout, &org, lang, &slug, Some((&found.id, found.name))).await
        }
        Err(err) => failure(lang, err),
    }
}

pub(super) async fn event_page(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    client: ShopClient,
    session: BuyerSession,
    Path((slug, shop_id, id)): Path<(String, String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let (org, found, event) = match open_shop_event(&state, &slug, &shop_id, &id).await {
        Ok(found) => found,
        Err(err) => return failure(lang, err),
    };
    event::event_page_in(
        &checkout,
        lang,
        (client, session),
        (slug, Some(&found.id)),
        Ok((org, event)),
        query,
    )
    .await
}

pub(super) async fn place(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    client: ShopClient,
    session: BuyerSession,
    Path((slug, shop_id, id)): Path<(String, String, String)>,
    form: Form<Vec<(String, String)>>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let (org, found, event) = match open_shop_event(&state, &slug, &shop_id, &id).await {
        Ok(found) => found,
        Err(err) => return failure(lang, err),
    };
    event::place_in(
        &checkout,
        lang,
        (client, session),
        (slug, Some(&found.id)),
        Ok((org, event)),
        form,
    )
    .await
}
