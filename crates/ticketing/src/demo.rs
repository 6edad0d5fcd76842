//! The "Demo Theatre" organization: a realistic data set for trying Fullhouse, for the UI and for
//! benchmarks. Deterministic for a given seed.

use fullhouse_core::{Db, Error, OrgId, Result};

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub customers: u64,
    pub seed: u64,
}

/// What was generated, and how to log in.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub organization: OrgId,
    pub organization_slug: String,
    pub admin_email: String,
    pub admin_password: String,
    pub venues: u64,
    pub seats: u64,
    pub productions: u64,
    pub events: u64,
    pub customers: u64,
    pub orders: u64,
    pub tickets: u64,
}

/// Builds the demo organization in `db` (which must be migrated).
pub async fn generate(_db: &Db, _options: &DemoOptions) -> Result<DemoSummary> {
    Err(Error::internal("the demo generator is being written"))
}

/// True when the database holds no organization yet (first start).
pub async fn database_is_empty(db: &Db) -> Result<bool> {
    use fullhouse_core::tenancy::store::organizations;
    use sea_orm::{EntityTrait, PaginatorTrait};
    Ok(organizations::Entity::find().count(db.reader()).await? == 0)
}
