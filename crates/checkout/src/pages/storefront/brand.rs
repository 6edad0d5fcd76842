//! The organization's look on every shop page: its name and logo in the header, its colour on
//! buttons and links (through a small per-organization stylesheet, since pages allow no inline
//! style), and the shop's own stylesheet and script.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fullhouse_core::http::AppState;
use fullhouse_core::tenancy::branding::BrandingService;
use fullhouse_core::{Db, OrgId, Result};
use fullhouse_ticketing::ShopId;
use fullhouse_web::Lang;

use crate::api::shop_org;

const SHOP_CSS: &str = include_str!("../../../static/shop.css");
const SHOP_JS: &str = include_str!("../../../static/shop.js");

/// What the header of a shop page shows, and where the shop's home is.
#[derive(Debug, Clone, Default)]
pub struct ShopBrand {
    /// The organization's name (empty on an error page that found no shop).
    pub name: String,
    /// The shop's front page: the public shop, or the secret shop the buyer is in.
    pub home: String,
    pub logo_url: Option<String>,
    /// The brand stylesheet (colour custom properties), when a colour is set.
    pub css_url: Option<String>,
    /// The buyer's own page ("My tickets": the sign-in form when signed out); empty on an
    /// error page that found no shop.
    pub account: String,
}

impl ShopBrand {
    /// The look of organization `org`, whose shop is at `/shop/{slug}` (and the secret shop
    /// `secret` under it, when the buyer is in one).
    pub async fn of(db: &Db, org: &OrgId, slug: &str, secret: Option<&ShopId>) -> Result<Self> {
        let organization = fullhouse_core::tenancy::service::TenancyService::new(db.clone())
            .organization(org)
            .await?;
        let branding = BrandingService::new(db.clone()).branding(org).await?;
        Ok(Self {
            name: organization.name,
            home: match secret {
                Some(shop) => format!("/shop/{slug}/s/{shop}"),
                None => format!("/shop/{slug}"),
            },
            logo_url: branding
                .logo_version()
                .map(|v| format!("/shop/{slug}/logo?v={v}")),
            css_url: branding
                .brand_color
                .as_ref()
                .map(|_| format!("/shop/{slug}/brand.css?v={}", branding.version())),
            account: format!("/shop/{slug}/my-tickets"),
        })
    }
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/shop/{shop}/logo", get(logo))
        .route("/shop/{shop}/brand.css", get(brand_css))
        .route(
            "/static/shop.css",
            get(|| async { asset("text/css; charset=utf-8", SHOP_CSS) }),
        )
        .route(
            "/static/shop.js",
            get(|| async { asset("text/javascript; charset=utf-8", SHOP_JS) }),
        )
}

/// A day of caching, like the other static files (a new binary may change them).
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

/// The logo, public and cached for a year: its address carries its version (`?v=`), so a new
/// logo gets a new address. Served only as the PNG or JPEG it was checked to be.
async fn logo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(shop): Path<String>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let found = async {
        let org = shop_org(&state, &shop).await?;
        BrandingService::new(state.db.clone()).logo(&org).await
    };
    match found.await {
        Ok(Some(logo)) => (
            [
                (CONTENT_TYPE, logo.content_type),
                (CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            logo.bytes,
        )
            .into_response(),
        // An image address without an image: nothing to show a person.
        Ok(None) => axum::http::StatusCode::NOT_FOUND.into_response(),
        Err(err) => super::failure(lang, err),
    }
}

/// The brand colour as CSS custom properties (empty without one), cached like the logo.
async fn brand_css(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(shop): Path<String>,
) -> Response {
    let lang = Lang::of_visitor(&headers);
    let found = async {
        let org = shop_org(&state, &shop).await?;
        BrandingService::new(state.db.clone()).branding(&org).await
    };
    match found.await {
        Ok(branding) => (
            [
                (CONTENT_TYPE, "text/css; charset=utf-8"),
                (CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            branding.stylesheet(),
        )
            .into_response(),
        Err(err) => super::failure(lang, err),
    }
}
