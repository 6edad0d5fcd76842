//! What a push reads of its customers (a page at a time, three queries per page whatever its
//! size), and the email tool a connector stands for.

use std::collections::{BTreeMap, BTreeSet};

use fullhouse_core::{Db, Error, OrgId, Result};
use fullhouse_ticketing::model::customers::Gender;
use fullhouse_ticketing::store::{customer_permissions, customer_tags, customers};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::connectors::meta::normalize::Person;
use crate::connectors::model::{Connector, ConnectorKind};
use crate::connectors::service::ConnectorSetup;
use crate::connectors::tools::brevo::Brevo;
use crate::connectors::tools::klaviyo::Klaviyo;
use crate::connectors::tools::mailchimp::Mailchimp;
use crate::connectors::tools::webhook::Webhook;
use crate::connectors::tools::{Contact, EmailTool};

/// A customer as a push sends it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub row: customers::Model,
    /// True when the permission asked for is granted now.
    pub granted: bool,
    pub tags: Vec<String>,
}

impl Loaded {
    /// May receive marketing mail: an email address and the permission granted.
    pub fn may_be_mailed(&self) -> bool {
        self.granted
            && self
                .row
                .email
                .as_deref()
                .is_some_and(|e| !e.trim().is_empty())
    }

    /// What Meta's customer file reads of the customer.
    pub fn person(&self) -> Person<'_> {
        let r = &self.row;
        Person {
            customer_id: &r.id,
            email: r.email.as_deref(),
            phone: r.phone.as_deref(),
            first_name: r.first_name.as_deref(),
            last_name: r.last_name.as_deref(),
            city: r.city.as_deref(),
            postal_code: r.postal_code.as_deref(),
            country: r.country.as_deref(),
            birth_date: r.birth_date,
            gender: r.gender.as_deref().and_then(Gender::from_db),
        }
    }

    /// The customer as an email tool's contact, tagged with their own tags and `tag` (the
    /// segment's name, so the list shows where a contact came from).
    pub fn contact(&self, tag: &str) -> Contact {
        let r = &self.row;
        let mut tags = self.tags.clone();
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
        Contact {
            customer_id: r.id.clone(),
            email: r.email.clone().unwrap_or_default().trim().to_string(),
            first_name: r.first_name.clone(),
            last_name: r.last_name.clone(),
            phone: r.phone.clone(),
            language: r.language.clone(),
            country: r.country.clone(),
            postal_code: r.postal_code.clone(),
            city: r.city.clone(),
            tags,
        }
    }
}

/// The customers among `ids` (at most a few thousand: one `IN` list per query), in id order,
/// with whether `permission` is granted and their tags. Customers erased meanwhile are left out.
pub async fn customers_of(
    db: &Db,
    org: &OrgId,
    ids: &[String],
    permission: &str,
) -> Result<Vec<Loaded>> {
    let mut found = Vec::with_capacity(ids.len());
    // SQLite allows 32,766 variables per statement; a page of 10,000 is well within.
    for chunk in ids.chunks(10_000) {
        let rows = customers::Entity::find()
            .filter(customers::Column::OrganizationId.eq(org.as_str()))
            .filter(customers::Column::Id.is_in(chunk.iter().cloned()))
            .order_by_asc(customers::Column::Id)
            .all(db.reader())
            .await?;
        let granted: BTreeSet<String> = customer_permissions::Entity::find()
            .filter(customer_permissions::Column::OrganizationId.eq(org.as_str()))
            .filter(customer_permissions::Column::CustomerId.is_in(chunk.iter().cloned()))
            .filter(customer_permissions::Column::Permission.eq(permission))
            .filter(customer_permissions::Column::Granted.eq(true))
            .all(db.reader())
            .await?
            .into_iter()
            .map(|p| p.customer_id)
            .collect();
        let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in customer_tags::Entity::find()
            .filter(customer_tags::Column::OrganizationId.eq(org.as_str()))
            .filter(customer_tags::Column::CustomerId.is_in(chunk.iter().cloned()))
            .order_by_asc(customer_tags::Column::Tag)
            .all(db.reader())
            .await?
        {
            tags.entry(t.customer_id).or_default().push(t.tag);
        }
        found.extend(rows.into_iter().map(|row| Loaded {
            granted: granted.contains(&row.id),
            tags: tags.remove(&row.id).unwrap_or_default(),
            row,
        }));
    }
    Ok(found)
}

/// The email tool client of a connector, with its opened credential. A base URL left out is
/// the real service's (Mailchimp's from the key's data centre).
pub fn email_tool(
    setup: &ConnectorSetup,
    connector: &Connector,
    credential: &str,
) -> Result<Box<dyn EmailTool>> {
    let http = setup.http.clone();
    let settings = &connector.settings;
    let base = settings.base_url.as_deref();
    let list = settings.list_id.as_deref().unwrap_or_default();
    Ok(match connector.kind {
        ConnectorKind::Mailchimp => Box::new(Mailchimp::new(http, base, credential, list)?),
        ConnectorKind::Klaviyo => Box::new(Klaviyo::new(http, base, credential, list)?),
        ConnectorKind::Brevo => Box::new(Brevo::new(http, base, credential, list)?),
        ConnectorKind::Webhook => Box::new(Webhook::new(
            http,
            settings.url.as_deref().unwrap_or_default(),
            credential,
        )?),
        ConnectorKind::Meta => {
            return Err(Error::internal("a Meta connector is not an email tool"));
        }
    })
}
