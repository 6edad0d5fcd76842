//! Which payment provider an organization uses, and its Stripe keys.
//!
//! The test provider is the default (no row). Stripe needs a publishable key, a secret key and a
//! webhook signing secret; the two secrets are sealed with the server's key
//! ([`fullhouse_core::secrets`]) before they are stored, bound to the organization and the field,
//! and never leave the server again: reading the settings shows only whether each is set and its
//! last four characters.

use std::sync::Arc;

use chrono::Utc;
use fullhouse_core::secrets::{last4, SecretBox};
use fullhouse_core::{Error, FieldError, OrgId, Problem, Result};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::stripe::{StripeKeys, StripePayments};
use super::{PaymentProvider, TestPayments};
use crate::store::checkout_payment_settings as row;
use crate::Checkout;

pub const TEST: &str = "test";
pub const STRIPE: &str = "stripe";
/// Stripe's API, unless `FULLHOUSE_STRIPE_API_BASE` (or an organization's hidden override) says
/// otherwise.
pub const STRIPE_API: &str = "https://api.stripe.com";
pub const STRIPE_API_ENV: &str = "FULLHOUSE_STRIPE_API_BASE";
const LONGEST_KEY: usize = 255;

/// What checkout needs to build an organization's provider: the server's sealing key, Stripe's
/// address and one HTTP client (its connection pool) for every organization.
#[derive(Clone)]
pub struct PaymentSetup {
    secrets: Arc<std::result::Result<SecretBox, String>>,
    stripe_api: String,
    http: reqwest::Client,
}

impl PaymentSetup {
    /// `secrets` is the server's key, or why it could not be loaded (then Stripe cannot be
    /// configured, and the test provider still works).
    pub fn new(secrets: std::result::Result<SecretBox, String>) -> Self {
        let stripe_api = std::env::var(STRIPE_API_ENV)
            .ok()
            .map(|v| v.trim().trim_end_matches('/').to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| STRIPE_API.to_string());
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            secrets: Arc::new(secrets),
            stripe_api,
            http,
        }
    }

    fn secrets(&self) -> Result<&SecretBox> {
        self.secrets.as_ref().as_ref().map_err(|why| {
            Error::internal(format!("the server's secret key is unavailable: {why}"))
        })
    }
}

impl Default for PaymentSetup {
    fn default() -> Self {
        Self::new(Err(
            "this checkout was built without the server's secret key".into(),
        ))
    }
}

/// A stored secret as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct SecretState {
    pub set: bool,
    /// The last four characters, to tell keys apart.
    pub last4: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StripeSettings {
    pub publishable_key: Option<String>,
    pub secret_key: SecretState,
    pub webhook_secret: SecretState,
}

/// An organization's payment settings (secrets never included).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentSettings {
    /// `test` (no money moves) or `stripe`.
    pub provider: String,
    pub stripe: StripeSettings,
    /// The address to give Stripe as this organization's webhook endpoint (event
    /// `checkout.session.completed`).
    pub webhook_url: String,
}

/// A change of the payment settings. A secret left out (or `null`) keeps the stored one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettingsInput {
    /// `test` or `stripe`.
    pub provider: String,
    #[serde(default)]
    pub stripe: Option<StripeInput>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StripeInput {
    /// `pk_test_…` or `pk_live_…`.
    pub publishable_key: Option<String>,
    /// `sk_…` or a restricted key `rk_…`; write-only.
    pub secret_key: Option<String>,
    /// `whsec_…`, from the webhook endpoint in Stripe's dashboard; write-only.
    pub webhook_secret: Option<String>,
}

fn purpose(field: &str, org: &OrgId) -> String {
    format!("checkout.stripe.{field}:{org}")
}

/// A key as typed: trimmed; empty is none. Must start with one of `prefixes` and hold no spaces.
fn key_field(
    field: &str,
    value: Option<&str>,
    prefixes: &[&str],
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    let name = format!("stripe.{field}");
    if value.len() > LONGEST_KEY || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.push(FieldError::new(
            name,
            "is not a Stripe key (too long, or it holds spaces)",
        ));
        return None;
    }
    if !prefixes.iter().any(|p| value.starts_with(p)) {
        errors.push(FieldError::new(
            name,
            format!("a Stripe key here starts with {}", prefixes.join(" or ")),
        ));
        return None;
    }
    Some(value.to_string())
}

/// `test` or `live`, from a key's prefix.
fn mode(key: &str) -> Option<&'static str> {
    if key.contains("_test_") {
        Some("test")
    } else if key.contains("_live_") {
        Some("live")
    } else {
        None
    }
}

