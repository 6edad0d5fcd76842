//! Connector operations (one transaction each, the organization first), the sealing of their
//! credentials, and the last pushed set of each connector's target.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use fullhouse_core::secrets::{last4, SecretBox};
use fullhouse_core::{Db, Error, OrgId, Result};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

use super::model::*;
use super::store::{segment_connectors as row, segment_push_members as pushed};

/// Rows written per INSERT when a pushed set is stored (well under SQLite's variable limit).
const INSERT_CHUNK: usize = 500;

/// What connectors need from the server: its sealing key and one HTTP client (one connection
/// pool) for every organization's pushes. Cheap to clone.
#[derive(Clone)]
pub struct ConnectorSetup {
    secrets: Arc<std::result::Result<SecretBox, String>>,
    pub http: reqwest::Client,
}

impl ConnectorSetup {
    /// The server's key from its configuration ([`SecretBox::load`]); when it cannot be loaded,
    /// connectors can be listed but no credential can be stored or used, and they say why.
    pub fn load(state: &fullhouse_core::http::AppState) -> Self {
        let secrets = SecretBox::load(&state.settings.data_dir).map_err(|e| {
            tracing::error!(error = ?e, "the secret key could not be loaded");
            format!("{e:?}")
        });
        Self::new(secrets)
    }

    pub fn new(secrets: std::result::Result<SecretBox, String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            secrets: Arc::new(secrets),
            http,
        }
    }

    fn secrets(&self) -> Result<&SecretBox> {
        self.secrets.as_ref().as_ref().map_err(|why| {
            Error::internal(format!("the server's secret key is unavailable: {why}"))
        })
    }
}

/// A credential is bound to its organization and connector: copied into another row, it does
/// not open.
fn purpose(org: &OrgId, id: &str) -> String {
    format!("segments.connector.credential:{org}:{id}")
}

/// Connectors of an organization.
#[derive(Clone)]
pub struct ConnectorService {
    db: Db,
    setup: ConnectorSetup,
}

impl ConnectorService {
    pub fn new(db: Db, setup: ConnectorSetup) -> Self {
        Self { db, setup }
    }

    pub fn setup(&self) -> &ConnectorSetup {
        &self.setup
    }

    /// The organization's connectors by name.
    pub async fn list(&self, org: &OrgId) -> Result<Vec<Connector>> {
        let rows = row::Entity::find()
            .filter(row::Column::OrganizationId.eq(org.as_str()))
            .order_by_asc(row::Column::Name)
            .order_by_asc(row::Column::Id)
            .all(self.db.reader())
            .await?;
        rows.into_iter()
            .map(|r| self.to_connector(org, r))
            .collect()
    }

    pub async fn connector(&self, org: &OrgId, id: &ConnectorId) -> Result<Connector> {
        let found = find(self.db.reader(), org, id).await?;
        self.to_connector(org, found)
    }

