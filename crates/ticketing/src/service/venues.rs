//! See the module docs.

use fullhouse_core::Db;

#[derive(Clone)]
pub struct VenueService {
    #[allow(dead_code)]
    db: Db,
}

impl VenueService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}