impl Checkout {
    /// An organization's payment settings as the API and the settings page show them.
    pub async fn payment_settings(&self, org: &OrgId, public_url: &str) -> Result<PaymentSettings> {
        let stored = settings_row(self.db.reader(), org).await?;
        let secrets = self.setup.secrets().ok();
        let state = |sealed: Option<&String>, field: &str| -> SecretState {
            match sealed {
                None => SecretState {
                    set: false,
                    last4: None,
                },
                Some(sealed) => SecretState {
                    set: true,
                    last4: secrets
                        .and_then(|s| s.open(&purpose(field, org), sealed).ok())
                        .map(|plain| last4(&plain)),
                },
            }
        };
        let stripe = StripeSettings {
            publishable_key: stored
                .as_ref()
                .and_then(|r| r.stripe_publishable_key.clone()),
            secret_key: state(
                stored.as_ref().and_then(|r| r.stripe_secret_key.as_ref()),
                "secret_key",
            ),
            webhook_secret: state(
                stored
                    .as_ref()
                    .and_then(|r| r.stripe_webhook_secret.as_ref()),
                "webhook_secret",
            ),
        };
        Ok(PaymentSettings {
            provider: stored.map_or(TEST.to_string(), |r| r.provider),
            stripe,
            webhook_url: format!("{}/webhooks/stripe/{org}", public_url.trim_end_matches('/')),
        })
    }

    /// Changes the provider and the Stripe keys. Choosing Stripe needs all three keys (given now
    /// or stored before), of the same mode (test or live).
    pub async fn put_payment_settings(
        &self,
        org: &OrgId,
        input: PaymentSettingsInput,
        public_url: &str,
    ) -> Result<PaymentSettings> {
        let provider = input.provider.trim();
        if provider != TEST && provider != STRIPE {
            return Err(Error::invalid("provider", "is `test` or `stripe`"));
        }
        let stripe = input.stripe.unwrap_or_default();
        let mut errors = Vec::new();
        let publishable = key_field(
            "publishable_key",
            stripe.publishable_key.as_deref(),
            &["pk_"],
            &mut errors,
        );
        let secret = key_field(
            "secret_key",
            stripe.secret_key.as_deref(),
            &["sk_", "rk_"],
            &mut errors,
        );
        let webhook = key_field(
            "webhook_secret",
            stripe.webhook_secret.as_deref(),
            &["whsec_"],
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(Error::invalid_fields(errors));
        }
        let txn = self.db.begin_write().await?;
        let stored = settings_row(&txn, org).await?;
        let seal = |field: &str, plain: &Option<String>| -> Result<Option<String>> {
            match plain {
                Some(plain) => Ok(Some(
                    self.setup.secrets()?.seal(&purpose(field, org), plain)?,
                )),
                None => Ok(None),
            }
        };
        let sealed_secret = match seal("secret_key", &secret)? {
            Some(s) => Some(s),
            None => stored.as_ref().and_then(|r| r.stripe_secret_key.clone()),
        };
        let sealed_webhook = match seal("webhook_secret", &webhook)? {
            Some(s) => Some(s),
            None => stored
                .as_ref()
                .and_then(|r| r.stripe_webhook_secret.clone()),
        };
        let publishable = publishable.or_else(|| {
            stored
                .as_ref()
                .and_then(|r| r.stripe_publishable_key.clone())
        });
        if provider == STRIPE {
            let mut missing = Vec::new();
            for (field, present) in [
                ("stripe.publishable_key", publishable.is_some()),
                ("stripe.secret_key", sealed_secret.is_some()),
                ("stripe.webhook_secret", sealed_webhook.is_some()),
            ] {
                if !present {
                    missing.push(
                        FieldError::new(field, "Stripe needs this key").because(Problem::Required),
                    );
                }
            }
            if !missing.is_empty() {
                return Err(Error::invalid_fields(missing));
            }
        }
        // A test publishable key with a live secret key (or the other way) would send buyers
        // to a page whose payments the webhook never confirms.
        let secret_mode = match &secret {
            Some(plain) => mode(plain),
            None => match (&sealed_secret, self.setup.secrets().ok()) {
                (Some(sealed), Some(s)) => s
                    .open(&purpose("secret_key", org), sealed)
                    .ok()
                    .and_then(|plain| mode(&plain)),
                _ => None,
            },
        };
        if let (Some(p), Some(s)) = (publishable.as_deref().and_then(mode), secret_mode) {
            if p != s {
                return Err(Error::invalid(
                    "stripe.secret_key",
                    format!("is a {s} key while the publishable key is a {p} key"),
                ));
            }
        }
        let api_base = stored.as_ref().and_then(|r| r.stripe_api_base.clone());
        let new = row::ActiveModel {
            organization_id: Set(org.to_string()),
            provider: Set(provider.to_string()),
            stripe_publishable_key: Set(publishable),
            stripe_secret_key: Set(sealed_secret),
            stripe_webhook_secret: Set(sealed_webhook),
            stripe_api_base: Set(api_base),
            updated_at: Set(Utc::now()),
        };
        upsert(&txn, new).await?;
        txn.commit().await?;
        self.payment_settings(org, public_url).await
    }