    pub async fn create(&self, org: &OrgId, new: NewConnector) -> Result<Connector> {
        let name = check_connector_name(&new.name)?;
        let settings = new.settings.check(new.kind)?;
        let credential = check_credential(new.credential.as_deref().unwrap_or_default())?;
        let id = ConnectorId::generate();
        let sealed = self
            .setup
            .secrets()?
            .seal(&purpose(org, id.as_str()), &credential)?;
        let now = Utc::now();
        let model = row::ActiveModel {
            organization_id: Set(org.to_string()),
            id: Set(id.into_string()),
            kind: Set(new.kind.as_str().to_string()),
            name: Set(name),
            settings: Set(settings_json(&settings)?),
            credential: Set(Some(sealed)),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let txn = self.db.begin_write().await?;
        let inserted = model.insert(&txn).await?;
        txn.commit().await?;
        self.to_connector(org, inserted)
    }

    pub async fn update(
        &self,
        org: &OrgId,
        id: &ConnectorId,
        patch: ConnectorPatch,
    ) -> Result<Connector> {
        let txn = self.db.begin_write().await?;
        let found = find(&txn, org, id).await?;
        let kind = ConnectorKind::parse(&found.kind)?;
        let mut active = found.into_active_model();
        if let Some(name) = &patch.name {
            active.name = Set(check_connector_name(name)?);
        }
        if let Some(settings) = &patch.settings {
            active.settings = Set(settings_json(&settings.check(kind)?)?);
        }
        if let Some(credential) = patch.credential.as_deref().filter(|c| !c.trim().is_empty()) {
            let credential = check_credential(credential)?;
            let sealed = self
                .setup
                .secrets()?
                .seal(&purpose(org, id.as_str()), &credential)?;
            active.credential = Set(Some(sealed));
        }
        active.updated_at = Set(Utc::now());
        let updated = active.update(&txn).await?;
        txn.commit().await?;
        self.to_connector(org, updated)
    }

    /// Deletes a connector and what was last pushed through it.
    pub async fn delete(&self, org: &OrgId, id: &ConnectorId) -> Result<()> {
        let txn = self.db.begin_write().await?;
        find(&txn, org, id).await?;
        pushed::Entity::delete_many()
            .filter(pushed::Column::OrganizationId.eq(org.as_str()))
            .filter(pushed::Column::ConnectorId.eq(id.as_str()))
            .exec(&txn)
            .await?;
        row::Entity::delete_many()
            .filter(row::Column::OrganizationId.eq(org.as_str()))
            .filter(row::Column::Id.eq(id.as_str()))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The connector's credential, opened: for the push job only, never for a response.
    pub async fn credential(&self, org: &OrgId, id: &ConnectorId) -> Result<String> {
        let found = find(self.db.reader(), org, id).await?;
        let sealed = found.credential.ok_or_else(|| {
            Error::invalid("credential", "the connector has no credential; add one")
        })?;
        self.setup
            .secrets()?
            .open(&purpose(org, id.as_str()), &sealed)
    }

    /// The customers of the last push to the connector's current target.
    pub async fn last_pushed(&self, org: &OrgId, connector: &Connector) -> Result<Vec<String>> {
        Ok(pushed::Entity::find()
            .filter(pushed::Column::OrganizationId.eq(org.as_str()))
            .filter(pushed::Column::ConnectorId.eq(connector.id.as_str()))
            .filter(pushed::Column::Target.eq(connector.target()))
            .order_by_asc(pushed::Column::MemberKey)
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|r| r.member_key)
            .collect())
    }

    /// Replaces the last pushed set of the connector's target with `members`, in one
    /// transaction (a push that fails half-way leaves the previous set).
    pub async fn store_pushed(
        &self,
        org: &OrgId,
        connector: &Connector,
        members: &BTreeSet<String>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let target = connector.target();
        let txn = self.db.begin_write().await?;
        pushed::Entity::delete_many()
            .filter(pushed::Column::OrganizationId.eq(org.as_str()))
            .filter(pushed::Column::ConnectorId.eq(connector.id.as_str()))
            .filter(pushed::Column::Target.eq(target.as_str()))
            .exec(&txn)
            .await?;
        let all: Vec<&String> = members.iter().collect();
        for chunk in all.chunks(INSERT_CHUNK) {
            let rows = chunk.iter().map(|member| pushed::ActiveModel {
                organization_id: Set(org.to_string()),
                connector_id: Set(connector.id.to_string()),
                target: Set(target.clone()),
                member_key: Set((*member).clone()),
                pushed_at: Set(at),
            });
            pushed::Entity::insert_many(rows).exec(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    fn to_connector(&self, org: &OrgId, r: row::Model) -> Result<Connector> {
        let credential_last4 = r.credential.as_ref().and_then(|sealed| {
            self.setup
                .secrets()
                .ok()
                .and_then(|s| s.open(&purpose(org, &r.id), sealed).ok())
                .map(|plain| last4(&plain))
        });
        Ok(Connector {
            kind: ConnectorKind::parse(&r.kind)?,
            settings: serde_json::from_value(r.settings)
                .map_err(|e| Error::internal(format!("a stored connector's settings: {e}")))?,
            has_credential: r.credential.is_some(),
            credential_last4,
            id: ConnectorId::from_db(r.id),
            name: r.name,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

async fn find(conn: &impl ConnectionTrait, org: &OrgId, id: &ConnectorId) -> Result<row::Model> {
    row::Entity::find_by_id((org.to_string(), id.to_string()))
        .one(conn)
        .await?
        .ok_or(Error::NotFound("connector"))
}

fn settings_json(settings: &ConnectorSettings) -> Result<serde_json::Value> {
    serde_json::to_value(settings).map_err(Error::internal)
}
