//! Routes for referral promotions, mounted under `/api/v1`: make and list promotions, change
//! their tiers, close them; and the participant's progress, public by its token. (The report,
//! ledger and exports have routes of their own in `report`; the tracking redirect is a page
//! route, `/r/{code}`, in `tracking`.)

use axum::response::Response;
use axum::{Extension, Json};
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{created, ApiJson, ApiPath, AppState};
use fullhouse_core::{Caller, Permission, Result};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::model::*;
use crate::service::{Progress, Referrals};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_promotions, create_promotion))
        .routes(routes!(get_promotion))
        .routes(routes!(put_tiers))
        .routes(routes!(close_promotion))
        .routes(routes!(progress))
}

/// The organization's referral promotions, newest first.
#[utoipa::path(get, path = "/referrals/promotions", tag = "referrals",
    responses((status = 200, body = Vec<Promotion>), (status = 401, body = ErrorBody)))]
async fn list_promotions(
    Extension(referrals): Extension<Referrals>,
    caller: Caller,
) -> Result<Json<Vec<Promotion>>> {
    caller.require(Permission::Read)?;
    Ok(Json(referrals.promotions(&caller.org).await?))
}

/// Make a promotion on an event or a production, with its reward tiers. Every problem is
/// named with its field (`tiers[1].tickets`); the close time defaults to 24 hours before the
/// first event.
#[utoipa::path(post, path = "/referrals/promotions", tag = "referrals", request_body = NewPromotion,
    responses((status = 201, body = Promotion), (status = 422, body = ErrorBody)))]
async fn create_promotion(
    Extension(referrals): Extension<Referrals>,
    caller: Caller,
    ApiJson(new): ApiJson<NewPromotion>,
) -> Result<Response> {
    caller.require(Permission::Market)?;
    let actor = referrals.actor(&caller).await;
    Ok(created(
        referrals.create_promotion(&caller.org, new, &actor).await?,
    ))
}

#[utoipa::path(get, path = "/referrals/promotions/{id}", tag = "referrals",
    params(("id" = PromotionId, Path)),
    responses((status = 200, body = Promotion), (status = 404, body = ErrorBody)))]
async fn get_promotion(
    Extension(referrals): Extension<Referrals>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Promotion>> {
    caller.require(Permission::Read)?;
    let id = PromotionId::parse(&id)?;
    Ok(Json(referrals.promotion(&caller.org, &id).await?))
}

/// The tiers that replace a promotion's tiers.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TiersChange {
    pub tiers: Vec<Tier>,
}

/// Replace the reward tiers. A tier someone has reached cannot be raised or removed (409 names
/// it); a closed promotion's tiers are final.
#[utoipa::path(put, path = "/referrals/promotions/{id}/tiers", tag = "referrals",
    params(("id" = PromotionId, Path)), request_body = TiersChange,
    responses((status = 200, body = Promotion), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_tiers(
    Extension(referrals): Extension<Referrals>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<TiersChange>,
) -> Result<Json<Promotion>> {
    caller.require(Permission::Market)?;
    let id = PromotionId::parse(&id)?;
    Ok(Json(
        referrals.set_tiers(&caller.org, &id, change.tiers).await?,
    ))
}

/// Close a promotion now: the leaderboard freezes and the report is final.
#[utoipa::path(post, path = "/referrals/promotions/{id}/close", tag = "referrals",
    params(("id" = PromotionId, Path)),
    responses((status = 200, body = Promotion), (status = 404, body = ErrorBody)))]
async fn close_promotion(
    Extension(referrals): Extension<Referrals>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Promotion>> {
    caller.require(Permission::Market)?;
    let id = PromotionId::parse(&id)?;
    let actor = referrals.actor(&caller).await;
    Ok(Json(referrals.close(&caller.org, &id, &actor).await?))
}

/// A participant's progress, by the private token of their progress link (public).
#[utoipa::path(get, path = "/storefront/referrals/progress/{token}", tag = "storefront", security(()),
    params(("token" = String, Path)),
    responses((status = 200, body = Progress), (status = 404, body = ErrorBody)))]
async fn progress(
    Extension(referrals): Extension<Referrals>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<Progress>> {
    Ok(Json(referrals.progress(token.trim()).await?.1))
}
