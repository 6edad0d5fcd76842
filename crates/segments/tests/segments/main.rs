//! The segments crate's integration tests, on SQLite and PostgreSQL.

mod calendar;
mod data;
mod freshness;
mod index;
mod service;

use fullhouse_core::{Backend, Db};
use fullhouse_testkit::TestDb;

pub struct Fixture {
    pub test_db: TestDb,
    pub db: Db,
}

/// The setup of `both_backends!`: a fresh, migrated database.
pub async fn fixture(backend: Backend) -> Option<Fixture> {
    let test_db = TestDb::new(
        backend,
        fullhouse_core::module::migrations_with_core(&[
            &fullhouse_ticketing::Ticketing,
            &fullhouse_segments::Segments,
        ]),
    )
    .await?;
    Some(Fixture {
        db: test_db.db.clone(),
        test_db,
    })
}

impl Fixture {
    pub async fn finish(self) {
        self.test_db.finish().await;
    }
}
