//! The customer of an external platform's webhook order: checked, then found by external id or
//! email, or created.

use chrono::Utc;
use fullhouse_core::tenancy::model::validate_email;
use fullhouse_core::{events as outbox, Error, FieldError, OrgId, Result};
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    Set,
};

use super::{race_or_error, Failure};
use crate::model::ids::*;
use crate::model::orders::*;
use crate::model::rules::optional_text;
use crate::outbox::{CustomerChange, CustomerChanged};
use crate::store::customers;

/// A webhook's customer, checked.
pub(super) struct WebhookCustomerFields {
    pub(super) external_id: String,
    pub(super) email: String,
    pub(super) first_name: Option<String>,
    pub(super) last_name: Option<String>,
    pub(super) phone: Option<String>,
}

impl WebhookCustomerFields {
    pub(super) fn check(customer: &WebhookCustomer) -> Result<Self> {
        let mut problems = Vec::new();
        let external_id = external_id(&customer.external_id)
            .map_err(|reason| problems.push(FieldError::new("customer.external_id", reason)))
            .unwrap_or_default();
        let email = validate_email("customer.email", &customer.email)
            .map_err(|err| problems.extend(field_errors(err)))
            .unwrap_or_default();
        let mut text = |field: &str, value: Option<&str>| {
            optional_text(field, value.map(str::to_string), 200)
                .map_err(|err| problems.extend(field_errors(err)))
                .unwrap_or_default()
        };
        let first_name = text("customer.first_name", Some(&customer.first_name));
        let last_name = text("customer.last_name", Some(&customer.last_name));
        let phone = text("customer.phone", customer.phone.as_deref());
        if !problems.is_empty() {
            return Err(Error::invalid_fields(problems));
        }
        Ok(Self {
            external_id,
            email,
            first_name,
            last_name,
            phone,
        })
    }
}

/// The field errors of a validation error (any other error becomes one about the body).
pub(super) fn field_errors(err: Error) -> Vec<FieldError> {
    match err {
        Error::Validation { fields, .. } => fields,
        other => vec![FieldError::new("body", other.to_string())],
    }
}

/// Finds the webhook's customer by external id, then by email (adopting the external id), and
/// brings name and phone up to date; creates the customer when neither finds one.
pub(super) async fn upsert_customer(
    txn: &DatabaseTransaction,
    org: &OrgId,
    fields: &WebhookCustomerFields,
) -> Result<CustomerId, Failure> {
    let by_external_id = customers::Entity::find()
        .filter(customers::Column::OrganizationId.eq(org.as_str()))
        .filter(customers::Column::ExternalId.eq(fields.external_id.as_str()))
        .one(txn)
        .await?;
    let found = match by_external_id {
        Some(found) => Some(found),
        None => {
            customers::Entity::find()
                .filter(customers::Column::OrganizationId.eq(org.as_str()))
                .filter(
                    Expr::expr(Func::lower(Expr::col(customers::Column::Email)))
                        .eq(fields.email.as_str()),
                )
                .order_by_asc(customers::Column::Id)
                .one(txn)
                .await?
        }
    };
    match found {
        Some(existing) => update_customer(txn, org, existing, fields).await,
        None => insert_customer(txn, org, fields).await,
    }
}

pub(super) async fn update_customer(
    txn: &DatabaseTransaction,
    org: &OrgId,
    existing: customers::Model,
    fields: &WebhookCustomerFields,
) -> Result<CustomerId, Failure> {
    let mut wanted = existing.clone();
    if wanted.external_id.is_none() {
        wanted.external_id = Some(fields.external_id.clone());
    }
    wanted.email = Some(fields.email.clone());
    for (slot, value) in [
        (&mut wanted.first_name, &fields.first_name),
        (&mut wanted.last_name, &fields.last_name),
        (&mut wanted.phone, &fields.phone),
    ] {
        if value.is_some() {
            slot.clone_from(value);
        }
    }
    if wanted != existing {
        let mut active = existing.clone().into_active_model();
        active.external_id = Set(wanted.external_id.clone());
        active.email = Set(wanted.email.clone());
        active.first_name = Set(wanted.first_name.clone());
        active.last_name = Set(wanted.last_name.clone());
        active.phone = Set(wanted.phone.clone());
        active.updated_at = Set(Utc::now());
        customers::Entity::update(active)
            .exec(txn)
            .await
            .map_err(race_or_error)?;
        let id = CustomerId::from_db(existing.id.clone());
        outbox::record(txn, org, &CustomerChanged::new(id, CustomerChange::Updated)).await?;
    }
    Ok(CustomerId::from_db(existing.id))
}

/// Inserts the customer; a concurrent delivery that inserted the same external id first makes
/// ours a no-op, and the caller's retry then finds that customer.
pub(super) async fn insert_customer(
    txn: &DatabaseTransaction,
    org: &OrgId,
    fields: &WebhookCustomerFields,
) -> Result<CustomerId, Failure> {
    let now = Utc::now();
    let id = CustomerId::generate();
    let row = customers::ActiveModel {
        organization_id: Set(org.to_string()),
        id: Set(id.to_string()),
        external_id: Set(Some(fields.external_id.clone())),
        first_name: Set(fields.first_name.clone()),
        last_name: Set(fields.last_name.clone()),
        email: Set(Some(fields.email.clone())),
        phone: Set(fields.phone.clone()),
        subscriber: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let inserted = customers::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                customers::Column::OrganizationId,
                customers::Column::ExternalId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    if inserted == 0 {
        return Err(Failure::Race(DbErr::Custom(
            "a concurrent delivery created the same customer".into(),
        )));
    }
    outbox::record(
        txn,
        org,
        &CustomerChanged::new(id.clone(), CustomerChange::Created),
    )
    .await?;
    Ok(id)
}
