//! The shop's front page: the programme of upcoming events, each with its price from and sold
//! out marked, in the organization's look.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use fullhouse_core::http::AppState;
use fullhouse_core::OrgId;
use fullhouse_ticketing::ShopId;
use fullhouse_web::Lang;

use crate::api::shop_org;
use crate::service::ListedEvent;
use crate::Checkout;

use super::brand::ShopBrand;
use super::failure;

#[derive(Template, WebTemplate)]
#[template(path = "pages/storefront/shop.html")]
struct ShopPage {
    lang: Lang,
    brand: ShopBrand,
    /// The secret shop's name, when the buyer is in one.
    secret_name: Option<String>,
    events: Vec<ListedEvent>,
}

/// The shop's front page: its upcoming events on sale.
pub(super) async fn shop_page(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    headers: HeaderMap,
    Path(shop): Path<String>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let org = match shop_org(&state, &shop).await {
        Ok(org) => org,
        Err(err) => return failure(lang, err),
    };
    render_shop(&checkout, &org, lang, &shop, None).await
}

/// The programme of the public shop, or of a secret shop (`secret`: its id and name) — there,
/// only the events that sell the shop's own types.
pub(super) async fn render_shop(
    checkout: &Checkout,
    org: &OrgId,
    lang: Lang,
    slug: &str,
    secret: Option<(&ShopId, String)>,
) -> Response {
    let shop = secret.as_ref().map(|(id, _)| *id);
    let brand = match ShopBrand::of(checkout.db(), org, slug, shop).await {
        Ok(brand) => brand,
        Err(err) => return failure(lang, err),
    };
    match checkout.shop_listing(org, shop, chrono::Utc::now()).await {
        Ok(events) => ShopPage {
            lang,
            brand,
            secret_name: secret.map(|(_, name)| name),
            events,
        }
        .into_response(),
        Err(err) => failure(lang, err),
    }
}
