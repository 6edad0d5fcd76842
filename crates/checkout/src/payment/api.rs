//! The payment settings and refunds over the JSON API (owners and admins change them).

use axum::extract::State;
use axum::{Extension, Json};
use fullhouse_core::error::ErrorBody;
use fullhouse_core::http::{ApiJson, ApiPath, ApiQuery, AppState};
use fullhouse_core::{Caller, Permission, Result};
use fullhouse_ticketing::OrderId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::refunds::RefundRecord;
use super::settings::{PaymentSettings, PaymentSettingsInput};
use crate::Checkout;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_payment_settings, put_payment_settings))
        .routes(routes!(list_refunds))
        .routes(routes!(retry_refund))
}

/// The payment provider and its Stripe keys (secrets only as set / last four characters).
#[utoipa::path(get, path = "/settings/payments", tag = "payments",
    responses((status = 200, body = PaymentSettings), (status = 403, body = ErrorBody)))]
async fn get_payment_settings(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    caller: Caller,
) -> Result<Json<PaymentSettings>> {
    caller.require(Permission::Administer)?;
    Ok(Json(
        checkout
            .payment_settings(&caller.org, &state.settings.public_url)
            .await?,
    ))
}

/// Choose the provider (`test` or `stripe`) and set Stripe's keys. A secret left out keeps the
/// stored one; secrets are stored encrypted and never returned.
#[utoipa::path(put, path = "/settings/payments", tag = "payments", request_body = PaymentSettingsInput,
    responses((status = 200, body = PaymentSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_payment_settings(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    caller: Caller,
    ApiJson(input): ApiJson<PaymentSettingsInput>,
) -> Result<Json<PaymentSettings>> {
    caller.require(Permission::Administer)?;
    Ok(Json(
        checkout
            .put_payment_settings(&caller.org, input, &state.settings.public_url)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RefundsQuery {
    /// `pending`, `refunded` or `failed`; all when left out.
    pub status: Option<String>,
}

/// Refunds asked of payment providers, newest first (failed ones wait here for a retry).
#[utoipa::path(get, path = "/payments/refunds", tag = "payments", params(RefundsQuery),
    responses((status = 200, body = Vec<RefundRecord>), (status = 422, body = ErrorBody)))]
async fn list_refunds(
    Extension(checkout): Extension<Checkout>,
    caller: Caller,
    ApiQuery(query): ApiQuery<RefundsQuery>,
) -> Result<Json<Vec<RefundRecord>>> {
    caller.require(Permission::Read)?;
    Ok(Json(
        checkout
            .refunds(&caller.org, query.status.as_deref())
            .await?,
    ))
}

/// Ask the provider again for a refund that failed (never refunds twice: the provider's
/// idempotency key is the same).
#[utoipa::path(post, path = "/checkout/orders/{id}/refund/retry", tag = "payments",
    params(("id" = OrderId, Path)),
    responses((status = 200, body = RefundRecord), (status = 404, body = ErrorBody)))]
async fn retry_refund(
    Extension(checkout): Extension<Checkout>,
    caller: Caller,
    ApiPath(order_id): ApiPath<OrderId>,
) -> Result<Json<RefundRecord>> {
    caller.require(Permission::Administer)?;
    Ok(Json(checkout.retry_refund(&caller.org, &order_id).await?))
}