    /// The hidden override of Stripe's API address for one organization (`None`: the server's
    /// default). For the server's operator and tests, never the API: whoever sets it receives
    /// the secret key.
    pub async fn set_stripe_api_base(&self, org: &OrgId, base: Option<&str>) -> Result<()> {
        let txn = self.db.begin_write().await?;
        let stored = settings_row(&txn, org).await?;
        let base = base.map(|b| b.trim().trim_end_matches('/').to_string());
        let new = match stored {
            Some(stored) => {
                let mut active: row::ActiveModel = stored.into();
                active.stripe_api_base = Set(base);
                active.updated_at = Set(Utc::now());
                active
            }
            None => row::ActiveModel {
                organization_id: Set(org.to_string()),
                provider: Set(TEST.to_string()),
                stripe_publishable_key: Set(None),
                stripe_secret_key: Set(None),
                stripe_webhook_secret: Set(None),
                stripe_api_base: Set(base),
                updated_at: Set(Utc::now()),
            },
        };
        upsert(&txn, new).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The provider new orders of `org` are placed with: its id and whether it is a test one.
    pub(crate) async fn chosen_provider(
        &self,
        conn: &impl ConnectionTrait,
        org: &OrgId,
    ) -> Result<(&'static str, bool)> {
        match settings_row(conn, org).await? {
            Some(r) if r.provider == STRIPE => Ok((STRIPE, false)),
            _ => Ok((self.payments.id(), self.payments.is_test())),
        }
    }

    /// The provider an order placed with provider `id` is paid and refunded through.
    pub async fn provider_by_id(&self, org: &OrgId, id: &str) -> Result<Arc<dyn PaymentProvider>> {
        if id == STRIPE {
            return Ok(Arc::new(self.stripe(org).await?));
        }
        if id == self.payments.id() {
            return Ok(self.payments.clone());
        }
        if id == TestPayments.id() {
            return Ok(Arc::new(TestPayments));
        }
        Err(Error::internal(format!(
            "no payment provider `{id}` on this server"
        )))
    }

    /// The organization's Stripe client, with its secrets opened.
    pub async fn stripe(&self, org: &OrgId) -> Result<StripePayments> {
        let stored = settings_row(self.db.reader(), org).await?;
        let not_set = || {
            Error::conflict(
                "payment",
                "Stripe is not configured for this organization (Settings → Payments)",
            )
        };
        let stored = stored.ok_or_else(not_set)?;
        let secrets = self.setup.secrets()?;
        let secret_key = secrets.open(
            &purpose("secret_key", org),
            stored.stripe_secret_key.as_deref().ok_or_else(not_set)?,
        )?;
        let webhook_secret = secrets.open(
            &purpose("webhook_secret", org),
            stored
                .stripe_webhook_secret
                .as_deref()
                .ok_or_else(not_set)?,
        )?;
        let api = stored
            .stripe_api_base
            .clone()
            .unwrap_or_else(|| self.setup.stripe_api.clone());
        Ok(StripePayments::new(
            self.setup.http.clone(),
            api,
            StripeKeys {
                secret_key,
                webhook_secret,
            },
        ))
    }
}

async fn settings_row(conn: &impl ConnectionTrait, org: &OrgId) -> Result<Option<row::Model>> {
    Ok(row::Entity::find_by_id(org.to_string()).one(conn).await?)
}

async fn upsert(conn: &impl ConnectionTrait, new: row::ActiveModel) -> Result<()> {
    row::Entity::insert(new)
        .on_conflict(
            OnConflict::column(row::Column::OrganizationId)
                .update_columns([
                    row::Column::Provider,
                    row::Column::StripePublishableKey,
                    row::Column::StripeSecretKey,
                    row::Column::StripeWebhookSecret,
                    row::Column::StripeApiBase,
                    row::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
