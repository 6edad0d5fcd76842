//! Settings → Payments (owners and admins): the provider, Stripe's keys (secrets write-only),
//! the webhook address to give Stripe, and the refunds that failed, with a retry.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use fullhouse_core::http::AppState;
use fullhouse_core::{Error, Permission};
use fullhouse_ticketing::OrderId;
use fullhouse_web::layout::with_status;
use fullhouse_web::{CsrfForm, FormErrors, PageError, Ui};
use serde::Deserialize;

use super::refunds::{RefundRecord, FAILED};
use super::settings::{PaymentSettings, PaymentSettingsInput, StripeInput, STRIPE};
use crate::Checkout;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/payments", get(page).post(save))
        .route("/settings/payments/refunds/{order}/retry", post(retry))
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PaymentsForm {
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub publishable_key: String,
    #[serde(default)]
    pub secret_key: String,
    #[serde(default)]
    pub webhook_secret: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NoFields {}

#[derive(Template, WebTemplate)]
#[template(path = "pages/payments/settings.html")]
struct PaymentsPage {
    ui: Ui,
    settings: PaymentSettings,
    /// The publishable key as typed (or stored).
    publishable_key: String,
    failed: Vec<RefundRecord>,
    errors: FormErrors,
    outcome: Option<String>,
}

impl PaymentsPage {
    fn stripe(&self) -> bool {
        self.settings.provider == STRIPE
    }
}

async fn render(
    state: &AppState,
    checkout: &Checkout,
    ui: Ui,
    publishable: Option<String>,
    errors: FormErrors,
    outcome: Option<String>,
) -> Result<Response, PageError> {
    let settings = checkout
        .payment_settings(&ui.caller.org, &state.settings.public_url)
        .await
        .map_err(|e| ui.error(e))?;
    let failed = checkout
        .refunds(&ui.caller.org, Some(FAILED))
        .await
        .map_err(|e| ui.error(e))?;
    let publishable_key = publishable
        .or_else(|| settings.stripe.publishable_key.clone())
        .unwrap_or_default();
    let page = PaymentsPage {
        ui,
        settings,
        publishable_key,
        failed,
        errors: errors.clone(),
        outcome,
    };
    Ok(with_status(&errors, page))
}

async fn page(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    ui: Ui,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    render(&state, &checkout, ui, None, FormErrors::default(), None).await
}

async fn save(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    CsrfForm { ui, form }: CsrfForm<PaymentsForm>,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let input = PaymentSettingsInput {
        provider: form.provider.clone(),
        stripe: Some(StripeInput {
            publishable_key: Some(form.publishable_key.clone()),
            secret_key: Some(form.secret_key.clone()),
            webhook_secret: Some(form.webhook_secret.clone()),
        }),
    };
    match checkout
        .put_payment_settings(&ui.caller.org, input, &state.settings.public_url)
        .await
    {
        Ok(_) => {
            let outcome = Some(ui.lang.t("saved"));
            render(&state, &checkout, ui, None, FormErrors::default(), outcome).await
        }
        Err(err @ Error::Validation { .. }) => {
            let errors = FormErrors::from_error(ui.lang, &err);
            let typed = Some(form.publishable_key);
            render(&state, &checkout, ui, typed, errors, None).await
        }
        Err(err) => Err(ui.error(err)),
    }
}

async fn retry(
    State(state): State<AppState>,
    Extension(checkout): Extension<Checkout>,
    Path(order): Path<String>,
    CsrfForm {
        ui,
        form: NoFields {},
    }: CsrfForm<NoFields>,
) -> Result<Response, PageError> {
    ui.require(Permission::Administer)?;
    let order = OrderId::parse(&order).map_err(|e| ui.error(e))?;
    let record = checkout
        .retry_refund(&ui.caller.org, &order)
        .await
        .map_err(|e| ui.error(e))?;
    let outcome = Some(ui.lang.t1(
        "payments-retried",
        "status",
        ui.lang.t(&format!("payments-refund-{}", record.status)),
    ));
    render(&state, &checkout, ui, None, FormErrors::default(), outcome).await
}
