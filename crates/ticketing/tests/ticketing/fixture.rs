//! A fresh, migrated database and an organization in it, for service tests.

use fullhouse_core::tenancy::service::{NewOrganization, TenancyService};
use fullhouse_core::{Backend, Db, OrgId};
use fullhouse_testkit::TestDb;

pub struct Fixture {
    pub test_db: TestDb,
    pub db: Db,
    pub org: OrgId,
    /// A second organization, for checks that tenants stay apart.
    pub other_org: OrgId,
}

/// The setup of `both_backends!` for ticketing tests.
pub async fn fixture(backend: Backend) -> Option<Fixture> {
    let test_db = TestDb::new(
        backend,
        fullhouse_core::module::migrations_with_core(&[&fullhouse_ticketing::Ticketing]),
    )
    .await?;
    let tenancy = TenancyService::new(test_db.db.clone());
    let mut orgs = Vec::new();
    for slug in ["theatre-a", "theatre-b"] {
        let org = tenancy
            .create_organization(NewOrganization {
                name: slug.to_string(),
                slug: slug.to_string(),
                default_language: "en".into(),
                timezone: "Europe/Copenhagen".into(),
                currency: "DKK".into(),
            })
            .await
            .expect("organization");
        orgs.push(org.id);
    }
    let other_org = orgs.pop().expect("two orgs");
    let org = orgs.pop().expect("two orgs");
    Some(Fixture {
        db: test_db.db.clone(),
        test_db,
        org,
        other_org,
    })
}

impl Fixture {
    pub async fn finish(self) {
        self.test_db.finish().await;
    }
}
